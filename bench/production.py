"""Benchmark: the production setup on this machine (2 gunicorn web processes, 2 watchdogs, one
PostgreSQL, Redis for rate limits) under load, and a watchdog killed in the middle of a burst.

    .venv/bin/python -m bench.production [--quick] [--rounds 3] [--duration 25] [--only PART]

The setup. A private PostgreSQL database `makker_bench_<random>` on MAKKER_BENCH_PG_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres), migrated with `flask --app wsgi db upgrade
heads`, dropped at the end; Redis db 13 on MAKKER_BENCH_REDIS_URL (default redis://127.0.0.1:6379/13)
as MAKKER_RATELIMIT_STORAGE_URL, flushed before and after; `gunicorn wsgi:app` with 2 workers
(gthread: deploy/gunicorn.conf.py when it exists, with --workers 2; otherwise the same options on the
command line) and two `flask --app wsgi watchdog` processes; MAKKER_PROXIES=1, as behind the TLS
proxy; an SMS gateway in the style of GatewayAPI in this process (MAKKER_SMS_URL), which records
every message it receives (its `userref` is the notification id). Logs go to files in a temporary
directory (printed at the end if something failed; --keep-logs keeps them). Bench users are made
directly in the database (units of 50, each with a buddy in the unit and a phone number) with a
server-side session row each; the session cookie is signed with the deployment's key, the CSRF
token comes from GET /api/v1/me, as a phone gets it.

1. Check-in / check-out throughput and latency. wrk (bench/wrk/visits.lua), 2 threads, 32
   connections: each request is either POST /api/v1/visits (a new UUID made in Lua, planned end in an
   hour, the buddy, a place) or POST /api/v1/visits/{id}/checkout of a visit whose 201 has arrived,
   alternately; users take turns (so none meets the check-out limit of 12 a minute, which stays on)
   and each has its own address in X-Forwarded-For (the per-address default limit stays on too). The
   baseline is bench/bare_app.py (POST /ping, a small JSON answer) served the same way (same gunicorn
   options, workers and threads), in the same run, rounds interleaved (bare, Makker, bare, Makker
   ...), each measured run after a warm-up. Printed per round and as medians: requests/s, p50/p99
   latency, ratio Makker/bare (target >= 0.5x) and Makker's p99 (target < 50 ms). Every answer's
   status is counted (bench/wrk/stats.lua): any non-2xx answer marks the round INVALID.
2. Due -> sent under that load. Before each Makker round, visits whose overdue alert falls due at
   known times spread over the measured run are added directly in the database with NOTIFY (as
   bench/watchdog_latency.py does; ladder timings MAKKER_GRACE_S=1, REMINDER_BEFORE_S=600 with
   5-minute visits: no reminder, exactly one alert step each). For each: `DeliveryAttempt.at` of the
   first successful attempt minus `Notification.due_at` (p50/p99/max, target p99 <= 1 s), and the same
   seen from outside: the SMS gateway's receive time minus due_at.
3. Kill -9. 1,000 visits whose overdue alert is due at the same instant (distinct worker/buddy pairs,
   the buddies without push: each alert goes by SMS at once); while the SMS gateway is receiving them
   (it answers after 50 ms, like a remote gateway), one watchdog is killed with SIGKILL when 30% have
   arrived. The other one finishes. The gateway counts: visits reached (missed = 1,000 - reached),
   steps sent more than once (a visit whose alert reached its buddy under two notification ids:
   a step that fired twice), and re-sends (the same notification id received again: a message sent by
   the killed watchdog whose delivery it could not record; the outbox lease (15 s, renewed while a round sends) lets the other
   watchdog send it again, with the same id and tag: a phone shows a push with the same tag once, an
   SMS cannot be taken back). Time until every visit was reached.

What the targets mean here: wrk keeps 32 requests in flight (a closed loop), so the mean latency is
32 / throughput (Little's law): a p99 under 50 ms needs well over 640 requests/s. The bare endpoint
does no I/O; every Makker check-in or check-out makes about five PostgreSQL round trips (session and
user, the visit, the writes, commit) and two or three to Redis (the rate limits stay on), on the same
two cores as wrk, PostgreSQL and the watchdogs. The run prints the numbers and says MISSED honestly.

`--quick` (make bench): 1 round of 8 s after a 3 s warm-up, 600 users, 20 due visits, 200 visits in
part 3 (part 3 waits up to the 15 s lease). The full run takes about 4-5 minutes."""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.watchdog_latency import _no_orphan, database, load, pct, pg_reachable  # noqa: E402

