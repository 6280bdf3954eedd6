"""Errors: the contract's JSON shape under /api/v1, friendly Danish pages elsewhere, never a 5xx for bad input."""

from __future__ import annotations

import json

import pytest
from flask import Blueprint, jsonify
from pydantic import BaseModel, Field

from app.api import ApiError, api_login_required, parse_body
from app.extensions import limiter
from app.security import roles_required


class Echo(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    count: int = Field(ge=1, le=10)


def _test_blueprint() -> Blueprint:
    """Throwaway /api/v1 routes, registered only on the test app (not in the OpenAPI registry)."""
    bp = Blueprint("api_errors_test", __name__, url_prefix="/api/v1/_test")

    @bp.post("/echo")
    @api_login_required
    def echo():
        body = parse_body(Echo)
        return jsonify(body.model_dump()), 201

    @bp.post("/conflict")
    @api_login_required
    def conflict():
        raise ApiError(409, "already_done", "That has already happened.")

    @bp.get("/admin-only")
    @roles_required("admin")
    def admin_only():
        return jsonify(ok=True)

    @bp.get("/limited")
    @limiter.limit("2 per minute")
    def limited():
        return jsonify(ok=True)

    @bp.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    return bp


def _html_boom():
    raise RuntimeError("a bug in a page")


@pytest.fixture
def app(app):
    app.register_blueprint(_test_blueprint())
    app.add_url_rule("/_test/boom", "html_boom", _html_boom)
    return app


def _danish(app, english: str) -> str:
    """The Danish the app shows for `english` (feature catalogues may word shared messages their own way)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context("/"), force_locale("da"):
        danish = gettext(english)
    assert danish != english, f"no Danish translation of {english!r}"
    return danish


def _assert_error(response, status: int, code: str | None = None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) >= {"error", "message"}
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"].strip()
    if code:
        assert body["error"] == code
    return body


def test_400_malformed_json(client, auth):
    auth.login("anna")
    headers = {**auth.headers(), "Content-Type": "application/json"}
    body = _assert_error(client.post("/api/v1/_test/echo", data="{not json", headers=headers), 400, "invalid_json")
    assert "JSON" in body["message"]
    _assert_error(client.post("/api/v1/_test/echo", data="[1, 2]", headers=headers), 400, "invalid_json")
    _assert_error(client.post("/api/v1/_test/echo", data=b"\xff\xfe\x00garbage", headers=headers), 400)
    _assert_error(client.post("/api/v1/_test/echo", data="name=x", headers=auth.headers(),
                              content_type="application/x-www-form-urlencoded"), 400, "invalid_json")
    _assert_error(client.post("/api/v1/_test/echo", headers=auth.headers()), 400, "invalid_json")


def test_400_invalid_input_names_the_field(client, auth):
    auth.login("anna")
    body = _assert_error(auth.post("/api/v1/_test/echo", json={"name": "x", "count": 99}), 400, "invalid")
    assert body["message"].startswith("count")
    assert body["fields"][0]["field"] == "count"
    _assert_error(auth.post("/api/v1/_test/echo", json={"name": "x", "count": "lots"}), 400, "invalid")
    _assert_error(auth.post("/api/v1/_test/echo", json={"count": 10 ** 100}), 400, "invalid")
    deep = json.loads("[" * 50 + "]" * 50)
    _assert_error(auth.post("/api/v1/_test/echo", json={"name": deep, "count": 1}), 400, "invalid")
    ok = auth.post("/api/v1/_test/echo", json={"name": "Anna", "count": 3})
    assert ok.status_code == 201 and ok.get_json() == {"name": "Anna", "count": 3}


def test_400_missing_csrf_token_on_the_api(client, auth):
    auth.login("anna")
    _assert_error(client.post("/api/v1/_test/echo", json={"name": "x", "count": 1}), 400, "csrf_failed")
    _assert_error(client.post("/api/v1/_test/echo", json={"name": "x", "count": 1},
                              headers={"X-CSRFToken": "forged"}), 400, "csrf_failed")


def test_401_when_not_signed_in(app, client):
    body = _assert_error(client.get("/api/v1/me"), 401, "not_signed_in")
    assert body["message"] == _danish(app, "Please sign in.")
    _assert_error(client.get("/api/v1/_test/admin-only"), 401, "not_signed_in")


def test_403_for_the_wrong_role(app, client, auth):
    auth.login("anna")
    body = _assert_error(client.get("/api/v1/_test/admin-only"), 403, "forbidden")
    assert body["message"] == _danish(app, "You are not allowed to do that.")
    auth.logout()
    auth.login("admin")
    assert client.get("/api/v1/_test/admin-only").get_json() == {"ok": True}


def test_404_and_405(client, auth):
    _assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    response = client.delete("/api/v1/me")
    _assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    auth.login("anna")
    _assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_409_from_an_api_error(client, auth):
    auth.login("anna")
    body = _assert_error(auth.post("/api/v1/_test/conflict", json={}), 409, "already_done")
    assert body["message"] == "That has already happened."


def test_413_body_larger_than_max_content_length(app, client, auth):
    auth.login("anna")
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    body = _assert_error(auth.post("/api/v1/_test/echo", json={"name": big, "count": 1}), 413, "too_large")
    assert body["message"] == _danish(app, "That is too much data at once.")


def test_429_too_many_requests(app, client):
    assert client.get("/api/v1/_test/limited").status_code == 200
    assert client.get("/api/v1/_test/limited").status_code == 200
    body = _assert_error(client.get("/api/v1/_test/limited"), 429, "too_many_requests")
    assert body["message"] == _danish(app, "Too many attempts. Wait a minute and try again.")


def test_unexpected_error_is_a_json_500_without_details(client):
    body = _assert_error(client.get("/api/v1/_test/boom"), 500, "server_error")
    assert "a bug" not in json.dumps(body)


def test_html_errors_are_friendly_danish_pages(app, client, auth):
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert '<html lang="da">' in html and "Fejl 404" in html
    assert _danish(app, "We could not find that page.") in html
    assert _danish(app, "Back to the front page") in html
    response = client.get("/_test/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "a bug" not in html
    assert _danish(app, "Something went wrong on our side. Your data is safe; try again.") in html
    auth.login("anna")
    response = client.get("/admin/")
    assert response.status_code == 403 and "Fejl 403" in response.get_data(as_text=True)
    assert _danish(app, "You are not allowed to do that.") in response.get_data(as_text=True)
    response = client.post("/logout")  # no CSRF token
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert _danish(app, "Your session expired or the form was old. Reload the page and try again.") in (
        response.get_data(as_text=True))


BAD_INPUT = [
    ("GET", "/api/v1/me?x=%ff%fe", None, None),
    ("GET", "/%00", None, None),
    ("GET", "/admin/users/not-a-number", None, None),
    ("GET", "/login?next=%ff", None, None),
    ("POST", "/login", "username=%ff&password=%00&csrf_token=x", "application/x-www-form-urlencoded"),
    ("POST", "/login", "\xff" * 10, "multipart/form-data; boundary=zzz"),
    ("POST", "/api/v1/_test/echo", '{"name": "\\ud800", "count": 1}', "application/json"),
    ("PUT", "/api/v1/me", "{}", "application/json"),
    ("POST", "/settings/language", "locale=xx", "application/x-www-form-urlencoded"),
]


@pytest.mark.parametrize("signed_in", [False, True])
def test_bad_input_never_gives_a_5xx(client, auth, signed_in):
    if signed_in:
        auth.login("anna")
    for method, path, data, content_type in BAD_INPUT:
        headers = auth.headers() if signed_in else {}
        response = client.open(path, method=method, data=data, content_type=content_type, headers=headers)
        assert 400 <= response.status_code < 500 or response.status_code in (200, 302), (path, response.status_code)
        if path.startswith("/api/") and response.status_code >= 400:
            _assert_error(response, response.status_code)
    # A tampered session cookie is just "not signed in".
    client.set_cookie("makker_session", "garbage.value.here")
    _assert_error(client.get("/api/v1/me"), 401)
