"""Helpers for the operations tests: watchdog beats written directly, visits started through the service."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.admin.services import find_user
from app.extensions import db as _db
from app.models import WatchdogBeat
from app.visits import services as visits


@pytest.fixture
def ctx(app):
    """A database session in an app context held for the whole (unit) test."""
    with app.app_context():
        yield _db.session


def add_beat(session, clock, name: str = "host-a:101:1", *, ago: float = 5.0, started_ago: float = 3600.0,
             **counters) -> WatchdogBeat:
    now = clock.now()
    values = {"steps_done": 0, "sent": 0, "failed": 0, "retried": 0, "latency_count": 0, "latency_sum": 0.0,
              "latency_buckets": {}, "channels": {}, **counters}
    beat = WatchdogBeat(name=name, started_at=now - timedelta(seconds=started_ago),
                        last_tick_at=now - timedelta(seconds=ago), **values)
    session.add(beat)
    session.commit()
    return beat


def start_visit(session, clock, minutes: float = 60, place: str = "Vestergade 1, 2. th"):
    """Anna starts a visit with Bo as buddy; it ends `minutes` from now (reminder 5 min before)."""
    plan = visits.VisitPlan(id=str(uuid.uuid4()), planned_end=clock.now() + timedelta(minutes=minutes),
                            buddy=find_user(session, "bo"), place=place)
    visit, _created = visits.start(session, clock, find_user(session, "anna"), plan)
    session.commit()
    return visit
