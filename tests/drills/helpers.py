"""Shared by the drill tests: people, starting a drill, reading what it wrote."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from app.admin.services import find_user
from app.drills import services
from app.models import Alert, Notification
from app.visits import services as visit_services
from app.watchdog import engine

ACK = 120  # seconds: MAKKER_ACK_TIMEOUT_S's default, the demo unit's timing


def who(session, name):
    return find_user(session, name)


def start(session, clock, starter="lene", **what):
    drill = services.start(session, clock, who(session, starter), services.plan(session, who(session, starter), **what))
    session.commit()
    return drill


def notes(session, **where):
    query = select(Notification).order_by(Notification.created_at, Notification.id)
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return list(session.execute(query).scalars())


def alarms(session) -> list[tuple[str, int]]:
    """(recipient, level) of every drill alarm written so far, in order."""
    return [(n.recipient.username, n.payload["level"]) for n in notes(session, urgent=True)]


def drill_alerts(session, drill) -> list[Alert]:
    session.expire_all()
    return list(session.execute(select(Alert).where(Alert.drill_id == drill.id)).scalars())


def tick(session, clock):
    return engine.tick(session, clock)


def start_visit(session, clock, worker="anna", buddy="bo", minutes=60):
    plan = visit_services.VisitPlan(id=str(uuid.uuid4()), planned_end=clock.now() + timedelta(minutes=minutes),
                                    buddy=who(session, buddy), place="Vestergade 1, 2. th")
    visit, _created = visit_services.start(session, clock, who(session, worker), plan)
    session.commit()
    return visit
