"""A drill is forgotten with its alerts: `alerts_days` after it, once retention has taken its alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Alert, Drill, DrillPerson
from app.retention.services import Policy, purge
from tests.drills.helpers import ACK, start, tick


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield _db.session


def _count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_drill_goes_a_year_after_it_ended(ctx, clock):
    start(ctx, clock, unit=True)
    clock.advance(ACK * 2)
    tick(ctx, clock)  # over: both alerts resolved by themselves
    assert _count(ctx, Drill) == 1 and _count(ctx, DrillPerson) == 3
    clock.advance(timedelta(days=365).total_seconds() - 1)
    assert purge(ctx, clock, Policy(), dry_run=True).counts["drills"] == 0
    clock.advance(ACK * 2)
    dry = purge(ctx, clock, Policy(), dry_run=True).counts
    assert (dry["alerts"], dry["drills"], dry["drill_people"]) == (3, 1, 3)
    report = purge(ctx, clock, Policy())
    assert (report.counts["alerts"], report.counts["drills"], report.counts["drill_people"]) == (3, 1, 3)
    assert _count(ctx, Drill) == _count(ctx, DrillPerson) == _count(ctx, Alert) == 0
