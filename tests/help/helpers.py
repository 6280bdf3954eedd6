"""Test data for help: a second unit with its own people, and alerts created straight on the models."""

from __future__ import annotations

import uuid
from datetime import timedelta

from app.admin import services as admin
from app.models import Alert, Unit, Visit

SECOND_UNIT = "Borgerservice Syd"


def second_unit(session, clock) -> Unit:
    """Unit "Borgerservice Syd": leader karl, AMR mette, staff sara; its own crisis line."""
    unit = Unit(name=SECOND_UNIT, crisis_line="70 20 30 40", crisis_line_name="Falck Healthcare")
    session.add(unit)
    session.flush()
    for username, name, role, phone in (
        ("karl", "Karl Berg", "leader", "+45 30 00 00 01"),
        ("mette", "Mette Dahl", "amr", "+45 30 00 00 02"),
        ("sara", "Sara Lund", "staff", "+45 30 00 00 03"),
    ):
        admin.create_user(session, clock, username=username, name=name, password="demo", role=role, unit=unit,
                          phone=phone)
    session.commit()
    return unit


def open_alert(session, clock, worker, *, level: int = 2, buddy=None, reason: str = "sos") -> str:
    """An open alert for `worker`; with `buddy`, on a visit where `buddy` is the buddy."""
    visit_id = None
    if buddy is not None:
        visit = Visit(id=str(uuid.uuid4()), worker_id=worker.id, buddy_id=buddy.id, unit_id=worker.unit_id,
                      state="alarm", started_at=clock.now(), planned_end=clock.now() + timedelta(minutes=30),
                      place="Vestergade 1")
        session.add(visit)
        session.flush()
        visit_id = visit.id
    alert = Alert(id=str(uuid.uuid4()), visit_id=visit_id, worker_id=worker.id, unit_id=worker.unit_id,
                  reason=reason, level=level, state="open", created_at=clock.now())
    session.add(alert)
    session.commit()
    return alert.id


def resolve(session, clock, alert_id: str) -> None:
    alert = session.get(Alert, alert_id)
    alert.state = "resolved"
    alert.resolved_at = clock.now()
    alert.outcome = "safe"
    session.commit()


LETTER = {
    "contacts": [
        {"name": "Peter Jensen", "relation": "Ægtefælle", "phone": "+45 40 50 60 70"},
        {"name": "Grete Jensen", "relation": "Mor", "phone": "86 12 34 56", "phone_alt": "+45 22 33 44 55"},
    ],
    "important_info": "Allergisk over for penicillin.",
}
