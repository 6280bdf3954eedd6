"""The watchdog's daily purge: due from 03:00 Copenhagen time, claimed by exactly one watchdog per day
(also when two call it at the same moment), a few batches per tick, taken over when its watchdog dies."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from app import create_app
from app.extensions import db as _db
from app.models import AuditEntry, MailSinkMessage, RetentionRun
from app.retention import services
from app.watchdog import engine
from tests.retention import helpers as h


@pytest.fixture(autouse=True)
def no_time_budget(monkeypatch):
    # The per-tick time budget is real time; tests bound the work by batches only.
    monkeypatch.setattr(services, "TICK_SECONDS", 60.0)


@pytest.fixture
def second_app(app, app_config):
    """Another process's app on the same database (its own engine, session and job state)."""
    other = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    yield other
    with other.app_context():
        _db.session.remove()
        _db.engine.dispose()


def job(application, clock) -> int:
    with application.app_context():
        try:
            return services.daily_job(_db.session, clock)
        finally:
            _db.session.remove()


def old_rows(db, clock, n: int = 3) -> None:
    with db as s:
        for _ in range(n):
            h.mail(s, created_at=clock.now() - timedelta(days=31))
        s.commit()


def runs(db) -> list[RetentionRun]:
    with db as s:
        rows = s.execute(select(RetentionRun).order_by(RetentionRun.id)).scalars().all()
        s.expunge_all()
        return rows


def purge_audits(db) -> int:
    with db as s:
        return h.count(s, AuditEntry, AuditEntry.action == "retention.purge")


@pytest.mark.parametrize("before, at", [
    (datetime(2026, 11, 26, 1, 59, tzinfo=UTC), datetime(2026, 11, 26, 2, 0, tzinfo=UTC)),  # CET, UTC+1
    (datetime(2026, 7, 1, 0, 59, tzinfo=UTC), datetime(2026, 7, 1, 1, 0, tzinfo=UTC)),  # CEST, UTC+2
])
def test_runs_from_the_first_tick_after_3_in_copenhagen_then_once_that_day(app, db, clock, before, at):
    clock.set(before)
    old_rows(db, clock)
    assert job(app, clock) == 0
    assert runs(db) == []

    clock.set(at)
    assert job(app, clock) == 1  # one batch: the three mail copies
    (run,) = runs(db)
    assert run.trigger == "schedule" and run.day == at.astimezone(services.LOCAL_TZ).date()
    assert run.finished_at == at and run.counts["mail_sink"] == 3 and run.error == ""
    assert purge_audits(db) == 1

    clock.advance(hours=20)
    old_rows(db, clock)
    assert job(app, clock) == 0
    assert len(runs(db)) == 1 and purge_audits(db) == 1

    clock.advance(hours=4)  # the next day, after 03:00
    assert job(app, clock) == 1
    assert [r.counts["mail_sink"] for r in runs(db)] == [3, 3]
    assert purge_audits(db) == 2


def test_a_tick_with_nothing_due_costs_no_query(app, db, clock):
    assert job(app, clock) == 0  # today's run (nothing to delete)
    statements = []
    with app.app_context():
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(_db.engine, "before_cursor_execute", listener)
        try:
            for _ in range(5):
                clock.advance(minutes=10)
                assert services.daily_job(_db.session, clock) == 0
        finally:
            event.remove(_db.engine, "before_cursor_execute", listener)
            _db.session.remove()
    assert statements == []
    assert len(runs(db)) == 1 and purge_audits(db) == 1


def test_the_watchdog_tick_runs_the_job(app, db, clock):
    old_rows(db, clock)
    with app.app_context():
        assert services.daily_job in app.extensions["makker.periodic"]
        engine.tick(_db.session, clock)
        _db.session.remove()
    (run,) = runs(db)
    assert run.finished_at is not None and run.counts["mail_sink"] == 3


def test_a_second_watchdog_does_not_run_it_again_the_same_day(app, second_app, db, clock):
    old_rows(db, clock)
    assert job(app, clock) == 1
    assert job(second_app, clock) == 0
    clock.advance(hours=1)
    assert job(second_app, clock) == 0
    assert len(runs(db)) == 1 and purge_audits(db) == 1


def test_two_watchdogs_at_the_same_moment_purge_once(app, second_app, db, clock):
    old_rows(db, clock, n=7)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def watchdog(application):
        try:
            with application.app_context():
                barrier.wait(timeout=10)
                results.append(services.daily_job(_db.session, clock))
                _db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=watchdog, args=(a,)) for a in (app, second_app)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors and sorted(results) == [0, 1]
    (run,) = runs(db)
    assert run.finished_at is not None and run.counts["mail_sink"] == 7
    assert purge_audits(db) == 1
    with db as s:
        assert h.count(s, MailSinkMessage) == 0

    # Whoever lost looks again later, sees the day done, and stays quiet.
    clock.advance(minutes=6)
    assert job(app, clock) == 0 and job(second_app, clock) == 0
    assert len(runs(db)) == 1 and purge_audits(db) == 1


def test_a_big_purge_is_spread_over_ticks_and_a_dead_watchdogs_run_is_taken_over(
        app, second_app, db, clock, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 2)
    monkeypatch.setattr(services, "TICK_BATCHES", 1)
    old_rows(db, clock, n=5)
    with db as s:
        for _ in range(3):
            h.audit_entry(s, at=clock.now() - timedelta(days=3000))
        s.commit()

    assert job(app, clock) == 1  # claimed; 2 of 5 mail copies
    (run,) = runs(db)
    assert run.finished_at is None and run.counts["mail_sink"] == 2 and run.lease_until > clock.now()
    # The first watchdog dies here. The second one leaves the run alone while the lease holds...
    assert job(second_app, clock) == 0
    clock.advance(minutes=4)
    assert job(second_app, clock) == 0
    assert runs(db)[0].counts["mail_sink"] == 2
    # ...and takes it over once the lease ran out, going on where it stopped.
    clock.advance(minutes=1, seconds=1)
    ticks = 0
    while runs(db)[0].finished_at is None:
        assert job(second_app, clock) in (0, 1)
        ticks += 1
        assert ticks < 20
    (run,) = runs(db)
    assert run.counts["mail_sink"] == 5 and run.counts["audit_entries"] == 3
    assert ticks >= 4  # 3 more mail copies and 3 audit entries, two a tick (plus the empty rules' tick)
    assert purge_audits(db) == 1
    # The first watchdog comes back: the run is no longer its own, and the day is done.
    assert job(app, clock) == 0
    assert job(app, clock) == 0
    assert len(runs(db)) == 1 and purge_audits(db) == 1


def test_a_failing_run_is_recorded_and_retried_later_without_breaking_the_tick(app, db, clock, monkeypatch):
    old_rows(db, clock)

    def broken(session, ctx):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "RULES", (broken, *services.RULES))
    assert job(app, clock) == 0
    (run,) = runs(db)
    assert run.error == "disk on fire" and run.finished_at is None
    clock.advance(minutes=4)
    assert job(app, clock) == 0  # waits five minutes
    monkeypatch.setattr(services, "RULES", services.RULES[1:])
    clock.advance(minutes=1, seconds=1)
    assert job(app, clock) == 1
    (run,) = runs(db)
    assert run.finished_at is not None and run.error == "" and run.counts["mail_sink"] == 3
    assert purge_audits(db) == 1
