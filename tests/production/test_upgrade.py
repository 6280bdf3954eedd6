"""An upgrade as deploy/upgrade.sh does it loses no alert: with two watchdogs running and visits falling
due all the time, run the migrations (`deploy/upgrade.sh --migrate-only`, i.e. `flask db upgrade heads`
while the old processes run), restart the watchdogs one at a time with SIGTERM, then stop both for a
moment. Every step fires exactly once and is sent exactly once; none is missed.

Honest limits: the database is already at the newest revision, so the migration step is a no-op here
(the code under test always expects the newest schema); what is tested is that the procedure around it
(migrating while watchdogs work, the rolling SIGTERM restarts, a full stop) never loses or doubles a step."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, or_, select

from app import create_app
from app.clock import SystemClock
from app.extensions import db as _db
from app.models import Alert, DeliveryAttempt, Notification, OutboxEntry, User, Visit, WatchdogBeat
from app.visits.ladder import reschedule, timings_for
from app.watchdog.wakeup import request_wakeup
from tests.production.conftest import ROOT, Stack, base_env, wait_until, write_env_file

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LADDER = {"MAKKER_REMINDER_BEFORE_S": "1", "MAKKER_GRACE_S": "1", "MAKKER_ACK_TIMEOUT_S": "3600"}
LEAD = 1.5  # each new visit's planned end is this far ahead: its two steps fall due 0.5 s and 2.5 s later
MAX_VISITS = 400  # a bound only: on a slow machine the phases take longer and more visits start


class Feeder(threading.Thread):
    """Starts a visit every `every` seconds (as the API would: committed with a NOTIFY), so steps keep
    falling due during every phase of the upgrade."""

    def __init__(self, app, every: float = 0.25):
        super().__init__(daemon=True)
        self.app, self.every = app, every
        self.stop = threading.Event()
        self.ids: list[str] = []
        self.error: BaseException | None = None

    def run(self):
        try:
            with self.app.app_context():
                s = _db.session
                anna = s.execute(select(User).where(User.username == "anna")).scalar_one()
                bo = s.execute(select(User).where(User.username == "bo")).scalar_one()
                while not self.stop.is_set() and len(self.ids) < MAX_VISITS:
                    end = datetime.now(UTC) + timedelta(seconds=LEAD)
                    visit = Visit(id=str(uuid.uuid4()), worker_id=anna.id, buddy_id=bo.id, unit_id=anna.unit_id,
                                  state="active", started_at=end - timedelta(minutes=20), planned_end=end,
                                  place="Opgraderingsvej 8")
                    visit.unit = anna.unit
                    reschedule(visit, timings_for(anna.unit))
                    s.add(visit)
                    request_wakeup(s)
                    s.commit()
                    self.ids.append(visit.id)
                    self.stop.wait(self.every)
                s.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


def beat_after(app, name: str, after: datetime):
    with app.app_context():
        beat = _db.session.get(WatchdogBeat, name)
        ok = beat is not None and beat.last_tick_at > after
        _db.session.remove()
        return ok


def wait_ticking(app, process) -> None:
    """Until this process (not its predecessor of the same name, whose last beat may come late) ticks."""
    wait_until(lambda: "running" in process.log() or not process.alive(), 60, f"{process.name} to start")
    assert process.alive(), process.log()[-2000:]
    since = datetime.now(UTC)
    wait_until(lambda: beat_after(app, process.name, since), 30, f"{process.name} to tick")


def test_rolling_upgrade_loses_and_doubles_no_step(production_db, production_keys, tmp_path):
    env = {**base_env(production_db, tmp_path / "instance", production_keys), **LADDER}
    app = create_app({"SQLALCHEMY_DATABASE_URI": production_db, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SECRET_KEY": production_keys["MAKKER_SECRET_KEY"], "CLOCK": SystemClock(),
                      "REMINDER_BEFORE_S": 1, "GRACE_S": 1, "ACK_TIMEOUT_S": 3600})
    # The env file deploy/upgrade.sh reads (KEY=value lines, as /etc/makker/makker.env).
    env_file = write_env_file(tmp_path / "makker.env", env)

    stack = Stack(env, tmp_path)
    feeder = Feeder(app)
    phases: list[tuple[str, datetime, datetime]] = []
    try:
        watchdogs = {name: stack.start(name) for name in ("watchdog1", "watchdog2")}
        for process in watchdogs.values():
            wait_ticking(app, process)
        feeder.start()

        # 1. Migrations with the old processes running (deploy/upgrade.sh step 1).
        t0 = datetime.now(UTC)
        migrate = subprocess.run([str(ROOT / "deploy" / "upgrade.sh"), "--migrate-only"], cwd=ROOT,
                                 env={**env, "MAKKER_ENV_FILE": str(env_file), "MAKKER_APP_DIR": str(ROOT)},
                                 capture_output=True, text=True, timeout=180)
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr[-3000:]
        assert "migrations done" in migrate.stdout
        phases.append(("migrations", t0, datetime.now(UTC)))

        # 2. Watchdogs one at a time (step 3): SIGTERM, it finishes its batch and exits 0; start it
        #    again (systemd: Restart=always) and wait until it ticks before the next one.
        for name in ("watchdog1", "watchdog2"):
            t0 = datetime.now(UTC)
            assert watchdogs[name].terminate() == 0, watchdogs[name].log()[-2000:]
            watchdogs[name] = stack.start(name)
            wait_ticking(app, watchdogs[name])
            phases.append((f"restart {name}", t0, datetime.now(UTC)))
            assert all(w.alive() for w in watchdogs.values())

        # 3. Both stopped for a moment (a full stop): steps due meanwhile are only delayed.
        t0 = datetime.now(UTC)
        for name in watchdogs:
            assert watchdogs[name].terminate() == 0, watchdogs[name].log()[-2000:]
        time.sleep(1.0)  # plus the time they take to start: steps fall due with no watchdog at all
        for name in watchdogs:
            watchdogs[name] = stack.start(name)
        for process in watchdogs.values():
            wait_ticking(app, process)
        phases.append(("full stop", t0, datetime.now(UTC)))
        time.sleep(1.0)
        # On a fast machine the procedure can take less than 10 s: keep starting visits (with both new
        # watchdogs running) until there are enough to count on.
        wait_until(lambda: len(feeder.ids) >= 40, 60, "40 visits started")
        feeder.stop.set()
        feeder.join(timeout=30)
        assert feeder.error is None, feeder.error
        ids = feeder.ids

        # Every step fired and sent.
        def all_done():
            with app.app_context():
                s = _db.session
                overdue = s.execute(select(func.count()).select_from(Visit).where(
                    Visit.id.in_(ids), Visit.state == "overdue")).scalar()
                unsent = s.execute(select(func.count()).select_from(OutboxEntry).join(Notification).join(
                    Alert, Alert.id == Notification.alert_id, isouter=True).where(
                    or_(Notification.visit_id.in_(ids), Alert.visit_id.in_(ids)),
                    OutboxEntry.state == "pending")).scalar()
                s.remove()
                return overdue == len(ids) and unsent == 0

        wait_until(all_done, 90, f"all {len(ids)} visits overdue and every message sent", interval=0.3)
        time.sleep(1.0)  # a late duplicate would show now

        with app.app_context():
            s = _db.session
            # An alert's notification is found through the alert (its own visit_id is not always set).
            alert_visit = dict(s.execute(select(Alert.id, Alert.visit_id).where(Alert.visit_id.in_(ids))).all())
            mine = or_(Notification.visit_id.in_(ids), Notification.alert_id.in_(alert_visit))
            notes = [(n.alert_id and alert_visit.get(n.alert_id) or n.visit_id, n.type, n.recipient_id, n.step_key,
                      n.due_at, n.created_at)
                     for n in s.execute(select(Notification).where(mine)).scalars()]
            entries = s.execute(select(OutboxEntry).join(Notification).where(mine)).scalars().all()
            ok_attempts = s.execute(select(DeliveryAttempt.outbox_id, func.count()).join(Notification).where(
                mine, DeliveryAttempt.ok.is_(True)).group_by(DeliveryAttempt.outbox_id)).all()
            s.remove()
    finally:
        feeder.stop.set()
        stack.kill_all()
        with app.app_context():
            _db.engine.dispose()

    n = len(ids)
    assert n >= 40, f"only {n} visits were started during the upgrade"
    # Exactly the two steps per visit (reminder to Anna, level-1 alert to Bo): none missed, none doubled.
    per_visit: dict[str, list[str]] = {}
    for visit_id, kind, *_ in notes:
        per_visit.setdefault(visit_id, []).append(kind)
    assert {vid: sorted(types) for vid, types in per_visit.items()} == {vid: ["alert", "reminder"] for vid in ids}
    assert len({(recipient, step) for _, _, recipient, step, _, _ in notes}) == 2 * n
    # Each message left exactly once per channel.
    assert all(e.state in ("sent", "skipped") for e in entries)
    sent = {e.id for e in entries if e.state == "sent"}
    assert dict(ok_attempts) == dict.fromkeys(sent, 1)
    # The test really had steps falling due while a watchdog was away (and during the full stop).
    for label, start, end in phases:
        due = [note for note in notes if start <= note[4] <= end]
        assert due, f"no step fell due during {label} ({(end - start).total_seconds():.1f} s)"
    worst = max((created - due).total_seconds() for *_, due, created in notes)
    print(f"{n} visits, {2 * n} steps; phases: "
          + ", ".join(f"{label} {(end - start).total_seconds():.1f} s" for label, start, end in phases)
          + f"; latest step fired {worst:.1f} s after it was due")
