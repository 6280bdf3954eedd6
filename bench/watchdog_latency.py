"""Benchmark: the watchdog's due -> sent latency, and the cost of one tick against the number of visits.

    .venv/bin/python -m bench.watchdog_latency [--db sqlite|postgres|both] [--quick] [--explain]

1. Due -> sent (issue 3). 10,000 active visits that are not due and 100 visits whose overdue alert is
   due at the same instant T; one real watchdog process (`flask --app wsgi watchdog`, log in a file).
   For each of the 100 alert notifications: `DeliveryAttempt.at` of its first successful `log`
   attempt minus `Notification.due_at` (the server's part: due -> leaving the server). p50/p99/max,
   target p99 <= 1 s. The watchdog is idle (a WatchdogBeat row exists) before the 100 are added, so
   its start-up is not measured; they are added the way the web app adds a visit: on PostgreSQL with
   NOTIFY (`request_wakeup`) and T = now + 3 s; on SQLite a separate watchdog process has no cross-
   process wake-up and re-reads the next due time at least every BEAT_EVERY (10 s), so T = now + 12 s.
   Ladder timings: MAKKER_GRACE_S=1, MAKKER_ACK_TIMEOUT_S=3600 (no level-2 round during the run) and
   MAKKER_REMINDER_BEFORE_S=600 with 5-minute visits: `reminder_time` is then before the start, so
   those visits have no reminder and the burst is exactly 100 overdue alerts (with REMINDER_BEFORE_S=0
   the 100 reminders would fire 1 s before the alerts and their sending could spill into the measured
   second; `--with-reminders` runs that variant). The 10,000 idle visits end 1-3 h from now: their
   reminders never fall inside the run.
2. Cost per tick. In-process with a FakeClock: `engine.tick(session, clock)` when nothing is due (the
   idle tick: the due-work claims that find nothing and the queries for the next due time) and when
   10 visits are due (10 overdue alerts raised and sent), at 1,000 and 100,000 active visits; medians
   of many ticks, ratio 100k/1k (target <= 1.5x: the due-work query must use the next_due_at index).
   With a bad ratio (or --explain) the slowest statements are timed and EXPLAINed.

SQLite in a temporary directory; PostgreSQL in a private database `makker_bench_<random>` created on
MAKKER_BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and dropped at the
end. `--db both` (default) skips PostgreSQL with a note when the server is not reachable."""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("MAKKER_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
GRACE_S = 1
REMINDER_BEFORE_S = 600
ACK_TIMEOUT_S = 3600
TARGET_P99_MS = 1000.0
TARGET_RATIO = 1.5


# --- helpers -----------------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p99 of 100 values is the 99th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f}/{five:.1f} on {os.cpu_count()} cpus"


def pg_reachable() -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        print(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}; skipped")
        return False
    finally:
        engine.dispose()


@contextmanager
def database(kind: str, tmp: Path, label: str):
    """A fresh database URL: a SQLite file in `tmp`, or a private PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / f'{label}.sqlite3'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"makker_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def make_app(url: str, instance: Path, clock=None, reminder_before_s: int = REMINDER_BEFORE_S):
    from app import create_app
    from app.clock import SystemClock

    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench",
        "CLOCK": clock or SystemClock(), "GRACE_S": GRACE_S, "REMINDER_BEFORE_S": reminder_before_s,
        "ACK_TIMEOUT_S": ACK_TIMEOUT_S, "DEMO": False, "EMBEDDED_WATCHDOG": False,
        "SMTP_HOST": None, "SMS_URL": None,  # e-mail goes to the local sink table; no SMS
    })


def create_schema(app, email_off: bool = False) -> tuple[int, int, int | None]:
    """Tables and the demo users; returns (worker id, buddy id, unit id): anna's visits, bo is buddy.
    `email_off`: bo has switched e-mail off (NotificationPrefs), so alerts go to the log channel only."""
    from sqlalchemy import select

    from app.demo import load_demo_data
    from app.extensions import db
    from app.models import User

    with app.app_context():
        db.create_all()
        load_demo_data()
        anna = db.session.execute(select(User).where(User.username == "anna")).scalar_one()
        bo = db.session.execute(select(User).where(User.username == "bo")).scalar_one()
        ids = anna.id, bo.id, anna.unit_id
        if email_off:
            from app.models import NotificationPrefs

            db.session.add(NotificationPrefs(user_id=bo.id, email_enabled=False))
            db.session.commit()
        db.session.remove()
    return ids


def insert_visits(app, people: tuple[int, int, int | None], spans: list[tuple[datetime, datetime]],
                  *, chunk: int = 5000) -> list[str]:
    """Bulk-insert active visits (started_at, planned_end) with Core, `next_due_at` computed by the
    ladder's own rules. Returns their ids."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import Unit, Visit
    from app.visits.ladder import pending_steps, timings_for

    worker_id, buddy_id, unit_id = people
    ids = []
    with app.app_context():
        timings = timings_for(db.session.get(Unit, unit_id) if unit_id else None)
        rows = []
        for started, end in spans:
            shape = SimpleNamespace(state="active", started_at=started, planned_end=end, reminder_sent_at=None,
                                    overdue_at=None, interrupt_at=None, interrupt_sent_at=None)
            steps = pending_steps(shape, timings)
            visit_id = str(uuid.uuid4())
            ids.append(visit_id)
            rows.append({
                "id": visit_id, "worker_id": worker_id, "buddy_id": buddy_id, "unit_id": unit_id,
                "state": "active", "started_at": started, "planned_end": end, "place": "Benchvej 1",
                "next_due_at": steps[0][0] if steps else None,
            })
        for i in range(0, len(rows), chunk):
            db.session.execute(insert(Visit.__table__), rows[i:i + chunk])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.remove()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")  # what autovacuum does on a live server
        db.session.remove()
    return ids


def idle_spans(count: int, now: datetime, rng: random.Random) -> list[tuple[datetime, datetime]]:
    """Visits started 30 min ago, ending 1-3 h from `now`: first step (reminder) >= 50 min away."""
    return [(now - timedelta(minutes=30), now + timedelta(seconds=rng.uniform(3600, 3 * 3600)))
            for _ in range(count)]


# --- 1. due -> sent with a real watchdog process ---------------------------------------------------

def _no_orphan():
    """In the child: get SIGTERM if the benchmark dies, so no watchdog is left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001, S110 - best effort (not Linux)
        pass


def start_watchdog(url: str, instance: Path, log_path: Path, reminder_before_s: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    env.update({
        "MAKKER_DATABASE_URL": url, "MAKKER_INSTANCE_PATH": str(instance), "MAKKER_SECRET_KEY": "bench",
        "MAKKER_GRACE_S": str(GRACE_S), "MAKKER_REMINDER_BEFORE_S": str(reminder_before_s),
        "MAKKER_ACK_TIMEOUT_S": str(ACK_TIMEOUT_S),
    })
    log = open(log_path, "w")  # noqa: SIM115 - the child holds it; never an unread pipe
    try:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "watchdog", "--name", "bench"],
                                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                preexec_fn=_no_orphan)
    finally:
        log.close()


def stop_watchdog(proc: subprocess.Popen, log_path: Path) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print("watchdog did not stop within 30 s; killed")
            proc.kill()
            proc.wait(timeout=10)
    if proc.returncode not in (0, -signal.SIGTERM):
        print(f"watchdog exited with {proc.returncode}; end of its log:\n{log_path.read_text()[-3000:]}")


def latency_run(kind: str, tmp: Path, idle: int, due: int, with_reminders: bool, email_off: bool) -> dict:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import DeliveryAttempt, Notification, Visit, WatchdogBeat
    from app.watchdog.runner import BEAT_EVERY
    from app.watchdog.wakeup import request_wakeup

    reminder_before = 0 if with_reminders else REMINDER_BEFORE_S
    rng = random.Random(3)
    instance = tmp / f"instance-latency-{kind}"
    log_path = tmp / f"watchdog-{kind}.log"
    with database(kind, tmp, "latency") as url:
        app = make_app(url, instance, reminder_before_s=reminder_before)  # same timings as the watchdog
        try:
            people = create_schema(app, email_off)
            started = time.perf_counter()
            insert_visits(app, people, idle_spans(idle, datetime.now(UTC), rng))
            insert_s = time.perf_counter() - started
            print(f"  [{kind}] {idle:,} idle visits inserted in {insert_s:.2f} s")
            proc = start_watchdog(url, instance, log_path, reminder_before)
            try:
                boot = time.perf_counter()
                with app.app_context():
                    while db.session.execute(select(func.count()).select_from(WatchdogBeat)).scalar() == 0:
                        db.session.rollback()
                        if proc.poll() is not None:
                            raise RuntimeError(f"watchdog exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
                        if time.perf_counter() - boot > 120:
                            raise RuntimeError("watchdog wrote no beat within 120 s")
                        time.sleep(0.1)
                    db.session.remove()
                print(f"  [{kind}] watchdog idle (first beat) {time.perf_counter() - boot:.2f} s after start")
                # The burst: `due` visits whose overdue alert is due at the same instant T.
                lead = 3.0 if kind == "postgres" else BEAT_EVERY + 2.0
                due_at = datetime.now(UTC) + timedelta(seconds=lead)
                end = due_at - timedelta(seconds=GRACE_S)
                length = timedelta(minutes=30) if with_reminders else timedelta(minutes=5)
                due_ids = insert_visits(app, people, [(end - length, end)] * due)
                if kind == "postgres":
                    with app.app_context():
                        request_wakeup(db.session)  # NOTIFY, as the web app does when a visit starts
                        db.session.commit()
                        db.session.remove()
                # Stay off the CPU until the burst should be over, then poll.
                time.sleep(max(0.0, (due_at - datetime.now(UTC)).total_seconds() + 1.0))
                deadline = time.monotonic() + 120
                with app.app_context():
                    while True:
                        fired = db.session.execute(
                            select(func.count()).select_from(Visit)
                            .where(Visit.id.in_(due_ids), Visit.overdue_at.is_not(None))).scalar()
                        rows = db.session.execute(
                            select(Notification.id, Notification.due_at, Notification.created_at,
                                   func.min(DeliveryAttempt.at))
                            .outerjoin(DeliveryAttempt, (DeliveryAttempt.notification_id == Notification.id)
                                       & (DeliveryAttempt.channel == "log") & DeliveryAttempt.ok.is_(True))
                            .where(Notification.type == "alert", Notification.visit_id.in_(due_ids))
                            .group_by(Notification.id, Notification.due_at, Notification.created_at)
                        ).all()
                        db.session.rollback()
                        if fired == due and rows and all(r[3] is not None for r in rows):
                            break
                        if proc.poll() is not None or time.monotonic() > deadline:
                            raise RuntimeError(f"{fired}/{due} alerts fired, "
                                               f"{sum(r[3] is not None for r in rows)}/{len(rows)} sent; "
                                               f"log:\n{log_path.read_text()[-3000:]}")
                        time.sleep(0.2)
                    total_notifications = db.session.execute(select(func.count()).select_from(Notification)).scalar()
                    db.session.remove()
            finally:
                stop_watchdog(proc, log_path)
        finally:
            dispose(app)
    ms = lambda a, b: (b - a).total_seconds() * 1000  # noqa: E731
    sent = [ms(r[1], r[3]) for r in rows]
    return {
        "db": kind, "idle": idle, "due": due, "notifications": len(rows), "all_notifications": total_notifications,
        "sent": sent, "fired": [ms(r[1], r[2]) for r in rows], "queue": [ms(r[2], r[3]) for r in rows],
        "insert_s": insert_s,
    }


def print_latency(result: dict) -> None:
    s, f, q = result["sent"], result["fired"], result["queue"]
    print(f"  [{result['db']}] {result['notifications']} alert notifications for {result['due']} visits due at "
          f"the same instant, {result['idle']:,} other active visits ({result['all_notifications']} notifications "
          f"in all)")
    print(f"  [{result['db']}] due -> sent (log channel): p50 {pct(s, 50):.0f} ms, p99 {pct(s, 99):.0f} ms, "
          f"max {max(s):.0f} ms, min {min(s):.0f} ms   (target p99 <= {TARGET_P99_MS:.0f} ms: "
          f"{'OK' if pct(s, 99) <= TARGET_P99_MS else 'MISSED'})")
    print(f"  [{result['db']}]   of which due -> step fired (Notification.created_at): p50 {pct(f, 50):.0f} ms, "
          f"p99 {pct(f, 99):.0f} ms, min {min(f):.0f} ms; fired -> sent: p50 {pct(q, 50):.0f} ms, p99 {pct(q, 99):.0f} ms")


# --- 2. cost per tick -------------------------------------------------------------------------------

class StatementTimer:
    """Time every statement on an engine (text -> [count, seconds, sample parameters])."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.engine, self.stats, self.on = engine, {}, False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            row = self.stats.setdefault(statement, [0, 0.0, parameters])
            row[0] += 1
            row[1] += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())

    def top(self, n: int):
        return sorted(self.stats.items(), key=lambda kv: -kv[1][1] / kv[1][0])[:n]


