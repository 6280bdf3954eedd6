"""Helpers for the incident tests: people of a second unit, drafts made through the API."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.admin import services as admin_services
from app.models import Alert, Unit, Visit


@pytest.fixture
def other_unit(app, clock):
    """Unit "Borgerservice Syd" with a leader (sara) and a staff member (sune)."""
    from app.extensions import db

    with app.app_context():
        unit = Unit(name="Borgerservice Syd")
        db.session.add(unit)
        db.session.flush()
        for username, name, role in (("sara", "Sara Lund", "leader"), ("sune", "Sune Berg", "staff")):
            admin_services.create_user(db.session, clock, username=username, name=name, password="demo",
                                       role=role, unit=unit)
        db.session.commit()
        return unit.id


def draft_body(**overrides) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "kind": "threat",
        "context": "in_person",
        "occurred_at": "2026-11-26T09:30:00+01:00",
        "place": "Borgerens hjem, Vestergade",
        "description": "Borgeren råbte og truede med at slå.",
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_draft(make_client):
    """Create (and optionally submit) an incident as `username` through the JSON API; returns its id."""

    def _make(username: str = "anna", submit: bool = False, **overrides) -> str:
        c, actions = make_client(username)
        body = draft_body(**overrides)
        response = actions.post("/api/v1/incidents", json=body)
        assert response.status_code == 201, response.get_json()
        if submit:
            assert actions.post(f"/api/v1/incidents/{body['id']}/submit").status_code == 200
        return body["id"]

    return _make


def add_visit_with_alert(session, clock, worker, buddy, *, level: int = 2, with_alert: bool = True):
    now = clock.now()
    visit = Visit(id=str(uuid.uuid4()), worker_id=worker.id, buddy_id=buddy.id, unit_id=worker.unit_id,
                  started_at=now - timedelta(hours=1), planned_end=now - timedelta(minutes=10),
                  place="Nørregade 4, 2. tv.")
    session.add(visit)
    alert = None
    if with_alert:
        alert = Alert(id=str(uuid.uuid4()), visit=visit, worker_id=worker.id, unit_id=worker.unit_id,
                      reason="sos", level=level, created_at=now - timedelta(minutes=5))
        session.add(alert)
    session.commit()
    return visit.id, alert.id if alert else None
