"""One function does the work due at `now`: `tick(session, clock)`.

Due rows are selected by time, claimed (FOR UPDATE SKIP LOCKED on PostgreSQL, so any number of
watchdogs share the work), changed together with their outbox entries, committed in short
transactions; then the outbox is dispatched. Steps are recorded on the row that owns them, so a step
fires exactly once even if two watchdogs look at the same moment or one dies halfway."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.alerts import services as alerts
from app.clock import Clock
from app.database import is_postgres
from app.models import Alert, Visit
from app.notify import outbox
from app.notify.outbox import enqueue
from app.visits import messages
from app.visits.ladder import overdue_time, reminder_time, reschedule, timings_for

log = logging.getLogger(__name__)
# Small batches: the first notifications leave after 25 steps, not after the whole burst.
BATCH = 25


def register_periodic(app, job) -> None:
    """Other due-by-time work (incident follow-ups, retention) runs in every tick: job(session, clock) -> int."""
    app.extensions.setdefault("makker.periodic", []).append(job)


@dataclass
class Tick:
    steps: int = 0
    sent: int = 0
    failed: int = 0
    next_due: datetime | None = None
    # due->sent seconds of each notification first delivered in this tick (for /metrics).
    latencies: list[float] = field(default_factory=list)
    retried: int = 0
    # {"push": {"sent": n, "failed": n, "retried": n, "skipped": n}}, see outbox.DispatchReport.
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)

    def add_dispatch(self, report: outbox.DispatchReport) -> None:
        self.sent += report.sent
        self.failed += report.failed
        self.retried += report.retried
        self.latencies.extend(report.latencies)
        outbox.merge_channel_counts(self.by_channel, report.by_channel)


def _claim(session: Session, model, column, now: datetime):
    query = select(model).where(column <= now).order_by(column).limit(BATCH)
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    return list(session.execute(query).scalars())


def fire_visit_steps(session: Session, clock: Clock, visit: Visit) -> int:
    """Fire every step of `visit` that is due now; returns how many fired."""
    now = clock.now()
    timings = timings_for(visit.unit)
    fired = 0
    if visit.state == "active":
        reminder = reminder_time(visit, timings)
        if reminder is not None and visit.reminder_sent_at is None and reminder <= now:
            visit.reminder_sent_at = now
            enqueue(session, clock, visit.worker, type="reminder",
                    step_key=f"visit:{visit.id}:reminder:{visit.extensions}", tag=f"visit-{visit.id}-reminder",
                    payload=messages.reminder(visit.worker, visit), due_at=reminder, visit_id=visit.id)
            alerts.add_event(session, clock, "visit.reminder", visit_id=visit.id)
            fired += 1
        due = overdue_time(visit, timings)
        if visit.overdue_at is None and due <= now:
            visit.overdue_at = now
            visit.state = "overdue"
            alerts.raise_alert(session, clock, visit.worker, reason="overdue", visit=visit, due_at=due)
            fired += 1
    if visit.state != "closed" and visit.interrupt_at is not None and visit.interrupt_sent_at is None \
            and visit.interrupt_at <= now:
        visit.interrupt_sent_at = now
        enqueue(session, clock, visit.buddy, type="interrupt", step_key=f"visit:{visit.id}:interrupt",
                tag=f"visit-{visit.id}-interrupt", payload=messages.interrupt(visit.buddy, visit),
                due_at=visit.interrupt_at, visit_id=visit.id, urgent=True)
        alerts.add_event(session, clock, "visit.interrupt", visit_id=visit.id)
        fired += 1
    reschedule(visit, timings)
    return fired


def process_due_visits(session: Session, clock: Clock) -> tuple[int, bool]:
    """One batch of due visits in one short transaction: (steps fired, more may be due)."""
    visits = _claim(session, Visit, Visit.next_due_at, clock.now())
    fired = 0
    for visit in visits:
        fired += fire_visit_steps(session, clock, visit)
    try:
        session.commit()
    except StaleDataError:  # a web request changed a row under us (SQLite); redo next round
        session.rollback()
        log.info("visit changed while processing; retrying")
        return 0, True
    return fired, len(visits) == BATCH


def process_due_alerts(session: Session, clock: Clock) -> tuple[int, bool]:
    due = _claim(session, Alert, Alert.next_escalation_at, clock.now())
    fired = 0
    for alert in due:
        if alert.state == "open":
            alerts.escalate(session, clock, alert)
            fired += 1
        else:
            alert.next_escalation_at = None
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        return 0, True
    return fired, len(due) == BATCH


def next_due(session: Session) -> datetime | None:
    times = [
        session.execute(select(func.min(Visit.next_due_at))).scalar(),
        session.execute(select(func.min(Alert.next_escalation_at))).scalar(),
        outbox.next_attempt_at(session),
    ]
    times = [t for t in times if t is not None]
    return min(times) if times else None


def tick(session: Session, clock: Clock, should_stop=lambda: False) -> Tick:
    """Do what is due now, in batches, then send it. Bounded work per call, so a stop request is
    honoured within one batch; `tick` is called again at once while work remains."""
    result = Tick()
    session.info["makker_in_watchdog"] = True
    more = True
    while more:
        visit_steps, more_visits = process_due_visits(session, clock)
        alert_steps, more_alerts = process_due_alerts(session, clock)
        result.steps += visit_steps + alert_steps
        report = outbox.dispatch_due(session, clock)
        result.add_dispatch(report)
        more = more_visits or more_alerts or report.sent + report.failed + report.retried > 0
        if result.steps + result.sent > 8 * BATCH or should_stop():
            break
    from flask import current_app

    for job in current_app.extensions.get("makker.periodic", []):
        try:
            result.steps += job(session, clock) or 0
        except Exception:
            session.rollback()
            log.exception("periodic job %s failed", getattr(job, "__name__", job))
    result.next_due = next_due(session)
    session.commit()
    return result
