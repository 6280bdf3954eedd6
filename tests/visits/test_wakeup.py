"""When a visit change wakes the watchdog (NOTIFY on PostgreSQL, the in-process event otherwise).

Only changes whose next step is within WAKE_HORIZON do: a running watchdog re-reads the earliest due
time often enough to find the others in time, and under load a NOTIFY per check-in would make every
watchdog tick for nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.admin.services import find_user
from app.extensions import db as _db
from app.models import Visit
from app.visits import services
from app.watchdog import engine, runner


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield _db.session


def woke(session) -> bool:
    """Did this transaction ask for a wake-up (checked before its commit, which consumes the flag)?"""
    return bool(session.info.get("makker_wakeup"))


def tick(session, clock):
    """One watchdog tick, then a fresh session as the runner does; returns anna from the new session."""
    engine.tick(session, clock)
    session.remove()
    return find_user(session, "anna")


def start(session, clock, **plan):
    anna, bo = find_user(session, "anna"), find_user(session, "bo")
    plan.setdefault("planned_end", clock.now() + timedelta(minutes=60))
    visit, _ = services.start(session, clock, anna, services.VisitPlan(
        id=str(uuid.uuid4()), buddy=bo, place="Vestergade 1", **plan))
    return anna, visit


def test_the_horizon_covers_the_longest_watchdog_sleep():
    assert services.WAKE_HORIZON.total_seconds() >= max(runner.MAX_SLEEP, runner.BEAT_EVERY)


def test_a_visit_whose_first_step_is_far_away_wakes_nobody(ctx, clock):
    _, visit = start(ctx, clock)  # reminder 55 minutes away
    assert visit.next_due_at - clock.now() > services.WAKE_HORIZON
    assert not woke(ctx)
    ctx.commit()


def test_a_visit_with_a_step_within_the_horizon_wakes_the_watchdog(ctx, clock):
    _, visit = start(ctx, clock, interrupt_at=clock.now() + timedelta(seconds=30))
    assert visit.next_due_at == clock.now() + timedelta(seconds=30)
    assert woke(ctx)
    ctx.commit()


def test_extending_far_ahead_wakes_nobody_but_a_new_reminder_close_by_does(ctx, clock):
    anna, visit = start(ctx, clock, planned_end=clock.now() + timedelta(minutes=10))
    visit_id = visit.id
    ctx.commit()
    services.extend(ctx, clock, anna, visit_id, 60)
    assert not woke(ctx)
    ctx.commit()
    # The reminder went (5 minutes before the end); extended by one minute: the new reminder is due now.
    clock.advance(minutes=66)
    anna = tick(ctx, clock)
    assert ctx.get(Visit, visit_id).reminder_sent_at is not None
    services.extend(ctx, clock, anna, visit_id, 1)
    assert ctx.get(Visit, visit_id).next_due_at <= clock.now() + services.WAKE_HORIZON
    assert woke(ctx)
    ctx.commit()


def test_checkout_wakes_only_for_the_messages_it_queues(ctx, clock):
    anna, visit = start(ctx, clock)
    ctx.commit()
    services.checkout(ctx, clock, anna, visit.id)
    assert not woke(ctx)  # nothing left to do for this visit
    ctx.commit()

    anna, late = start(ctx, clock, planned_end=clock.now() + timedelta(minutes=30))
    late_id = late.id
    ctx.commit()
    clock.advance(minutes=40)
    anna = tick(ctx, clock)  # overdue: the buddy was alerted
    services.checkout(ctx, clock, anna, late_id)
    assert woke(ctx)  # "resolved" goes out to the buddy
    ctx.commit()
