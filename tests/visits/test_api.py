"""HTTP tests of the visits and alerts API: every endpoint and its errors, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Alert, ClientAction, Visit
from app.watchdog import engine


def plan(clock, **extra):
    body = {"id": str(uuid.uuid4()), "planned_end": (clock.now() + timedelta(minutes=60)).isoformat(),
            "buddy": "bo", "place": "Vestergade 1"}
    body.update(extra)
    return body


def tick(app, clock):
    with app.app_context():
        engine.tick(_db.session, clock)


@pytest.fixture
def anna(auth):
    auth.login("anna")
    return auth


def test_me_colleagues_and_openapi(client, anna):
    colleagues = client.get("/api/v1/colleagues").get_json()
    assert {c["username"] for c in colleagues} == {"bo", "lene", "ali"}
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    for path in ("/api/v1/visits", "/api/v1/visits/{visit_id}/checkout", "/api/v1/sos",
                 "/api/v1/alerts/{alert_id}/ack", "/api/v1/me/pins"):
        assert path in spec["paths"], path


def test_openapi_lists_every_api_route(app, client, anna):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    import re

    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in documented, (method, path)


def test_create_visit_is_idempotent_by_client_id(client, anna, clock, db):
    body = plan(clock)
    first = anna.post("/api/v1/visits", json=body)
    assert first.status_code == 201, first.get_json()
    visit = first.get_json()
    assert visit["state"] == "active" and visit["buddy"] == "bo" and visit["place"] == "Vestergade 1"
    again = anna.post("/api/v1/visits", json=body)
    assert again.status_code == 200 and again.get_json()["id"] == visit["id"]
    with db as session:
        assert session.execute(select(func.count()).select_from(Visit)).scalar() == 1


@pytest.mark.parametrize("change, code", [
    ({"buddy": "anna"}, "invalid_buddy"),
    ({"buddy": "nobody"}, "invalid_buddy"),
    ({"planned_end": "2020-01-01T10:00:00+00:00"}, "planned_end_past"),
    ({"planned_end": "2026-11-26T10:00:00"}, "invalid"),  # no offset
    ({"place": "Hos borger 010203-1234"}, "cpr_number"),
    ({"place": ""}, "invalid"),
    ({"id": "not-a-uuid"}, "invalid"),
    ({"two_person": True}, "second_colleague_missing"),
    ({"lat": 123}, "invalid"),
])
def test_bad_visits_are_refused_and_change_nothing(client, anna, clock, db, change, code):
    response = anna.post("/api/v1/visits", json=plan(clock, **change))
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"] == code and response.get_json()["message"]
    with db as session:
        assert session.execute(select(func.count()).select_from(Visit)).scalar() == 0


def test_malformed_json_and_missing_csrf(client, anna, clock):
    assert client.post("/api/v1/visits", data="{nope", content_type="application/json",
                       headers=anna.headers()).get_json()["error"] == "invalid_json"
    response = client.post("/api/v1/visits", json=plan(clock))
    assert response.status_code == 400 and response.get_json()["error"] == "csrf_failed"


def test_signed_out_gets_401(client):
    response = client.get("/api/v1/visits/" + str(uuid.uuid4()))
    assert response.status_code == 401 and response.get_json()["error"] == "not_signed_in"


def test_place_is_sealed_until_an_alert(app, client, anna, clock, make_client):
    visit = anna.post("/api/v1/visits", json=plan(clock)).get_json()
    bo, bo_auth = make_client("bo")
    assert bo.get(f"/api/v1/visits/{visit['id']}").status_code == 404  # the buddy sees nothing yet
    assert bo.get("/api/v1/alerts").get_json() == []
    clock.advance(minutes=65)
    tick(app, clock)
    alerts = bo.get("/api/v1/alerts").get_json()
    assert len(alerts) == 1 and alerts[0]["place"] == "Vestergade 1" and alerts[0]["reason"] == "overdue"
    seen = bo.get(f"/api/v1/visits/{visit['id']}").get_json()
    assert seen["place"] == "Vestergade 1" and seen["state"] == "overdue"
    lene, _ = make_client("lene")
    assert lene.get("/api/v1/alerts").get_json() == []  # level 1: only the buddy


def test_extend_checkout_and_errors(client, anna, clock):
    visit = anna.post("/api/v1/visits", json=plan(clock)).get_json()
    vid = visit["id"]
    assert anna.post(f"/api/v1/visits/{vid}/extend", json={"minutes": 0}).status_code == 400
    assert anna.post(f"/api/v1/visits/{vid}/extend", json={"minutes": 241}).status_code == 400
    extended = anna.post(f"/api/v1/visits/{vid}/extend", json={"minutes": 15}).get_json()
    assert extended["planned_end"] > visit["planned_end"]
    closed = anna.post(f"/api/v1/visits/{vid}/checkout", json={})
    assert closed.status_code == 200 and closed.get_json()["state"] == "closed"
    assert anna.post(f"/api/v1/visits/{vid}/checkout", json={}).get_json()["state"] == "closed"
    assert anna.post(f"/api/v1/visits/{vid}/extend", json={"minutes": 5}).status_code == 409
    assert anna.post(f"/api/v1/visits/{uuid.uuid4()}/checkout", json={}).status_code == 404


def test_only_the_worker_changes_a_visit(client, anna, clock, make_client):
    vid = anna.post("/api/v1/visits", json=plan(clock)).get_json()["id"]
    bo, bo_auth = make_client("bo")
    assert bo_auth.post(f"/api/v1/visits/{vid}/checkout", json={}).status_code == 404
    assert bo_auth.post(f"/api/v1/visits/{vid}/extend", json={"minutes": 5}).status_code == 404
    assert bo_auth.post(f"/api/v1/visits/{vid}/location", json={"lat": 1, "lon": 1}).status_code == 404


def test_replayed_offline_checkout_counts_once_and_keeps_the_users_time(client, anna, clock, db):
    vid = anna.post("/api/v1/visits", json=plan(clock)).get_json()["id"]
    acted = (clock.now() + timedelta(minutes=20)).isoformat()
    clock.advance(minutes=40)
    body = {"action_id": "queued-1", "acted_at": acted}
    for _ in range(3):
        assert anna.post(f"/api/v1/visits/{vid}/checkout", json=body).status_code == 200
    with db as session:
        v = session.get(Visit, vid)
        assert v.client_closed_at.isoformat() == acted and v.closed_at == clock.now()
        assert session.execute(select(func.count()).select_from(ClientAction)).scalar() == 1


def test_pins_wrong_pin_and_duress_look_the_same(app, client, anna, clock, make_client, db):
    assert anna.put("/api/v1/me/pins", json={"checkout_pin": "1234", "duress_pin": "1234"}).status_code == 400
    assert anna.put("/api/v1/me/pins", json={"checkout_pin": "12", "duress_pin": "9999"}).status_code == 400
    assert anna.put("/api/v1/me/pins", json={"checkout_pin": "1234", "duress_pin": "9999"}).status_code == 204
    normal = anna.post("/api/v1/visits", json=plan(clock)).get_json()["id"]
    duress = anna.post("/api/v1/visits", json=plan(clock)).get_json()["id"]
    assert anna.post(f"/api/v1/visits/{normal}/checkout", json={}).get_json()["error"] == "wrong_pin"
    assert anna.post(f"/api/v1/visits/{normal}/checkout", json={"pin": "0000"}).status_code == 400
    a = anna.post(f"/api/v1/visits/{normal}/checkout", json={"pin": "1234"})
    b = anna.post(f"/api/v1/visits/{duress}/checkout", json={"pin": "9999"})
    assert a.status_code == b.status_code == 200
    strip = lambda d: {k: v for k, v in d.items() if k not in ("id", "planned_end", "started_at", "closed_at")}  # noqa: E731
    assert strip(a.get_json()) == strip(b.get_json())
    assert client.get("/api/v1/alerts").get_json() == []
    tick(app, clock)
    bo, _ = make_client("bo")
    alerts = bo.get("/api/v1/alerts").get_json()
    assert [x["reason"] for x in alerts] == ["duress"]
    assert client.get(f"/api/v1/alerts/{alerts[0]['id']}").status_code == 404  # never shown to the worker


def test_sos_ack_resolve_flow(app, client, anna, clock, make_client):
    sos = anna.post("/api/v1/sos", json={"lat": 56.15, "lon": 10.2})
    assert sos.status_code == 201
    alert = sos.get_json()
    assert alert["level"] == 2 and alert["reason"] == "sos"
    lene, lene_auth = make_client("lene")
    ali, ali_auth = make_client("ali")
    assert [a["id"] for a in lene.get("/api/v1/alerts").get_json()] == [alert["id"]]
    taken = lene_auth.post(f"/api/v1/alerts/{alert['id']}/ack")
    assert taken.status_code == 200 and taken.get_json()["owner"] == "lene"
    late = ali_auth.post(f"/api/v1/alerts/{alert['id']}/ack")
    assert late.status_code == 409 and late.get_json()["owner"] == "lene"
    assert ali_auth.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"outcome": "maybe"}).status_code == 400
    done = ali_auth.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"outcome": "false_alarm", "note": "ok"})
    assert done.status_code == 200 and done.get_json()["state"] == "resolved"
    assert ali_auth.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"outcome": "safe"}).status_code == 409
    assert lene.get("/api/v1/alerts").get_json() == []


def test_sos_is_idempotent_by_client_id(client, anna, db):
    sid = str(uuid.uuid4())
    assert anna.post("/api/v1/sos", json={"id": sid}).status_code == 201
    assert anna.post("/api/v1/sos", json={"id": sid}).status_code == 200
    with db as session:
        assert session.execute(select(func.count()).select_from(Alert)).scalar() == 1


def test_strangers_get_404_for_alerts(client, anna, clock, make_client, app, db):
    from app.admin.services import create_user
    from app.models import Unit

    with db as session:
        other = Unit(name="Borgerservice Syd")
        session.add(other)
        create_user(session, clock, username="sara", name="Sara Berg", password="demo", role="leader",
                    unit=other)
        session.commit()
    alert = anna.post("/api/v1/sos", json={}).get_json()
    sara, sara_auth = make_client("sara")
    assert sara.get(f"/api/v1/alerts/{alert['id']}").status_code == 404
    assert sara_auth.post(f"/api/v1/alerts/{alert['id']}/ack").status_code == 404
    assert sara.get("/api/v1/alerts").get_json() == []


def test_location_only_during_a_visit_or_alert(client, anna, clock):
    vid = anna.post("/api/v1/visits", json=plan(clock)).get_json()["id"]
    assert anna.post(f"/api/v1/visits/{vid}/location", json={"lat": 56.1, "lon": 10.1, "accuracy": 12}).status_code == 204
    assert anna.post(f"/api/v1/visits/{vid}/location", json={"lat": 91, "lon": 10.1}).status_code == 400
    anna.post(f"/api/v1/visits/{vid}/checkout", json={})
    assert anna.post(f"/api/v1/visits/{vid}/location", json={"lat": 56.1, "lon": 10.1}).status_code == 409
