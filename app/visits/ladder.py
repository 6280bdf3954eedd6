"""The escalation ladder's timings and the visit's next due step.

Times from the visit's planned end: reminder at -reminder_before, overdue alert at +grace; an alert
nobody acknowledged goes (again) to level 2 every ack_timeout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from app.models import Unit, Visit


@dataclass(frozen=True)
class Timings:
    reminder_before: timedelta
    grace: timedelta
    ack_timeout: timedelta


def timings_for(unit: Unit | None) -> Timings:
    """The unit's own timings where set, else the deployment's MAKKER_*_S defaults."""
    config = current_app.config

    def pick(own: int | None, key: str) -> timedelta:
        return timedelta(seconds=own if own is not None else config[key])

    return Timings(
        reminder_before=pick(unit.reminder_before_s if unit else None, "REMINDER_BEFORE_S"),
        grace=pick(unit.grace_s if unit else None, "GRACE_S"),
        ack_timeout=pick(unit.ack_timeout_s if unit else None, "ACK_TIMEOUT_S"),
    )


def reminder_time(visit: Visit, timings: Timings) -> datetime | None:
    """None when the visit is too short for a reminder to make sense (it would come at the start)."""
    at = visit.planned_end - timings.reminder_before
    return at if at > visit.started_at else None


def overdue_time(visit: Visit, timings: Timings) -> datetime:
    return visit.planned_end + timings.grace


def pending_steps(visit: Visit, timings: Timings) -> list[tuple[datetime, str]]:
    """The visit's steps that have not fired yet, earliest first."""
    if visit.state == "closed":
        return []
    steps = []
    if visit.state == "active":
        reminder = reminder_time(visit, timings)
        if reminder is not None and visit.reminder_sent_at is None:
            steps.append((reminder, "reminder"))
        if visit.overdue_at is None:
            steps.append((overdue_time(visit, timings), "overdue"))
    if visit.interrupt_at is not None and visit.interrupt_sent_at is None:
        steps.append((visit.interrupt_at, "interrupt"))
    return sorted(steps)


def reschedule(visit: Visit, timings: Timings) -> None:
    steps = pending_steps(visit, timings)
    visit.next_due_at = steps[0][0] if steps else None
