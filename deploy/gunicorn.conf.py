"""Gunicorn settings for Makker's web processes.

    gunicorn --config deploy/gunicorn.conf.py wsgi:app

Run as many of these as you like, on as many hosts as you like, against one PostgreSQL database
(docs/operations.md). Every setting below can be changed from the environment, so the systemd unit's
EnvironmentFile (or the Procfile's environment) is the only file an operator edits:

| variable | default | meaning |
|---|---|---|
| MAKKER_WEB_BIND | 127.0.0.1:8000 (0.0.0.0:$PORT when PORT is set) | comma-separated addresses |
| MAKKER_WEB_WORKERS | WEB_CONCURRENCY, else 2 x CPU cores (2..8) | processes per host |
| MAKKER_WEB_THREADS | 4 | threads per process (each holds at most one DB connection) |
| MAKKER_WEB_TIMEOUT | 30 | seconds before a silent worker is killed and replaced |
| MAKKER_WEB_GRACEFUL_TIMEOUT | 30 | seconds a worker gets to finish its requests on stop/reload |
| MAKKER_WEB_MAX_REQUESTS | 0 (off) | replace a worker (gracefully) after this many requests plus up to half again |
| MAKKER_FORWARDED_ALLOW_IPS | 127.0.0.1,::1 | addresses of the TLS proxy (trusted for X-Forwarded-Proto) |
| MAKKER_WEB_ACCESS_LOG | - (stdout) | access log file, or "off" |
| MAKKER_WEB_CONTROL_SOCKET | unset (no socket) | path of gunicorn's control socket (gunicornc), if wanted |

This file is plain Python read by gunicorn; it imports nothing from Makker.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _default_workers() -> int:
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


# The repository root (where wsgi.py is), whatever directory gunicorn was started from.
chdir = str(Path(__file__).resolve().parent.parent)
wsgi_app = "wsgi:app"
proc_name = "makker-web"

_port = os.environ.get("PORT", "").strip()
bind = [b.strip() for b in os.environ.get(
    "MAKKER_WEB_BIND", f"0.0.0.0:{_port}" if _port else "127.0.0.1:8000").split(",") if b.strip()]

# Threads: a request mostly waits for PostgreSQL, so a few threads per process serve far more than
# one. Each thread holds at most one pooled connection: see "PostgreSQL connections" in
# docs/operations.md for how workers x threads add up against max_connections.
worker_class = "gthread"
workers = _int("MAKKER_WEB_WORKERS", _int("WEB_CONCURRENCY", _default_workers()))
threads = _int("MAKKER_WEB_THREADS", 4)
# Idle keep-alive connections from the proxy are parked, not holding a thread. Longer than nginx's
# upstream keepalive_timeout (60 s), so nginx always closes first and never reuses a dead one.
keepalive = 75
worker_connections = 1000

timeout = _int("MAKKER_WEB_TIMEOUT", 30)
graceful_timeout = _int("MAKKER_WEB_GRACEFUL_TIMEOUT", 30)
# Off by default: under load both workers reached 5,000 in the same second and requests stalled ~3 s
# (bench.production). Set it only against a known leak; the jitter spreads the restarts.
max_requests = _int("MAKKER_WEB_MAX_REQUESTS", 0)
max_requests_jitter = max(1, max_requests // 2) if max_requests else 0

# No preloading: every worker builds the app itself after the fork, so no database connection, Redis
# connection or thread made by create_app() is ever shared between processes (psycopg connections
# must never cross a fork). The price is a little memory and a slower start. If someone turns
# --preload on anyway, post_fork below throws away any inherited connections.
preload_app = False

# Trust X-Forwarded-Proto only from the TLS proxy. The app's own ProxyFix (MAKKER_PROXIES=1) handles
# X-Forwarded-For/-Proto/-Host; both must point at the same proxy.
forwarded_allow_ips = os.environ.get("MAKKER_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The heartbeat file on tmpfs: a worker is never blocked by a slow disk.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

_access = os.environ.get("MAKKER_WEB_ACCESS_LOG", "-")
accesslog = None if _access.lower() in {"off", "none", ""} else _access
errorlog = "-"
loglevel = os.environ.get("MAKKER_WEB_LOG_LEVEL", "info")
# Proxy address, client address (from the proxy), request line, status, bytes, request time in
# seconds, worker pid.
access_log_format = '%(h)s %({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(L)ss %(p)s'

# gunicorn >= 25.1 opens a control socket in $HOME by default: only when asked for.
if os.environ.get("MAKKER_WEB_CONTROL_SOCKET"):
    control_socket = os.environ["MAKKER_WEB_CONTROL_SOCKET"]
else:
    control_socket_disable = True


def post_fork(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    """Only matters with --preload: drop connections the master made, without closing them under it."""
    module = sys.modules.get("wsgi")
    if module is None:
        return
    from app.extensions import db

    with module.app.app_context():
        db.engine.dispose(close=False)
