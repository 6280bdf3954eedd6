"""Security headers, cookie flags, and no inline script or style anywhere (the CSP forbids them)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app import create_app
from app.models import Unit, User


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


@pytest.mark.parametrize("path", ["/login", "/", "/settings/", "/admin/", "/api/v1/me", "/no-such-page"])
def test_headers_on_every_kind_of_response(client, auth, path):
    auth.login("anna")
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'self'")
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    directives = _csp(response)
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: no HSTS


def test_static_files_get_a_policy_at_least_as_strict(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert _csp(response)["default-src"] in ("'none'", "'self'")
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_are_not_cached(client, auth):
    auth.login("anna")
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/me").headers["Cache-Control"] == "no-store"


def test_hsts_only_over_https(client):
    response = client.get("/login", base_url="https://localhost")
    hsts = response.headers["Strict-Transport-Security"]
    assert re.match(r"max-age=(\d+)", hsts) and int(re.match(r"max-age=(\d+)", hsts).group(1)) >= 15552000
    assert "Strict-Transport-Security" not in client.get("/login", base_url="http://localhost").headers


def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("makker_session=")]
    assert cookies, response.headers
    return cookies[-1]


def _sign_in(client, base_url="http://localhost"):
    page = client.get("/login", base_url=base_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    # Over HTTPS, Flask-WTF also checks that the Referer is this site (as a browser sends it).
    return client.post("/login", base_url=base_url, headers={"Referer": f"{base_url}/login"},
                       data={"username": "anna", "password": "demo", "csrf_token": token})


def test_session_cookie_is_httponly_and_samesite_lax(client):
    response = _sign_in(client)
    assert response.status_code == 302
    cookie = _session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in development


def test_cookies_are_secure_when_configured(app_config, tmp_path, monkeypatch, backend):
    if backend != "sqlite":
        pytest.skip("configuration only")
    monkeypatch.setenv("MAKKER_SECURE_COOKIES", "1")
    secure_app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 's.sqlite3'}"})
    assert secure_app.config["SESSION_COOKIE_SECURE"] is True
    assert secure_app.config["REMEMBER_COOKIE_SECURE"] is True
    from app.demo import load_demo_data
    from app.extensions import db

    with secure_app.app_context():
        db.create_all()
        load_demo_data()
    client = secure_app.test_client()
    cookie = _session_cookie(_sign_in(client, base_url="https://localhost"))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with secure_app.app_context():
        db.engine.dispose()


class _InlineFinder(HTMLParser):
    """Collects inline script bodies, style elements and attributes, and on* handlers."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False
        self.links: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, _value in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            if "src" not in attributes:
                self.problems.append("<script> without src")
            self._in_script = True
        if tag == "a" and (attributes.get("href") or "").startswith("/"):
            self.links.add(attributes["href"].split("#")[0])
        for name in ("href", "action", "src"):
            if (attributes.get(name) or "").lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in <{tag}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script body: {data.strip()[:60]}")


def _crawl(client, start: list[str]) -> dict[str, list[str]]:
    """Every page reachable by links from `start` (GET only, same site), with its inline problems."""
    seen: dict[str, list[str]] = {}
    queue = list(start)
    while queue and len(seen) < 200:
        path = queue.pop(0)
        if path in seen or path.startswith("/static/"):
            continue
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
        if response.mimetype != "text/html":
            seen[path] = []
            continue
        finder = _InlineFinder()
        finder.feed(response.get_data(as_text=True))
        seen[path] = finder.problems
        queue.extend(link for link in sorted(finder.links) if link not in seen)
    return seen


def test_no_inline_script_or_style_in_any_page(client, auth, db):
    with db as session:
        anna_id = session.execute(select(User.id).where(User.username == "anna")).scalar_one()
        unit_id = session.execute(select(Unit.id).where(Unit.name == "Jobcenter Nord")).scalar_one()
    pages = _crawl(client, ["/login", "/no-such-page"])
    auth.login("anna")
    pages.update(_crawl(client, ["/", "/settings/", "/alerts/", "/incidents/", "/help/"]))
    auth.logout()
    auth.login("admin")
    admin_pages = _crawl(client, ["/", "/settings/", "/admin/", "/admin/users", f"/admin/users/{anna_id}",
                                  "/admin/users/new", "/admin/units", f"/admin/units/{unit_id}",
                                  "/admin/units/new", "/admin/audit"])
    pages.update({f"admin:{k}": v for k, v in admin_pages.items()})
    # Error and validation pages too.
    token = auth.csrf_token
    response = client.post("/admin/users/new", data={"csrf_token": token, "username": "x", "password": "1"})
    finder = _InlineFinder()
    finder.feed(response.get_data(as_text=True))
    pages["admin:422"] = finder.problems
    assert len(pages) >= 15, sorted(pages)
    problems = {path: found for path, found in pages.items() if found}
    assert not problems, problems
