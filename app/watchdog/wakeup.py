"""Waking the watchdog when a change moves the next due time (visit started, extended, closed).

In-process (make run): a threading.Event set after the commit. Across processes (PostgreSQL):
NOTIFY inside the same transaction, delivered to every LISTENing watchdog at commit."""

from __future__ import annotations

import threading

from sqlalchemy import event, text
from sqlalchemy.orm import Session

CHANNEL = "makker_watchdog"
local_wakeup = threading.Event()


def request_wakeup(session: Session) -> None:
    if session.info.get("makker_in_watchdog"):
        return  # the watchdog recomputes its next due time itself after every tick
    session.info["makker_wakeup"] = True
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("makker_wakeup", False):
        local_wakeup.set()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("makker_wakeup", None)
