"""OpenID Connect against a real provider (oidc-provider, started by the tests): sign-in provisions,
a changed group changes the role, an unmapped person is refused, tampered state or nonce is refused,
logout ends both sessions. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.admin import services as admin
from app.models import AuditEntry, SessionAuth, User
from tests.sso.conftest import Browser, oidc_config

KAREN = {"name": "Karen Mikkelsen", "preferred_username": "karen.m@kommune.dk", "email": "karen.m@kommune.dk",
         "phone_number": "+45 31 31 31 31", "groups": ["makker-staff", "everyone"], "department": "Jobcenter Nord"}


@pytest.fixture
def app_config(app_config, oidc_provider):
    return {**app_config, **oidc_config(oidc_provider)}


@pytest.fixture
def browser(oidc_provider):
    oidc_provider.set_accounts({"karen": KAREN})
    return Browser(oidc_provider)


def _me(client):
    response = client.get("/api/v1/me")
    return response.get_json() if response.status_code == 200 else None


def test_login_page_links_to_the_provider(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/oidc"' in page and "Log ind med kommunens login" in page


def test_first_sign_in_provisions_and_a_changed_group_changes_the_role(app, client, browser, oidc_provider, db):
    callback = browser.sign_in(client, "karen")
    response = client.get(callback)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    me = _me(client)
    assert me["username"] == "karen.m@kommune.dk" and me["role"] == "staff" and me["unit"] == "Jobcenter Nord"
    with db as session:
        karen = admin.find_user(session, "karen.m@kommune.dk")
        assert karen.phone == "+45 31 31 31 31" and not karen.local_login
        row = session.execute(select(SessionAuth)).scalar_one()
        assert row.method == "oidc" and row.id_token.count(".") == 2

    oidc_provider.set_accounts({"karen": {**KAREN, "groups": ["makker-leaders"]}})
    client.post("/logout", headers={"X-CSRFToken": me["csrf_token"]})
    client.get(browser.sign_in(client, "karen"))
    assert _me(client)["role"] == "leader"


def test_unmapped_person_is_refused_with_a_clear_page_and_no_account(client, browser, oidc_provider, db):
    oidc_provider.set_accounts({"karen": {**KAREN, "groups": ["everyone"]}})
    response = client.get(browser.sign_in(client, "karen"))
    assert response.status_code == 403
    assert "Du har ikke adgang til Makker – kontakt" in response.get_data(as_text=True)
    assert _me(client) is None
    with db as session:
        assert admin.find_user(session, "karen.m@kommune.dk") is None


def test_tampered_state_is_refused(client, browser, db):
    callback = browser.sign_in(client, "karen")
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    response = client.get(forged)
    assert response.status_code == 400 and "Login mislykkedes" in response.get_data(as_text=True)
    assert _me(client) is None
    with db as session:
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "sso.failed")).scalar_one()


def test_tampered_nonce_is_refused(client, browser):
    # The provider signs whatever nonce it was asked for: Makker must notice it is not the one it made.
    callback = browser.sign_in(client, "karen", tamper=lambda url: re.sub(r"nonce=[^&]+", "nonce=forged", url))
    response = client.get(callback)
    assert response.status_code == 400
    assert _me(client) is None


def test_the_request_uses_pkce_s256_state_and_nonce(client):
    query = parse_qs(urlsplit(client.get("/login/oidc").headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://localhost/login/oidc/callback"]


def test_logout_ends_both_sessions(client, browser):
    client.get(browser.sign_in(client, "karen"))
    me = _me(client)
    response = client.post("/logout", headers={"X-CSRFToken": me["csrf_token"]})
    end_session = response.headers["Location"]
    assert end_session.startswith(browser.provider.issuer + "/session/end?")
    assert "id_token_hint=" in end_session
    assert "post_logout_redirect_uri=http%3A%2F%2Flocalhost%2Flogin" in end_session
    assert _me(client) is None  # Makker's session is over
    assert browser.log_out_at_provider(end_session) == "http://localhost/login"
    # The provider's session is over too: signing in again shows its login form.
    page = browser.follow(client.get("/login/oidc").headers["Location"])
    assert page.status_code == 200 and 'name="login"' in page.text


def test_a_disabled_user_cannot_come_back_through_sso(client, browser, db, clock):
    client.get(browser.sign_in(client, "karen"))
    me = _me(client)
    with db as session:
        karen = admin.find_user(session, me["username"])
        admin.deactivate(session, clock, karen, actor_id=None)
        session.commit()
    assert _me(client) is None  # signed out everywhere
    response = client.get(browser.sign_in(client, "karen"))
    assert response.status_code == 403 and "lukket" in response.get_data(as_text=True)


def test_password_sign_in_is_only_for_local_accounts_while_sso_is_on(client, auth, db):
    with db as session:
        bo = admin.find_user(session, "bo")
        bo.local_login = False
        session.commit()
    auth.login("bo")
    assert _me(client) is None
    auth.login("admin")  # the break-glass admin is local
    assert _me(client)["username"] == "admin"


def test_reauthentication_round_trip_before_a_colleagues_ambulance_letter(app, client, browser, db, clock):
    client.get(browser.sign_in(client, "karen"))
    with db as session:
        karen = admin.find_user(session, "karen.m@kommune.dk")
        karen.role = "leader"
        session.commit()
    clock.advance(seconds=app.config["REAUTH_AFTER_S"] + 1)
    response = client.get("/help/people/anna/ambulance-letter")
    assert response.status_code == 302 and response.headers["Location"].startswith("/reauth?next=")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "/login/oidc?reauth=1" in page.replace("&amp;", "&") and 'name="password"' not in page
    api = client.get("/api/v1/users/anna/ambulance-letter")
    assert api.status_code == 401 and api.get_json()["error"] == "reauthentication_required"

    start = client.get("/login/oidc?reauth=1&next=/help/people/anna/ambulance-letter")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["prompt"] == ["login"] and "max_age" in query
    back = client.get(browser.sign_in(client, "karen", start="/login/oidc?reauth=1&next=/help/people/anna/ambulance-letter"))
    assert back.status_code == 303 and back.headers["Location"] == "/help/people/anna/ambulance-letter"
    assert client.get("/help/people/anna/ambulance-letter").status_code == 200
    with db as session:
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "reauth")).scalar_one()
        assert session.execute(select(User).where(User.username == "karen.m@kommune.dk")).scalar_one().active


def test_provider_down_gives_a_clear_page(app, client, monkeypatch):
    app.config["OIDC_ISSUER"] = "http://127.0.0.1:9"
    app.extensions["makker.oidc"].server_metadata = {}
    app.extensions["makker.oidc"]._server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"
    response = client.get("/login/oidc")
    assert response.status_code == 503 and "svarer ikke" in response.get_data(as_text=True)