REDIS_URL = os.environ.get("MAKKER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
WRK = shutil.which("wrk") or "/usr/bin/wrk"
WRK_DIR = ROOT / "bench" / "wrk"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
WORKERS = 2
THREADS = 4  # only when deploy/gunicorn.conf.py does not exist
CONNECTIONS = 32
WRK_THREADS = 2
UNIT_SIZE = 50
GRACE_S = 1
REMINDER_BEFORE_S = 600
ACK_TIMEOUT_S = 3600
SECRET = "bench-production-" + secrets.token_hex(8)
SMS_TOKEN = "bench-sms-token"
SMS_DELAY_S = 0.05
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
TARGET_DUE_P99_MS = 1000.0


# --- the SMS gateway -----------------------------------------------------------------------------------

class SmsGateway:
    """GatewayAPI-style receiver: records (userref, msisdn, arrival time, sender's TCP port) of every
    message when it arrives, then answers 200 after `delay` seconds (a remote gateway is not instant)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.received: list[tuple[str, int, float, int]] = []
        self.bad = 0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = time.time()
                try:
                    data = json.loads(body)
                    ok = self.headers.get("Authorization") == f"Token {SMS_TOKEN}"
                    entry = (str(data["userref"]), int(data["recipients"][0]["msisdn"]), at, self.client_address[1])
                except (ValueError, KeyError, IndexError, TypeError):
                    ok, entry = False, None
                with gateway.lock:
                    if ok:
                        gateway.received.append(entry)
                    else:
                        gateway.bad += 1
                    answer = json.dumps({"ids": [len(gateway.received)]}).encode()
                if gateway.delay:
                    time.sleep(gateway.delay)
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

            def handle_error(self, request, client_address):
                pass  # a killed watchdog leaves its connections half-way: expected here, not news

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/rest/mtsms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self) -> list[tuple[str, int, float, int]]:
        with self.lock:
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- processes -----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Every child process with its log file; all stopped (SIGTERM, then SIGKILL) on close."""

    def __init__(self, tmp: Path, env: dict) -> None:
        self.tmp, self.env, self.procs = tmp, env, {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log_path = self.tmp / f"{name}.log"
        log = open(log_path, "w")  # noqa: SIM115 - the child holds it; never an unread pipe
        try:
            proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, preexec_fn=_no_orphan)
        finally:
            log.close()
        self.procs[name] = (proc, log_path)
        return proc

    def log_tail(self, name: str, chars: int = 3000) -> str:
        return self.procs[name][1].read_text(errors="replace")[-chars:]

    def check(self, *names: str) -> None:
        for name in names or list(self.procs):
            proc, _ = self.procs[name]
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; end of its log:\n{self.log_tail(name)}")

    def stop(self, name: str) -> None:
        proc, _ = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f"  {name} did not stop within 30 s; killed")
                proc.kill()
                proc.wait(timeout=10)

    def close(self) -> None:
        for name in list(self.procs):
            self.stop(name)


def gunicorn_argv(app_path: str, port: int, tmp: Path, label: str) -> tuple[list[str], str]:
    """The same serving options for Makker and the baseline."""
    base = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
            "--error-logfile", str(tmp / f"{label}-gunicorn.log"), "--pid", str(tmp / f"{label}.pid")]
    if GUNICORN_CONF.exists():
        return [*base, "--config", str(GUNICORN_CONF), app_path], f"{GUNICORN_CONF.relative_to(ROOT)} + --workers 2"
    options = ["--worker-class", "gthread", "--threads", str(THREADS), "--keep-alive", "5"]
    return [*base, *options, app_path], " ".join(["--workers", "2", *options])


def wait_http(url: str, proc: subprocess.Popen, method: str = "GET", timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            response = requests.request(method, url, json={} if method == "POST" else None, timeout=2)
            if response.status_code < 500:
                return
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer (exit code {proc.poll()})")
        time.sleep(0.2)


# --- data ----------------------------------------------------------------------------------------------

def make_app(url: str, instance: Path):
    from app import create_app
    from app.clock import SystemClock

    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": SECRET,
        "CLOCK": SystemClock(), "GRACE_S": GRACE_S, "REMINDER_BEFORE_S": REMINDER_BEFORE_S,
        "ACK_TIMEOUT_S": ACK_TIMEOUT_S, "DEMO": False, "EMBEDDED_WATCHDOG": False,
    })


