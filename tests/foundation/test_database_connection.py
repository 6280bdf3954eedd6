"""Pooled connections after the database went away (a restart or failover), on PostgreSQL.

Connections are pinged only after an idle spell (app/database.py): an idle dead one is replaced
before use; a busy one that died fails its statement, the pool is dropped, and the request answers
503, which a phone's queue retries. Never a 500, and the next request works."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app import database

pytestmark = pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])


@pytest.fixture
def kill_connections(app):
    admin = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)

    def kill() -> int:
        with admin.begin() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )).all())

    yield kill
    admin.dispose()


def test_a_dead_idle_connection_is_replaced_before_use(auth, client, kill_connections, monkeypatch):
    auth.login("anna")
    assert kill_connections() >= 1
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)  # every pooled connection counts as idle
    response = client.get("/api/v1/me")
    assert response.status_code == 200 and response.get_json()["username"] == "anna"


def test_a_dead_busy_connection_answers_503_then_the_next_request_works(auth, client, kill_connections,
                                                                         monkeypatch):
    auth.login("anna")
    assert kill_connections() >= 1
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 3600.0)  # never pinged: fails in use
    lost = client.get("/api/v1/me")
    assert lost.status_code == 503
    assert lost.get_json()["error"] == "unavailable" and lost.headers["Retry-After"] == "1"
    page = client.get("/")
    assert page.status_code in (200, 302)
    again = client.get("/api/v1/me")
    assert again.status_code == 200 and again.get_json()["username"] == "anna"


def test_while_the_database_is_down_pages_and_api_answer_503_not_500(auth, client, kill_connections, monkeypatch):
    import psycopg

    auth.login("anna")
    kill_connections()

    def refused(*args, **kwargs):
        raise psycopg.OperationalError("connection refused (the test's database is down)")

    monkeypatch.setattr(psycopg, "connect", refused)  # what SQLAlchemy's dialect calls
    for path in ("/", "/api/v1/me", "/", "/api/v1/me"):
        response = client.get(path, headers={"Accept-Language": "da-DK,da;q=0.9"})
        assert response.status_code == 503, (path, response.status_code)
        assert response.headers["Retry-After"] == "1"
        if path.startswith("/api/"):
            assert response.get_json()["error"] == "unavailable"
        else:
            assert "Makker har travlt" in response.get_data(as_text=True)
    monkeypatch.undo()
    assert client.get("/api/v1/me").status_code == 200