def tick_costs(kind: str, tmp: Path, sizes: tuple[int, ...], groups: int, idle_per_group: int,
               explain: bool, email_off: bool) -> list[dict]:
    """One database per size, measured interleaved (tick on one, then on the other) so that load from
    other work on the machine hits both sizes alike."""
    from contextlib import ExitStack

    from app.clock import FakeClock
    from app.extensions import db
    from app.watchdog import engine

    group_size = 10
    with ExitStack() as stack:
        runs = []
        for active in sizes:
            clock = FakeClock()
            t0 = clock.now()
            rng = random.Random(7)
            url = stack.enter_context(database(kind, tmp, f"ticks-{active}"))
            app = make_app(url, tmp / f"instance-ticks-{kind}-{active}", clock)
            stack.callback(dispose, app)
            people = create_schema(app, email_off)
            # Groups of 10 visits due one second apart from t0 + 60 s (short visits: no reminder);
            # everything else is due (its reminder) 30 min to 3 h later.
            spans = []
            for k in range(groups):
                end = t0 + timedelta(seconds=60 + k - GRACE_S)
                spans += [(end - timedelta(minutes=5), end)] * group_size
            spans += [(t0 - timedelta(minutes=30), t0 + timedelta(seconds=rng.uniform(3600, 3 * 3600)))
                      for _ in range(active - len(spans))]
            started = time.perf_counter()
            insert_visits(app, people, spans, chunk=10000)
            with app.app_context():
                timer = StatementTimer(db.engine)
            runs.append(SimpleNamespace(active=active, app=app, clock=clock, t0=t0, timer=timer, idle=[], due=[],
                                        insert_s=time.perf_counter() - started))
            print(f"  [{kind}] {active:,} visits inserted in {runs[-1].insert_s:.2f} s")

        def timed(run, at: datetime, steps: int) -> float:
            with run.app.app_context():
                run.clock.set(at)
                begin = time.perf_counter()
                result = engine.tick(db.session, run.clock)
                elapsed = time.perf_counter() - begin
                db.session.remove()  # as the runner does after every tick
            assert result.steps == steps, (result, steps)
            return elapsed

        for run in runs:
            for _ in range(3):  # warm-up: connections, statement caches, channel objects
                timed(run, run.t0, 0)
        for k in range(groups):
            order = runs if k % 2 == 0 else runs[::-1]
            for i in range(idle_per_group):
                for run in order:
                    run.idle.append(timed(run, run.t0 + timedelta(seconds=60 + k - 0.9 + 0.1 * i), 0))
            for run in order:
                run.due.append(timed(run, run.t0 + timedelta(seconds=60 + k), group_size))
        results = []
        for run in runs:
            # A profiled pass of idle ticks: which statements cost what.
            run.timer.on = True
            for i in range(20):
                timed(run, run.t0 + timedelta(seconds=60 + groups + 0.01 * i), 0)
            run.timer.on = False
            top = run.timer.top(6)
            with run.app.app_context():
                plans = explain_plans(db.engine, top) if explain else {}
            results.append({"db": kind, "active": run.active, "idle": run.idle, "due": run.due,
                            "top": [(stmt, n, secs) for stmt, (n, secs, _) in top], "plans": plans})
        return results


