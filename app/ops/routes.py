"""Operations: health checks, watchdog liveness and Prometheus metrics.

`GET /healthz` (no sign-in): 200 `{"status": "ok", "database": "ok"}` when `SELECT 1` works, else 503
`{"status": "fail", "database": "fail"}`. For a load balancer every few seconds: one query, no
session (no cookie is set, no user is loaded), no audit entry, no rate limit.

`GET /healthz/watchdog` (no sign-in): watchdog liveness from `watchdog_beats` and the backlog of due
steps; 200 when some watchdog ticked in the last MAKKER_WATCHDOG_STALE_S seconds (default 60) and the
oldest due step has not waited longer than that, else 503 with `reason`. What it shows without
sign-in is deliberately limited to counts, times and ages: how many watchdogs are alive, the last
tick and per watchdog its age (no names: those carry host names and process ids), the number of due
visit steps, alert escalations and outbox entries, the age of the oldest due step and of the oldest
unsent message. Never who, where or what: no user, visit, alert, place or message text. Counts of due
alarms do say "something is happening" to anyone who can reach the URL; put /healthz* behind the
proxy's access rules if even that is too much for a deployment.

`GET /metrics`: the Prometheus text exposition (app/ops/metrics.py), with per-watchdog labels. With
MAKKER_METRICS_TOKEN set it wants `Authorization: Bearer <token>` (401 without or with a wrong one);
without a token it answers only requests from the machine itself: the TCP peer is a loopback address
and the request carries no X-Forwarded-For / Forwarded / X-Real-IP header, whatever MAKKER_PROXIES
says, so neither a local TLS proxy nor a forged X-Forwarded-For: 127.0.0.1 makes a visitor "local";
anyone else gets 403. A Prometheus on another machine needs the token.

A database that does not answer makes each of them a quick 503, never a 500 page; for a bounded wait
on an unreachable PostgreSQL host, put `?connect_timeout=5` in MAKKER_DATABASE_URL."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from datetime import timedelta

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import format_timedelta
from markupsafe import Markup
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import get_clock
from app.extensions import db, limiter
from app.ops import services

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)
FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _json(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _database_failed(exc: Exception):
    log.warning("health check: database unavailable: %s", exc)
    db.session.rollback()
    return _json({"status": "fail", "database": "fail"}, 503)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return _database_failed(exc)
    finally:
        db.session.rollback()  # nothing stays open between load-balancer probes
    return _json({"status": "ok", "database": "ok"}, 200)


@bp.get("/healthz/watchdog")
@limiter.exempt
def healthz_watchdog():
    try:
        state = services.liveness(db.session, get_clock(), current_app.config["WATCHDOG_STALE_S"])
        body = services.public_summary(state)
    except SQLAlchemyError as exc:
        return _database_failed(exc)
    finally:
        db.session.rollback()
    return _json(body, 200 if state.ok else 503)


def _is_local_request() -> bool:
    """A scraper on this machine talking to gunicorn directly: the TCP peer (before ProxyFix) is a
    loopback address and nothing forwarded the request. Whatever the proxy count, a forwarded request
    is a visitor, even one whose X-Forwarded-For says 127.0.0.1."""
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR", request.environ.get("REMOTE_ADDR"))
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return False
    return address.is_loopback and not any(h in request.headers for h in FORWARDING_HEADERS)


def _metrics_refusal():
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            response = current_app.response_class("unauthorized\n", status=401, mimetype="text/plain")
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        return None
    if not _is_local_request():
        return current_app.response_class(
            "forbidden: set MAKKER_METRICS_TOKEN to scrape from another machine\n", status=403,
            mimetype="text/plain")
    return None


@bp.get("/metrics")
@limiter.exempt
def metrics():
    refusal = _metrics_refusal()
    if refusal is not None:
        return refusal
    from app.ops.metrics import exposition

    try:
        state = services.liveness(db.session, get_clock(), current_app.config["WATCHDOG_STALE_S"])
        body = exposition(state)
    except SQLAlchemyError as exc:
        log.warning("metrics: database unavailable: %s", exc)
        db.session.rollback()
        return current_app.response_class("database unavailable\n", status=503, mimetype="text/plain")
    finally:
        db.session.rollback()
    response = current_app.response_class(body, status=200)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    response.headers["Cache-Control"] = "no-store"
    return response


def _age_text(seconds: float | None) -> str:
    return format_timedelta(timedelta(seconds=seconds or 0), threshold=1.0)


def admin_status() -> Markup:
    """The watchdog status for the admin overview: a role="alert" warning when no watchdog ticked in
    WATCHDOG_STALE_S (or due work waits longer than that), otherwise one calm status line."""
    state = services.liveness(db.session, get_clock(), current_app.config["WATCHDOG_STALE_S"])
    return Markup(render_template("ops/_admin_status.html", ops=state, age=_age_text))
