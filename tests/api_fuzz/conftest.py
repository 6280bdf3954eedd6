"""Fixtures for fuzzing /api/v1 from its own OpenAPI document: an app without rate limits (the fuzzer
sends hundreds of requests a minute as one person) and a few real objects for path parameters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from app.extensions import limiter
from tests.conftest import AuthActions


@pytest.fixture
def app_config(app_config):
    # The limiter counts in real time, not on the FakeClock: with it on, the check-out PIN limit
    # (12 a minute) would turn most of the fuzzing into 429s. The limits have their own tests.
    return {**app_config, "RATELIMIT_ENABLED": False}


@pytest.fixture(autouse=True)
def _restore_limiter():
    # Flask-Limiter keeps `enabled` on the one shared Limiter object: put it back for later apps.
    before = limiter.enabled
    yield
    limiter.enabled = before


@dataclass
class Seeded:
    """Ids of real objects, by path parameter name; the fuzzer sends them now and then."""

    path_values: dict[str, list[str]] = field(default_factory=dict)
    usernames: list[str] = field(default_factory=list)
    visit_ids: list[str] = field(default_factory=list)
    alert_ids: list[str] = field(default_factory=list)


def _ok(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True))
    return response.get_json(silent=True)


def signed_in(app, username: str):
    client = app.test_client()
    actions = AuthActions(client)
    actions.login(username)
    assert actions.csrf_token, f"{username} could not sign in"
    return client, actions


@pytest.fixture
def seeded(app, clock) -> Seeded:
    """Through the API itself: visits of anna (buddy bo) and lene, lene's drill for bo, an SOS alert on
    one of anna's visits and one without a visit, anna's incident drafts and a submitted one, anna's
    ambulance letter."""
    _, anna = signed_in(app, "anna")
    _, lene = signed_in(app, "lene")
    end = (clock.now() + timedelta(minutes=60)).isoformat()
    visits = []
    for who, buddy, place in ((anna, "bo", "Vestergade 1"), (anna, "lene", "Nørregade 2"),
                              (anna, "bo", "Søndergade 3"), (lene, "anna", "Østergade 4")):
        body = {"id": str(uuid.uuid4()), "planned_end": end, "buddy": buddy, "place": place}
        visits.append(_ok(who.post("/api/v1/visits", json=body), 201)["id"])
    drill = _ok(lene.post("/api/v1/drills", json={"username": "bo"}), 201)["id"]  # the SOS below stops it
    alerts = [
        _ok(anna.post("/api/v1/sos", json={"visit_id": visits[2], "lat": 56.1, "lon": 10.2}), 201)["id"],
        _ok(anna.post("/api/v1/sos", json={}), 201)["id"],
    ]
    incidents = []
    for n in range(3):
        body = {"id": str(uuid.uuid4()), "kind": "threat", "context": "in_person",
                "occurred_at": (clock.now() - timedelta(hours=n + 1)).isoformat(), "place": "Kontoret",
                "description": f"Truede med at slå ({n})", "visit_id": visits[0]}
        incidents.append(_ok(anna.post("/api/v1/incidents", json=body), 201)["id"])
    _ok(anna.post(f"/api/v1/incidents/{incidents[2]}/submit"), 200)
    _ok(anna.put("/api/v1/me/ambulance-letter",
                 json={"contacts": [{"name": "Mor", "relation": "mor", "phone": "+45 20 30 40 50"}]}), 200)
    from app.models.incidents import CHECK_ITEMS

    unknown = str(uuid.uuid4())
    usernames = ["anna", "bo", "lene", "ali", "admin", "nobody"]
    return Seeded(
        path_values={
            "visit_id": [*visits, unknown],
            "alert_id": [*alerts, unknown],
            "incident_id": [*incidents, unknown],
            "username": usernames,
            "item": [*CHECK_ITEMS, "unknown_item"],
            "drill_id": [drill, unknown],
        },
        usernames=usernames,
        visit_ids=visits,
        alert_ids=alerts,
    )
