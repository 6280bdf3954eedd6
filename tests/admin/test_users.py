"""Creating, editing, password, deactivation and sign-out of users through the admin screens."""

from __future__ import annotations

from sqlalchemy import select

from app.models import AuditEntry, Unit, User
from app.passwords import verify_secret

NEW_USER = {
    "username": "Carla",
    "name": "Carla Mikkelsen",
    "phone": "+45 20 11 22 09",
    "email": "carla@jobcenter-nord.example",
    "role": "staff",
    "unit_id": "",
    "locale": "da",
    "password": "a-long-initial-password",
}


def _user(session, username: str) -> User:
    return session.execute(select(User).where(User.username == username)).scalar_one()


def _audit(session, action: str) -> list[AuditEntry]:
    return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def _unit_id(db) -> int:
    with db as session:
        return session.execute(select(Unit.id).where(Unit.name == "Jobcenter Nord")).scalar_one()


def test_create_user(app, admin, db, client):
    unit_id = _unit_id(db)
    response = admin.post("/admin/users/new", data={**NEW_USER, "unit_id": str(unit_id), "role": "amr",
                                                    "first_aid_trained": "y"})
    assert response.status_code == 303
    with db as session:
        carla = _user(session, "carla")  # usernames are stored in lower case
        assert (carla.name, carla.role, carla.unit_id, carla.phone, carla.email, carla.locale) == (
            "Carla Mikkelsen", "amr", unit_id, "+45 20 11 22 09", "carla@jobcenter-nord.example", "da")
        assert carla.first_aid_trained and carla.active
        assert verify_secret(carla.password_hash, "a-long-initial-password")
        admin_id = _user(session, "admin").id
        entry = next(e for e in _audit(session, "user.create") if e.object_id == str(carla.id))
        assert entry.actor_id == admin_id
    assert response.headers["Location"] == f"/admin/users/{carla.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Carla Mikkelsen kan nu logge ind som carla." in page
    # The new person can sign in with the initial password.
    other = app.test_client()
    from tests.conftest import AuthActions

    assert AuthActions(other).login("carla", "a-long-initial-password").status_code == 302


