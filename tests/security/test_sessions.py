"""Session management against OWASP ASVS 4.0.3 V3 (beyond tests/foundation/test_auth.py, which covers
sign-in/out through the form, "sign out all other devices", CLI deactivation, and
tests/foundation/test_security_headers.py, which covers the cookie flags).

Each test replays a *captured* cookie in a fresh client: a client that got the server's answer would
simply have dropped the cookie, which proves nothing about the server side."""

from __future__ import annotations

from sqlalchemy import select

from app.models import AuditEntry, User, UserSession
from app.passwords import verify_secret
from tests.conftest import CSRF_RE, AuthActions

COOKIE = "makker_session"


def _cookie(client) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def _replay(app, value: str):
    """A new client that presents only `value` as its session cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE, value)
    return other


def test_session_token_is_new_at_sign_in_and_the_old_one_is_worthless(app, client):
    """V3.2.1: a new session token at authentication; nothing from the anonymous session carries over
    (no session fixation): the pre-login cookie is not signed in and its CSRF token is refused."""
    page = client.get("/login").get_data(as_text=True)
    old_token = CSRF_RE.search(page).group(1)
    before = _cookie(client)
    response = client.post("/login", data={"username": "anna", "password": "demo", "csrf_token": old_token})
    assert response.status_code == 302
    after = _cookie(client)
    assert after != before
    assert _replay(app, before).get("/api/v1/me").status_code == 401
    # The CSRF token of the anonymous session does not work in the signed-in one.
    assert client.post("/settings/devices/revoke-others", data={"csrf_token": old_token}).status_code == 400
    assert client.get("/api/v1/me").status_code == 200


def test_session_cookie_holds_a_random_server_side_id(app, client, auth, db):
    """V3.2.2/V3.2.4: the session id has at least 64 bits of entropy (32 random bytes) and is only
    meaningful to the server: each sign-in gets another one."""
    auth.login("anna")
    auth.logout()
    auth.login("anna")
    with db as session:
        ids = session.execute(select(UserSession.id)).scalars().all()
    assert len(ids) == 2 and len(set(ids)) == 2
    assert all(len(i) >= 43 for i in ids)  # token_urlsafe(32): 256 bits


def test_sign_out_invalidates_the_session_on_the_server(app, client, auth, db):
    """V3.3.1: after sign-out, replaying the old cookie is not signed in (401 for the API, sign-in
    redirect for pages), and the server row is marked revoked."""
    auth.login("anna")
    captured = _cookie(client)
    assert _replay(app, captured).get("/api/v1/me").status_code == 200
    assert auth.logout().status_code == 302
    replay = _replay(app, captured)
    assert replay.get("/api/v1/me").status_code == 401
    page = replay.get("/settings/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    with db as session:
        row = session.execute(select(UserSession)).scalar_one()
        assert row.revoked_at is not None


def test_password_change_signs_out_the_other_devices(app, client, auth, make_client, db):
    """V2.1.5/V2.1.6 and V3.3.3: a person can change their own password, must give the current one,
    and every other session ends (this one stays); the change is audited."""
    auth.login("anna")
    phone, _ = make_client("anna")
    phone_cookie = _cookie(phone)
    token = auth.form_token("/settings/password")
    assert "Skift adgangskode" in client.get("/settings/").get_data(as_text=True)

    wrong = client.post("/settings/password", data={"csrf_token": token, "current_password": "nope",
                                                    "new_password": "solsikker i vindueskarmen",
                                                    "repeat_password": "solsikker i vindueskarmen"})
    assert wrong.status_code == 422
    assert "Det er ikke din nuværende adgangskode." in wrong.get_data(as_text=True)
    weak = client.post("/settings/password", data={"csrf_token": token, "current_password": "demo",
                                                   "new_password": "password1234", "repeat_password": "password1234"})
    assert weak.status_code == 422 and "for almindelig" in weak.get_data(as_text=True)
    assert _replay(app, phone_cookie).get("/api/v1/me").status_code == 200  # nothing changed yet

    done = client.post("/settings/password", data={"csrf_token": token, "current_password": "demo",
                                                   "new_password": "solsikker i vindueskarmen",
                                                   "repeat_password": "solsikker i vindueskarmen"})
    assert done.status_code == 302
    assert client.get("/api/v1/me").status_code == 200
    assert _replay(app, phone_cookie).get("/api/v1/me").status_code == 401
    with db as session:
        anna = session.execute(select(User).where(User.username == "anna")).scalar_one()
        assert verify_secret(anna.password_hash, "solsikker i vindueskarmen")
        assert not verify_secret(anna.password_hash, "demo")
        actions = session.execute(select(AuditEntry.action).where(AuditEntry.actor_id == anna.id)).scalars().all()
        assert "password.change" in actions and "password.change_failed" in actions
    other = AuthActions(app.test_client())
    assert other.login("anna", "demo").status_code == 422
    assert other.login("anna", "solsikker i vindueskarmen").status_code == 302


def test_deactivation_from_the_admin_screen_ends_every_session_for_good(app, client, auth, make_client, db):
    """V3.3.1/V8.3.x: deactivating a person ends all their sessions at once, and reactivating them
    does not bring an old cookie back to life."""
    bo_client, _ = make_client("bo")
    bo_cookie = _cookie(bo_client)
    auth.login("admin")
    with db as session:
        bo_id = session.execute(select(User.id).where(User.username == "bo")).scalar_one()
    assert client.post(f"/admin/users/{bo_id}/deactivate", data={"csrf_token": auth.csrf_token}).status_code < 400
    assert _replay(app, bo_cookie).get("/api/v1/me").status_code == 401
    assert _replay(app, bo_cookie).get("/").status_code == 302
    assert client.post(f"/admin/users/{bo_id}/reactivate", data={"csrf_token": auth.csrf_token}).status_code < 400
    assert _replay(app, bo_cookie).get("/api/v1/me").status_code == 401


def test_short_session_ends_after_12_hours(app, client, auth, clock):
    """V3.3.2: without "stay signed in" the server ends the session 12 hours after sign-in, used or not,
    and the cookie is a browser-session cookie (no Expires)."""
    response = auth.login("anna", stay_signed_in=False)
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE + "=")][-1]
    assert "Expires=" not in cookie
    for _ in range(11):
        clock.advance(hours=1)
        assert client.get("/api/v1/me").status_code == 200
    clock.advance(hours=1, seconds=1)
    assert client.get("/api/v1/me").status_code == 401


def test_stay_signed_in_is_absolute_30_days_even_when_used_daily(app, client, auth, clock):
    """V3.3.2: "stay signed in" (a phone in the field) lasts 30 days from sign-in; daily use does not
    extend it, so the person authenticates again at least every 30 days."""
    response = auth.login("anna", stay_signed_in=True)
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE + "=")][-1]
    assert "Expires=" in cookie
    for _ in range(29):
        clock.advance(days=1)
        assert client.get("/api/v1/me").status_code == 200
    clock.advance(days=1, seconds=1)
    assert client.get("/api/v1/me").status_code == 401


def test_admin_sign_out_everywhere_ends_sessions_and_the_user_signs_in_again(app, client, auth, make_client, db):
    """V3.3.4 (administrator side): "sign out everywhere" revokes every session of the person."""
    anna_phone, _ = make_client("anna")
    anna_laptop, _ = make_client("anna")
    cookies = [_cookie(anna_phone), _cookie(anna_laptop)]
    auth.login("admin")
    with db as session:
        anna_id = session.execute(select(User.id).where(User.username == "anna")).scalar_one()
    assert client.post(f"/admin/users/{anna_id}/sign-out", data={"csrf_token": auth.csrf_token}).status_code < 400
    assert [_replay(app, c).get("/api/v1/me").status_code for c in cookies] == [401, 401]
    assert AuthActions(app.test_client()).login("anna").status_code == 302


def test_revoking_one_device_leaves_the_others(app, client, auth, make_client, db):
    """V3.3.4: one device can be signed out from settings; only that one ends."""
    auth.login("anna")
    phone, _ = make_client("anna")
    tablet, _ = make_client("anna")
    phone_cookie, tablet_cookie = _cookie(phone), _cookie(tablet)
    with db as session:
        newest = session.execute(select(UserSession).order_by(UserSession.created_at.desc(),
                                                              UserSession.id)).scalars().all()
    phone_sid = next(r.id for r in newest if _owns(app, phone_cookie, r.id))
    token = auth.form_token("/settings/")
    assert client.post(f"/settings/devices/{phone_sid}/revoke", data={"csrf_token": token}).status_code == 302
    assert _replay(app, phone_cookie).get("/api/v1/me").status_code == 401
    assert _replay(app, tablet_cookie).get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def _owns(app, cookie_value: str, sid: str) -> bool:
    """Whether the signed cookie carries this server-side session id (decoded with the app's key)."""
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(cookie_value).get("sid") == sid