def dispose(app) -> None:
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def explain_plans(engine, top) -> dict:
    plans = {}
    with engine.connect() as conn:
        for statement, (_n, _s, parameters) in top:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
            try:
                rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            except Exception as exc:  # noqa: BLE001 - a plan we cannot show is reported, not fatal
                plans[statement] = [f"(EXPLAIN failed: {type(exc).__name__}: {exc})"]
                continue
            plans[statement] = [str(r[-1]) for r in rows]
        conn.rollback()
    return plans


def short(statement: str, width: int = 150) -> str:
    return " ".join(statement.split())[:width]


def print_ticks(small: dict, large: dict, explain: bool) -> tuple[float, float]:
    ratios = []
    for label, key in (("idle tick (nothing due)", "idle"), ("tick with 10 visits due", "due")):
        a, b = statistics.median(small[key]), statistics.median(large[key])
        ratios.append(b / a)
        print(f"  [{small['db']}] {label}: {small['active']:,} visits {a * 1000:.2f} ms (n={len(small[key])}, "
              f"p90 {pct(small[key], 90) * 1000:.2f}), {large['active']:,} visits {b * 1000:.2f} ms "
              f"(n={len(large[key])}, p90 {pct(large[key], 90) * 1000:.2f}); ratio {b / a:.2f}x "
              f"(target <= {TARGET_RATIO}x: {'OK' if b / a <= TARGET_RATIO else 'MISSED'})")
    if explain or max(ratios) > TARGET_RATIO:
        for result in (small, large):
            print(f"  [{result['db']}] slowest statements of an idle tick at {result['active']:,} visits "
                  f"(mean ms, calls in 20 ticks):")
            for stmt, n, secs in result["top"]:
                print(f"      {secs / n * 1000:7.3f} ms  x{n:<3} {short(stmt)}")
                for line in result["plans"].get(stmt, []):
                    print(f"               plan: {line}")
    return ratios[0], ratios[1]


