"""The hottest path, a check-in and a check-out, in round trips (issue 8's load target).

Under load every statement is a round trip to the database and every Redis command one to Redis;
these budgets keep the work behind the load benchmark (bench/production.py) from quietly coming back.
Counted on both databases with the connection already in the pool, as under load."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event

from app.extensions import db as _db


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split())[:100])

    with app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _plan(clock) -> dict:
    return {"id": str(uuid.uuid4()), "planned_end": (clock.now() + timedelta(minutes=60)).isoformat(),
            "buddy": "bo", "place": "Vestergade 1"}


def test_check_in_and_check_out_stay_within_their_statements(auth, clock, statements):
    auth.login("anna")
    auth.post("/api/v1/visits", json=_plan(clock))  # warm-up: the session's last_seen is fresh now
    body = _plan(clock)
    statements.clear()
    assert auth.post("/api/v1/visits", json=body).status_code == 201
    check_in = list(statements)
    statements.clear()
    assert auth.post(f"/api/v1/visits/{body['id']}/checkout", json={}).status_code == 200
    check_out = list(statements)
    # session+user+unit, the buddy, INSERT visit (ON CONFLICT DO NOTHING: no SELECT first), INSERT event
    assert len(check_in) <= 4, check_in
    # session+user+unit, the visit (locked) with its buddy, UPDATE visit, INSERT event: no alert query
    # for a visit that was never overdue
    assert len(check_out) <= 4, check_out
    assert not any("FROM alerts" in s for s in check_out), check_out


def test_check_out_of_an_overdue_visit_resolves_its_alert(app, auth, clock, db):
    """The other side of the alert gate above: once overdue, check-out still resolves the alert."""
    from app.models import Alert
    from app.watchdog import engine

    auth.login("anna")
    body = _plan(clock)
    assert auth.post("/api/v1/visits", json=body).status_code == 201
    clock.advance(minutes=90)
    with app.app_context():
        engine.tick(_db.session, clock)
    assert auth.post(f"/api/v1/visits/{body['id']}/checkout", json={}).get_json()["state"] == "closed"
    with db as session:
        alert = session.query(Alert).filter_by(visit_id=body["id"]).one()
        assert (alert.reason, alert.state, alert.outcome) == ("overdue", "resolved", "safe")