def test_weak_password_is_refused_with_a_danish_message(admin, db):
    response = admin.post("/admin/users/new", data={**NEW_USER, "password": "short"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Adgangskoden skal være på mindst 12 tegn." in html
    assert 'value="Carla Mikkelsen"' in html  # the form keeps what was typed
    assert 'aria-invalid="true"' in html
    response = admin.post("/admin/users/new", data={**NEW_USER, "password": "carla-1234567"})
    assert response.status_code == 422
    assert "Adgangskoden må ikke indeholde brugernavnet." in response.get_data(as_text=True)
    with db as session:
        assert session.execute(select(User).where(User.username == "carla")).scalar_one_or_none() is None


def test_create_user_validation_messages_are_danish(admin, db):
    response = admin.post("/admin/users/new", data={**NEW_USER, "username": "anna", "name": "",
                                                    "phone": "call me", "email": "nope", "role": "boss"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Udfyld dette felt.", "Skriv telefonnummeret med tal", "Det er ikke en e-mailadresse.",
                    "Vælg en af mulighederne.", "Ret de markerede felter."):
        assert message in html, message
    response = admin.post("/admin/users/new", data={**NEW_USER, "username": "ANNA"})
    assert response.status_code == 422 and "Brugernavnet er optaget." in response.get_data(as_text=True)
    with db as session:
        assert len(session.execute(select(User).where(User.username == "anna")).scalars().all()) == 1


def test_edit_user(admin, db):
    with db as session:
        bo = _user(session, "bo")
        bo_id, unit_id = bo.id, bo.unit_id
    response = admin.post(f"/admin/users/{bo_id}", data={
        "username": "bo", "name": "Bo Nielsen Holm", "phone": "+45 20 11 22 02", "email": "bo@example.org",
        "role": "leader", "unit_id": str(unit_id), "locale": "en", "first_aid_trained": "y",
    })
    assert response.status_code == 303
    with db as session:
        bo = _user(session, "bo")
        assert (bo.name, bo.role, bo.email, bo.locale, bo.first_aid_trained) == (
            "Bo Nielsen Holm", "leader", "bo@example.org", "en", True)
        entry = _audit(session, "user.update")[-1]
        assert entry.object_id == str(bo_id) and entry.actor_id == _user(session, "admin").id
        assert entry.detail["changed"] == ["email", "first_aid_trained", "locale", "name", "role"]
    # Unchecking the flag and removing the unit works too.
    admin.post(f"/admin/users/{bo_id}", data={
        "username": "bo", "name": "Bo Nielsen Holm", "phone": "", "email": "", "role": "leader",
        "unit_id": "", "locale": "en",
    })
    with db as session:
        bo = _user(session, "bo")
        assert bo.unit_id is None and bo.first_aid_trained is False and bo.phone == ""


def test_edit_user_refuses_a_taken_username_and_keeps_the_form(admin, db):
    with db as session:
        bo_id = _user(session, "bo").id
    response = admin.post(f"/admin/users/{bo_id}", data={
        "username": "anna", "name": "Bo", "role": "staff", "unit_id": "", "locale": "da"})
    assert response.status_code == 422 and "Brugernavnet er optaget." in response.get_data(as_text=True)
    with db as session:
        assert _user(session, "bo").name == "Bo Nielsen"


def test_the_last_administrator_cannot_lose_the_role(admin, db):
    with db as session:
        me = _user(session, "admin")
        my_id = me.id
    response = admin.post(f"/admin/users/{my_id}", data={
        "username": "admin", "name": "Administrator", "role": "staff", "unit_id": "", "locale": "da"})
    assert response.status_code == 422
    assert "Makker skal have mindst én aktiv administrator." in response.get_data(as_text=True)
    with db as session:
        assert _user(session, "admin").role == "admin"


def test_set_password_signs_the_user_out_everywhere(admin, db, make_client):
    bo_client, _ = make_client("bo")
    assert bo_client.get("/api/v1/me").status_code == 200
    with db as session:
        bo_id = _user(session, "bo").id
    response = admin.post(f"/admin/users/{bo_id}/password", data={"password": "short"})
    assert response.status_code == 422
    assert "Adgangskoden skal være på mindst 12 tegn." in response.get_data(as_text=True)
    response = admin.post(f"/admin/users/{bo_id}/password", data={"password": "bo"})
    assert response.status_code == 422
    assert bo_client.get("/api/v1/me").status_code == 200
    response = admin.post(f"/admin/users/{bo_id}/password", data={"password": "correct horse battery"})
    assert response.status_code == 303
    assert bo_client.get("/api/v1/me").status_code == 401
    with db as session:
        bo = _user(session, "bo")
        assert verify_secret(bo.password_hash, "correct horse battery")
        assert not verify_secret(bo.password_hash, "demo")
        assert [e.object_id for e in _audit(session, "user.set_password")] == [str(bo_id)]


def test_deactivate_and_reactivate(app, admin, db, make_client):
    bo_client, bo_auth = make_client("bo")
    with db as session:
        bo_id = _user(session, "bo").id
    response = admin.post(f"/admin/users/{bo_id}/deactivate")
    assert response.status_code == 303
    assert bo_client.get("/api/v1/me").status_code == 401
    assert bo_auth.login("bo").status_code == 422
    html = admin.get("/admin/users").get_data(as_text=True)
    assert "Deaktiveret" in html
    response = admin.post(f"/admin/users/{bo_id}/reactivate")
    assert response.status_code == 303
    assert bo_auth.login("bo").status_code == 302
    with db as session:
        assert _user(session, "bo").active
        assert len(_audit(session, "user.deactivate")) == 1 and len(_audit(session, "user.reactivate")) == 1


def test_an_admin_cannot_deactivate_themselves(admin, db, client):
    with db as session:
        my_id = _user(session, "admin").id
    response = admin.post(f"/admin/users/{my_id}/deactivate")
    assert response.status_code == 303
    assert "Du kan ikke deaktivere dig selv." in client.get(response.headers["Location"]).get_data(as_text=True)
    with db as session:
        assert _user(session, "admin").active
        assert not _audit(session, "user.deactivate")


def test_sign_out_everywhere(admin, db, make_client):
    phone, _ = make_client("anna")
    laptop, _ = make_client("anna")
    with db as session:
        anna_id = _user(session, "anna").id
    assert "2 enheder er logget ind." in admin.get(f"/admin/users/{anna_id}").get_data(as_text=True)
    response = admin.post(f"/admin/users/{anna_id}/sign-out")
    assert response.status_code == 303
    assert phone.get("/api/v1/me").status_code == 401 and laptop.get("/api/v1/me").status_code == 401
    with db as session:
        entry = _audit(session, "user.sign_out_everywhere")[0]
        assert entry.object_id == str(anna_id) and entry.detail == {"count": 2}
        assert entry.subject_user_id == anna_id


def test_user_list_filters_by_unit_and_htmx_gets_the_fragment(admin, db):
    unit_id = _unit_id(db)
    admin.post("/admin/users/new", data=NEW_USER)  # Carla has no unit
    everyone = admin.get("/admin/users").get_data(as_text=True)
    assert "Carla Mikkelsen" in everyone and "Anna Jensen" in everyone
    in_unit = admin.get(f"/admin/users?unit={unit_id}").get_data(as_text=True)
    assert "Carla Mikkelsen" not in in_unit and "Lene Holm" in in_unit and "5 brugere" in in_unit
    assert "Leder" in in_unit and "AMR (arbejdsmiljørepræsentant)" in in_unit
    without = admin.get("/admin/users?unit=none").get_data(as_text=True)
    assert "Carla Mikkelsen" in without and "Anna Jensen" not in without and "1 bruger" in without
    fragment = admin.get(f"/admin/users?unit={unit_id}", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="user-list"') and "<html" not in html
    # A boosted navigation swaps the whole body: it gets the full page.
    boosted = admin.get("/admin/users", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    # Nonsense filters are ignored, never an error.
    assert admin.get("/admin/users?unit=abc").status_code == 200
