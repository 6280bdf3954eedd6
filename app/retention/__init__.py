"""Retention: purge old places, visits, alerts, incidents and audit entries on a schedule.

The table of runs is imported here so that every app (create_app imports the feature) knows it."""

from app.retention import models  # noqa: F401