def create_users(app, count: int) -> list[SimpleNamespace]:
    """Units of UNIT_SIZE staff, each user with the next one in the unit as buddy, a Danish phone
    number, no push subscription, and a 30-day server-side session. Returns the users with the
    session cookie value signed with the deployment's key (as POST /login would set it)."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models import Unit, User, UserSession

    now = datetime.now(UTC)
    users = []
    with app.app_context():
        units = count // UNIT_SIZE + (1 if count % UNIT_SIZE else 0)
        db.session.execute(insert(Unit.__table__), [
            {"name": f"Bench {u:03d}", "open_weekdays": "1234567"} for u in range(units)])
        unit_ids = list(db.session.execute(select(Unit.id).where(Unit.name.like("Bench %")).order_by(Unit.name))
                        .scalars())
        db.session.execute(insert(User.__table__), [
            {"username": f"b{i:05d}", "name": f"Bench Bruger {i}", "phone": f"+45 3{i:07d}", "role": "staff",
             "unit_id": unit_ids[i // UNIT_SIZE], "created_at": now, "password_hash": ""} for i in range(count)])
        ids = dict(db.session.execute(select(User.username, User.id).where(User.username.like("b%"))).all())
        sessions = []
        serializer = app.session_interface.get_signing_serializer(app)
        for i in range(count):
            name = f"b{i:05d}"
            unit_start = i // UNIT_SIZE * UNIT_SIZE
            unit_end = min(unit_start + UNIT_SIZE, count)
            buddy = f"b{unit_start + (i - unit_start + 1) % (unit_end - unit_start):05d}"
            sid = secrets.token_urlsafe(32)
            sessions.append({"id": sid, "user_id": ids[name], "created_at": now, "last_seen_at": now,
                             "expires_at": now + timedelta(days=30), "user_agent": "bench", "ip": "10.0.0.1"})
            cookie = serializer.dumps({"sid": sid, "_user_id": str(ids[name]), "_fresh": False, "_permanent": True})
            users.append(SimpleNamespace(name=name, id=ids[name], buddy=buddy, buddy_id=None, cookie=cookie,
                                         ip=f"10.{1 + i // 62500}.{i // 250 % 250 + 1}.{i % 250 + 1}",
                                         unit_id=unit_ids[i // UNIT_SIZE], csrf=None,
                                         msisdn=int(f"453{i:07d}")))
        db.session.execute(insert(UserSession.__table__), sessions)
        db.session.commit()
        db.session.remove()
    by_name = {u.name: u for u in users}
    for u in users:
        u.buddy_id = by_name[u.buddy].id
    return users


def fetch_csrf(base_url: str, users: list[SimpleNamespace]) -> None:
    """GET /api/v1/me for every user: the CSRF token (stored in the session, so the cookie changes)."""
    import requests

    def one(user):
        with requests.Session() as http:
            http.cookies.set("makker_session", user.cookie, domain="127.0.0.1", path="/")
            response = http.get(f"{base_url}/api/v1/me", headers={"X-Forwarded-For": user.ip}, timeout=30)
            if response.status_code != 200:
                raise RuntimeError(f"GET /api/v1/me for {user.name}: {response.status_code} {response.text[:200]}")
            user.csrf = response.json()["csrf_token"]
            user.cookie = response.cookies.get("makker_session") or user.cookie

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, users))


def write_users_file(path: Path, users: list[SimpleNamespace]) -> None:
    path.write_text("".join(f"{u.name}\t{u.cookie}\t{u.csrf}\t{u.buddy}\t{u.ip}\n" for u in users))


def add_due_visits(app, pairs: list[tuple[SimpleNamespace, SimpleNamespace]], due_times: list[datetime]) -> list[str]:
    """Active 5-minute visits whose overdue alert (planned end + GRACE_S) falls due at `due_times`,
    inserted directly in one statement, then NOTIFY as the web app does when a visit starts. A
    5-minute visit has no reminder (REMINDER_BEFORE_S=600) and no interruption: its next due step is
    the overdue alert."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import Visit
    from app.watchdog.wakeup import request_wakeup

    rows, ids = [], []
    for (worker, buddy), due in zip(pairs, due_times, strict=True):
        end = due - timedelta(seconds=GRACE_S)
        visit_id = str(uuid.uuid4())
        ids.append(visit_id)
        rows.append({"id": visit_id, "worker_id": worker.id, "buddy_id": buddy.id, "unit_id": worker.unit_id,
                     "state": "active", "started_at": end - timedelta(minutes=5), "planned_end": end,
                     "place": "Benchvej 1", "next_due_at": due})
    with app.app_context():
        db.session.execute(insert(Visit.__table__), rows)
        request_wakeup(db.session)
        db.session.commit()
        db.session.remove()
    return ids


def add_burst(app, pairs, due: datetime) -> list[str]:
    """Many visits due at the same instant."""
    return add_due_visits(app, pairs, [due] * len(pairs))


