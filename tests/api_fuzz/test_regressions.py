"""What fuzzing /api/v1 found, one test each (all were a 500, or an answer the document did not declare)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.api_fuzz.conftest import signed_in

JSON = {"Content-Type": "application/json"}


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == code and body["message"].strip(), body
    return body


@pytest.fixture
def anna(app):
    client, actions = signed_in(app, "anna")
    return client, {**actions.headers(), **JSON}


@pytest.mark.parametrize("raw", ["[" * 100_000 + "]" * 100_000, '{"a":' * 20_000 + "1" + "}" * 20_000])
def test_json_nested_deeper_than_the_parser_goes_is_a_400(anna, raw):
    # Was: RecursionError out of request.get_json -> 500.
    client, headers = anna
    _error(client.post("/api/v1/sos", data=raw, headers=headers), 400, "invalid_json")


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59+00:00",
                                  "0001-01-01T00:00:00+14:00", "1899-12-31T23:59:59+00:00"])
def test_times_a_datetime_cannot_hold_in_utc_are_a_400(anna, clock, when):
    # Was: OverflowError when the incident was stored (or when +72 h was added for the police deadline).
    client, headers = anna
    body = {"id": str(uuid.uuid4()), "kind": "threat", "context": "phone", "occurred_at": when,
            "place": "Kontoret", "description": "x"}
    answer = _error(client.post("/api/v1/incidents", json=body, headers=headers), 400, "invalid")
    assert answer["fields"][0]["field"] == "occurred_at"
    end = (clock.now() + timedelta(minutes=30)).isoformat()
    visit = {"id": str(uuid.uuid4()), "planned_end": end, "buddy": "bo", "place": "Vej 1", "started_at": when}
    _error(client.post("/api/v1/visits", json=visit, headers=headers), 400, "invalid")


def test_a_time_near_now_with_any_offset_still_works(anna, clock):
    client, headers = anna
    body = {"id": str(uuid.uuid4()), "kind": "threat", "context": "phone", "place": "Kontoret",
            "occurred_at": (clock.now() - timedelta(hours=2)).astimezone().isoformat(), "description": "x"}
    assert client.post("/api/v1/incidents", json=body, headers=headers).status_code == 201


@pytest.mark.parametrize("raw, field", [
    # Was: UnicodeEncodeError (a lone surrogate in a field without length limits) -> 500 on both databases.
    ('{"with_user": "\\ud800"}', "with_user"),
    # Was: "PostgreSQL text fields cannot contain NUL (0x00) bytes" -> 500 on PostgreSQL.
    ('{"with_user": "a\\u0000"}', "with_user"),
    ('{"note": "ok", "reference": "SN\\u0000"}', "reference"),
    ('{"note": "ok", "\\u0000": 1}', ""),
])
def test_nul_and_lone_surrogates_are_refused_before_any_query(app, anna, clock, raw, field):
    client, headers = anna
    incident = {"id": str(uuid.uuid4()), "kind": "threat", "context": "phone", "place": "Kontoret",
                "occurred_at": clock.now().isoformat(), "description": "x"}
    assert client.post("/api/v1/incidents", json=incident, headers=headers).status_code == 201
    _, lene = signed_in(app, "lene")
    lene_client, lene_headers = lene._client, {**lene.headers(), **JSON}
    assert client.post(f"/api/v1/incidents/{incident['id']}/submit", headers=headers).status_code == 200
    answer = _error(lene_client.put(f"/api/v1/incidents/{incident['id']}/checklist/safetynet", data=raw,
                                    headers=lene_headers), 400, "invalid")
    assert answer["fields"][0]["field"] == field


@pytest.mark.parametrize("bad", ['"a\\u0000b"', '"\\ud83d"'])
def test_nul_and_lone_surrogates_in_visit_and_letter_bodies(anna, clock, bad):
    client, headers = anna
    end = (clock.now() + timedelta(hours=1)).isoformat()
    visit = f'{{"id": "{uuid.uuid4()}", "planned_end": "{end}", "buddy": "bo", "place": {bad}}}'
    _error(client.post("/api/v1/visits", data=visit, headers=headers), 400, "invalid")
    letter = f'{{"contacts": [{{"name": "Mor", "phone": "+45 20 30 40 50", "relation": {bad}}}]}}'
    answer = _error(client.put("/api/v1/me/ambulance-letter", data=letter, headers=headers), 400, "invalid")
    assert answer["fields"][0]["field"] == "contacts.0.relation"
    # The same bodies without the bad character are fine.
    assert client.post("/api/v1/visits", data=visit.replace(bad, '"Vej 1"'), headers=headers).status_code == 201
    assert client.put("/api/v1/me/ambulance-letter", data=letter.replace(bad, '"mor"'),
                      headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/visits/%00", "/api/v1/alerts/a%00b/ack", "/api/v1/incidents/%00",
                                  "/api/v1/users/%00/ambulance-letter"])
def test_nul_in_a_path_is_not_found(anna, path):
    # Was: a 500 on PostgreSQL (the id went into a query).
    client, headers = anna
    method = client.post if path.endswith("/ack") else client.get
    _error(method(path, headers=headers), 404, "not_found")


def test_openapi_declares_what_the_endpoints_answer(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    # Idempotent creates answer 200 for a replay (was: only 201 documented).
    for path in ("/api/v1/visits", "/api/v1/incidents", "/api/v1/sos", "/api/v1/push/subscriptions"):
        responses = paths[path]["post"]["responses"]
        assert {"200", "201"} <= set(responses), path
        assert responses["200"]["content"] == responses["201"]["content"], path
    # Check-out and SOS take an empty body (was: documented as required).
    assert paths["/api/v1/visits/{visit_id}/checkout"]["post"]["requestBody"]["required"] is False
    assert paths["/api/v1/sos"]["post"]["requestBody"]["required"] is False
    assert paths["/api/v1/visits"]["post"]["requestBody"]["required"] is True
    # Every operation with a body can answer 413 (MAX_CONTENT_LENGTH); the others cannot.
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert ("413" in operation["responses"]) == ("requestBody" in operation), (method, path)


def test_a_body_over_the_limit_is_413_in_the_contract_shape(anna):
    client, headers = anna
    _error(client.post("/api/v1/sos", data='{"x": "' + "y" * 300_000 + '"}', headers=headers), 413, "too_large")


def test_checkout_and_sos_without_a_body(app, anna, clock):
    client, headers = anna
    plain = {k: v for k, v in headers.items() if k != "Content-Type"}
    visit = {"id": str(uuid.uuid4()), "planned_end": (clock.now() + timedelta(hours=1)).isoformat(),
             "buddy": "bo", "place": "Vej 1"}
    assert client.post("/api/v1/visits", json=visit, headers=headers).status_code == 201
    assert client.post(f"/api/v1/visits/{visit['id']}/checkout", headers=plain).get_json()["state"] == "closed"
    assert client.post("/api/v1/sos", headers=plain).status_code == 201
