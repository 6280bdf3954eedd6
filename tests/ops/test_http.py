"""HTTP: /healthz, /healthz/watchdog and /metrics (protection, content type, database down)."""

from __future__ import annotations

import pytest
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from app import create_app
from app.models import AuditEntry
from tests.ops.conftest import add_beat, start_visit


def _audit_count(db) -> int:
    with db as session:
        return session.execute(select(func.count()).select_from(AuditEntry)).scalar()


@pytest.fixture(autouse=True)
def rate_limit_headers(monkeypatch):
    # X-RateLimit-* on every answer, to read the count here; off in production (two Redis reads
    # each). Flask-Limiter reads the setting once per process, so it is switched on the extension.
    from app.extensions import limiter

    monkeypatch.setattr(limiter, "_headers_enabled", True)


def _remaining(client) -> int:
    """What is left of this address's default rate limit (every page counts against it)."""
    return int(client.get("/login").headers["X-RateLimit-Remaining"])


def test_healthz_ok_without_cookie_audit_or_rate_limit(client, db):
    before, remaining = _audit_count(db), _remaining(client)
    for _ in range(12):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok", "database": "ok"}
        assert "Set-Cookie" not in response.headers and "X-RateLimit-Limit" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/healthz/watchdog").status_code == 503  # no watchdog in this test
    assert _audit_count(db) == before
    assert _remaining(client) == remaining - 1  # only the /login request itself counted


@pytest.fixture
def unreachable_app(tmp_path):
    """The database URL points at a closed port: nothing listens on 127.0.0.1:1."""
    return create_app({
        "TESTING": True, "INSTANCE_PATH": str(tmp_path / "down"), "SECRET_KEY": "down", "DEMO": False,
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://makker@127.0.0.1:1/makker?connect_timeout=2",
    })


def test_healthz_is_503_when_the_database_is_unreachable(unreachable_app):
    client = unreachable_app.test_client()
    for path in ("/healthz", "/healthz/watchdog"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.get_json() == {"status": "fail", "database": "fail"}
        assert "Set-Cookie" not in response.headers
    response = client.get("/metrics")
    assert response.status_code == 503 and "database unavailable" in response.get_data(as_text=True)


def test_watchdog_alive(client, db, clock):
    with db as session:
        add_beat(session, clock, "host-a:1:1", ago=5)
    response = client.get("/healthz/watchdog")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["watchdogs_alive"] == 1 and body["last_tick_age_s"] == 5.0
    assert body["backlog"] == 0 and body["oldest_due_age_s"] is None and "reason" not in body
    assert "host-a" not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_watchdog_stale(client, db, clock):
    with db as session:
        add_beat(session, clock, "host-a:1:1", ago=61)
    response = client.get("/healthz/watchdog")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail" and body["watchdogs_alive"] == 0
    assert body["reason"] == "no watchdog has ticked in the last 60 s (the last tick was 61 s ago)"


def test_watchdog_stale_limit_is_configurable(app, client, db, clock):
    app.config["WATCHDOG_STALE_S"] = 120
    with db as session:
        add_beat(session, clock, ago=90)
    assert client.get("/healthz/watchdog").status_code == 200


def test_watchdog_backlog_too_old(client, db, clock):
    with db as session:
        start_visit(session, clock, minutes=10, place="Hemmelig Allé 7")  # reminder due at +5 min
        clock.advance(minutes=6, seconds=5)
        add_beat(session, clock, ago=2)  # alive, but the due reminder has waited 65 s
    response = client.get("/healthz/watchdog")
    assert response.status_code == 503
    body = response.get_json()
    assert body["watchdogs_alive"] == 1 and body["due"] == {"visit": 1, "alert": 0, "outbox": 0}
    assert body["oldest_due_age_s"] == 65.0
    assert body["reason"] == "the oldest due step has waited 65 s (more than 60 s)"
    assert "Hemmelig" not in response.get_data(as_text=True)


def test_metrics_from_loopback_without_token(client, db, clock):
    with db as session:
        add_beat(session, clock, "host-a:1:1", ago=1, steps_done=4)
    remaining = _remaining(client)
    for _ in range(8):
        response = client.get("/metrics")
        assert response.status_code == 200
    assert _remaining(client) == remaining - 1  # not rate limited: a scraper may come every few seconds
    assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST
    assert "Set-Cookie" not in response.headers
    names = {f.name for f in text_string_to_metric_families(response.get_data(as_text=True))}
    assert {"makker_watchdog_steps_due", "makker_watchdog_steps", "makker_outbox_sent", "makker_outbox_failed",
            "makker_watchdog_due_to_sent_seconds", "makker_watchdog_last_tick_timestamp_seconds",
            "makker_outbox_oldest_pending_age_seconds", "makker_watchdogs_alive"} <= names
    assert 'makker_watchdog_steps_total{watchdog="host-a:1:1"} 4.0' in response.get_data(as_text=True)
    # IPv6 loopback too.
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_metrics_refused_to_other_addresses_without_token(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "2001:db8::1"}).status_code == 403
    # A proxy on this machine forwards everyone from 127.0.0.1: a forwarded request is not local.
    forwarded = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert forwarded.status_code == 403
    assert client.get("/metrics", headers={"Forwarded": "for=203.0.113.9"}).status_code == 403


def test_metrics_behind_a_trusted_proxy_are_local_only_when_not_forwarded(clock, tmp_path, app_config):
    app = create_app({**app_config, "PROXIES": 1, "INSTANCE_PATH": str(tmp_path / "proxy"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'proxy.sqlite3'}"})
    from app.extensions import db as _db

    with app.app_context():
        _db.create_all()
    client = app.test_client()
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    # The proxy passes on what the visitor wrote: X-Forwarded-For 127.0.0.1 proves nothing.
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 403
    # A local scraper talking to gunicorn directly (no proxy in between).
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 403
    with app.app_context():
        _db.engine.dispose()


def test_metrics_with_token(app, client):
    app.config["METRICS_TOKEN"] = "s3cret-token-for-prometheus"
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-prometheuS"})
    assert wrong.status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Basic czNjcmV0"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
    good = {"Authorization": "Bearer s3cret-token-for-prometheus"}
    # With a token, the address does not matter (scraped from another host).
    response = client.get("/metrics", headers=good, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert response.status_code == 200 and b"makker_watchdogs_alive" in response.data


def test_metrics_are_the_same_from_any_web_process(app, app_config, db, clock, tmp_path):
    """Counters live in the database: a second app (another web process) on the same database agrees."""
    with db as session:
        add_beat(session, clock, "host-a:1:1", ago=1, steps_done=3,
                 channels={"log": {"sent": 3}}, latency_count=3, latency_sum=0.6, latency_buckets={"0.25": 3})
    other = create_app({**app_config, "INSTANCE_PATH": str(tmp_path / "other"),
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    first = app.test_client().get("/metrics").get_data(as_text=True)
    second = other.test_client().get("/metrics").get_data(as_text=True)
    assert first == second and 'makker_outbox_sent_total{channel="log",watchdog="host-a:1:1"} 3.0' in first
    from app.extensions import db as _db

    with other.app_context():
        _db.engine.dispose()


def test_old_due_time_in_metrics(client, db, clock):
    with db as session:
        start_visit(session, clock, minutes=10)
        clock.advance(minutes=5, seconds=42)  # the reminder was due at +5 min
    body = client.get("/metrics").get_data(as_text=True)
    assert "makker_watchdog_oldest_due_age_seconds 42.0" in body
    assert 'makker_watchdog_steps_due{kind="visit"} 1.0' in body