def first_sent(app, visit_ids: list[str]) -> list[tuple]:
    """(notification id, due_at, first successful DeliveryAttempt.at or None) of the visits' alerts."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import DeliveryAttempt, Notification

    with app.app_context():
        rows = db.session.execute(
            select(Notification.id, Notification.due_at, func.min(DeliveryAttempt.at))
            .outerjoin(DeliveryAttempt, (DeliveryAttempt.notification_id == Notification.id)
                       & DeliveryAttempt.ok.is_(True))
            .where(Notification.type == "alert", Notification.visit_id.in_(visit_ids))
            .group_by(Notification.id, Notification.due_at)
        ).all()
        db.session.remove()
    return rows


def all_sent(app, visit_ids: list[str], expected: int) -> bool:
    rows = first_sent(app, visit_ids)
    return len(rows) == expected and all(row[2] is not None for row in rows)


def notification_visits(app, notification_ids) -> dict[str, str]:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Notification

    with app.app_context():
        found = dict(db.session.execute(
            select(Notification.id, Notification.visit_id).where(Notification.id.in_(list(notification_ids)))).all())
        db.session.remove()
    return found


# --- wrk -----------------------------------------------------------------------------------------------

def run_wrk(script: str, url: str, seconds: float, args: list[str], log_path: Path) -> dict:
    env = {**os.environ, "MAKKER_WRK_DIR": str(WRK_DIR)}
    argv = [WRK, f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
            "-s", str(WRK_DIR / script), url]
    if args:
        argv += ["--", *args]
    with open(log_path, "a") as log:
        log.write(f"$ {' '.join(argv)}\n")
        log.flush()
        out = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=seconds + 120)
        log.write(out.stdout + out.stderr)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr[-2000:]}")
    match = re.search(r"^RESULT (.*)$", out.stdout, re.M)
    if not match:
        raise RuntimeError(f"wrk printed no RESULT line:\n{out.stdout[-2000:]}")
    result = {k: int(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    result["statuses"] = {int(s): int(n) for s, n in re.findall(r"^STATUS (\d+) (\d+)$", out.stdout, re.M)}
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["non2xx"] = sum(n for s, n in result["statuses"].items() if not 200 <= s < 300)
    result["socket_errors"] = sum(result[k] for k in ("connect", "read", "write", "timeout"))
    return result


def describe(result: dict) -> str:
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(result["statuses"].items()))
    return (f"{result['rps']:7.0f} req/s, p50 {result['p50_us'] / 1000:5.1f} ms, p90 {result['p90_us'] / 1000:5.1f} ms, "
            f"p99 {result['p99_us'] / 1000:5.1f} ms, max {result['max_us'] / 1000:6.1f} ms "
            f"({result['requests']} requests; {statuses}; socket errors {result['socket_errors']})")


# --- CPU accounting (Linux /proc) ------------------------------------------------------------------------

def _proc_stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, command name, CPU in clock ticks), or None when the process is gone. The CPU is
    user + system of the process and of its children that ended (a gunicorn worker replaced by
    max_requests, a PostgreSQL backend that closed), so nothing that ran during the run is lost."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), name, sum(int(f) for f in fields[11:15])


def cpu_groups(procs: Processes) -> dict[str, float] | None:
    """CPU seconds used so far by the processes under test: Makker's gunicorn workers, the baseline's,
    the watchdogs and every PostgreSQL process. None where /proc is missing (not Linux)."""
    if not Path("/proc/self/stat").exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    roots = {procs.procs[name][0].pid: group for name, group in (
        ("gunicorn-makker", "makker"), ("gunicorn-bare", "bare"), ("watchdog-1", "watchdogs"),
        ("watchdog-2", "watchdogs")) if name in procs.procs}
    totals = dict.fromkeys(("makker", "bare", "watchdogs", "postgres"), 0.0)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _proc_stat(int(entry))
        if stat is None:
            continue
        ppid, name, ticks = stat
        group = roots.get(int(entry)) or roots.get(ppid) or ("postgres" if name.startswith("postgres") else None)
        if group:
            totals[group] += ticks / tick
    return totals


def cpu_used(before: dict | None, after: dict | None) -> dict[str, float]:
    if before is None or after is None:
        return {}
    return {k: after[k] - before[k] for k in before}


def wrk_cpu() -> float:
    """CPU seconds of every finished child so far (wrk is the only short-lived one)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def describe_cpu(used: dict[str, float], requests: int, group: str, with_wrk: float) -> str:
    if not used or not requests:
        return ""
    per = lambda seconds: seconds / requests * 1000  # noqa: E731
    text = f"CPU per request: web {per(used[group]):.2f} ms"
    if group == "makker":
        text += f", PostgreSQL {per(used['postgres']):.2f} ms, watchdogs {per(used['watchdogs']):.2f} ms"
    return text + f", wrk {per(with_wrk):.2f} ms"


def print_cpu_ceiling(rounds: list[dict]) -> None:
    """What the CPU allows: every process under test shares the same cores, so requests/s can never
    exceed cores / (CPU seconds all of them spend per request)."""
    if not all(r["makker"].get("cpu") and r["bare"].get("cpu") for r in rounds):
        return
    cores = os.cpu_count() or 1

    def median_ms(side: str, groups: tuple[str, ...], *, wrk: bool = True) -> float:
        return statistics.median(
            (sum(r[side]["cpu"][g] for g in groups) + (r[side]["wrk_cpu"] if wrk else 0)) / r[side]["requests"] * 1000
            for r in rounds)

    makker_ms = median_ms("makker", ("makker", "postgres", "watchdogs"))
    web_ms = median_ms("makker", ("makker",), wrk=False)
    bare_ms = median_ms("bare", ("bare",))  # with wrk's share, as Makker's
    print(f"  (CPU: a Makker check-in/check-out costs {makker_ms:.2f} ms of CPU in all, {web_ms:.2f} ms of it in the web "
          f"processes; a bare request {bare_ms:.2f} ms. On {cores} cores that caps Makker at "
          f"{cores / makker_ms * 1000:.0f} req/s and bare at {cores / bare_ms * 1000:.0f} req/s; a ratio of "
          f"{TARGET_RATIO}x would need a Makker request to cost at most {bare_ms / TARGET_RATIO:.2f} ms of CPU in all)")


# --- the run -------------------------------------------------------------------------------------------

def wait_for(predicate, timeout: float, what: str, procs: Processes, names: tuple[str, ...]) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        procs.check(*names)
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def worker_restarts(tmp: Path) -> int:
    """How many times gunicorn replaced a Makker worker so far (max_requests), from its error log."""
    path = tmp / "makker-gunicorn.log"
    return path.read_text(errors="replace").count("Autorestarting worker") if path.exists() else 0


