"""The production setup end to end: gunicorn with deploy/gunicorn.conf.py (2 workers) and the Procfile's
two watchdogs on PostgreSQL, Redis for the rate limits, behind what a TLS proxy would send. A visit is
checked in over HTTP, its overdue alert is delivered exactly once, the buddy takes it over HTTP, the
sign-in limit is shared by both workers, and SIGTERM stops everything cleanly."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.models import Alert, DeliveryAttempt, Notification, OutboxEntry, WatchdogBeat
from tests.production.conftest import (
    REDIS_URL,
    ROOT,
    Stack,
    base_env,
    free_port,
    redis_client,
    wait_http,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """A phone behind the TLS proxy: every request carries the proxy's X-Forwarded-* headers (the app
    trusts one proxy, MAKKER_PROXIES=1) and the Secure session cookie is sent back by hand (plain HTTP
    stands in for the proxy's HTTPS here)."""

    def __init__(self, base: str, client_ip: str):
        self.base = base
        self.http = requests.Session()
        self.http.headers.update({"X-Forwarded-For": client_ip, "X-Forwarded-Proto": "https",
                                  "X-Forwarded-Host": "makker.test",
                                  # Over HTTPS Flask-WTF wants a same-origin Referer, as browsers send it.
                                  "Referer": "https://makker.test/"})
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(method, self.base + path, headers=headers, allow_redirects=False,
                                     timeout=30, **kwargs)
        for cookie in response.cookies:
            self.cookies[cookie.name] = cookie.value
        return response

    def login(self, username: str, password: str = "demo") -> requests.Response:
        token = CSRF_RE.search(self.request("GET", "/login").text).group(1)
        return self.request("POST", "/login", data={"username": username, "password": password,
                                                    "csrf_token": token})

    def api(self, method: str, path: str, json=None) -> requests.Response:
        return self.request(method, "/api/v1" + path, json=json, headers={"X-CSRFToken": self.csrf})


def sign_in(base: str, username: str, client_ip: str) -> Browser:
    browser = Browser(base, client_ip)
    response = browser.login(username)
    assert response.status_code == 302, response.text[:500]
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie, cookie  # MAKKER_SECURE_COOKIES=1
    me = browser.api("GET", "/me")
    assert me.status_code == 200 and me.json()["username"] == username
    browser.csrf = me.json()["csrf_token"]
    return browser


@pytest.fixture
def stack(production_db, production_keys, tmp_path):
    redis = redis_client()
    redis.flushdb()
    port = free_port()
    env = base_env(production_db, tmp_path / "instance", production_keys)
    env.update({
        # deploy/makker.env.example, with a fast ladder for the test.
        "MAKKER_RATELIMIT_STORAGE_URL": REDIS_URL + "?socket_connect_timeout=1&socket_timeout=1",
        "MAKKER_SECURE_COOKIES": "1",
        "MAKKER_PROXIES": "1",
        "MAKKER_PUBLIC_URL": "https://makker.test",
        "MAKKER_REMINDER_BEFORE_S": "1",
        "MAKKER_GRACE_S": "1",
        "MAKKER_ACK_TIMEOUT_S": "3600",
        "MAKKER_WEB_BIND": f"127.0.0.1:{port}",
        "MAKKER_WEB_WORKERS": "2",
        "MAKKER_WEB_THREADS": "4",
    })
    s = Stack(env, tmp_path)
    s.base = f"http://127.0.0.1:{port}"
    s.engine = create_engine(production_db)
    try:
        yield s
    finally:
        s.kill_all()
        s.engine.dispose()


def access_log_pids(log: str, marker: str) -> list[str]:
    """Worker pids of the access-log lines whose request line contains `marker`, in order."""
    return re.findall(rf'"[A-Z]+ [^"]*{re.escape(marker)}[^"]*" \d+ \S+ \S+s <(\d+)>', log)


def test_production_stack_alert_delivered_once_acknowledged_and_rate_limit_shared(stack):
    web = stack.start("web")
    watchdogs = [stack.start(name) for name in ("watchdog1", "watchdog2")]
    wait_http(stack.base + "/healthz", web)
    workers = re.findall(r"Booting worker with pid: (\d+)", web.log())
    assert len(workers) == 2 and "Using worker: gthread" in web.log(), web.log()

    anna = sign_in(stack.base, "anna", "10.20.0.1")
    bo = sign_in(stack.base, "bo", "10.20.0.2")
    # The same signing key in both workers: whichever worker gets the next request knows the session.
    for _ in range(6):
        assert bo.api("GET", "/me").status_code == 200

    # Check in over HTTP with a planned end 2 s ahead: reminder at -1 s, overdue alert at +1 s.
    visit_id = str(uuid.uuid4())
    planned_end = datetime.now(UTC) + timedelta(seconds=2)
    created = anna.api("POST", "/visits", json={"id": visit_id, "planned_end": planned_end.isoformat(),
                                                 "buddy": "bo", "place": "Testvej 1, 8000 Aarhus C"})
    assert created.status_code == 201, created.text

    with Session(stack.engine) as db:
        def alert_delivered():
            db.rollback()
            alert = db.execute(select(Alert).where(Alert.visit_id == visit_id)).scalar_one_or_none()
            if alert is None:
                return None
            entries = db.execute(select(OutboxEntry).join(Notification)
                                 .where(Notification.alert_id == alert.id)).scalars().all()
            done = entries and all(e.state in ("sent", "skipped") for e in entries)
            return alert.id if done else None

        alert_id = wait_until(alert_delivered, 30, "the overdue alert to be sent")
        # Healthy: both watchdogs ticked (named as in the Procfile).
        beats = {b.name for b in db.execute(select(WatchdogBeat)).scalars()}
        assert {"watchdog1", "watchdog2"} <= beats
    assert requests.get(stack.base + "/healthz/watchdog", timeout=10).status_code == 200

    # The buddy sees it and takes it, over HTTP.
    open_alerts = bo.api("GET", "/alerts")
    assert open_alerts.status_code == 200 and alert_id in [a["id"] for a in open_alerts.json()]
    ack = bo.api("POST", f"/alerts/{alert_id}/ack")
    assert ack.status_code == 200, ack.text
    taken = bo.api("GET", f"/alerts/{alert_id}").json()
    assert taken["state"] == "acknowledged" and taken["reason"] == "overdue"

    with Session(stack.engine) as db:
        def worker_told():
            db.rollback()
            return db.execute(select(func.count()).select_from(OutboxEntry).join(Notification).where(
                Notification.alert_id == alert_id, Notification.type == "ack",
                OutboxEntry.state == "sent")).scalar()

        wait_until(worker_told, 30, "the 'taken by Bo' message to be sent")
        time.sleep(1.0)  # a late duplicate from the other watchdog would show now
        db.rollback()
        alert_notes = db.execute(select(Notification).where(Notification.alert_id == alert_id,
                                                            Notification.type == "alert")).scalars().all()
        # Exactly one alert to the buddy (level 1; level 2 is an hour away), sent exactly once per channel.
        assert [(n.recipient.username, n.step_key.split(":")[2]) for n in alert_notes] == [("bo", "l1")]
        entries = db.execute(select(OutboxEntry).where(OutboxEntry.notification_id == alert_notes[0].id)).scalars().all()
        attempts = db.execute(select(DeliveryAttempt).where(
            DeliveryAttempt.notification_id == alert_notes[0].id)).scalars().all()
        sent = [e for e in entries if e.state == "sent"]
        assert "log" in {e.channel for e in sent}
        for entry in sent:
            ok = [a for a in attempts if a.outbox_id == entry.id and a.ok]
            assert len(ok) == 1, (entry.channel, [(a.channel, a.ok, a.detail) for a in attempts])
        reminder = db.execute(select(func.count()).select_from(Notification).where(
            Notification.visit_id == visit_id, Notification.type == "reminder")).scalar()
        assert reminder == 1

    # Sign-in limit (LOGIN_RATE_LIMIT, 10 per minute per address and per username) counted in Redis,
    # so it holds across both workers: two keep-alive connections, one held by each worker, take turns.
    def pid_of(marker: str) -> str:  # the access-log line is written just after the response
        return wait_until(lambda: access_log_pids(web.log(), marker), 10, f"the access log line of {marker}")[0]

    probes = []
    for i in range(30):
        conn = Browser(stack.base, "10.30.0.9")
        conn.request("GET", f"/login?probe=p{i}p")
        probes.append(conn)
        if len({pid_of(f"p{j}p") for j in range(i + 1)}) == 2:
            break
    first, second = probes[0], probes[-1]
    assert pid_of("p0p") != pid_of(f"p{len(probes) - 1}p"), "could not get a connection to each worker"
    user = f"nobody{uuid.uuid4().hex[:8]}"
    statuses = []
    for i in range(12):
        conn = (first, second)[i % 2]
        token = CSRF_RE.search(conn.request("GET", "/login").text).group(1)
        response = conn.request("POST", f"/login?attempt=a{i}a",
                                data={"username": user, "password": "wrong", "csrf_token": token})
        statuses.append(response.status_code)
    attempt_pids = [pid_of(f"a{i}a") for i in range(12)]
    assert len(set(attempt_pids[:10])) == 2, attempt_pids  # both workers answered
    assert statuses == [422] * 10 + [429, 429], statuses
    assert any(b"LIMITER" in key for key in redis_client().keys("*")), "no limiter keys in Redis"

    # SIGTERM, as systemd and Procfile runners send it: every process exits cleanly.
    for browser in [anna, bo, *probes]:
        browser.http.close()
    codes = {p.name: p.terminate() for p in [web, *watchdogs]}
    assert codes == {"web": 0, "watchdog1": 0, "watchdog2": 0}, {p.name: p.log()[-1500:] for p in [web, *watchdogs]}
    assert "Shutting down: Master" in web.log()
    for watchdog in watchdogs:
        assert re.search(r"watchdog \S+ stopped", watchdog.log()), watchdog.log()[-1500:]


def test_redis_down_does_not_break_requests(tmp_path):
    """MAKKER_RATELIMIT_STORAGE_URL pointing at a Redis that does not answer: requests still work (the
    limits are counted per process until it is back), and the limits still apply."""
    with socket_closed_port() as port:
        script = (
            "from app import create_app\n"
            f"app = create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/r.sqlite3',"
            f" 'INSTANCE_PATH': '{tmp_path}', 'LOGIN_RATE_LIMIT': '2 per minute', 'WTF_CSRF_ENABLED': False,"
            f" 'RATELIMIT_STORAGE_URI': 'redis://127.0.0.1:{port}/0?socket_connect_timeout=1'}})\n"
            "from app.extensions import db\n"
            "with app.app_context():\n    db.create_all()\n"
            "c = app.test_client()\n"
            "print([c.get('/login').status_code] + [c.post('/login', data={}).status_code for _ in range(3)])\n"
        )
        result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                                timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[200, 422, 422, 429]", result.stdout + result.stderr[-2000:]


class socket_closed_port:
    """A local port where nothing listens (bound, never listening: connections are refused)."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()
