"""Drills over HTTP: the JSON API of the contract, the leader's pages and the drill alarm's own page."""

from __future__ import annotations

import pytest

from app.extensions import db as _db
from app.watchdog import engine


@pytest.fixture
def lene(auth):
    auth.login("lene")
    return auth


def _tick(app, clock):
    with app.app_context():
        engine.tick(_db.session, clock)


def test_post_and_get_a_drill_as_the_contract_says(app, client, lene, clock, make_client):
    created = lene.post("/api/v1/drills", json={"username": "bo"})
    assert created.status_code == 201, created.get_json()
    drill = created.get_json()
    assert drill["state"] == "running" and drill["kind"] == "person" and drill["started_by"] == "lene"
    _tick(app, clock)  # the watchdog sends what the drill wrote to the outbox
    clock.advance(3)
    answer = client.get(f"/api/v1/drills/{drill['id']}")
    assert answer.status_code == 200
    [bo] = answer.get_json()["people"]
    assert {"username", "sent_at", "delivered_at", "acked_at"} <= set(bo)
    assert bo["username"] == "bo" and bo["sent_at"] is not None  # the e-mail sink accepted it
    assert bo["delivered_at"] is None and bo["acked_at"] is None and bo["status"] == "alerted"

    bo_client, bo_auth = make_client("bo")
    [alert] = bo_client.get("/api/v1/alerts").get_json()
    assert alert["drill"] is True
    assert bo_client.get(f"/api/v1/alerts/{alert['id']}").get_json()["drill"] is True
    taken = bo_auth.post(f"/api/v1/alerts/{alert['id']}/ack")
    assert taken.status_code == 200 and taken.get_json()["state"] == "resolved"
    assert bo_client.get("/api/v1/alerts").get_json() == []  # a drill ends when it is taken
    done = client.get(f"/api/v1/drills/{drill['id']}").get_json()
    assert done["state"] == "ended" and done["people"][0]["acked_at"] is not None
    assert done["people"][0]["status"] == "acknowledged"
    refused = bo_auth.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"outcome": "safe"})
    assert refused.status_code == 409


@pytest.mark.parametrize("body, status, code", [
    ({}, 400, "invalid"),
    ({"unit": True, "username": "bo"}, 400, "invalid"),
    ({"worker": "anna"}, 400, "invalid"),
    ({"username": "nobody"}, 404, "not_found"),
    ({"username": "lene"}, 400, "own_phone"),
    ({"username": "admin"}, 400, "cannot_answer"),
    ({"worker": "anna", "buddy": "anna"}, 400, "invalid"),
    ({"username": 7}, 400, "invalid"),
])
def test_bad_drills_are_refused_with_a_clear_error(lene, body, status, code):
    answer = lene.post("/api/v1/drills", json=body)
    assert answer.status_code == status, answer.get_json()
    assert answer.get_json()["error"] == code and answer.get_json()["message"]


def test_staff_may_not_start_or_read_drills(auth, make_client):
    _lene_client, lene = make_client("lene")
    drill = lene.post("/api/v1/drills", json={"unit": True}).get_json()
    auth.login("bo")
    assert auth.post("/api/v1/drills", json={"username": "anna"}).status_code == 403
    assert auth._client.get(f"/api/v1/drills/{drill['id']}").status_code == 403
    assert auth._client.get("/drills/").status_code == 403


def test_a_second_drill_waits_and_a_stopped_one_says_so(lene, client):
    first = lene.post("/api/v1/drills", json={"unit": True}).get_json()
    second = lene.post("/api/v1/drills", json={"worker": "anna", "buddy": "bo"})
    assert second.status_code == 409 and second.get_json()["error"] == "drill_running"
    stopped = lene.post(f"/api/v1/drills/{first['id']}/stop")
    assert stopped.status_code == 200 and stopped.get_json()["state"] == "stopped"
    assert stopped.get_json()["stop_reason"] == "leader"
    assert lene.post(f"/api/v1/drills/{first['id']}/stop").status_code == 409
    assert lene.post("/api/v1/drills", json={"worker": "anna", "buddy": "bo"}).status_code == 201


def test_the_pages_of_a_drill_from_start_to_taken(app, client, lene, clock, make_client):
    index = client.get("/drills/")
    assert index.status_code == 200 and "Start en øvelse for hele enheden" in index.get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert "Alarmstatistik" in home and "/drills/" in home
    started = client.post("/drills/", data={"kind": "person", "person": "bo", "csrf_token": lene.form_token("/drills/")})
    assert started.status_code == 302 and "/drills/" in started.headers["Location"]
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "ØVELSE" in page and "Bo Nielsen" in page and "Stop øvelsen" in page

    bo_client, bo_auth = make_client("bo")
    listing = bo_client.get("/alerts/").get_data(as_text=True)
    assert "pill-drill" in listing and "ØVELSE" in listing
    [alert] = bo_client.get("/api/v1/alerts").get_json()
    shown = bo_client.get(f"/alerts/{alert['id']}")
    assert shown.status_code == 302 and shown.headers["Location"].endswith(f"/drills/answer/{alert['id']}")
    answer = bo_client.get(f"/drills/answer/{alert['id']}").get_data(as_text=True)
    assert "Ingen er i fare" in answer and "Jeg tager den (øvelse)" in answer
    assert "tel:" not in answer and "112" in answer  # it says never to call 112, and offers no call
    clock.advance(14)
    taken = bo_client.post(f"/drills/answer/{alert['id']}/ack", data={"csrf_token": bo_auth.form_token("/")})
    assert taken.status_code == 302
    after = bo_client.get(f"/drills/answer/{alert['id']}").get_data(as_text=True)
    assert "Du tog øvelsen kl." in after and "14 s efter start" in after
    result = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "Tog den" in result and "Stop øvelsen" not in result
    assert client.get("/drills/answer/" + alert["id"]).status_code == 404  # lene is not in this drill


def test_the_alert_pages_hand_a_drill_to_its_own_page(lene, make_client):
    lene.post("/api/v1/drills", json={"username": "bo"})
    bo_client, bo_auth = make_client("bo")
    [alert] = bo_client.get("/api/v1/alerts").get_json()
    assert bo_client.get(f"/alerts/{alert['id']}?ack=1").headers["Location"].endswith(
        f"/drills/answer/{alert['id']}?ack=1")  # the push's "Jeg tager den" fallback
    token = bo_auth.form_token("/")
    moved = bo_client.post(f"/alerts/{alert['id']}/ack", data={"csrf_token": token})
    assert moved.status_code == 307  # a browser repeats the POST, with its token, at the drill's address
    assert bo_client.post(moved.headers["Location"], data={"csrf_token": token}).status_code == 302
    assert "Du tog øvelsen kl." in bo_client.get(f"/drills/answer/{alert['id']}").get_data(as_text=True)


def test_another_units_leader_sees_no_drill(app, lene, make_client):
    from app.admin import services as admin
    from app.models import Unit

    drill = lene.post("/api/v1/drills", json={"unit": True}).get_json()
    with app.app_context():
        south = Unit(name="Jobcenter Syd")
        _db.session.add(south)
        _db.session.flush()
        from app.clock import SystemClock

        admin.create_user(_db.session, SystemClock(), username="sofie", name="Sofie Lund", password="demo",
                          role="leader", unit=south)
        _db.session.commit()
    sofie_client, sofie = make_client("sofie")
    assert sofie_client.get(f"/api/v1/drills/{drill['id']}").status_code == 404
    assert sofie_client.get(f"/drills/{drill['id']}").status_code == 404
    assert sofie.post("/api/v1/drills", json={"username": "bo"}).status_code == 404
