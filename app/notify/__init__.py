"""Notifications: the outbox written with each state change, and the channels that send it."""
