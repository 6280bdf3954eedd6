"""Who to call: per unit, on the Hjælp screen and in GET /api/v1/contacts."""

from __future__ import annotations

import re

from app.admin.services import find_user
from app.help import services
from tests.help.helpers import second_unit


def test_contacts_for_the_demo_unit(app, db):
    with db as session:
        anna = find_user(session, "anna")
        contacts = services.contacts_for(session, anna)
    by_role = {}
    for c in contacts:
        by_role.setdefault(c.role, []).append(c)
    assert [(c.name, c.phone) for c in by_role["leader"]] == [("Lene Holm", "+45 20 11 22 03")]
    assert [(c.name, c.phone) for c in by_role["amr"]] == [("Ali Hassan", "+45 20 11 22 04")]
    assert [(c.name, c.phone) for c in by_role["crisis"]] == [("Human House (Trivselsordningen)", "87 10 89 00")]
    assert [c.phone for c in by_role["police"]] == ["112"]
    assert [c.phone for c in by_role["police_service"]] == ["114"]
    # Ali is the demo unit's colleague trained in psychological first aid.
    assert [c.name for c in by_role["first_aid"]] == ["Ali Hassan"]


def test_a_second_unit_has_its_own_leader_and_crisis_line(app, db, clock):
    with db as session:
        second_unit(session, clock)
        find_user(session, "mette").first_aid_trained = True
        find_user(session, "lene").first_aid_trained = True  # another unit: never offered to sara
        session.commit()
        sara = find_user(session, "sara")
        contacts = {(c.role, c.name, c.phone) for c in services.contacts_for(session, sara)}
    assert ("leader", "Karl Berg", "+45 30 00 00 01") in contacts
    assert ("amr", "Mette Dahl", "+45 30 00 00 02") in contacts
    assert ("crisis", "Falck Healthcare", "70 20 30 40") in contacts
    assert ("first_aid", "Mette Dahl", "+45 30 00 00 02") in contacts
    names = {name for _role, name, _phone in contacts}
    assert not names & {"Lene Holm", "Ali Hassan", "Anna Jensen"}
    assert ("crisis", "Human House (Trivselsordningen)", "87 10 89 00") not in contacts


def test_a_user_without_a_unit_still_gets_crisis_line_and_police(app, db, clock):
    from app.admin.services import create_user

    with db as session:
        lone = create_user(session, clock, username="ulla", name="Ulla Uden", password="demo")
        session.commit()
        roles = [(c.role, c.phone) for c in services.contacts_for(session, lone)]
    assert roles == [("crisis", "87 10 89 00"), ("police", "112"), ("police_service", "114")]


def test_inactive_people_and_people_without_a_phone_are_left_out(app, db):
    with db as session:
        find_user(session, "lene").active = False
        find_user(session, "ali").phone = ""
        session.commit()
        roles = {c.role for c in services.contacts_for(session, find_user(session, "anna"))}
    assert "leader" not in roles and "amr" not in roles and "first_aid" not in roles
    assert {"crisis", "police", "police_service"} <= roles


def test_first_aid_colleague_is_not_offered_to_themselves(app, db):
    with db as session:
        ali = find_user(session, "ali")
        assert "first_aid" not in {c.role for c in services.contacts_for(session, ali)}


def test_help_screen_has_one_tap_calls(client, auth):
    auth.login("anna")
    response = client.get("/help/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    hrefs = re.findall(r'href="(tel:[^"]*)" data-role="([a-z_]+)"', html)
    assert ("tel:+4520112203", "leader") in hrefs
    assert ("tel:+4520112204", "amr") in hrefs
    assert ("tel:87108900", "crisis") in hrefs
    assert ("tel:112", "police") in hrefs
    assert ("tel:114", "police_service") in hrefs
    assert ("tel:+4520112204", "first_aid") in hrefs
    assert "Human House" in html and "Psykisk førstehjælp" in html
    # The guideline is one tap away, and the letter too.
    assert 'href="/help/guideline/home-visit"' in html and 'href="/help/ambulance-letter"' in html


def test_help_screen_is_private_cacheable_and_needs_no_form(client, auth):
    auth.login("anna")
    for path in ("/help/", "/help/guideline", "/help/guideline/afterwards"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-cache", path
        assert "<form" not in response.get_data(as_text=True).split('id="main"')[1], path
    # The letter is not for any cache.
    assert client.get("/help/ambulance-letter").headers["Cache-Control"] == "no-store"


def test_help_needs_sign_in(client):
    assert client.get("/help/").status_code == 302
    response = client.get("/api/v1/contacts")
    assert response.status_code == 401 and response.get_json()["error"] == "not_signed_in"


def test_second_unit_sees_its_own_calls(app, client, auth, db, clock):
    with db as session:
        second_unit(session, clock)
    auth.login("sara")
    html = client.get("/help/").get_data(as_text=True)
    assert 'href="tel:+4530000001" data-role="leader"' in html
    assert 'href="tel:70203040" data-role="crisis"' in html
    assert "Lene Holm" not in html and "tel:87108900" not in html
    assert "Ingen i din enhed" in html  # nobody trained in psychological first aid there


def test_api_contacts_shape(client, auth):
    auth.login("anna")
    response = client.get("/api/v1/contacts")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert isinstance(body, list)
    for item in body:
        assert set(item) == {"role", "name", "phone"}
        assert all(isinstance(v, str) and v for v in item.values())
    roles = {item["role"]: item for item in body}
    assert {"leader", "amr", "crisis", "police"} <= set(roles)
    assert roles["leader"] == {"role": "leader", "name": "Lene Holm", "phone": "+45 20 11 22 03"}
    assert roles["amr"]["name"] == "Ali Hassan"
    assert roles["crisis"]["phone"] == "87 10 89 00"
    assert roles["police"]["phone"] == "112"


def test_api_contacts_differ_per_unit(app, client, auth, db, clock, make_client):
    with db as session:
        second_unit(session, clock)
    sara, _ = make_client("sara")
    auth.login("anna")
    anna_leaders = [c["name"] for c in client.get("/api/v1/contacts").get_json() if c["role"] == "leader"]
    sara_body = sara.get("/api/v1/contacts").get_json()
    assert anna_leaders == ["Lene Holm"]
    assert [c["name"] for c in sara_body if c["role"] == "leader"] == ["Karl Berg"]
    assert [c["phone"] for c in sara_body if c["role"] == "crisis"] == ["70 20 30 40"]


def test_openapi_describes_the_help_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    paths = doc["paths"]
    assert "get" in paths["/api/v1/contacts"]
    schema = paths["/api/v1/contacts"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ContactList"}
    assert doc["components"]["schemas"]["ContactList"]["type"] == "array"
    assert {"get", "put"} <= set(paths["/api/v1/me/ambulance-letter"])
    assert "get" in paths["/api/v1/users/{username}/ambulance-letter"]
