"""Alerts: raise, escalate, acknowledge, resolve. Plain functions: a session, a clock, users.

Every notification is enqueued in the same transaction as the change that causes it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.alerts.access import is_responder, open_alerts_query, responders
from app.clock import Clock
from app.drills import ladder as drill_ladder
from app.models import Alert, TimelineEvent, User, Visit
from app.notify.outbox import enqueue
from app.visits import messages
from app.visits.ladder import timings_for
from app.watchdog.wakeup import request_wakeup


class AlertError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _event_row(clock: Clock, kind: str, visit_id, alert_id, actor_id, hidden_from_worker: bool,
               at: datetime | None, detail: dict) -> dict:
    return {"visit_id": visit_id, "alert_id": alert_id, "actor_id": actor_id, "kind": kind,
            "at": at or clock.now(), "hidden_from_worker": hidden_from_worker, "detail": detail}


def add_event(session: Session, clock: Clock, kind: str, *, visit_id=None, alert_id=None, actor_id=None,
              hidden_from_worker: bool = False, at: datetime | None = None, **detail) -> None:
    session.add(TimelineEvent(**_event_row(clock, kind, visit_id, alert_id, actor_id, hidden_from_worker, at, detail)))


_INSERT_EVENT = insert(TimelineEvent.__table__)  # built once: values come as parameters


def insert_event(session: Session, clock: Clock, kind: str, *, visit_id=None, alert_id=None, actor_id=None,
                 hidden_from_worker: bool = False, at: datetime | None = None, **detail) -> None:
    """add_event written at once with a plain INSERT, for the hottest paths (check-in): no unit of
    work. The visit or alert it refers to must already be in the database (or flushed)."""
    session.execute(_INSERT_EVENT, _event_row(clock, kind, visit_id, alert_id, actor_id, hidden_from_worker, at,
                                              detail))


def notify_responders(session: Session, clock: Clock, alert: Alert, *, due_at: datetime | None = None,
                      not_a_drill: bool = False) -> int:
    """Alert every responder at the alert's current level; one notification per step and person.
    `not_a_drill`: a drill ran in the unit until this alarm, so its messages say first that it is real."""
    step = f"alert:{alert.id}:l{alert.level}:{alert.escalations}"
    count = 0
    people = responders(session, alert)
    for person in people:
        if alert.drill_id is not None:
            type_, payload = drill_ladder.alarm_message(session, person, alert)
        else:
            type_, payload = "alert", messages.alert(person, alert, repeat=alert.escalations if alert.level >= 2 else 0)
            if not_a_drill:
                payload = drill_ladder.marked_real(person, payload)
        if enqueue(
            session, clock, person, type=type_, step_key=step, tag=f"alert-{alert.id}", payload=payload,
            due_at=due_at, alert_id=alert.id, visit_id=alert.visit_id, urgent=True,
        ):
            count += 1
    add_event(session, clock, "notified", alert_id=alert.id, visit_id=alert.visit_id,
              hidden_from_worker=alert.reason == "duress", level=alert.level, count=count,
              names=[p.name for p in people])
    return count


def raise_alert(
    session: Session, clock: Clock, worker: User, *, reason: str, visit: Visit | None = None,
    lat: float | None = None, lon: float | None = None, accuracy: float | None = None,
    alert_id: str | None = None, client_created_at: datetime | None = None, due_at: datetime | None = None,
) -> Alert:
    now = clock.now()
    # SOS and duress start at level 2; so does an overdue alert whose buddy has lost access meanwhile
    # (app/handover): level 1 would reach nobody.
    level = 1 if reason == "overdue" and (visit is None or visit.buddy.active) else 2
    unit = visit.unit if visit is not None else worker.unit
    alert = Alert(
        # visit_id set explicitly: the events and notifications below read it before any flush.
        id=alert_id or str(uuid.uuid4()), visit=visit, visit_id=visit.id if visit is not None else None,
        worker_id=worker.id, worker=worker,
        unit_id=unit.id if unit else None, reason=reason, level=level, state="open", created_at=now,
        client_created_at=client_created_at, escalated_at=now if level == 2 else None,
        next_escalation_at=now + timings_for(unit).ack_timeout, lat=lat, lon=lon, accuracy=accuracy,
        location_at=now if lat is not None else None,
    )
    session.add(alert)
    add_event(session, clock, f"alert.{reason}", visit_id=alert.visit_id, alert_id=alert.id,
              actor_id=worker.id if reason != "overdue" else None,
              hidden_from_worker=reason == "duress", level=level)
    # A real alarm stops the unit's running drills first, so no phone shows both at once.
    stopped_drill = drill_ladder.stop_for_real_alarm(session, clock, alert)
    notify_responders(session, clock, alert, due_at=due_at, not_a_drill=stopped_drill)
    request_wakeup(session)
    return alert


def escalate(session: Session, clock: Clock, alert: Alert) -> None:
    """Nobody acknowledged in time: go to level 2 (or repeat level 2) and schedule the next round.
    A drill's alert has no round after level 2: it ends (app/drills/ladder.py)."""
    now = clock.now()
    due = alert.next_escalation_at or now
    if alert.drill_id is not None and alert.level >= 2:
        drill_ladder.end_after_last_tier(session, clock, alert)
        return
    if alert.level < 2:
        alert.level = 2
        alert.escalated_at = now
    else:
        alert.escalations += 1
    add_event(session, clock, "alert.escalated", alert_id=alert.id, visit_id=alert.visit_id,
              hidden_from_worker=alert.reason == "duress", level=alert.level, round=alert.escalations)
    alert.next_escalation_at = due + timings_for(alert.unit).ack_timeout
    notify_responders(session, clock, alert, due_at=due)


