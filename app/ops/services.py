"""Watchdog liveness and the backlog of due work, read from the database (plain functions: session, clock).

Any web process on any host answers the same, because everything comes from the shared database:
the `watchdog_beats` rows (one per watchdog process) and the due times on visits, alerts and the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import Alert, Notification, OutboxEntry, Visit, WatchdogBeat

DUE_KINDS = ("visit", "alert", "outbox")


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


@dataclass
class Liveness:
    now: datetime
    stale_s: int
    beats: list[WatchdogBeat] = field(default_factory=list)  # newest tick first
    # Steps whose time has come and that no watchdog has done yet, by kind (see DUE_KINDS).
    due: dict[str, int] = field(default_factory=dict)
    oldest_due_at: datetime | None = None
    outbox_pending: int = 0  # unsent entries, due or not (retries wait, the SMS fallback waits 30 s)
    oldest_pending_at: datetime | None = None  # when the oldest unsent entry's notification was made

    def is_alive(self, beat: WatchdogBeat) -> bool:
        return beat.last_tick_at >= self.now - timedelta(seconds=self.stale_s)

    @property
    def alive(self) -> int:
        return sum(1 for beat in self.beats if self.is_alive(beat))

    @property
    def last_tick_at(self) -> datetime | None:
        return self.beats[0].last_tick_at if self.beats else None

    @property
    def last_tick_age_s(self) -> float | None:
        return _age(self.now, self.last_tick_at)

    @property
    def backlog(self) -> int:
        return sum(self.due.values())

    @property
    def oldest_due_age_s(self) -> float | None:
        return _age(self.now, self.oldest_due_at)

    @property
    def oldest_unsent_age_s(self) -> float | None:
        return _age(self.now, self.oldest_pending_at)

    @property
    def stale(self) -> bool:
        """No watchdog ticked within stale_s: nothing is being sent."""
        return self.alive == 0

    @property
    def behind(self) -> bool:
        """Watchdogs tick, but due work waits longer than stale_s (they cannot keep up, or fail)."""
        age = self.oldest_due_age_s
        return age is not None and age > self.stale_s

    @property
    def ok(self) -> bool:
        return not self.stale and not self.behind

    def reasons(self) -> list[str]:
        reasons = []
        if self.stale:
            if self.last_tick_at is None:
                reasons.append("no watchdog has ever ticked against this database")
            else:
                reasons.append(f"no watchdog has ticked in the last {self.stale_s} s "
                               f"(the last tick was {self.last_tick_age_s:.0f} s ago)")
        if self.behind:
            reasons.append(f"the oldest due step has waited {self.oldest_due_age_s:.0f} s "
                           f"(more than {self.stale_s} s)")
        return reasons


def liveness(session: Session, clock: Clock, stale_s: int) -> Liveness:
    """Six small indexed queries; cheap enough for a load balancer or a scraper every few seconds."""
    now = clock.now()
    result = Liveness(now=now, stale_s=stale_s)
    result.beats = list(session.execute(
        select(WatchdogBeat).order_by(WatchdogBeat.last_tick_at.desc(), WatchdogBeat.name)
    ).scalars())
    oldest = []
    for kind, model, column, *where in (
        ("visit", Visit, Visit.next_due_at),
        ("alert", Alert, Alert.next_escalation_at),
        ("outbox", OutboxEntry, OutboxEntry.next_attempt_at, OutboxEntry.state == "pending"),
    ):
        count, first = session.execute(
            select(func.count(), func.min(column)).select_from(model).where(column <= now, *where)
        ).one()
        result.due[kind] = count
        if first is not None:
            oldest.append(first)
    result.oldest_due_at = min(oldest) if oldest else None
    result.outbox_pending, result.oldest_pending_at = session.execute(
        select(func.count(), func.min(Notification.created_at))
        .select_from(OutboxEntry).join(Notification, OutboxEntry.notification_id == Notification.id)
        .where(OutboxEntry.state == "pending")
    ).one()
    return result


def public_summary(state: Liveness) -> dict:
    """What /healthz/watchdog shows without sign-in: counts, times and ages only. No watchdog names
    (they carry host names and process ids), nothing about people, visits or places."""

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    body = {
        "status": "ok" if state.ok else "fail",
        "database": "ok",
        "now": state.now.isoformat(),
        "stale_after_s": state.stale_s,
        "watchdogs_alive": state.alive,
        "last_tick_at": state.last_tick_at.isoformat() if state.last_tick_at else None,
        "last_tick_age_s": rounded(state.last_tick_age_s),
        "watchdogs": [
            {"alive": state.is_alive(beat), "last_tick_age_s": rounded(_age(state.now, beat.last_tick_at)),
             "started_age_s": rounded(_age(state.now, beat.started_at))}
            for beat in state.beats
        ],
        "due": dict(state.due),
        "backlog": state.backlog,
        "oldest_due_age_s": rounded(state.oldest_due_age_s),
        "outbox_pending": state.outbox_pending,
        "oldest_unsent_age_s": rounded(state.oldest_unsent_age_s),
    }
    if not state.ok:
        body["reason"] = "; ".join(state.reasons())
    return body
