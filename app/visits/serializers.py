"""Visits and alerts as the API shows them to a given reader."""

from __future__ import annotations

from app.models import Alert, User, Visit
from app.visits.schemas import AlertOut, VisitOut
from app.visits.services import place_visible_to


def visit_out(visit: Visit, reader: User) -> dict:
    sealed = not place_visible_to(visit, reader)
    return VisitOut(
        id=visit.id, state=visit.state, planned_end=visit.planned_end, started_at=visit.started_at,
        buddy=visit.buddy.username, buddy_name=visit.buddy.name, worker=visit.worker.username,
        worker_name=visit.worker.name, place=None if sealed else visit.place,
        interrupt_at=visit.interrupt_at, two_person=visit.two_person,
        second_colleague=visit.second_colleague, checklist=visit.checklist or {},
        outside_opening_hours=visit.outside_opening_hours, closed_at=visit.closed_at,
        lat=None if sealed else visit.lat, lon=None if sealed else visit.lon,
    ).model_dump(mode="json")


def alert_out(alert: Alert) -> dict:
    """Only responders ever get an alert, and for them the place is revealed."""
    return AlertOut(
        id=alert.id, visit_id=alert.visit_id, reason=alert.reason, level=alert.level, state=alert.state,
        owner=alert.owner.username if alert.owner else None, owner_name=alert.owner.name if alert.owner else None,
        worker=alert.worker.username, worker_name=alert.worker.name, worker_phone=alert.worker.phone,
        created_at=alert.created_at, acknowledged_at=alert.acknowledged_at, resolved_at=alert.resolved_at,
        outcome=alert.outcome, note=alert.note, place=alert.visit.place if alert.visit else None,
        lat=alert.lat if alert.lat is not None else (alert.visit.lat if alert.visit else None),
        lon=alert.lon if alert.lon is not None else (alert.visit.lon if alert.visit else None),
        location_at=alert.location_at or (alert.visit.location_at if alert.visit else None),
        drill=alert.drill_id is not None,
    ).model_dump(mode="json")
