"""Watchdog liveness and backlog from the database, with a fake clock and beats written directly."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.admin.services import find_user
from app.models import OutboxEntry
from app.notify.outbox import enqueue
from app.ops import services
from tests.ops.conftest import add_beat, start_visit


def test_no_beat_at_all_is_stale_and_says_so(ctx, clock):
    state = services.liveness(ctx, clock, 60)
    assert state.alive == 0 and state.last_tick_at is None and state.stale and not state.ok
    assert state.reasons() == ["no watchdog has ever ticked against this database"]
    assert state.due == {"visit": 0, "alert": 0, "outbox": 0} and state.oldest_due_at is None


def test_a_recent_beat_is_alive_and_the_newest_tick_counts(ctx, clock):
    add_beat(ctx, clock, "host-a:1:1", ago=300)
    add_beat(ctx, clock, "host-b:2:1", ago=12)
    state = services.liveness(ctx, clock, 60)
    assert state.ok and state.alive == 1 and len(state.beats) == 2
    assert state.last_tick_at == clock.now() - timedelta(seconds=12)
    assert state.last_tick_age_s == 12.0 and state.reasons() == []


def test_stale_exactly_after_the_limit(ctx, clock):
    add_beat(ctx, clock, ago=60)
    assert services.liveness(ctx, clock, 60).ok  # 60 s ago is still "within the last 60 s"
    clock.advance(seconds=1)
    state = services.liveness(ctx, clock, 60)
    assert state.stale and not state.ok
    assert state.reasons() == ["no watchdog has ticked in the last 60 s (the last tick was 61 s ago)"]
    assert services.liveness(ctx, clock, 120).ok  # MAKKER_WATCHDOG_STALE_S is honoured


def test_backlog_of_due_visit_steps_and_its_age(ctx, clock):
    start_visit(ctx, clock, minutes=60)  # reminder due at +55 min
    start_visit(ctx, clock, minutes=90)  # reminder due at +85 min
    add_beat(ctx, clock, ago=0)
    clock.advance(minutes=55, seconds=30)
    add_beat(ctx, clock, "host-b:1:1", ago=1)  # alive, but has done nothing (e.g. stuck or failing)
    state = services.liveness(ctx, clock, 60)
    assert state.due == {"visit": 1, "alert": 0, "outbox": 0} and state.backlog == 1
    assert state.oldest_due_age_s == 30.0 and state.ok
    clock.advance(seconds=31)
    state = services.liveness(ctx, clock, 60)
    assert state.behind and not state.stale and not state.ok
    assert state.reasons() == ["the oldest due step has waited 61 s (more than 60 s)"]


def test_pending_outbox_entries_due_and_not_yet_due(ctx, clock):
    anna = find_user(ctx, "anna")
    enqueue(ctx, clock, anna, type="test", step_key="ops:1", payload={"title": "t", "body": "b"}, tag="ops-1")
    ctx.commit()
    entries = list(ctx.execute(select(OutboxEntry)).scalars())
    assert entries
    entries[0].next_attempt_at = clock.now() + timedelta(seconds=30)  # e.g. a retry later
    ctx.commit()
    clock.advance(seconds=20)
    state = services.liveness(ctx, clock, 60)
    assert state.outbox_pending == len(entries)
    assert state.due["outbox"] == len(entries) - 1
    assert state.oldest_unsent_age_s == 20.0


def test_public_summary_has_ages_and_counts_but_no_names_or_places(ctx, clock):
    add_beat(ctx, clock, "secret-host.internal:4242:7", ago=3)
    start_visit(ctx, clock, minutes=10, place="Hemmelig Allé 7")  # reminder due at +5 min
    clock.advance(minutes=7)
    body = services.public_summary(services.liveness(ctx, clock, 60))
    text = repr(body)
    assert "secret-host" not in text and "4242" not in text and "Hemmelig" not in text and "anna" not in text
    assert body["watchdogs"] == [{"alive": False, "last_tick_age_s": 423.0, "started_age_s": 4020.0}]
    assert body["due"]["visit"] == 1 and body["oldest_due_age_s"] == 120.0 and body["status"] == "fail" and "reason" in body
