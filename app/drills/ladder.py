"""The drill's rules where the ladder decides (called by app/alerts/services.py for an alert with
`drill_id`): what its alarm says, what happens when it is taken, when it ends, and that a real alarm
stops every drill of its unit at once.

- A drill's alert ends for good when someone takes it (there is nothing to resolve in a drill), or
  after its last tier (level 2) has had its acknowledgement time: no repeats of level 2, as a
  real alert has until someone takes it.
- A real alarm in the unit stops its running drills within the same transaction: the people a
  drill alerted are told that alarms from now on are real; the person who raised the real alarm
  is told nothing (a duress alarm stays silent).

Drill alerts are ended with conditional UPDATEs (no version check), so stopping a drill can never
make a real alarm's transaction fail on a row the watchdog changed at the same moment."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.alerts.access import responders
from app.clock import Clock
from app.drills import messages
from app.models import Alert, Drill, TimelineEvent, User
from app.notify.outbox import enqueue

log = logging.getLogger(__name__)
DRILL_TYPE = "test"  # the contract: a drill's push payload has type "test" and drill: true


def _drill(session: Session, alert: Alert) -> Drill:
    return session.get(Drill, alert.drill_id)


def _event(session: Session, clock: Clock, kind: str, alert: Alert, actor_id: int | None = None, **detail) -> None:
    session.add(TimelineEvent(alert_id=alert.id, visit_id=None, actor_id=actor_id, kind=kind, at=clock.now(),
                              hidden_from_worker=False, detail=detail))


def _end(session: Session, alert_ids: list[str], now: datetime, by_id: int | None) -> None:
    """End drill alerts: resolved with no outcome (a drill has none), nothing more to escalate."""
    if not alert_ids:
        return
    session.execute(
        update(Alert).where(Alert.id.in_(alert_ids), Alert.drill_id.is_not(None), Alert.state != "resolved")
        .values(state="resolved", resolved_at=now, resolved_by_id=by_id, next_escalation_at=None,
                version=Alert.version + 1)
        .execution_options(synchronize_session=False)
    )


def _tell(session: Session, clock: Clock, people: list[User], alert: Alert, step: str, payload_for) -> None:
    for person in people:
        enqueue(session, clock, person, type=DRILL_TYPE, step_key=f"alert:{alert.id}:{step}",
                tag=f"alert-{alert.id}", payload=payload_for(person), alert_id=alert.id)


def alarm_message(session: Session, person: User, alert: Alert) -> tuple[str, dict]:
    """(type, payload) of the drill's alarm to `person` at the alert's level."""
    return DRILL_TYPE, messages.alarm(person, alert, _drill(session, alert))


def acknowledged(session: Session, clock: Clock, alert: Alert, user: User) -> None:
    """`user` won the acknowledgement: the others it reached are told who took it; it ends now."""
    drill = _drill(session, alert)
    now = clock.now()
    _event(session, clock, "alert.acknowledged", alert, actor_id=user.id)
    seconds = max(0, round((now - alert.created_at).total_seconds()))
    others = [p for p in responders(session, alert) if p.id != user.id]
    _tell(session, clock, others, alert, "ack", lambda p: messages.acknowledged(p, alert, drill, user, seconds))
    _end(session, [alert.id], now, user.id)
    session.expire(alert)


def end_after_last_tier(session: Session, clock: Clock, alert: Alert) -> None:
    """Level 2 had its time and nobody took it: the drill's alert ends (a real one would repeat)."""
    drill = _drill(session, alert)
    _event(session, clock, "drill.ended", alert, level=alert.level)
    _tell(session, clock, responders(session, alert), alert, "drill-ended", lambda p: messages.ended(p, alert, drill))
    _end(session, [alert.id], clock.now(), None)
    session.expire(alert)


def stop(session: Session, clock: Clock, drill: Drill, *, reason: str, by: User | None = None,
         quiet_for: int | None = None) -> int:
    """End every open alert of `drill` and tell the people they reached (not `quiet_for`)."""
    now = clock.now()
    drill.stopped_at, drill.stop_reason, drill.stopped_by = now, reason, by
    open_alerts = list(session.execute(
        select(Alert).where(Alert.drill_id == drill.id, Alert.state != "resolved")).scalars())
    for alert in open_alerts:
        _event(session, clock, "drill.stopped", alert, actor_id=by.id if by else None, reason=reason)
        people = [p for p in responders(session, alert) if p.id != quiet_for and (by is None or p.id != by.id)]
        _tell(session, clock, people, alert, "drill-stopped",
              lambda p, a=alert: messages.stopped(p, a, drill, real_alarm=reason == "real_alarm"))
    _end(session, [a.id for a in open_alerts], now, by.id if by else None)
    for alert in open_alerts:
        session.expire(alert)
    return len(open_alerts)


def stop_for_real_alarm(session: Session, clock: Clock, alert: Alert) -> bool:
    """A real alarm was raised: stop the unit's running drills. True if one was running."""
    if alert.drill_id is not None or alert.unit_id is None:
        return False
    with session.no_autoflush:  # the real alert is not in the database yet, and need not be
        drill_ids = set(session.execute(
            select(Alert.drill_id).where(Alert.unit_id == alert.unit_id, Alert.drill_id.is_not(None),
                                         Alert.state != "resolved")).scalars())
    for drill_id in sorted(drill_ids):
        drill = session.get(Drill, drill_id)
        stop(session, clock, drill, reason="real_alarm", quiet_for=alert.worker_id)
        log.info("drill %s stopped: a real alarm in its unit", drill_id)
    return bool(drill_ids)


def marked_real(person: User, payload: dict) -> dict:
    return messages.marked_real(person, payload)
