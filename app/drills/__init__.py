"""Drills (øvelser): real alerts, marked as drills, through the real channels and tiers."""
