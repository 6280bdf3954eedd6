"""Sign-in, sign-out, sessions, CSRF and rate limits through the real app."""

from __future__ import annotations

from sqlalchemy import select

from app.models import AuditEntry, UserSession
from tests.conftest import CSRF_RE


def test_login_page_has_the_contract_fields(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in html and 'name="password"' in html and 'name="csrf_token"' in html
    assert '<html lang="da">' in html
    assert "Log ind" in html


def test_login_and_me(client, auth):
    response = auth.login("anna")
    assert response.status_code == 302
    me = client.get("/api/v1/me").get_json()
    assert me["username"] == "anna" and me["role"] == "staff" and me["unit"] == "Jobcenter Nord"
    assert me["csrf_token"]
    assert "Anna" in client.get("/").get_data(as_text=True)


def test_wrong_password_is_refused_with_a_danish_message(client, auth, db):
    response = auth.login("anna", "wrong")
    assert response.status_code == 422
    assert "Forkert brugernavn eller adgangskode." in response.get_data(as_text=True)
    assert client.get("/api/v1/me").status_code == 401
    with db as session:
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "login.failed")).scalar()


def test_login_without_csrf_is_refused(client):
    response = client.post("/login", data={"username": "anna", "password": "demo"})
    assert response.status_code == 400
    assert client.get("/api/v1/me").status_code == 401


def test_session_is_rotated_at_sign_in(client, auth, db):
    auth.login("anna")
    with db as session:
        first = session.execute(select(UserSession.id)).scalars().all()
    auth.logout()
    auth.login("anna")
    with db as session:
        second = session.execute(select(UserSession.id).where(UserSession.revoked_at.is_(None))).scalars().all()
    assert len(second) == 1 and second[0] not in first


def test_logout_needs_csrf_and_ends_the_session(client, auth):
    auth.login("anna")
    assert client.post("/logout").status_code == 400
    assert client.get("/api/v1/me").status_code == 200
    response = auth.logout()
    assert response.status_code == 302 and "Clear-Site-Data" in response.headers
    assert client.get("/api/v1/me").status_code == 401


def test_unauthenticated_page_redirects_and_htmx_gets_hx_redirect(client):
    assert client.get("/").status_code == 302
    response = client.get("/settings/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login")


def test_other_device_can_be_revoked(app, client, auth, make_client):
    auth.login("anna")
    phone, _ = make_client("anna")
    assert phone.get("/api/v1/me").status_code == 200
    html = client.get("/settings/").get_data(as_text=True)
    assert "Log alle andre enheder ud" in html
    token = CSRF_RE.search(html).group(1)
    client.post("/settings/devices/revoke-others", data={"csrf_token": token})
    assert phone.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 200


def test_deactivated_user_is_signed_out(app, client, auth, runner):
    auth.login("bo")
    result = runner.invoke(args=["users", "deactivate", "bo"])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/me").status_code == 401
    assert auth.login("bo").status_code == 422


def test_sign_in_is_rate_limited_with_a_danish_message(client):
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    statuses = [
        client.post("/login", data={"username": "anna", "password": "x", "csrf_token": token}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429
    assert "For mange forsøg" in client.post(
        "/login", data={"username": "anna", "password": "demo", "csrf_token": token}
    ).get_data(as_text=True)


def test_rate_limit_is_per_username_too(app, client):
    """Many addresses guessing one user's password hit the per-username limit."""
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    codes = []
    for i in range(11):
        codes.append(client.post(
            "/login", data={"username": "lene", "password": "x", "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
        ).status_code)
    assert codes[-1] == 429


def test_open_redirect_is_refused(client):
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login?next=//evil.example/", data={"username": "anna", "password": "demo", "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


def test_language_switch_follows_the_user(client, auth):
    auth.login("anna")
    token = auth.form_token("/settings/")
    client.post("/settings/language", data={"locale": "en", "csrf_token": token})
    html = client.get("/settings/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Signed-in devices" in html
