"""Security headers on every kind of response (OWASP ASVS 4.0.3 V14.4, V8.1.1, V9.1.1), beyond
tests/foundation/test_security_headers.py (which checks the core CSP directives on six pages, HSTS on
a direct HTTPS request, cookie flags and inline script/style): here every CSP directive, on htmx
partials, JSON (also JSON errors), 404/429/500 pages and the PWA files; Permissions-Policy,
Cross-Origin-Opener-Policy, HSTS behind the TLS proxy, caching of signed-in answers, no server banner."""

from __future__ import annotations

import uuid

import pytest

from app import create_app
from tests.conftest import CSRF_RE


def _directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"no CSP on {response.request.path if response.request else '?'}"
    out = {}
    for part in policy.split(";"):
        if part.strip():
            name, *values = part.split()
            assert name not in out, f"directive {name} twice"
            out[name] = values
    return out


def check_headers(response, what: str) -> None:
    """Every answer, whatever its kind or status (static files may have the stricter default-src 'none')."""
    csp = _directives(response)
    assert csp["default-src"] in (["'self'"], ["'none'"]), what
    for directive in ("script-src", "style-src"):
        values = csp.get(directive, csp["default-src"])
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "blob:", "http:", "https:"} & set(values), (
            what, directive, values)
    for directive, values in csp.items():
        assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values, (what, directive)
        assert "*" not in values, (what, directive)
    headers = response.headers
    if csp["default-src"] == ["'none'"] and len(csp) == 1:
        # Static files (app/pwa/routes.py keeps their headers short): nothing may load or run, and
        # X-Frame-Options DENY stands in for frame-ancestors, which does not fall back to default-src.
        assert headers["X-Frame-Options"] == "DENY", what
    else:
        assert csp["frame-ancestors"] == ["'none'"], what
        assert csp["object-src"] == ["'none'"], what
        assert csp["base-uri"] in (["'self'"], ["'none'"]), what
        assert csp["form-action"] == ["'self'"], what
    assert headers["X-Content-Type-Options"] == "nosniff", what
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), what
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin", what
    permissions = dict(p.strip().split("=", 1) for p in headers["Permissions-Policy"].split(","))
    assert permissions["geolocation"] == "(self)", what  # the visit's location, this site only
    assert permissions.get("camera") == "()" and permissions.get("microphone") == "()", what
    assert all(v in ("()", "(self)") for v in permissions.values()), (what, permissions)
    assert "X-Powered-By" not in headers, what
    server = headers.get("Server", "")
    assert not any(ch.isdigit() for ch in server), (what, server)  # no version banner


def check_not_shared_cacheable(response, what: str) -> None:
    """Signed-in answers are never kept by a shared cache (V8.1.1)."""
    cache = response.headers.get("Cache-Control", "")
    assert "no-store" in cache or "private" in cache, (what, cache)
    assert "public" not in cache, (what, cache)


SIGNED_IN_PAGES = ["/", "/settings/", "/visits/new", "/alerts/", "/incidents/", "/incidents/new", "/help/",
                   "/help/ambulance-letter", "/settings/password", "/visits/pins"]
HTMX_PARTIALS = ["/alerts/", "/push/card"]
JSON = ["/api/v1/me", "/api/v1/alerts", "/api/v1/incidents", "/api/v1/contacts", "/api/v1/colleagues"]


def test_signed_in_pages_partials_and_json(client, auth):
    auth.login("anna")
    for path in SIGNED_IN_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        check_headers(response, path)
        assert _directives(response)["default-src"] == ["'self'"], path
        check_not_shared_cacheable(response, path)
    for path in HTMX_PARTIALS:
        response = client.get(path, headers={"HX-Request": "true"})
        assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)[:200], path
        check_headers(response, f"htmx {path}")
        check_not_shared_cacheable(response, f"htmx {path}")
    for path in JSON:
        response = client.get(path)
        assert response.status_code == 200 and response.is_json, path
        check_headers(response, path)
        assert "no-store" in response.headers["Cache-Control"], path


