"""/api/v1/incidents as in the contract: idempotent create, submit, errors, OpenAPI."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.models import Incident, Notification, OutboxEntry
from tests.incidents.conftest import draft_body


def test_create_is_idempotent_by_client_id(client, auth, db):
    auth.login("anna")
    body = draft_body(created_at="2026-11-26T09:31:00+01:00", involved="Borgeren og hans bror",
                      injury="psychological", absence_expected=True, police="called", alarm_used=True)
    first = auth.post("/api/v1/incidents", json=body)
    assert first.status_code == 201
    data = first.get_json()
    assert data["id"] == body["id"] and data["status"] == "draft" and data["kind"] == "threat"
    assert data["occurred_at"] == "2026-11-26T08:30:00Z" or data["occurred_at"].startswith("2026-11-26T08:30:00")
    assert data["client_created_at"].startswith("2026-11-26T08:31:00")
    assert data["easy_required"] is True and data["easy_deadline"] == "2026-12-05"
    assert data["police"] == "called" and data["alarm_used"] is True and data["injury"] == "psychological"
    again = auth.post("/api/v1/incidents", json={**body, "description": "changed on replay"})
    assert again.status_code == 200
    assert again.get_json()["description"] == data["description"] and again.get_json()["id"] == body["id"]
    with db as session:
        assert session.execute(select(func.count()).select_from(Incident)).scalar_one() == 1


def test_acted_at_is_accepted_as_the_client_time(client, auth):
    auth.login("anna")
    response = auth.post("/api/v1/incidents", json=draft_body(acted_at="2026-11-26T07:00:00+00:00"))
    assert response.status_code == 201 and response.get_json()["client_created_at"].startswith("2026-11-26T07:00")


def test_someone_elses_id_is_a_conflict(make_client):
    body = draft_body()
    _anna, anna = make_client("anna")
    assert anna.post("/api/v1/incidents", json=body).status_code == 201
    _bo, bo = make_client("bo")
    response = bo.post("/api/v1/incidents", json=body)
    assert response.status_code == 409 and response.get_json()["error"] == "id_taken"


def test_bad_input_is_400_with_the_contract_shape(client, auth):
    auth.login("anna")
    for body in (
        draft_body(kind="fight"),
        draft_body(context="street"),
        draft_body(occurred_at="2026-11-26T09:30:00"),  # no offset
        draft_body(id="not-a-uuid"),
        {k: v for k, v in draft_body().items() if k != "place"},
    ):
        response = auth.post("/api/v1/incidents", json=body)
        assert response.status_code == 400, body
        assert set(response.get_json()) >= {"error", "message"}
    response = auth.post("/api/v1/incidents", json=draft_body(description="cpr 010203-1234"))
    assert response.status_code == 400
    assert response.get_json()["error"] == "cpr_number" and response.get_json()["field"] == "description"
    assert "CPR" in response.get_json()["message"]


def test_unauthenticated_and_missing_csrf(client, auth):
    assert client.get("/api/v1/incidents").status_code == 401
    auth.login("anna")
    assert client.post("/api/v1/incidents", json=draft_body()).status_code == 400


def test_patch_draft_then_submit_notifies_once(client, auth, db):
    auth.login("anna")
    body = draft_body()
    auth.post("/api/v1/incidents", json=body)
    patched = client.patch(f"/api/v1/incidents/{body['id']}", json={"witnesses": "Bo", "kind": "violence"},
                           headers=auth.headers())
    assert patched.status_code == 200 and patched.get_json()["witnesses"] == "Bo"
    assert client.patch(f"/api/v1/incidents/{body['id']}", json={"involved": "0102031234"},
                        headers=auth.headers()).status_code == 400
    submitted = auth.post(f"/api/v1/incidents/{body['id']}/submit")
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    assert submitted.get_json()["followup_due_at"].startswith("2026-11-28T09:00")
    # A replay from the offline outbox: 200, nothing sent twice.
    assert auth.post(f"/api/v1/incidents/{body['id']}/submit").status_code == 200
    # No edits after submitting.
    late = client.patch(f"/api/v1/incidents/{body['id']}", json={"witnesses": "Ingen"}, headers=auth.headers())
    assert late.status_code == 409
    with db as session:
        rows = session.execute(select(Notification).where(Notification.type == "incident")).scalars().all()
        assert len(rows) == 2
        assert all(n.payload["title"] == "Ny hændelse: Vold" for n in rows)
        assert session.execute(select(func.count()).select_from(OutboxEntry).where(
            OutboxEntry.channel == "log")).scalar_one() == 2


def test_leader_flow_through_the_api(make_client, make_draft):
    incident_id = make_draft("anna", submit=True)
    _c, lene = make_client("lene")
    base = f"/api/v1/incidents/{incident_id}"
    assert lene.post(f"{base}/transition", json={"to": "registered"}).status_code == 409
    assert lene.post(f"{base}/transition", json={"to": "in_review"}).status_code == 200
    assert lene.put(f"{base}/checklist/safetynet", json={"reference": ""}).status_code == 400
    assert lene.put(f"{base}/checklist/nonsense", json={}).status_code == 404
    response = lene.put(f"{base}/checklist/safetynet", json={"reference": "SN-9", "with_user": "ali"})
    assert response.status_code == 200
    check = response.get_json()["checklist"][0]
    assert check["item"] == "safetynet" and check["done_by"] == "Lene Holm" and check["with_user"] == "Ali Hassan"
    assert check["on_date"] == "2026-11-26"
    comment = lene.post(f"{base}/comments", json={"body": "Hvornår på dagen?"})
    assert comment.status_code == 201 and comment.get_json()["by_author"] is False
    assert lene.post(f"{base}/transition", json={"to": "registered"}).get_json()["status"] == "registered"
    assert lene.post(f"{base}/followup", json={"due_at": "2026-11-27T10:00:00"}).status_code == 400
    assert lene.post(f"{base}/followup", json={"due_at": "2026-11-27T10:00:00+01:00"}).status_code == 200
    anna_client, anna = make_client("anna")
    assert anna.post(f"{base}/transition", json={"to": "closed"}).status_code == 403
    assert anna.post(f"{base}/comments", json={"body": "Om morgenen."}).status_code == 201
    got = anna_client.get(base).get_json()
    assert [c["body"] for c in got["comments"]] == ["Hvornår på dagen?", "Om morgenen."]


def test_unknown_or_invisible_is_404(make_client, make_draft):
    draft_id = make_draft("anna")
    bo_client, bo = make_client("bo")
    for path in (f"/api/v1/incidents/{draft_id}", f"/api/v1/incidents/{uuid.uuid4()}"):
        response = bo_client.get(path)
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert bo.post(f"/api/v1/incidents/{draft_id}/submit").status_code == 404
    _l, lene = make_client("lene")
    assert lene.post(f"/api/v1/incidents/{draft_id}/transition", json={"to": "in_review"}).status_code == 404


def test_endpoints_are_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    paths = doc["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/incidents"])
    assert {"get", "patch"} <= set(paths["/api/v1/incidents/{incident_id}"])
    for path in ("/submit", "/transition", "/comments", "/checklist/{item}", "/followup", "/readers"):
        assert f"/api/v1/incidents/{{incident_id}}{path}" in paths
    kinds = doc["components"]["schemas"]["IncidentCreate"]["properties"]["kind"]["enum"]
    assert kinds == ["threat", "violence", "offensive", "sexual_harassment", "bullying", "near_miss", "accident"]
