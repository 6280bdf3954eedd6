"""Who responds to an alert: the one rule, used by queries, views, the ladder and other features.

Level 1: the visit's buddy. Level 2 (and SOS/duress from the start): the buddy plus the leaders and
AMRs of the worker's unit. The worker is never a responder to their own alert (duress is silent).

A drill's alert (app/drills) has no visit and no unit-wide rule: it reaches exactly the people its
drill wrote down (`DrillPerson`), each from their tier on. A drill never makes anyone a responder to
a real alert, and real-alert privileges (the ambulance letter) never follow from a drill."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, object_session

from app.models import Alert, DrillPerson, User, Visit
from app.models.org import RESPONDER_ROLES

REAL = Alert.drill_id.is_(None)  # SQL: not a drill's alert


def _drill_member(user_id: int) -> ColumnElement[bool]:
    return exists().where(DrillPerson.alert_id == Alert.id, DrillPerson.user_id == user_id,
                          DrillPerson.tier <= Alert.level, DrillPerson.skipped == "")


def responder_clause(user: User) -> ColumnElement[bool]:
    """SQL condition: `user` is a responder of the Alert row."""
    is_buddy = exists().where(Visit.id == Alert.visit_id, Visit.buddy_id == user.id)
    conditions = [is_buddy, _drill_member(user.id)]
    if user.role in RESPONDER_ROLES and user.unit_id is not None:
        conditions.append(and_(Alert.level >= 2, Alert.unit_id == user.unit_id, REAL))
    return and_(Alert.worker_id != user.id, or_(*conditions))


def is_responder(alert: Alert, user: User) -> bool:
    if alert.worker_id == user.id or not user.active:
        return False
    if alert.drill_id is not None:
        session = object_session(alert)
        return session is not None and session.execute(
            select(DrillPerson.id).where(DrillPerson.alert_id == alert.id, DrillPerson.user_id == user.id,
                                         DrillPerson.tier <= alert.level, DrillPerson.skipped == "").limit(1)
        ).first() is not None
    if alert.visit is not None and alert.visit.buddy_id == user.id:
        return True
    return alert.level >= 2 and user.role in RESPONDER_ROLES and user.unit_id == alert.unit_id


def _drill_responders(session: Session, alert: Alert) -> list[User]:
    """A drill's people at the alert's level, minus anyone out on a visit now (a drill never rings a
    phone in front of a citizen)."""
    on_visit = exists().where(Visit.worker_id == User.id, Visit.state != "closed")
    return list(session.execute(
        select(User).join(DrillPerson, DrillPerson.user_id == User.id)
        .where(DrillPerson.alert_id == alert.id, DrillPerson.tier <= alert.level, DrillPerson.skipped == "",
               User.active.is_(True), User.id != alert.worker_id, ~on_visit)
        .order_by(User.name)
    ).scalars())


def responders(session: Session, alert: Alert) -> list[User]:
    """Everyone to notify for the alert at its current level."""
    if alert.drill_id is not None:
        return _drill_responders(session, alert)
    people: dict[int, User] = {}
    if alert.visit is not None and alert.visit.buddy.active:
        people[alert.visit.buddy_id] = alert.visit.buddy
    if alert.level >= 2 and alert.unit_id is not None:
        for user in session.execute(
            select(User).where(
                User.unit_id == alert.unit_id, User.role.in_(RESPONDER_ROLES), User.active.is_(True)
            )
        ).scalars():
            people[user.id] = user
    people.pop(alert.worker_id, None)
    return sorted(people.values(), key=lambda u: u.name)


def open_alerts_query(user: User):
    return select(Alert).where(Alert.state != "resolved", responder_clause(user)).order_by(Alert.created_at.desc())


def is_responder_for_open_alert_of(session: Session, viewer: User, employee_id: int) -> bool:
    """True when `viewer` responds to an open real alert raised for `employee_id` (e.g. may open their
    ambulance letter). A drill never counts."""
    return session.execute(
        select(exists().where(Alert.worker_id == employee_id, Alert.state != "resolved", REAL,
                              responder_clause(viewer)))
    ).scalar_one()
