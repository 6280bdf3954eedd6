"""Single sign-on on a phone: the button on /login, the real OpenID provider's pages, home, and the
sign-out that ends the provider's session too (the CSP must let the form's redirect go there); and
the clear page for a person without a Makker role."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest
import requests

from tests.browser.conftest import screenshot
from tests.sso.conftest import CLIENT_ID, CLIENT_SECRET, HERE, _free_port, oidc_config
from tests.sso.conftest import Provider as _Provider

pytestmark = pytest.mark.browser
PROVIDER_PORT = _free_port()
ISSUER = f"http://127.0.0.1:{PROVIDER_PORT}"


@pytest.fixture
def live_config():
    return oidc_config(_Provider(ISSUER, None))


@pytest.fixture
def provider(live_server, tmp_path):
    if shutil.which("node") is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("the OpenID provider is not installed: run `make oidc-provider`")
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({
        "karen": {"name": "Karen Mikkelsen", "preferred_username": "karen", "groups": ["makker-staff"],
                  "department": "Jobcenter Nord", "phone_number": "+45 31 31 31 31"},
        "ulla": {"name": "Ulla Udenfor", "preferred_username": "ulla", "groups": ["everyone"]},
    }))
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "PORT": str(PROVIDER_PORT), "CLIENT_ID": CLIENT_ID,
           "CLIENT_SECRET": CLIENT_SECRET, "REDIRECT_URIS": f"{live_server.url}/login/oidc/callback",
           "POST_LOGOUT_REDIRECT_URIS": f"{live_server.url}/login", "ACCOUNTS_FILE": str(accounts)}
    process = subprocess.Popen(["node", "server.js"], cwd=HERE, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            if requests.get(ISSUER + "/.well-known/openid-configuration", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.1)
    yield process
    process.terminate()
    process.wait(timeout=5)


def _sign_in_at_provider(page, login: str) -> None:
    page.get_by_role("link", name="Log ind med kommunens login").click()
    page.wait_for_url(ISSUER + "/**")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any")
    page.locator("button[type=submit]").first.click()
    page.locator("button[type=submit]").first.click()  # the consent page's "Continue"


def test_sign_in_and_out_through_the_municipal_login(page, live_server, provider):
    page.goto("/login")
    assert page.get_by_role("link", name="Log ind med kommunens login").is_visible()
    screenshot(page, "sso-01-login-with-button")
    _sign_in_at_provider(page, "karen")
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("navigation", name="Hovedmenu").is_visible()
    screenshot(page, "sso-02-home-karen")

    page.goto("/settings")
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url(ISSUER + "/session/end**")  # the CSP let the form's redirect reach the provider
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(live_server.url + "/login")
    screenshot(page, "sso-03-signed-out")
    assert not [e for e in page.js_errors if "Content Security Policy" in e], page.js_errors


def test_a_person_without_a_role_gets_the_no_access_page(page, live_server, provider):
    page.goto("/login")
    _sign_in_at_provider(page, "ulla")
    page.wait_for_url(live_server.url + "/login/oidc/callback**")
    assert page.get_by_role("heading", name="Du har ikke adgang til Makker").is_visible()
    screenshot(page, "sso-04-no-access")
