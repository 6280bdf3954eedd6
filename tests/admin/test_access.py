"""Only administrators reach the admin area: 403 for every other role, sign-in for anonymous visitors."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import Unit, User

PAGES = [
    "/admin/",
    "/admin/users",
    "/admin/users?unit=1",
    "/admin/users/new",
    "/admin/users/{anna}",
    "/admin/units",
    "/admin/units/new",
    "/admin/units/{unit}",
    "/admin/audit",
]
ACTIONS = [
    "/admin/users/new",
    "/admin/users/{anna}",
    "/admin/users/{anna}/password",
    "/admin/users/{anna}/deactivate",
    "/admin/users/{anna}/reactivate",
    "/admin/users/{anna}/sign-out",
    "/admin/units/new",
    "/admin/units/{unit}",
    "/admin/units/{unit}/members/{anna}/role",
]


def _ids(db) -> dict:
    with db as session:
        return {
            "anna": session.execute(select(User.id).where(User.username == "anna")).scalar_one(),
            "unit": session.execute(select(Unit.id).where(Unit.name == "Jobcenter Nord")).scalar_one(),
        }


@pytest.mark.parametrize("username", ["anna", "lene", "ali"])
def test_every_admin_page_and_action_refuses_other_roles(client, auth, db, username):
    ids = _ids(db)
    auth.login(username)
    for path in PAGES:
        response = client.get(path.format(**ids))
        assert response.status_code == 403, path
        assert "Fejl 403" in response.get_data(as_text=True)
    for path in ACTIONS:
        response = client.post(path.format(**ids), data={"csrf_token": auth.csrf_token, "role": "admin",
                                                         "password": "a-long-new-password"})
        assert response.status_code == 403, path
    with db as session:
        anna = session.execute(select(User).where(User.username == "anna")).scalar_one()
        assert anna.role == "staff" and anna.active


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    ids = _ids(db)
    for path in PAGES:
        response = client.get(path.format(**ids))
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path
    for path in ACTIONS:
        response = client.post(path.format(**ids))
        # Without a session there is no CSRF token either: refused before anything happens.
        assert response.status_code in (302, 400), path
    response = client.get("/admin/users", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login")


def test_admin_sees_every_page_in_danish(admin, db):
    ids = _ids(db)
    expected = {
        "/admin/": "Revisionslog",
        "/admin/users": "Ny bruger",
        "/admin/users?unit=1": "Anna Jensen",
        "/admin/users/new": "Første adgangskode",
        "/admin/users/{anna}": "Log ud overalt",
        "/admin/units": "Jobcenter Nord",
        "/admin/units/new": "Opret enhed",
        "/admin/units/{unit}": "Ledere og AMR",
        "/admin/audit": "De seneste 200 poster",
    }
    for path, text in expected.items():
        response = admin.get(path.format(**ids))
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert text in html, (path, text)
        assert '<html lang="da">' in html
        assert '="None"' not in html, path  # no attribute rendered from a Python None


def test_admin_index_links_to_every_part(admin):
    html = admin.get("/admin/").get_data(as_text=True)
    for href in ('href="/admin/users"', 'href="/admin/units"', 'href="/admin/audit"', 'href="/admin/users/new"'):
        assert href in html


def test_settings_shows_the_admin_card_to_admins_only(client, auth):
    auth.login("admin")
    html = client.get("/settings/").get_data(as_text=True)
    assert 'id="admin-card"' in html and 'href="/admin/"' in html and "Åbn administrationen" in html
    auth.logout()
    auth.login("lene")
    html = client.get("/settings/").get_data(as_text=True)
    assert client.get("/settings/").status_code == 200
    assert 'id="admin-card"' not in html and 'href="/admin/"' not in html


def test_unknown_objects_are_404(admin):
    assert admin.get("/admin/users/9999").status_code == 404
    assert admin.get("/admin/units/9999").status_code == 404
    assert admin.post("/admin/users/9999/deactivate").status_code == 404
    assert admin.post("/admin/units/9999/members/1/role", data={"role": "leader"}).status_code == 404


def test_csrf_is_required_for_every_admin_change(client, auth, db):
    ids = _ids(db)
    auth.login("admin")
    for path in ACTIONS:
        response = client.post(path.format(**ids), data={"role": "leader", "password": "a-long-new-password",
                                                         "name": "Hacked", "username": "anna"})
        assert response.status_code == 400, path
        assert "Genindlæs siden" in response.get_data(as_text=True)
    with db as session:
        anna = session.execute(select(User).where(User.username == "anna")).scalar_one()
        assert anna.role == "staff" and anna.active and anna.name == "Anna Jensen"
