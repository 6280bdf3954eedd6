"""Fixtures in the style of the Flask tutorial: app, client, runner, auth; plus db backends and a clock.

The `app` fixture runs every test that uses it on SQLite and, when MAKKER_TEST_DATABASE_URL is set,
again on PostgreSQL (in a database of its own, created for this test session and dropped after)."""

from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app, passwords
from app.clock import FakeClock
from app.extensions import db as _db

PG_URL = os.environ.get("MAKKER_TEST_DATABASE_URL")


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    # Production cost is right for sign-in, but would make the suite crawl.
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield


def _pg_admin_url(url: str):
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


@contextmanager
def private_pg_database(prefix: str):
    """A fresh PostgreSQL database on MAKKER_TEST_DATABASE_URL's server, dropped afterwards (so
    parallel runs never collide); yields its URL."""
    if not PG_URL:
        pytest.skip("MAKKER_TEST_DATABASE_URL is not set")
    base = _pg_admin_url(PG_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this test session."""
    with private_pg_database("makker_test") as url:
        yield url


_pg_schema_ready: set[str] = set()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request):
    return request.param


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def app_config(tmp_path, clock):
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "CLOCK": clock,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUSH_ALLOWED_HOSTS": ("fcm.googleapis.com", "127.0.0.1"),
        "DEMO": False,
    }


@pytest.fixture
def app(request, backend, app_config, tmp_path):
    if backend == "postgres":
        url = request.getfixturevalue("pg_database")
    else:
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    application = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url})
    # No app context is held during the test: each request gets its own (and its own `g`).
    with application.app_context():
        if backend == "sqlite" or url not in _pg_schema_ready:
            _db.create_all()
            _pg_schema_ready.add(url)
        from app.demo import load_demo_data

        load_demo_data()
    yield application
    with application.app_context():
        _db.session.remove()
        if backend == "postgres":
            tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            with _db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The database session, in an app context of its own (use it between requests)."""

    class _Db:
        def __enter__(self):
            self._ctx = app.app_context()
            self._ctx.push()
            return _db.session

        def __exit__(self, *exc):
            _db.session.remove()
            self._ctx.pop()

    return _Db()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class AuthActions:
    """Sign in and out through the real form, and call the JSON API with the CSRF header."""

    def __init__(self, client):
        self._client = client
        self.csrf_token: str | None = None

    def login(self, username: str = "anna", password: str = "demo", stay_signed_in: bool = True):
        page = self._client.get("/login")
        token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
        data = {"username": username, "password": password, "csrf_token": token}
        if stay_signed_in:
            data["stay_signed_in"] = "y"
        response = self._client.post("/login", data=data)
        me = self._client.get("/api/v1/me")
        self.csrf_token = me.get_json()["csrf_token"] if me.status_code == 200 else None
        return response

    def logout(self):
        return self._client.post("/logout", headers={"X-CSRFToken": self.csrf_token or ""})

    def headers(self) -> dict:
        return {"X-CSRFToken": self.csrf_token or ""}

    def post(self, path: str, json=None, **kwargs):
        return self._client.post(path, json=json, headers=self.headers(), **kwargs)

    def put(self, path: str, json=None, **kwargs):
        return self._client.put(path, json=json, headers=self.headers(), **kwargs)

    def delete(self, path: str, json=None, **kwargs):
        return self._client.delete(path, json=json, headers=self.headers(), **kwargs)

    def form_token(self, path: str) -> str:
        return CSRF_RE.search(self._client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def make_client(app):
    """Another signed-in person in the same test (e.g. the buddy next to the worker)."""

    def _make(username: str):
        c = app.test_client()
        actions = AuthActions(c)
        actions.login(username)
        return c, actions

    return _make
