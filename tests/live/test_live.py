"""The live core (app/live): GET /live answers each topic's token with an ETag (304 when unchanged),
and each token moves exactly when what that person would see moves. SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from app.extensions import db as _db
from app.watchdog import engine


def _plan(clock, **extra):
    body = {"id": str(uuid.uuid4()), "planned_end": (clock.now() + timedelta(minutes=30)).isoformat(),
            "buddy": "bo", "place": "Vestergade 1"}
    return body | extra


def _tokens(client, topics="visit,alerts,inbox"):
    response = client.get(f"/live?topics={topics}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def people(make_client):
    anna, anna_auth = make_client("anna")
    bo, bo_auth = make_client("bo")
    lene, lene_auth = make_client("lene")
    return {"anna": (anna, anna_auth), "bo": (bo, bo_auth), "lene": (lene, lene_auth)}


def test_signed_out_gets_the_contract_401(client):
    response = client.get("/live?topics=visit")
    assert response.status_code == 401
    assert response.get_json()["error"] == "not_signed_in"


def test_etag_answers_304_until_something_changes(people, clock):
    anna, anna_auth = people["anna"]
    first = anna.get("/live?topics=visit,alerts,inbox")
    assert first.status_code == 200
    assert set(first.get_json()) == {"visit", "alerts", "inbox"}
    assert first.headers["Cache-Control"] == "no-store"
    etag = first.headers["ETag"]
    again = anna.get("/live?topics=visit,alerts,inbox", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert anna_auth.post("/api/v1/visits", json=_plan(clock)).status_code == 201
    moved = anna.get("/live?topics=visit,alerts,inbox", headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.headers["ETag"] != etag


def test_unknown_topics_are_ignored(people):
    anna, _ = people["anna"]
    assert _tokens(anna, "visit,nonsense,,alerts").keys() == {"visit", "alerts"}
    assert anna.get("/live").get_json() == {}


def test_the_ladder_moves_the_right_peoples_tokens(app, people, clock):
    """Worker and buddy each see the steps that concern them: overdue, taken, resolved."""
    anna, anna_auth = people["anna"]
    bo, bo_auth = people["bo"]
    lene, _ = people["lene"]
    visit = anna_auth.post("/api/v1/visits", json=_plan(clock)).get_json()
    before = {name: _tokens(c) for name, (c, _) in people.items()}

    clock.advance(30 * 60 + app.config["GRACE_S"] + 1)
    with app.app_context():
        engine.tick(_db.session, clock)
    overdue = {name: _tokens(c) for name, (c, _) in people.items()}
    assert overdue["anna"]["visit"] != before["anna"]["visit"]  # her screen: "Bo has been alerted"
    assert overdue["bo"]["alerts"] != before["bo"]["alerts"]  # level 1: the buddy
    assert overdue["lene"]["alerts"] == before["lene"]["alerts"]  # not yet the leader
    assert overdue["bo"]["inbox"] != before["bo"]["inbox"]  # the alert notification

    alert_id = bo.get("/api/v1/alerts").get_json()[0]["id"]
    assert bo_auth.post(f"/api/v1/alerts/{alert_id}/ack").status_code == 200
    taken = {name: _tokens(c) for name, (c, _) in people.items()}
    assert taken["anna"]["visit"] != overdue["anna"]["visit"]  # "Bo has seen the alert"
    assert taken["bo"]["alerts"] != overdue["bo"]["alerts"]

    assert anna_auth.post(f"/api/v1/visits/{visit['id']}/checkout", json={}).status_code == 200
    done = {name: _tokens(c) for name, (c, _) in people.items()}
    assert done["anna"]["visit"] != taken["anna"]["visit"]
    assert done["bo"]["alerts"] != taken["bo"]["alerts"]  # resolved: gone from bo's open alerts


def test_a_duress_alarm_never_moves_the_workers_tokens(people, clock):
    anna, anna_auth = people["anna"]
    lene, lene_auth = people["lene"]
    assert anna_auth.put("/api/v1/me/pins", json={"checkout_pin": "1234", "duress_pin": "4321"}).status_code == 204
    visit = anna_auth.post("/api/v1/visits", json=_plan(clock)).get_json()
    answer = anna_auth.post(f"/api/v1/visits/{visit['id']}/checkout", json={"pin": "4321"})
    assert answer.status_code == 200 and answer.get_json()["state"] == "closed"
    after_checkout = _tokens(anna)
    alerts = lene.get("/api/v1/alerts").get_json()
    assert [a["reason"] for a in alerts] == ["duress"]
    assert lene_auth.post(f"/api/v1/alerts/{alerts[0]['id']}/ack").status_code == 200
    assert lene_auth.post(f"/api/v1/alerts/{alerts[0]['id']}/resolve",
                          json={"outcome": "safe", "note": "ringet op"}).status_code == 200
    assert _tokens(anna) == after_checkout


def test_an_sos_without_a_visit_is_on_the_workers_visit_topic(people):
    anna, anna_auth = people["anna"]
    lene, lene_auth = people["lene"]
    before = _tokens(anna)["visit"]
    alert = anna_auth.post("/api/v1/sos", json={}).get_json()
    raised = _tokens(anna)["visit"]
    assert raised != before
    assert lene_auth.post(f"/api/v1/alerts/{alert['id']}/ack").status_code == 200
    assert _tokens(anna)["visit"] != raised  # "Lene has seen your alarm"


def test_the_badge_region_renders_the_token_that_live_answers(people, clock):
    lene, _ = people["lene"]
    anna, anna_auth = people["anna"]
    anna_auth.post("/api/v1/sos", json={})
    html = lene.get("/").get_data(as_text=True)
    token = re.search(r'data-live="alerts" data-live-token="([0-9a-f]*)"', html).group(1)
    assert token == _tokens(lene, "alerts")["alerts"]
    badge = lene.get("/alerts/badge", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'data-live-token="{token}"' in badge and 'id="alerts-badge"' in badge


def test_poll_limit_is_per_person_not_per_address(app, people):
    """A town hall's staff share one address: one person's polling never limits another's."""
    anna, _ = people["anna"]
    bo, _ = people["bo"]
    for _ in range(120):
        assert anna.get("/live?topics=inbox").status_code in (200, 304)
    assert anna.get("/live?topics=inbox").status_code == 429
    assert bo.get("/live?topics=inbox").status_code == 200