def test_leader_and_admin_pages(client, auth):
    auth.login("admin")
    for path in ("/admin/", "/admin/users", "/admin/audit", "/push/health", "/incidents/statistics"):
        response = client.get(path)
        assert response.status_code == 200, path
        check_headers(response, path)
        check_not_shared_cacheable(response, path)


def test_error_answers_have_the_headers_too(client, auth):
    check_headers(client.get("/no-such-page"), "404 page (signed out)")
    check_headers(client.get("/api/v1/me"), "401 JSON")
    check_headers(client.post("/login", data={"username": "anna", "password": "demo"}), "400 CSRF page")
    auth.login("anna")
    missing = client.get(f"/api/v1/visits/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    check_headers(missing, "404 JSON")
    assert "no-store" in missing.headers["Cache-Control"]
    bad = auth.post("/api/v1/visits", json={"id": "x"})
    assert bad.status_code == 400
    check_headers(bad, "400 JSON")
    page = client.get(f"/visits/{uuid.uuid4()}")
    assert page.status_code == 404
    check_headers(page, "404 page (signed in)")
    check_not_shared_cacheable(page, "404 page (signed in)")
    check_headers(client.get("/admin/"), "403 page")


def test_too_many_requests_page_has_the_headers(client):
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    response = None
    for _ in range(12):
        response = client.post("/login", data={"username": "anna", "password": "x", "csrf_token": token})
    assert response.status_code == 429
    check_headers(response, "429 page")
    assert "Retry-After" in response.headers


def test_server_error_page_has_the_headers(app_config, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("configuration only")
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.sqlite3'}"})

    @app.get("/__boom")
    def boom():
        raise RuntimeError("boom")

    @app.get("/api/v1/__boom")
    def api_boom():
        raise RuntimeError("boom")

    client = app.test_client()
    page = client.get("/__boom")
    assert page.status_code == 500 and "boom" not in page.get_data(as_text=True)
    check_headers(page, "500 page")
    api = client.get("/api/v1/__boom")
    assert api.status_code == 500 and api.get_json()["error"] == "server_error"
    assert "boom" not in api.get_data(as_text=True)  # V7.4.1: no stack trace or message to the client
    check_headers(api, "500 JSON")


def test_public_files_have_the_headers(client):
    for path in ("/login", "/offline", "/manifest.webmanifest", "/sw.js", "/sw-push.js", "/static/css/app.css",
                 "/api/v1/openapi.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        check_headers(response, path)
        if not path.startswith("/static/"):
            assert _directives(response)["default-src"] == ["'self'"], path


def test_hsts_behind_the_tls_proxy(app_config, tmp_path, backend):
    """V9.1.1 / V14.4.5: with MAKKER_PROXIES the proxy's X-Forwarded-Proto https gives HSTS; without it
    the same header from a client is not trusted (and gives no HSTS on plain HTTP)."""
    if backend != "sqlite":
        pytest.skip("configuration only")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Host": "makker.example"}
    behind = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}", "PROXIES": 1})
    response = behind.test_client().get("/login", headers=forwarded)
    hsts = response.headers.get("Strict-Transport-Security", "")
    assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 31536000
    assert "includeSubDomains" in hsts
    check_headers(response, "login behind proxy")
    assert "Strict-Transport-Security" not in behind.test_client().get("/login").headers  # proxy said http

    direct = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.sqlite3'}"})
    assert "Strict-Transport-Security" not in direct.test_client().get("/login", headers=forwarded).headers


def test_no_cross_origin_access_is_granted(client, auth):
    """V14.5.3: no CORS: another origin's request gets no Access-Control-Allow-* header (so a page
    elsewhere cannot read answers with the person's cookie), also on a preflight."""
    auth.login("anna")
    evil = {"Origin": "https://evil.example"}
    for response in (client.get("/api/v1/me", headers=evil),
                     client.options("/api/v1/visits", headers={**evil, "Access-Control-Request-Method": "POST"})):
        assert not [h for h in response.headers.keys() if h.lower().startswith("access-control-allow")]
