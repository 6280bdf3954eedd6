"""Retention: purge old places, visits, alerts, incidents and audit entries on a schedule."""
