"""The watchdog loop: tick, then sleep until the next due time or until woken by a change.

Never a fixed poll: the sleep ends at the earliest due step, at a NOTIFY (PostgreSQL) or at the
in-process wake-up (embedded). MAX_SLEEP only bounds the damage of a lost wake-up."""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models import WatchdogBeat
from app.ops import beats
from app.watchdog import engine
from app.watchdog.wakeup import CHANNEL, local_wakeup

log = logging.getLogger("makker.watchdog")
MAX_SLEEP = 30.0
BEAT_EVERY = 10.0
# Beats of watchdogs that stopped ticking this long ago are deleted (checked at most every PRUNE_EVERY).
PRUNE_BEATS_AFTER = timedelta(days=7)
PRUNE_EVERY = timedelta(hours=1)
_pruned: dict[str, datetime] = {}


class SingleWatchdogLock:
    """SQLite has no row locks to share work safely: only one watchdog may run against the file."""

    def __init__(self, instance_path: str) -> None:
        self.path = Path(instance_path) / "watchdog.lock"
        self.fh = None

    def acquire(self) -> bool:
        self.fh = open(self.path, "w")  # noqa: SIM115 - held for the process lifetime
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.close()
            self.fh = None
            return False
        self.fh.write(str(os.getpid()))
        self.fh.flush()
        return True

    def release(self) -> None:
        if self.fh:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None


class PgListener:
    """LISTEN on a dedicated psycopg connection; wait() returns early on NOTIFY."""

    def __init__(self, url: str) -> None:
        import psycopg

        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> bool:
        woke = False
        for _ in self.conn.notifies(timeout=max(timeout, 0.0), stop_after=1):
            woke = True
        # Drain the rest so a burst of changes costs one tick.
        for _ in self.conn.notifies(timeout=0.0):
            pass
        return woke

    def close(self) -> None:
        self.conn.close()


def _beat(session, clock, name: str, started, result: engine.Tick) -> None:
    """This process's liveness row: last tick, and the tick's counts added to its cumulative counters
    (app/ops/beats.py). Rows of watchdogs gone for PRUNE_BEATS_AFTER are deleted now and then."""
    beat = session.get(WatchdogBeat, name)
    now = clock.now()
    if beat is None:
        beat = WatchdogBeat(name=name, started_at=started, last_tick_at=now, steps_done=0, sent=0, failed=0,
                            retried=0, latency_count=0, latency_sum=0.0, latency_buckets={}, channels={})
        session.add(beat)
    beat.last_tick_at = now
    beats.add_tick(beat, result)
    last = _pruned.get(name)
    if last is None or now - last > PRUNE_EVERY:
        session.execute(delete(WatchdogBeat).where(WatchdogBeat.last_tick_at < now - PRUNE_BEATS_AFTER,
                                                   WatchdogBeat.name != name))
        _pruned[name] = now
    session.commit()


def run(app: Flask, stop: threading.Event, *, name: str | None = None) -> None:
    """Run until `stop` is set. Usable as a thread target (make run) or the main loop (CLI)."""
    name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"
    with app.app_context():
        clock = app.extensions["makker.clock"]
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        lock = None
        if url.startswith("sqlite"):
            lock = SingleWatchdogLock(app.instance_path)
            if not lock.acquire():
                log.error("another watchdog already runs against this SQLite database; not starting")
                return
        listener = PgListener(url) if url.startswith("postgresql") else None
        stop_wakes = threading.Thread(target=lambda: (stop.wait(), local_wakeup.set()), daemon=True)
        stop_wakes.start()
        started = clock.now()
        last_beat = 0.0
        log.info("watchdog %s running", name)
        try:
            while not stop.is_set():
                try:
                    result = engine.tick(db.session, clock, should_stop=stop.is_set)
                    if time.monotonic() - last_beat > BEAT_EVERY or result.steps or result.sent \
                            or result.failed or result.retried:
                        _beat(db.session, clock, name, started, result)
                        last_beat = time.monotonic()
                except OperationalError:
                    db.session.rollback()
                    log.exception("database problem; retrying shortly")
                    result = engine.Tick(next_due=None)
                    stop.wait(1.0)
                    continue
                finally:
                    db.session.remove()
                sleep = MAX_SLEEP
                if result.next_due is not None:
                    sleep = min(MAX_SLEEP, max(0.0, (result.next_due - clock.now()).total_seconds()))
                sleep = min(sleep, BEAT_EVERY)
                if sleep <= 0:
                    if result.steps or result.sent or result.failed:
                        continue
                    # Due work we could not claim (another watchdog holds it): let it finish.
                    sleep = 0.05
                if listener is not None:
                    # Wake on NOTIFY, at the due time, or within a second of a stop request.
                    deadline = time.monotonic() + sleep
                    while not stop.is_set() and time.monotonic() < deadline:
                        if listener.wait(min(1.0, deadline - time.monotonic())):
                            break
                else:
                    local_wakeup.wait(sleep)
                    local_wakeup.clear()
        finally:
            if listener is not None:
                listener.close()
            if lock is not None:
                lock.release()
            log.info("watchdog %s stopped", name)


def last_beats(session):
    return list(session.execute(select(WatchdogBeat).order_by(WatchdogBeat.last_tick_at.desc())).scalars())