def load_rounds(args, ctx) -> list[dict]:
    """Part 1 and 2: interleaved wrk rounds, bare then Makker; due visits spread over each Makker run."""
    rounds = []
    helpers = ctx.users[-2 * args.due:]  # not in the wrk users file: their visits are the due ones
    pairs = [(helpers[2 * i], helpers[2 * i + 1]) for i in range(args.due)]
    for r in range(args.rounds):
        print(f"  round {r + 1}/{args.rounds} ({load()})", flush=True)
        run_wrk("ping.lua", ctx.bare_url, args.warmup, [], ctx.wrk_log)
        before, wrk_before = cpu_groups(ctx.procs), wrk_cpu()
        bare = run_wrk("ping.lua", ctx.bare_url, args.duration, [], ctx.wrk_log)
        bare["cpu"], bare["wrk_cpu"] = cpu_used(before, cpu_groups(ctx.procs)), wrk_cpu() - wrk_before
        print(f"    bare   {describe(bare)}", flush=True)
        if bare["cpu"]:
            print(f"           {describe_cpu(bare['cpu'], bare['requests'], 'bare', bare['wrk_cpu'])}")
        # Due times over the measured run (which starts after the warm-up): from +2 s to 3 s before its end.
        start = datetime.now(UTC) + timedelta(seconds=args.warmup + 2)
        span = max(1.0, args.duration - 5)
        due_times = [start + timedelta(seconds=span * i / max(1, args.due - 1)) for i in range(args.due)]
        due_ids = add_due_visits(ctx.app, pairs, due_times)
        run_wrk("visits.lua", ctx.makker_url, args.warmup, [str(ctx.users_file), str(WRK_THREADS)], ctx.wrk_log)
        restarts = worker_restarts(ctx.tmp)
        before, wrk_before = cpu_groups(ctx.procs), wrk_cpu()
        makker = run_wrk("visits.lua", ctx.makker_url, args.duration, [str(ctx.users_file), str(WRK_THREADS)],
                         ctx.wrk_log)
        makker["cpu"], makker["wrk_cpu"] = cpu_used(before, cpu_groups(ctx.procs)), wrk_cpu() - wrk_before
        makker["restarts"] = worker_restarts(ctx.tmp) - restarts
        print(f"    makker {describe(makker)}", flush=True)
        if makker["cpu"]:
            print(f"           {describe_cpu(makker['cpu'], makker['requests'], 'makker', makker['wrk_cpu'])}")
        if makker["restarts"]:
            print(f"    ({makker['restarts']} gunicorn worker restart(s) during this run: max_requests of the "
                  f"gunicorn configuration; requests wait while a worker boots)")
        ctx.procs.check()
        wait_for(lambda ids=due_ids: all_sent(ctx.app, ids, args.due), 60, "the due alerts to be sent", ctx.procs,
                 ("watchdog-1", "watchdog-2"))
        rows = first_sent(ctx.app, due_ids)
        due_at = {row[0]: row[1] for row in rows}
        sent_ms = [(row[2] - row[1]).total_seconds() * 1000 for row in rows]
        seen = {}
        for ref, _msisdn, at, _port in ctx.gateway.snapshot():
            if ref in due_at and ref not in seen:
                seen[ref] = (at - due_at[ref].timestamp()) * 1000
        ratio = makker["rps"] / bare["rps"]
        valid = makker["non2xx"] == 0 and bare["non2xx"] == 0 and not makker["socket_errors"]
        print(f"    ratio Makker/bare {ratio:.2f}x; Makker p99 {makker['p99_us'] / 1000:.1f} ms"
              f"{'' if valid else '  INVALID: non-2xx answers or socket errors'}")
        print(f"    due -> sent during the run ({len(rows)} alerts): first successful attempt p50 "
              f"{pct(sent_ms, 50):.0f} ms, p99 {pct(sent_ms, 99):.0f} ms, max {max(sent_ms):.0f} ms; "
              f"at the SMS gateway ({len(seen)} received) p50 {pct(list(seen.values()), 50):.0f} ms, "
              f"p99 {pct(list(seen.values()), 99):.0f} ms, max {max(seen.values()):.0f} ms", flush=True)
        rounds.append({"bare": bare, "makker": makker, "ratio": ratio, "valid": valid, "sent_ms": sent_ms,
                       "gateway_ms": list(seen.values())})
    return rounds


def local_ports(pid: int) -> set[int]:
    """The local TCP ports of a process's sockets (Linux /proc): who sent what to the gateway."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        ports = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as fh:
                next(fh)
                for line in fh:
                    fields = line.split()
                    if fields[9] in inodes:
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        return ports
    except OSError:
        return set()


def pending_entries(app, visit_ids: list[str]) -> int:
    """Outbox entries of these visits' notifications that are not finished (pending, leased or not)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Notification, OutboxEntry

    with app.app_context():
        count = db.session.execute(
            select(func.count()).select_from(OutboxEntry).join(Notification)
            .where(Notification.visit_id.in_(visit_ids), OutboxEntry.state == "pending")).scalar()
        db.session.remove()
    return count


