"""Real watchdog processes against PostgreSQL: several at once share the work and fire every step
exactly once; a watchdog killed with SIGKILL mid-ladder loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from app.clock import SystemClock
from app.extensions import db as _db
from app.models import DeliveryAttempt, Notification, OutboxEntry, User, Visit
from app.visits.ladder import reschedule, timings_for
from tests.conftest import private_pg_database

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def watchdog_database():
    # A database of its own: the shared test database keeps the schema other tests rely on.
    with private_pg_database("makker_wd") as url:
        yield url


@pytest.fixture
def pg_app(watchdog_database, tmp_path):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": watchdog_database, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x",
        "CLOCK": SystemClock(), "GRACE_S": 1, "REMINDER_BEFORE_S": 0, "ACK_TIMEOUT_S": 3600,
    })
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        from app.demo import load_demo_data

        load_demo_data()
    yield app
    with app.app_context():
        _db.drop_all()
        _db.engine.dispose()


def start_watchdog(url: str, tmp_path: Path, name: str) -> subprocess.Popen:
    env = {**os.environ, "MAKKER_DATABASE_URL": url, "MAKKER_INSTANCE_PATH": str(tmp_path),
           "MAKKER_GRACE_S": "1", "MAKKER_REMINDER_BEFORE_S": "0", "MAKKER_ACK_TIMEOUT_S": "3600",
           "MAKKER_SECRET_KEY": "x"}
    # Logs go to a file: an unread pipe fills up and blocks the process.
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "watchdog", "--name", name],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    proc.log_path = tmp_path / f"{name}.log"
    return proc


def make_visits(app, count: int, end: datetime) -> None:
    with app.app_context():
        anna = _db.session.execute(select(User).where(User.username == "anna")).scalar_one()
        bo = _db.session.execute(select(User).where(User.username == "bo")).scalar_one()
        timings = timings_for(anna.unit)
        for _ in range(count):
            visit = Visit(id=str(uuid.uuid4()), worker_id=anna.id, buddy_id=bo.id, unit_id=anna.unit_id,
                          state="active", started_at=end - timedelta(minutes=30), planned_end=end, place="x")
            visit.unit = anna.unit
            reschedule(visit, timings)
            _db.session.add(visit)
        _db.session.commit()


def wait_for(app, count: int, timeout: float = 240.0) -> None:
    """Until every visit is overdue and nothing is left to send."""
    deadline = time.monotonic() + timeout
    with app.app_context():
        while time.monotonic() < deadline:
            overdue = _db.session.execute(
                select(func.count()).select_from(Visit).where(Visit.state == "overdue")
            ).scalar()
            pending = _db.session.execute(
                select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state == "pending")
            ).scalar()
            _db.session.rollback()
            if overdue >= count and pending == 0:
                return
            time.sleep(0.2)
    raise AssertionError(f"only {overdue} of {count} overdue ({pending} unsent) after {timeout} s")


def counts(app) -> dict:
    with app.app_context():
        s = _db.session
        return {
            "overdue": s.execute(select(func.count()).select_from(Visit).where(Visit.state == "overdue")).scalar(),
            "notifications": s.execute(select(func.count()).select_from(Notification)).scalar(),
            "distinct_steps": s.execute(select(func.count(func.distinct(Notification.step_key)))).scalar(),
            "attempts": s.execute(select(func.count()).select_from(DeliveryAttempt)).scalar(),
            "entries": s.execute(select(func.count()).select_from(OutboxEntry)).scalar(),
            "unsent": s.execute(select(func.count()).select_from(OutboxEntry)
                                .where(OutboxEntry.state != "sent")).scalar(),
        }


def test_two_watchdogs_fire_hundreds_of_steps_due_in_the_same_second_exactly_once(pg_app, watchdog_database,
                                                                                   tmp_path):
    n = 300
    make_visits(pg_app, n, datetime.now(UTC) + timedelta(seconds=2))
    procs = [start_watchdog(watchdog_database, tmp_path, f"wd{i}") for i in range(2)]
    try:
        wait_for(pg_app, n)
        time.sleep(1.0)  # would show any late duplicate
        result = counts(pg_app)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            assert p.wait(timeout=60) == 0, p.log_path.read_text()[-2000:]
    # Two steps per visit (reminder to the worker, alert to the buddy), each exactly once, and each
    # outbox entry (one per channel) delivered exactly once.
    assert result["overdue"] == n
    assert result["notifications"] == result["distinct_steps"] == 2 * n
    assert result["attempts"] == result["entries"] and result["unsent"] == 0
    with pg_app.app_context():
        from app.models import WatchdogBeat

        beats = _db.session.execute(select(WatchdogBeat)).scalars().all()
        assert {b.name for b in beats} == {"wd0", "wd1"}
        assert sum(b.steps_done for b in beats) == 2 * n
        assert all(b.steps_done > 0 for b in beats), "both processes should have taken a share"


def test_killed_watchdog_loses_no_step(pg_app, watchdog_database, tmp_path):
    n = 600
    make_visits(pg_app, n, datetime.now(UTC) + timedelta(seconds=1))
    first = start_watchdog(watchdog_database, tmp_path, "victim")
    # Kill it while it works through the batch (the first steps are due ~2 s from now).
    deadline = time.monotonic() + 20
    with pg_app.app_context():
        while time.monotonic() < deadline:
            fired = _db.session.execute(select(func.count()).select_from(Visit)
                                        .where(Visit.state == "overdue")).scalar()
            _db.session.rollback()
            if fired > 0:
                break
            time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    partial = counts(pg_app)
    assert partial["overdue"] < n, "the victim finished before it could be killed; raise n"
    second = start_watchdog(watchdog_database, tmp_path, "survivor")
    try:
        wait_for(pg_app, n)
        time.sleep(1.0)
        result = counts(pg_app)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    assert result["overdue"] == n
    assert result["notifications"] == result["distinct_steps"] == 2 * n
    assert result["unsent"] == 0
    # A notification re-sent after the crash keeps its id and tag; only the ones in flight repeat.
    assert result["entries"] <= result["attempts"] <= result["entries"] + 2 * 500