# --- main -------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes: 1,000 idle visits; ticks at 1,000 vs 10,000 visits")
    parser.add_argument("--only", choices=("latency", "ticks"), help="run one part only")
    parser.add_argument("--with-reminders", action="store_true",
                        help="REMINDER_BEFORE_S=0: the 100 reminders fire 1 s before the alerts")
    parser.add_argument("--email-off", action="store_true",
                        help="the buddy has e-mail switched off: alerts go to the log channel only (without "
                             "it the demo user gets e-mail too, kept in the local mail sink: no SMTP here)")
    parser.add_argument("--explain", action="store_true", help="always time and EXPLAIN the slowest statements")
    args = parser.parse_args()
    # A SIGTERM to the benchmark still runs every `finally` (watchdog stopped, databases dropped).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds and not pg_reachable():
        if args.db == "postgres":
            return 1
        kinds.remove("postgres")
    idle, due = (1_000, 100) if args.quick else (10_000, 100)
    sizes = (1_000, 10_000) if args.quick else (1_000, 100_000)
    groups, idle_per_group = (15, 4) if args.quick else (40, 5)

    print(f"watchdog benchmark ({'quick' if args.quick else 'full'}), {load()}")
    summary = []
    tmp = Path(tempfile.mkdtemp(prefix="makker-bench-wd-"))
    try:
        for kind in kinds:
            if args.only in (None, "latency"):
                print(f"1. due -> sent, {kind}: real watchdog process, {idle:,} idle + {due} due visits")
                result = latency_run(kind, tmp, idle, due, args.with_reminders, args.email_off)
                print_latency(result)
                s = result["sent"]
                summary.append((kind, f"due->sent p50/p99/max ms ({idle // 1000}k idle)",
                                f"{pct(s, 50):.0f} / {pct(s, 99):.0f} / {max(s):.0f}", f"p99 <= {TARGET_P99_MS:.0f}",
                                pct(s, 99) <= TARGET_P99_MS))
            if args.only in (None, "ticks"):
                print(f"2. cost per tick, {kind}: in-process, FakeClock, {sizes[0]:,} vs {sizes[1]:,} active visits")
                results = tick_costs(kind, tmp, sizes, groups, idle_per_group, args.explain, args.email_off)
                idle_ratio, due_ratio = print_ticks(*results, args.explain)
                small, large = results
                for label, key, ratio in (("idle tick", "idle", idle_ratio), ("tick, 10 due", "due", due_ratio)):
                    summary.append((kind, f"{label} ms {sizes[0] // 1000}k -> {sizes[1] // 1000}k",
                                    f"{statistics.median(small[key]) * 1000:.2f} -> "
                                    f"{statistics.median(large[key]) * 1000:.2f} ({ratio:.2f}x)",
                                    f"<= {TARGET_RATIO}x", ratio <= TARGET_RATIO))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nsummary ({load()} at the end)")
    width = max(len(row[1]) for row in summary) if summary else 10
    print(f"  {'db':9} {'measure':{width}}  {'result':24} {'target':12} ok")
    for kind, measure, value, target, ok in summary:
        print(f"  {kind:9} {measure:{width}}  {value:24} {target:12} {'OK' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