def explain_missed(app, visit_ids: list[str]) -> None:
    """What the database says about visits whose alert never reached the gateway."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Alert, Notification, OutboxEntry, Visit

    with app.app_context():
        for visit_id in visit_ids:
            visit = db.session.get(Visit, visit_id)
            alerts = db.session.execute(select(Alert).where(Alert.visit_id == visit_id)).scalars().all()
            print(f"      missed visit {visit_id}: state {visit.state}, overdue_at {visit.overdue_at}, "
                  f"next_due_at {visit.next_due_at}, alerts {[(a.id[:8], a.state, a.level) for a in alerts]}")
            for n in db.session.execute(select(Notification).where(Notification.visit_id == visit_id)).scalars():
                entries = db.session.execute(select(OutboxEntry).where(OutboxEntry.notification_id == n.id)).scalars()
                print(f"        notification {n.id[:8]} {n.type} due {n.due_at}: " + "; ".join(
                    f"{e.channel} {e.state} attempts {e.attempts} lease {e.lease_until} next {e.next_attempt_at} "
                    f"{(e.last_error or '')[:80]}" for e in entries))
        db.session.remove()


def kill_run(args, ctx) -> dict:
    """Part 3: a burst of visits due at once; one watchdog SIGKILLed while it is sending to the gateway.
    Counting ends when every outbox entry of the burst is finished (so re-sends after the lease of the
    killed watchdog's claims are counted too)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Notification, OutboxEntry

    ctx.gateway.delay = SMS_DELAY_S
    users = ctx.users
    n = args.burst
    pairs = [(users[i % len(users)], users[(i + UNIT_SIZE // 2) % len(users)]) for i in range(n)]
    pairs = [(w, b if b.unit_id == w.unit_id else ctx.by_name[w.buddy]) for w, b in pairs]
    victim = ctx.procs.procs["watchdog-1"][0]
    before = len(ctx.gateway.snapshot())
    due = datetime.now(UTC) + timedelta(seconds=3)
    visit_ids = add_burst(ctx.app, pairs, due)
    visits = set(visit_ids)
    killed_at, victim_ports, victim_was_sending = None, set(), False
    deadline = time.monotonic() + 300
    done_at = None
    while time.monotonic() < deadline:
        received = ctx.gateway.snapshot()[before:]
        if killed_at is None and len(received) >= args.kill_at * n:
            victim_ports |= local_ports(victim.pid)
            recent = [r for r in received if r[2] > time.time() - 0.5]
            victim_was_sending = any(port in victim_ports for *_, port in recent)
            if victim_was_sending or len(received) >= 0.9 * n:
                victim.kill()  # SIGKILL: no clean-up at all
                victim.wait()
                killed_at = time.time()
                print(f"    watchdog-1 killed (-9) {killed_at - due.timestamp():.2f} s after the due time, when "
                      f"{len(received)} of {n} messages had arrived"
                      f"{'' if victim_was_sending else ' (it had sent nothing in the last 0.5 s)'}", flush=True)
        refs = {r[0] for r in received}
        unknown = refs - set(ctx.ref_visit)
        if unknown:
            ctx.ref_visit.update(notification_visits(ctx.app, unknown))
        reached = {ctx.ref_visit.get(ref) for ref in refs} & visits
        if killed_at is not None and len(reached) == n and pending_entries(ctx.app, visit_ids) == 0:
            done_at = max(r[2] for r in received if ctx.ref_visit.get(r[0]) in visits)
            break
        ctx.procs.check("watchdog-2")
        time.sleep(0.2)
    received = [r for r in ctx.gateway.snapshot()[before:] if ctx.ref_visit.get(r[0]) in visits]
    refs = [r[0] for r in received]
    per_visit: dict[str, set[str]] = {}
    for ref in refs:
        per_visit.setdefault(ctx.ref_visit[ref], set()).add(ref)
    expected = {vid: b.msisdn for vid, (_, b) in zip(visit_ids, pairs, strict=True)}
    wrong_recipient = sum(1 for ref, msisdn, _, _ in received if expected[ctx.ref_visit[ref]] != msisdn)
    from_victim = sum(1 for *_, port in received if port in victim_ports)
    first_seen: dict[str, float] = {}
    for ref, _, at, _ in received:
        first_seen.setdefault(ref, at)
    resent_late = [at - first_seen[ref] for ref, _, at, _ in received if at > first_seen[ref]]
    with ctx.app.app_context():
        reclaimed = db.session.execute(
            select(func.count()).select_from(OutboxEntry).join(Notification)
            .where(Notification.visit_id.in_(visit_ids), OutboxEntry.channel == "sms", OutboxEntry.attempts > 1)
        ).scalar()
        db.session.remove()
    result = {
        "visits": n, "reached": len(per_visit), "missed": n - len(per_visit),
        "steps_twice": sum(1 for s in per_visit.values() if len(s) > 1),
        "messages": len(refs), "distinct": len(set(refs)), "resends": len(refs) - len(set(refs)),
        "wrong_recipient": wrong_recipient, "reclaimed": reclaimed, "from_victim": from_victim,
        "victim_was_sending": victim_was_sending,
        "all_s": (done_at - due.timestamp()) if done_at else None,
        "killed_after_s": killed_at - due.timestamp() if killed_at else None,
    }
    if result["missed"]:
        explain_missed(ctx.app, sorted(visits - set(per_visit))[:5])
    all_s = f"{result['all_s']:.1f} s" if result["all_s"] is not None else "NOT within 300 s"
    print(f"    gateway: {result['messages']} messages, {result['distinct']} distinct notification ids, "
          f"{from_victim} of them sent by watchdog-1 before it died; outbox entries claimed again after the kill "
          f"(the killed watchdog's lease ran out): {reclaimed}")
    print(f"    {n} visits due at once: reached {result['reached']}, missed {result['missed']}, steps sent twice "
          f"(two notification ids for one visit) {result['steps_twice']}, re-sends of the same notification id "
          f"{result['resends']}{f' (arrived {min(resent_late):.0f}-{max(resent_late):.0f} s after the first)' if resent_late else ''}, "
          f"to a wrong number {wrong_recipient}; all delivered and recorded {all_s} after the due time")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 short round, fewer users and visits (make bench)")
    parser.add_argument("--rounds", type=int, help="interleaved bare/Makker rounds (default 3; quick 1)")
    parser.add_argument("--duration", type=float, help="seconds of each measured wrk run (default 25; quick 8)")
    parser.add_argument("--warmup", type=float, help="seconds of wrk before each measured run (default 5; quick 3)")
    parser.add_argument("--users", type=int, help="bench users signed in (default 2400; quick 600)")
    parser.add_argument("--due", type=int, help="due visits spread over each Makker run (default 100; quick 20)")
    parser.add_argument("--burst", type=int, help="visits due at once in part 3 (default 1000; quick 200)")
    parser.add_argument("--kill-at", type=float, default=0.3, help="kill watchdog-1 when this share has arrived")
    parser.add_argument("--only", choices=("load", "kill"), help="run one part only (load = parts 1 and 2)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with the logs")
    parser.add_argument("--skip-unavailable", action="store_true",
                        help="exit 0 with a note when PostgreSQL, Redis or wrk is missing (python -m bench)")
    args = parser.parse_args()
    quick = args.quick
    args.rounds = args.rounds or (1 if quick else 3)
    args.duration = args.duration or (8.0 if quick else 25.0)
    args.warmup = args.warmup if args.warmup is not None else (3.0 if quick else 5.0)
    args.users = args.users or (600 if quick else 2400)
    args.due = args.due or (20 if quick else 100)
    args.burst = args.burst or (200 if quick else 1000)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    unavailable = 0 if args.skip_unavailable else 1
    if not Path(WRK).exists():
        print(f"wrk not found ({WRK}); install it (apt-get install wrk); skipped")
        return unavailable
    if not pg_reachable():
        return unavailable
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except redis.RedisError as exc:
        print(f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}; skipped")
        return unavailable

    started = time.monotonic()
    print(f"production benchmark ({'quick' if quick else 'full'}), {load()}")
    tmp = Path(tempfile.mkdtemp(prefix="makker-bench-prod-"))
    failed = False
    summary = []
    try:
        with ExitStack() as stack:
            url = stack.enter_context(database("postgres", tmp, "production"))
            store = redis.Redis.from_url(REDIS_URL)
            store.flushdb()
            stack.callback(store.flushdb)
            gateway = SmsGateway()
            stack.callback(gateway.close)
            instance = tmp / "instance"
            env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
            env.update({
                "MAKKER_DATABASE_URL": url, "MAKKER_INSTANCE_PATH": str(instance), "MAKKER_SECRET_KEY": SECRET,
                "MAKKER_RATELIMIT_STORAGE_URL": REDIS_URL, "MAKKER_PROXIES": "1", "MAKKER_DEMO": "0",
                "MAKKER_GRACE_S": str(GRACE_S), "MAKKER_REMINDER_BEFORE_S": str(REMINDER_BEFORE_S),
                "MAKKER_ACK_TIMEOUT_S": str(ACK_TIMEOUT_S), "MAKKER_SMS_URL": gateway.url,
                "MAKKER_SMS_TOKEN": SMS_TOKEN, "MAKKER_PUBLIC_URL": "https://makker.example",
                "PYTHONUNBUFFERED": "1",
            })
            procs = Processes(tmp, env)
            stack.callback(procs.close)
            step = time.monotonic()
            migrate = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade", "heads"],
                                     cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
            if migrate.returncode != 0:
                raise RuntimeError(f"migration failed:\n{migrate.stdout[-2000:]}{migrate.stderr[-3000:]}")
            app = make_app(url, instance)
            users = create_users(app, args.users + 2 * args.due)
            print(f"  database migrated, {len(users)} users with sessions in {time.monotonic() - step:.1f} s")
            makker_port, bare_port = free_port(), free_port()
            argv, how = gunicorn_argv("wsgi:app", makker_port, tmp, "makker")
            makker = procs.start("gunicorn-makker", argv)
            bare = procs.start("gunicorn-bare", gunicorn_argv("bench.bare_app:app", bare_port, tmp, "bare")[0])
            for i in (1, 2):
                procs.start(f"watchdog-{i}", [sys.executable, "-m", "flask", "--app", "wsgi", "watchdog",
                                              "--name", f"bench-{i}"])
            ctx = SimpleNamespace(app=app, users=users, by_name={u.name: u for u in users}, procs=procs,
                                  gateway=gateway, makker_url=f"http://127.0.0.1:{makker_port}",
                                  bare_url=f"http://127.0.0.1:{bare_port}", wrk_log=tmp / "wrk.log",
                                  users_file=tmp / "users.tsv", ref_visit={}, tmp=tmp)
            wait_http(f"{ctx.makker_url}/api/v1/openapi.json", makker)
            wait_http(f"{ctx.bare_url}/ping", bare, "POST")
            print(f"  gunicorn ({how}): Makker on :{makker_port}, bare Flask on :{bare_port}; 2 watchdogs; "
                  f"logs in {tmp}")
            step = time.monotonic()
            fetch_csrf(ctx.makker_url, users[:args.users])
            write_users_file(ctx.users_file, users[:args.users])
            print(f"  {args.users} users took their CSRF token from GET /api/v1/me in {time.monotonic() - step:.1f} s",
                  flush=True)

            if args.only in (None, "load"):
                print(f"1+2. check-in/check-out under wrk ({WRK_THREADS} threads, {CONNECTIONS} connections, "
                      f"{args.warmup:.0f} s warm-up + {args.duration:.0f} s) vs bare Flask; {args.due} visits "
                      f"falling due during each Makker run")
                rounds = load_rounds(args, ctx)
                ratios = [r["ratio"] for r in rounds]
                p99s = [r["makker"]["p99_us"] / 1000 for r in rounds]
                valid = all(r["valid"] for r in rounds)
                sent = [ms for r in rounds for ms in r["sent_ms"]]
                spread = lambda xs, f: f"{min(xs):{f}}-{max(xs):{f}}"  # noqa: E731
                print(f"  medians of {len(rounds)} rounds: Makker {statistics.median(r['makker']['rps'] for r in rounds):.0f}"
                      f" req/s, bare {statistics.median(r['bare']['rps'] for r in rounds):.0f} req/s, ratio "
                      f"{statistics.median(ratios):.2f}x (rounds {spread(ratios, '.2f')}); Makker p50 "
                      f"{statistics.median(r['makker']['p50_us'] / 1000 for r in rounds):.1f} ms, p99 "
                      f"{statistics.median(p99s):.1f} ms (rounds {spread(p99s, '.1f')}); bare p99 "
                      f"{statistics.median(r['bare']['p99_us'] / 1000 for r in rounds):.1f} ms")
                needed = CONNECTIONS / (TARGET_P99_MS / 1000)
                print(f"  (Little's law: {CONNECTIONS} requests in flight at "
                      f"{statistics.median(r['makker']['rps'] for r in rounds):.0f} req/s is a mean latency of "
                      f"{CONNECTIONS / statistics.median(r['makker']['rps'] for r in rounds) * 1000:.0f} ms; "
                      f"p99 < {TARGET_P99_MS:.0f} ms at {CONNECTIONS} connections needs more than {needed:.0f} req/s)")
                print_cpu_ceiling(rounds)
                summary += [
                    ("Makker/bare requests/s (median)", f"{statistics.median(ratios):.2f}x ({spread(ratios, '.2f')})",
                     f">= {TARGET_RATIO}x", statistics.median(ratios) >= TARGET_RATIO and valid),
                    ("Makker p99 at 32 connections", f"{statistics.median(p99s):.1f} ms ({spread(p99s, '.1f')})",
                     f"< {TARGET_P99_MS:.0f} ms", statistics.median(p99s) < TARGET_P99_MS and valid),
                    ("all answers 2xx", "yes" if valid else "NO", "yes", valid),
                    (f"due->sent under load p50/p99/max ({len(sent)})",
                     f"{pct(sent, 50):.0f} / {pct(sent, 99):.0f} / {max(sent):.0f} ms",
                     f"p99 <= {TARGET_DUE_P99_MS:.0f} ms", pct(sent, 99) <= TARGET_DUE_P99_MS),
                ]
            if args.only in (None, "kill"):
                print(f"3. {args.burst} visits due at once, watchdog-1 killed (-9) at {args.kill_at:.0%} delivered; "
                      f"the SMS gateway (answers after {SMS_DELAY_S * 1000:.0f} ms) counts")
                result = kill_run(args, ctx)
                ok = result["missed"] == 0 and result["steps_twice"] == 0 and result["wrong_recipient"] == 0
                summary += [
                    (f"kill -9: missed / steps twice of {result['visits']}",
                     f"{result['missed']} / {result['steps_twice']}", "0 / 0", ok),
                    ("kill -9: re-sends of the same id", f"{result['resends']} of {result['messages']}",
                     "(reported)", True),
                    ("kill -9: victim was sending", "yes" if result["victim_was_sending"] else "NO", "yes",
                     result["victim_was_sending"]),
                    ("kill -9: all delivered after",
                     f"{result['all_s']:.1f} s" if result["all_s"] is not None else "NOT", "(reported)",
                     result["all_s"] is not None),
                ]
            procs.check(*[name for name in procs.procs if name != "watchdog-1" or args.only == "load"])
    except Exception:
        failed = True
        raise
    finally:
        if failed or args.keep_logs:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nsummary ({load()} at the end; {time.monotonic() - started:.0f} s in all)")
    width = max(len(row[0]) for row in summary) if summary else 10
    print(f"  {'measure':{width}}  {'result':26} {'target':16} ok")
    for measure, value, target, ok in summary:
        print(f"  {measure:{width}}  {value:26} {target:16} {'OK' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
