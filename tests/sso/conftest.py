"""A real OpenID provider for the single sign-on tests: Node's oidc-provider (tests/sso/oidc_provider,
installed by `make test` from its lockfile), started once per test session on a free loopback port,
and a helper that walks its sign-in pages the way a browser would."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

HERE = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID, CLIENT_SECRET = "makker", "makker-test-secret"
BASE = "http://localhost"  # the Flask test client's host
FORM_RE = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
INPUT_RE = re.compile(r"<input[^>]*>")
ATTR_RE = re.compile(r'(\w+)="([^"]*)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Provider:
    def __init__(self, issuer: str, accounts_file: Path) -> None:
        self.issuer, self.accounts_file = issuer, accounts_file

    def set_accounts(self, accounts: dict) -> None:
        self.accounts_file.write_text(json.dumps(accounts))


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    if shutil.which("node") is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("the OpenID provider is not installed: run `make oidc-provider` (needs Node.js and npm)")
    accounts = tmp_path_factory.mktemp("oidc") / "accounts.json"
    accounts.write_text("{}")
    port = _free_port()
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "PORT": str(port), "CLIENT_ID": CLIENT_ID,
           "CLIENT_SECRET": CLIENT_SECRET, "REDIRECT_URIS": f"{BASE}/login/oidc/callback",
           "POST_LOGOUT_REDIRECT_URIS": f"{BASE}/login", "ACCOUNTS_FILE": str(accounts)}
    log = (accounts.parent / "oidc-provider.log").open("w")
    process = subprocess.Popen(["node", "server.js"], cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(issuer + "/.well-known/openid-configuration", timeout=1).ok:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("oidc-provider did not start: " + (accounts.parent / "oidc-provider.log").read_text())
        time.sleep(0.1)
    yield Provider(issuer, accounts)
    print((accounts.parent / "oidc-provider.log").read_text()[-3000:])
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()


def oidc_config(provider: Provider) -> dict:
    return {"OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_ROLE_MAP": "makker-staff=staff,makker-leaders=leader,makker-amr=amr,makker-admins=admin",
            "OIDC_SCOPE": "openid profile email"}


def _form(html: str) -> tuple[str, dict]:
    """The first form of a provider page: its action and its fields (hidden values included)."""
    match = FORM_RE.search(html)
    assert match, html[:500]
    fields = {}
    for tag in INPUT_RE.findall(match.group(2)):
        attrs = dict(ATTR_RE.findall(tag))
        if "name" in attrs:
            fields[attrs["name"]] = unescape(attrs.get("value", ""))
    return unescape(match.group(1)), fields


class Browser:
    """The provider side of one phone: a requests session keeps the provider's cookies."""

    def __init__(self, provider: Provider) -> None:
        self.provider, self.http = provider, requests.Session()

    def follow(self, url: str, *, method: str = "GET", data: dict | None = None):
        """Follow the provider's redirects until a page (200) or a redirect back to Makker."""
        for _ in range(12):
            response = self.http.request(method, url, data=data, allow_redirects=False, timeout=10)
            if response.status_code in (301, 302, 303, 307, 308):
                url = urljoin(url, response.headers["Location"])
                method, data = "GET", None
                if url.startswith(BASE):
                    return url
                continue
            return response
        raise AssertionError("too many redirects")

    def sign_in(self, client, login: str, *, start: str = "/login/oidc", tamper=None) -> str:
        """From Makker's button through the provider's login and consent back to Makker's callback;
        returns the callback URL (path and query) for the Flask test client."""
        first = client.get(start)
        assert first.status_code == 302, first.get_data(as_text=True)[:300]
        location = first.headers["Location"]
        assert location.startswith(self.provider.issuer)
        if tamper is not None:
            location = tamper(location)
        result = self.follow(location)
        while not isinstance(result, str):
            assert result.status_code == 200, result.text[:500]
            action, fields = _form(result.text)
            if fields.get("prompt") == "login":
                fields.update(login=login, password="any")
            result = self.follow(urljoin(result.url, action), method="POST", data=fields)
        parts = urlsplit(result)
        return parts.path + ("?" + parts.query if parts.query else "")

    def log_out_at_provider(self, url: str) -> str:
        page = self.follow(url)
        assert not isinstance(page, str) and page.status_code == 200
        action, fields = _form(page.text)
        fields["logout"] = "yes"
        back = self.follow(urljoin(page.url, action), method="POST", data=fields)
        assert isinstance(back, str), back.text[:300]
        return back