def visible_alert(session: Session, user: User, alert_id: str) -> Alert:
    """The alert if `user` is one of its responders; 404 otherwise (the worker too: duress is silent)."""
    alert = session.get(Alert, alert_id)
    if alert is None or not is_responder(alert, user):
        raise AlertError(404, "not_found", "No such alert.")
    return alert


def open_alerts_for(session: Session, user: User) -> list[Alert]:
    return list(session.execute(open_alerts_query(user)).scalars())


def count_open_for(session: Session, user: User) -> int:
    from sqlalchemy import func

    return session.execute(
        select(func.count()).select_from(open_alerts_query(user).order_by(None).subquery())
    ).scalar_one()


def acknowledge(session: Session, clock: Clock, alert: Alert, user: User) -> bool:
    """The first responder to acknowledge owns the alert. Returns False if someone else already had it."""
    now = clock.now()
    # A conditional UPDATE decides the race between two responders on every database.
    won = session.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.state == "open")
        .values(state="acknowledged", owner_id=user.id, acknowledged_at=now, next_escalation_at=None,
                version=Alert.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not won:
        session.rollback()
        session.refresh(alert)
        return alert.owner_id == user.id
    session.expire(alert)
    if alert.drill_id is not None:
        drill_ladder.acknowledged(session, clock, alert, user)
        request_wakeup(session)
        return True
    hidden = alert.reason == "duress"
    add_event(session, clock, "alert.acknowledged", alert_id=alert.id, visit_id=alert.visit_id, actor_id=user.id,
              hidden_from_worker=hidden)
    recipients = [p for p in responders(session, alert) if p.id != user.id]
    if not hidden:
        recipients.append(alert.worker)
    for person in recipients:
        enqueue(session, clock, person, type="ack", step_key=f"alert:{alert.id}:ack", tag=f"alert-{alert.id}",
                payload=messages.acknowledged(person, alert), alert_id=alert.id, visit_id=alert.visit_id)
    request_wakeup(session)
    return True


def resolve(session: Session, clock: Clock, alert: Alert, user: User | None, outcome: str, note: str = "",
            *, by_worker: bool = False) -> None:
    if alert.state == "resolved":
        raise AlertError(409, "already_resolved", "The alert is already resolved.")
    if alert.drill_id is not None:
        raise AlertError(409, "drill_alert", "This is a drill: take it (acknowledge); it then ends by itself.")
    now = clock.now()
    alert.state = "resolved"
    alert.outcome = outcome
    alert.note = note
    alert.resolved_at = now
    alert.resolved_by_id = user.id if user else None
    alert.resolved_by = user
    alert.next_escalation_at = None
    if alert.owner_id is None and user is not None and not by_worker:
        alert.owner_id, alert.acknowledged_at = user.id, now
    hidden = alert.reason == "duress"
    add_event(session, clock, "alert.resolved", alert_id=alert.id, visit_id=alert.visit_id,
              actor_id=user.id if user else None, hidden_from_worker=hidden, outcome=outcome, note=note)
    visit = alert.visit
    if visit is not None and visit.state != "closed" and not by_worker:
        # A responder confirmed how it ended: the visit is over.
        visit.state, visit.closed_at, visit.close_kind, visit.next_due_at = "closed", now, "resolved", None
        add_event(session, clock, "visit.closed_by_responder", visit_id=visit.id, actor_id=user.id if user else None)
    recipients = [p for p in responders(session, alert) if user is None or p.id != user.id]
    if not hidden and not by_worker:
        recipients.append(alert.worker)
    for person in recipients:
        enqueue(session, clock, person, type="resolved", step_key=f"alert:{alert.id}:resolved",
                tag=f"alert-{alert.id}", payload=messages.resolved(person, alert), alert_id=alert.id,
                visit_id=alert.visit_id)
    request_wakeup(session)


def update_location(session: Session, clock: Clock, alert: Alert, lat: float, lon: float,
                    accuracy: float | None) -> None:
    alert.lat, alert.lon, alert.accuracy, alert.location_at = lat, lon, accuracy, clock.now()
