"""The ambulance letter: writing it, who may read it (everyone else gets 404), the audit trail shown to
the employee, the yearly review, and refusing CPR numbers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.admin.services import find_user
from app.models import AmbulanceLetter, AuditEntry
from tests.conftest import CSRF_RE
from tests.help.helpers import LETTER, open_alert, resolve, second_unit


def _write_annas_letter(auth):
    auth.login("anna")
    response = auth.put("/api/v1/me/ambulance-letter", json=LETTER)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _reads(session, username="anna"):
    subject = find_user(session, username)
    return session.execute(
        select(AuditEntry).where(AuditEntry.action == "ambulance_letter.read",
                                 AuditEntry.subject_user_id == subject.id)
    ).scalars().all()


def test_write_and_read_my_letter_through_the_api(client, auth, clock):
    body = _write_annas_letter(auth)
    assert body["username"] == "anna" and body["status"] == "ok"
    assert [c["name"] for c in body["contacts"]] == ["Peter Jensen", "Grete Jensen"]
    assert body["contacts"][1]["phone_alt"] == "+45 22 33 44 55"
    assert body["important_info"] == "Allergisk over for penicillin."
    assert body["reviewed_at"] == "2026-11-26T09:00:00+00:00"
    assert body["review_due_at"] == "2027-11-26T09:00:00+00:00"
    again = client.get("/api/v1/me/ambulance-letter").get_json()
    assert again == body


def test_an_empty_letter_reads_as_missing(client, auth):
    auth.login("bo")
    body = client.get("/api/v1/me/ambulance-letter").get_json()
    assert body["status"] == "missing" and body["contacts"] == [] and body["reviewed_at"] is None


def test_a_letter_needs_one_to_three_people(client, auth):
    auth.login("anna")
    assert auth.put("/api/v1/me/ambulance-letter", json={"contacts": []}).status_code == 400
    four = {"contacts": [{"name": f"P{i}", "phone": "12345678"} for i in range(4)]}
    assert auth.put("/api/v1/me/ambulance-letter", json=four).status_code == 400
    bad_phone = {"contacts": [{"name": "Peter", "phone": "ring ham"}]}
    response = auth.put("/api/v1/me/ambulance-letter", json=bad_phone)
    assert response.status_code == 400 and response.get_json()["field"] == "contacts.0.phone"
    assert auth.put("/api/v1/me/ambulance-letter", data="nope", content_type="application/json").status_code == 400
    assert client.get("/api/v1/me/ambulance-letter").get_json()["status"] == "missing"


def test_saving_again_replaces_the_people(client, auth, db):
    _write_annas_letter(auth)
    response = auth.put("/api/v1/me/ambulance-letter",
                        json={"contacts": [{"name": "Ny Person", "phone": "11223344"}]})
    assert [c["name"] for c in response.get_json()["contacts"]] == ["Ny Person"]
    with db as session:
        letters = session.execute(select(AmbulanceLetter)).scalars().all()
        assert len(letters) == 1 and [c.name for c in letters[0].contacts] == ["Ny Person"]


@pytest.mark.parametrize("text", [
    "Mit CPR er 010190-1234",
    "cpr 0101901234",
    "010190 - 1234",
])
def test_cpr_numbers_are_refused_with_a_danish_message(client, auth, text):
    auth.login("anna")
    response = auth.put("/api/v1/me/ambulance-letter", json={**LETTER, "important_info": text})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "cpr_number" and body["field"] == "important_info"
    assert "Skriv ikke CPR-numre" in body["message"]
    assert client.get("/api/v1/me/ambulance-letter").get_json()["status"] == "missing"


def test_cpr_in_a_contact_field_is_refused_but_phone_numbers_are_fine(client, auth):
    auth.login("anna")
    cpr_in_relation = {"contacts": [{"name": "Peter", "relation": "010190-1234", "phone": "12345678"}]}
    response = auth.put("/api/v1/me/ambulance-letter", json=cpr_in_relation)
    assert response.status_code == 400 and response.get_json()["field"] == "contacts.0.relation"
    fine = {**LETTER, "important_info": "Ring evt. min bror på +4520112233 eller 20 11 22 33."}
    assert auth.put("/api/v1/me/ambulance-letter", json=fine).status_code == 200


def test_the_form_refuses_a_cpr_number_in_danish(client, auth, db):
    auth.login("anna")
    token = auth.form_token("/help/ambulance-letter/edit")
    response = client.post("/help/ambulance-letter/edit", data={
        "csrf_token": token,
        "contacts-0-name": "Peter Jensen", "contacts-0-relation": "Ægtefælle", "contacts-0-phone": "40506070",
        "important_info": "CPR 010190-1234",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Skriv ikke CPR-numre (ddmmåå-xxxx eller ti cifre i træk) i ambulancebrevet." in html
    assert 'aria-invalid="true"' in html
    with db as session:
        assert session.execute(select(AmbulanceLetter)).scalar() is None


def test_the_form_writes_the_letter(client, auth):
    auth.login("anna")
    token = auth.form_token("/help/ambulance-letter/edit")
    response = client.post("/help/ambulance-letter/edit", data={
        "csrf_token": token,
        "contacts-0-name": "Peter Jensen", "contacts-0-relation": "Ægtefælle", "contacts-0-phone": "+45 40 50 60 70",
        "contacts-1-name": "", "contacts-1-phone": "",
        "important_info": "Bruger høreapparat.",
    })
    assert response.status_code == 302 and response.headers["Location"].endswith("/help/ambulance-letter")
    html = client.get("/help/ambulance-letter").get_data(as_text=True)
    assert "Peter Jensen" in html and 'href="tel:+4540506070"' in html and "Bruger høreapparat." in html
    assert "Ingen andre har åbnet dit brev." in html
    # The edit form comes back filled in.
    form = client.get("/help/ambulance-letter/edit").get_data(as_text=True)
    assert 'value="Peter Jensen"' in form


def test_the_form_needs_a_phone_for_the_person(client, auth):
    auth.login("anna")
    token = auth.form_token("/help/ambulance-letter/edit")
    response = client.post("/help/ambulance-letter/edit", data={
        "csrf_token": token, "contacts-0-name": "Peter Jensen", "contacts-0-phone": "",
    })
    assert response.status_code == 422
    assert "Skriv et telefonnummer med cifre" in response.get_data(as_text=True)


def test_writing_needs_csrf(client, auth):
    auth.login("anna")
    response = client.put("/api/v1/me/ambulance-letter", json=LETTER)
    assert response.status_code == 400 and response.get_json()["error"] == "csrf_failed"
    response = client.post("/help/ambulance-letter/edit", data={
        "contacts-0-name": "Peter", "contacts-0-phone": "12345678"})
    assert response.status_code == 400
    assert client.post("/help/ambulance-letter/reviewed").status_code == 400
    assert client.get("/api/v1/me/ambulance-letter").get_json()["status"] == "missing"


# --- Who may read it --------------------------------------------------------------------------------

def _api_status(client, username="anna"):
    return client.get(f"/api/v1/users/{username}/ambulance-letter").status_code


def _page_status(client, username="anna"):
    return client.get(f"/help/people/{username}/ambulance-letter").status_code


def test_access_rules(app, client, auth, db, clock, make_client):
    with db as session:
        second_unit(session, clock)
    _write_annas_letter(auth)
    assert client.get("/api/v1/me/ambulance-letter").status_code == 200
    # The employee's own page; their own reads are never audited.
    assert _page_status(client) == 302

    lene, _ = make_client("lene")  # the leader of anna's unit
    body = lene.get("/api/v1/users/anna/ambulance-letter").get_json()
    assert body["contacts"][0]["name"] == "Peter Jensen"
    page = lene.get("/help/people/anna/ambulance-letter")
    assert page.status_code == 200 and "Peter Jensen" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"

    for other in ("karl", "ali", "bo", "sara", "admin"):  # leader elsewhere, AMR, peers, administrator
        c, _ = make_client(other)
        assert _api_status(c) == 404, other
        assert _page_status(c) == 404, other
        response = c.get("/api/v1/users/anna/ambulance-letter")
        assert response.get_json()["error"] == "not_found"
    assert _api_status(lene, "nobody-here") == 404
    assert _api_status(lene, "karl") == 404  # a leader of another unit's member

    with db as session:
        reads = _reads(session)
        assert [find_user(session, "lene").id] * 2 == [r.actor_id for r in reads]


def test_responders_of_an_open_alert_may_read_until_it_is_resolved(app, client, auth, db, clock, make_client):
    _write_annas_letter(auth)
    ali, _ = make_client("ali")  # the unit's AMR: a responder from level 2
    bo, _ = make_client("bo")
    assert _api_status(ali) == 404 and _api_status(bo) == 404

    with db as session:
        sos = open_alert(session, clock, find_user(session, "anna"), level=2)
    assert _api_status(ali) == 200 and _page_status(ali) == 200
    assert _api_status(bo) == 404  # not the buddy of this alert's visit

    with db as session:
        overdue = open_alert(session, clock, find_user(session, "anna"), level=1, buddy=find_user(session, "bo"),
                             reason="overdue")
    assert _api_status(bo) == 200  # the visit's buddy

    with db as session:
        resolve(session, clock, sos)
        resolve(session, clock, overdue)
    assert _api_status(ali) == 404 and _page_status(ali) == 404
    assert _api_status(bo) == 404

    with db as session:
        actors = sorted(r.actor.username for r in _reads(session))
    assert actors == ["ali", "ali", "bo"]
    # An alert for somebody else opens nothing of anna's.
    with db as session:
        open_alert(session, clock, find_user(session, "bo"), level=2)
    assert _api_status(ali) == 404 and _api_status(ali, "bo") == 200


def test_the_employee_sees_who_read_the_letter(app, client, auth, clock, make_client, db):
    _write_annas_letter(auth)
    clock.advance(minutes=32)  # 10:32 in Copenhagen
    lene, _ = make_client("lene")
    assert lene.get("/help/people/anna/ambulance-letter").status_code == 200
    html = client.get("/help/ambulance-letter").get_data(as_text=True)
    assert "Lene Holm læste dit ambulancebrev 26. nov. 10:32" in html
    assert "Ingen andre har åbnet dit brev." not in html
    with db as session:
        entry = _reads(session)[0]
        assert entry.actor_id == find_user(session, "lene").id and entry.object_type == "ambulance_letter"
    # Others' letters pages never list reads; bo does not see anna's trail.
    bo, _ = make_client("bo")
    assert "Lene Holm læste" not in bo.get("/help/ambulance-letter").get_data(as_text=True)


def test_a_leader_reading_a_missing_letter_is_still_audited(app, auth, db, make_client):
    lene, _ = make_client("lene")
    response = lene.get("/api/v1/users/bo/ambulance-letter")
    assert response.status_code == 200 and response.get_json()["status"] == "missing"
    assert "Bo har ikke udfyldt et ambulancebrev." in lene.get("/help/people/bo/ambulance-letter").get_data(as_text=True)
    with db as session:
        assert len(_reads(session, "bo")) == 2


# --- Asked at first sign-in, reviewed every 12 months ------------------------------------------------

PROMPT_MISSING = "Udfyld dit ambulancebrev"
PROMPT_DUE = "Er oplysningerne stadig rigtige?"


def test_home_asks_for_the_letter_until_it_is_written(client, auth):
    auth.login("anna")
    home = client.get("/").get_data(as_text=True)
    assert PROMPT_MISSING in home and 'href="/help/ambulance-letter/edit"' in home
    auth.put("/api/v1/me/ambulance-letter", json=LETTER)
    home = client.get("/").get_data(as_text=True)
    assert PROMPT_MISSING not in home and PROMPT_DUE not in home


def test_review_reminder_after_twelve_months(client, auth, clock, make_client):
    _write_annas_letter(auth)
    clock.advance(days=364)
    auth.login("anna")  # a year later the old sign-in has expired
    assert PROMPT_DUE not in client.get("/").get_data(as_text=True)
    clock.advance(days=2)  # 366 days after writing it
    home = client.get("/").get_data(as_text=True)
    assert PROMPT_DUE in home
    assert client.get("/api/v1/me/ambulance-letter").get_json()["status"] == "due"
    lene, _ = make_client("lene")
    overview = lene.get("/help/ambulance-letters").get_data(as_text=True)
    anna_row = overview.split("Anna Jensen")[1].split("</li>")[0]
    assert "Skal tjekkes" in anna_row

    # "Reviewed, still correct" from the home screen's card.
    token = CSRF_RE.search(home).group(1)
    response = client.post("/help/ambulance-letter/reviewed", data={"csrf_token": token, "next": "home"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert PROMPT_DUE not in client.get("/").get_data(as_text=True)
    body = client.get("/api/v1/me/ambulance-letter").get_json()
    assert body["status"] == "ok" and body["reviewed_at"].startswith("2027-11-27")
    assert body["updated_at"].startswith("2026-11-26")  # reviewing does not change the contents


def test_reviewed_through_the_api(client, auth, clock):
    auth.login("anna")
    assert auth.post("/api/v1/me/ambulance-letter/reviewed").status_code == 404  # nothing to review yet
    auth.put("/api/v1/me/ambulance-letter", json=LETTER)
    clock.advance(days=400)
    auth.login("anna")
    body = auth.post("/api/v1/me/ambulance-letter/reviewed").get_json()
    assert body["status"] == "ok" and body["reviewed_at"] == clock.now().isoformat()


def test_leaders_list_their_units_letters(app, client, auth, clock, db, make_client):
    with db as session:
        second_unit(session, clock)
    _write_annas_letter(auth)
    lene, _ = make_client("lene")
    response = lene.get("/help/ambulance-letters")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Anna Jensen" in html and "Bo Nielsen" in html and "Karl Berg" not in html
    assert 'href="/help/people/bo/ambulance-letter"' in html
    assert "Opdateret" in html.split("Anna Jensen")[1].split("</li>")[0]
    assert "Ikke udfyldt" in html.split("Bo Nielsen")[1].split("</li>")[0]
    # Missing and overdue come first.
    assert html.index("Bo Nielsen") < html.index("Anna Jensen")
    with db as session:
        assert _reads(session) == []  # the overview shows no contents, so nothing is read
    assert client.get("/help/ambulance-letters").status_code == 403  # anna is staff
    ali, _ = make_client("ali")
    assert ali.get("/help/ambulance-letters").status_code == 403


def test_settings_links_to_the_letter(client, auth):
    auth.login("anna")
    html = client.get("/settings/").get_data(as_text=True)
    assert 'id="ambulance-letter"' in html and 'href="/help/ambulance-letter"' in html and "Ikke udfyldt" in html
