"""Units: create, edit (hours, escalation timings, phone numbers), and choosing leaders and AMRs."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from app.models import AuditEntry, Unit, User
from tests.admin.conftest import UNIT_FORM


def _unit(session, name: str = "Jobcenter Nord") -> Unit:
    return session.execute(select(Unit).where(Unit.name == name)).scalar_one()


def _user(session, username: str) -> User:
    return session.execute(select(User).where(User.username == username)).scalar_one()


def test_unit_page_shows_settings_leaders_and_amrs(admin, db):
    with db as session:
        unit_id = _unit(session).id
    html = admin.get(f"/admin/units/{unit_id}").get_data(as_text=True)
    assert '<dd id="unit-leaders">Lene Holm</dd>' in html
    assert '<dd id="unit-amrs">Ali Hassan</dd>' in html
    assert 'value="08:00"' in html and 'value="16:00"' in html and 'value="87 10 89 00"' in html
    assert "Standard: 300 sekunder." in html  # the deployment default is shown for blank timings
    assert "Mandag" in html and "Søndag" in html


def test_edit_unit(admin, db):
    with db as session:
        unit_id = _unit(session).id
    data = {**UNIT_FORM, "opens_at": "07:30", "closes_at": "15:00", "open_weekdays": ["1", "2", "3", "4"],
            "reminder_before_s": "600", "grace_s": "120", "ack_timeout_s": "90", "crisis_line": "70 20 12 01",
            "crisis_line_name": "Kommunens krisetelefon", "police_service": "114", "easy_deadline_days": "7",
            "follow_up_after_days": "3"}
    data.pop("sms_for_level2")
    response = admin.post(f"/admin/units/{unit_id}", data=data)
    assert response.status_code == 303
    with db as session:
        unit = _unit(session)
        assert (unit.opens_at, unit.closes_at, unit.open_weekdays) == (time(7, 30), time(15, 0), "1234")
        assert (unit.reminder_before_s, unit.grace_s, unit.ack_timeout_s) == (600, 120, 90)
        assert (unit.crisis_line, unit.crisis_line_name) == ("70 20 12 01", "Kommunens krisetelefon")
        assert unit.sms_for_level2 is False
        assert (unit.easy_deadline_days, unit.follow_up_after_days) == (7, 3)
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "unit.update")).scalar_one()
        assert entry.object_id == str(unit_id) and entry.actor_id == _user(session, "admin").id
        assert "grace_s" in entry.detail["changed"] and "name" not in entry.detail["changed"]
    # Blank timings go back to the deployment default (NULL).
    assert admin.post(f"/admin/units/{unit_id}", data=UNIT_FORM).status_code == 303
    with db as session:
        unit = _unit(session)
        assert (unit.reminder_before_s, unit.grace_s, unit.ack_timeout_s) == (None, None, None)
        assert unit.sms_for_level2 is True and unit.open_weekdays == "12345"


def test_invalid_unit_form_answers_422_in_danish(admin, db):
    with db as session:
        unit_id = _unit(session).id
    response = admin.post(f"/admin/units/{unit_id}", data={
        **UNIT_FORM, "opens_at": "16:00", "closes_at": "08:00", "open_weekdays": [], "grace_s": "soon",
        "ack_timeout_s": "-5", "easy_deadline_days": "0", "crisis_line": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Enheden skal lukke efter, den åbner.", "Vælg mindst én ugedag.", "Skriv et helt tal.",
                    "Mellem 0 og 86400 sekunder.", "Mellem 1 og 365 dage.", "Udfyld dette felt."):
        assert message in html, message
    response = admin.post(f"/admin/units/{unit_id}", data={**UNIT_FORM, "opens_at": "8 o'clock",
                                                           "open_weekdays": ["1", "9"]})
    assert response.status_code == 422
    assert "Skriv et klokkeslæt som 08:00." in response.get_data(as_text=True)
    with db as session:
        unit = _unit(session)
        assert unit.opens_at == time(8, 0) and unit.grace_s is None
        assert not session.execute(select(AuditEntry).where(AuditEntry.action == "unit.update")).scalars().all()


def test_create_unit_and_refuse_a_duplicate_name(admin, db):
    page = admin.get("/admin/units/new").get_data(as_text=True)
    assert 'value="08:00"' in page and 'value="112"' in page  # the model's defaults are filled in
    response = admin.post("/admin/units/new", data={**UNIT_FORM, "name": "Ydelsescenter Syd"})
    assert response.status_code == 303
    with db as session:
        unit = _unit(session, "Ydelsescenter Syd")
        assert unit.active and unit.open_weekdays == "12345" and unit.easy_deadline_days == 9
        assert response.headers["Location"] == f"/admin/units/{unit.id}"
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "unit.create")).scalar_one()
        assert entry.object_id == str(unit.id)
    response = admin.post("/admin/units/new", data={**UNIT_FORM, "name": "Jobcenter Nord"})
    assert response.status_code == 422
    assert "Der findes allerede en enhed med navnet Jobcenter Nord." in response.get_data(as_text=True)
    assert "Ydelsescenter Syd" in admin.get("/admin/units").get_data(as_text=True)


def test_choosing_leaders_and_amrs_by_role(admin, db):
    with db as session:
        unit_id, bo_id, lene_id = _unit(session).id, _user(session, "bo").id, _user(session, "lene").id
    # The htmx quick change answers with the members fragment.
    response = admin.post(f"/admin/units/{unit_id}/members/{bo_id}/role", data={"role": "amr"},
                          headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section class="card" id="members">')
    assert '<dd id="unit-amrs">Ali Hassan, Bo Nielsen</dd>' in html and "Rollen er ændret." in html
    # Without htmx: a redirect back to the unit page with a flash.
    response = admin.post(f"/admin/units/{unit_id}/members/{lene_id}/role", data={"role": "staff"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/admin/units/{unit_id}#members")
    page = admin.get(f"/admin/units/{unit_id}").get_data(as_text=True)
    assert '<dd id="unit-leaders">Ingen endnu</dd>' in page and "Lene Holm er nu Medarbejder." in page
    with db as session:
        assert _user(session, "bo").role == "amr" and _user(session, "lene").role == "staff"
        entries = session.execute(select(AuditEntry).where(AuditEntry.action == "user.set_role")
                                  .order_by(AuditEntry.id)).scalars().all()
        assert [(e.object_id, e.detail) for e in entries] == [
            (str(bo_id), {"from": "staff", "to": "amr"}), (str(lene_id), {"from": "leader", "to": "staff"})]


def test_role_quick_change_refuses_admin_and_strangers(admin, db):
    with db as session:
        unit_id, bo_id = _unit(session).id, _user(session, "bo").id
        other = Unit(name="Andet sted")
        session.add(other)
        session.commit()
        other_id = other.id
    response = admin.post(f"/admin/units/{unit_id}/members/{bo_id}/role", data={"role": "admin"},
                          headers={"HX-Request": "true"})
    assert response.status_code == 422 and "Vælg en af mulighederne." in response.get_data(as_text=True)
    # bo is not a member of the other unit.
    assert admin.post(f"/admin/units/{other_id}/members/{bo_id}/role", data={"role": "leader"}).status_code == 404
    with db as session:
        assert _user(session, "bo").role == "staff"
