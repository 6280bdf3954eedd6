"""Who responds to an alert: the one rule, used by queries, views, the ladder and other features.

Level 1: the visit's buddy. Level 2 (and SOS/duress from the start): the buddy plus the leaders and
AMRs of the worker's unit. The worker is never a responder to their own alert (duress is silent)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from app.models import Alert, User, Visit
from app.models.org import RESPONDER_ROLES


def responder_clause(user: User) -> ColumnElement[bool]:
    """SQL condition: `user` is a responder of the Alert row."""
    is_buddy = exists().where(Visit.id == Alert.visit_id, Visit.buddy_id == user.id)
    conditions = [is_buddy]
    if user.role in RESPONDER_ROLES and user.unit_id is not None:
        conditions.append(and_(Alert.level >= 2, Alert.unit_id == user.unit_id))
    return and_(Alert.worker_id != user.id, or_(*conditions))


def is_responder(alert: Alert, user: User) -> bool:
    if alert.worker_id == user.id or not user.active:
        return False
    if alert.visit is not None and alert.visit.buddy_id == user.id:
        return True
    return alert.level >= 2 and user.role in RESPONDER_ROLES and user.unit_id == alert.unit_id


def responders(session: Session, alert: Alert) -> list[User]:
    """Everyone to notify for the alert at its current level."""
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
    """True when `viewer` responds to an open alert raised for `employee_id` (e.g. may open their
    ambulance letter)."""
    return session.execute(
        select(exists().where(Alert.worker_id == employee_id, Alert.state != "resolved", responder_clause(viewer)))
    ).scalar_one()
