"""Unit tests of the foundation's building blocks: roles, UTC datetimes, sessions, passwords and keys."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask_login import login_user
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError
from werkzeug.exceptions import Forbidden

from app import create_app, keys, passwords
from app.auth import sessions
from app.models import AuditEntry, User, UserSession
from app.models.base import UTCDateTime
from app.security import roles_required


def _user(session, username: str) -> User:
    return session.execute(select(User).where(User.username == username)).scalar_one()


# --- Roles ---------------------------------------------------------------------------------------

def test_has_role():
    user = User(username="x", name="X", role="leader")
    assert user.has_role("leader")
    assert user.has_role("staff", "leader")
    assert not user.has_role("amr", "admin")
    assert not user.has_role()


@pytest.mark.parametrize(
    ("username", "allowed"),
    [("anna", False), ("bo", False), ("lene", True), ("ali", True), ("admin", True)],
)
def test_roles_required(app, db, username, allowed):
    view = roles_required("leader", "amr")(lambda: "ok")
    with db as session:
        user = _user(session, username)
        with app.test_request_context("/somewhere"):
            login_user(user)
            if allowed:
                assert view() == "ok"  # admin always passes
            else:
                with pytest.raises(Forbidden):
                    view()


def test_roles_required_sends_anonymous_visitors_to_sign_in(app):
    view = roles_required("admin")(lambda: "ok")
    with app.test_request_context("/somewhere"):
        response = view()
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    with app.test_request_context("/api/v1/somewhere"):
        response = view()
        assert response.status_code == 401 and response.get_json()["error"] == "not_signed_in"


# --- UTCDateTime ---------------------------------------------------------------------------------

def test_utc_datetime_round_trip(db):
    copenhagen_summer = timezone(timedelta(hours=2))
    when = datetime(2026, 6, 1, 14, 30, 15, 123000, tzinfo=copenhagen_summer)
    with db as session:
        entry = AuditEntry(at=when, actor_id=None, action="test.time")
        session.add(entry)
        session.commit()
        entry_id = entry.id
        session.expunge_all()
        loaded = session.get(AuditEntry, entry_id)
        assert loaded.at.tzinfo is not None
        assert loaded.at.utcoffset() == timedelta(0)
        assert loaded.at == when
        assert loaded.at.replace(tzinfo=None) == datetime(2026, 6, 1, 12, 30, 15, 123000)
        # Comparisons in queries work on the UTC instant.
        found = session.execute(select(AuditEntry.id).where(
            AuditEntry.at > datetime(2026, 6, 1, 12, 30, tzinfo=UTC),
            AuditEntry.at < datetime(2026, 6, 1, 14, 31, tzinfo=copenhagen_summer),
        )).scalars().all()
        assert found == [entry_id]


def test_utc_datetime_refuses_naive_values(db):
    with db as session:
        session.add(AuditEntry(at=datetime(2026, 6, 1, 12, 0), actor_id=None, action="test.naive"))
        with pytest.raises(StatementError, match="naive datetime"):
            session.flush()
        session.rollback()


def test_utc_datetime_type_directly():
    column_type = UTCDateTime()
    aware = datetime(2026, 1, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    stored = column_type.process_bind_param(aware, sqlite.dialect())
    assert stored == datetime(2026, 1, 1, 9, 0) and stored.tzinfo is None  # SQLite keeps naive UTC
    stored_pg = column_type.process_bind_param(aware, postgresql.dialect())
    assert stored_pg.tzinfo is not None and stored_pg == aware
    assert column_type.process_result_value(datetime(2026, 1, 1, 9, 0), sqlite.dialect()) == aware
    assert column_type.process_result_value(None, sqlite.dialect()) is None
    with pytest.raises(ValueError):
        column_type.process_bind_param(datetime(2026, 1, 1), sqlite.dialect())


# --- Sessions ------------------------------------------------------------------------------------

def _start(session, user, clock, stay=True) -> str:
    row = sessions.start(session, user, clock, stay_signed_in=stay, user_agent="test" * 100, ip="10.0.0.1")
    session.commit()
    return row.id


def test_session_start_and_load(db, clock):
    with db as session:
        anna = _user(session, "anna")
        sid = _start(session, anna, clock)
        row = session.get(UserSession, sid)
        assert len(sid) >= 40 and len(row.user_agent) == 255
        assert row.expires_at == clock.now() + sessions.LONG_SESSION
        assert sessions.load_user(session, sid, str(anna.id), clock) is anna
        # The cookie's session id must belong to the user id it claims.
        assert sessions.load_user(session, sid, str(_user(session, "bo").id), clock) is None
        assert sessions.load_user(session, sid, "not-a-number", clock) is None
        assert sessions.load_user(session, None, str(anna.id), clock) is None
        assert sessions.load_user(session, "unknown", str(anna.id), clock) is None


def test_short_session_expires_after_12_hours(db, clock):
    with db as session:
        anna = _user(session, "anna")
        sid = _start(session, anna, clock, stay=False)
        clock.advance(hours=11, minutes=59)
        assert sessions.load_user(session, sid, str(anna.id), clock) is anna
        clock.advance(minutes=2)
        assert sessions.load_user(session, sid, str(anna.id), clock) is None


def test_long_session_expires_after_30_days(db, clock):
    with db as session:
        anna = _user(session, "anna")
        sid = _start(session, anna, clock)
        clock.advance(days=29)
        assert sessions.load_user(session, sid, str(anna.id), clock) is anna
        clock.advance(days=1, seconds=1)
        assert sessions.load_user(session, sid, str(anna.id), clock) is None
        assert sessions.active_for(session, anna.id, clock) == []


def test_last_seen_is_written_at_most_every_five_minutes(db, clock):
    with db as session:
        anna = _user(session, "anna")
        sid = _start(session, anna, clock)
        started = clock.now()
        clock.advance(minutes=4)
        sessions.load_user(session, sid, str(anna.id), clock)
        assert session.get(UserSession, sid).last_seen_at == started
        clock.advance(minutes=2)
        sessions.load_user(session, sid, str(anna.id), clock)
        assert session.get(UserSession, sid).last_seen_at == clock.now()


def test_revoke_and_revoke_all(db, clock):
    with db as session:
        anna, bo = _user(session, "anna"), _user(session, "bo")
        phone, laptop, tablet = (_start(session, anna, clock) for _ in range(3))
        bos = _start(session, bo, clock)
        assert not sessions.revoke(session, phone, bo.id, clock)  # not bo's session
        assert sessions.revoke(session, phone, anna.id, clock)
        assert not sessions.revoke(session, phone, anna.id, clock)  # already revoked
        session.commit()
        assert sessions.load_user(session, phone, str(anna.id), clock) is None
        assert {s.id for s in sessions.active_for(session, anna.id, clock)} == {laptop, tablet}
        assert sessions.revoke_all(session, anna.id, clock, keep=tablet) == 1
        session.commit()
        assert sessions.load_user(session, laptop, str(anna.id), clock) is None
        assert sessions.load_user(session, tablet, str(anna.id), clock) is anna
        assert sessions.revoke_all(session, anna.id, clock) == 1
        session.commit()
        assert sessions.active_for(session, anna.id, clock) == []
        assert sessions.load_user(session, bos, str(bo.id), clock) is bo


def test_inactive_user_session_is_refused(db, clock):
    with db as session:
        bo = _user(session, "bo")
        sid = _start(session, bo, clock)
        bo.active = False
        session.commit()
        assert sessions.load_user(session, sid, str(bo.id), clock) is None


def test_purge_expired(db, clock):
    with db as session:
        anna = _user(session, "anna")
        old = _start(session, anna, clock, stay=False)
        clock.advance(days=31)
        fresh = _start(session, anna, clock)
        assert sessions.purge_expired(session, clock.now()) == 1
        session.commit()
        assert session.get(UserSession, old) is None and session.get(UserSession, fresh) is not None


# --- Passwords -----------------------------------------------------------------------------------

def test_hash_and_verify():
    hashed = passwords.hash_secret("correct horse battery")
    assert hashed.startswith("$argon2id$") and "correct" not in hashed
    assert passwords.hash_secret("correct horse battery") != hashed  # salted
    assert passwords.verify_secret(hashed, "correct horse battery")
    assert not passwords.verify_secret(hashed, "correct horse batterY")
    assert not passwords.verify_secret(hashed, "")
    assert not passwords.verify_secret(None, "correct horse battery")
    assert not passwords.verify_secret("", "anything")
    assert not passwords.verify_secret("not-a-hash", "anything")


def test_password_policy(app):
    with app.test_request_context("/", headers={"Accept-Language": "da"}):
        assert passwords.password_problem("short") is not None
        assert str(passwords.password_problem("123456789")) == "Adgangskoden skal være på mindst 12 tegn."
        assert passwords.password_problem("a-long-enough-password") is None
        assert passwords.password_problem("xxxAnna-2026xxx", "anna") is not None
        assert passwords.password_problem("xxxAnna-2026xxx", "bo") is None
        assert passwords.password_problem("Password123") is not None
        assert passwords.password_problem("1234567890") is not None
        assert passwords.password_problem("blå-kaffe-42") is None  # exactly MIN_PASSWORD_LENGTH
        assert len("blå-kaffe-42") == passwords.MIN_PASSWORD_LENGTH
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert str(passwords.password_problem("short")) == "The password must be at least 12 characters."


# --- Keys ----------------------------------------------------------------------------------------

def test_secret_key_is_generated_once_and_kept(tmp_path):
    instance = tmp_path / "instance"
    first = keys.secret_key(str(instance))
    path = instance / "secret_key"
    assert path.exists() and path.read_text().strip() == first and len(first) >= 48
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keys.secret_key(str(instance)) == first
    assert keys.secret_key(str(tmp_path / "other")) != first
    assert not list(instance.glob("*.tmp"))


def test_vapid_key_is_generated_once_and_usable(tmp_path):
    instance = str(tmp_path / "instance")
    pem = keys.vapid_private_pem(instance)
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert keys.vapid_private_pem(instance) == pem
    key = keys.load_vapid_private_key(pem)
    public = keys.vapid_public_key_b64(key)
    assert len(public) == 87 and "=" not in public  # 65 bytes, base64url without padding
    # The raw base64url scalar (as `vapid` tools print it) gives the same key.
    import base64

    raw = key.private_numbers().private_value.to_bytes(32, "big")
    scalar = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    assert keys.vapid_public_key_b64(keys.load_vapid_private_key(scalar)) == public


def test_create_app_uses_the_instance_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("MAKKER_SECRET_KEY", raising=False)
    monkeypatch.delenv("MAKKER_VAPID_PRIVATE_KEY", raising=False)
    config = {"INSTANCE_PATH": str(tmp_path / "inst"), "TESTING": True, "DEMO": False,
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.sqlite3'}"}
    first, second = create_app(dict(config)), create_app(dict(config))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == (tmp_path / "inst" / "secret_key").read_text()
    assert first.config["VAPID_PRIVATE_KEY"] == second.config["VAPID_PRIVATE_KEY"]
    monkeypatch.setenv("MAKKER_SECRET_KEY", "from-the-environment")
    assert create_app(dict(config)).config["SECRET_KEY"] == "from-the-environment"
