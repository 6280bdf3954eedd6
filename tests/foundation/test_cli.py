"""`flask users create|set-password|deactivate` and `flask demo-data` (idempotent, the contract's users)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app import create_app
from app.auth import sessions
from app.extensions import db as _db
from app.models import AuditEntry, Unit, User
from app.passwords import verify_secret

DANISH_PHONE = re.compile(r"^\+45 ?(\d ?){8}$")
CONTRACT_USERS = {"anna": "staff", "bo": "staff", "lene": "leader", "ali": "amr", "admin": "admin"}


def _user(session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def test_users_create(runner, db):
    result = runner.invoke(args=["users", "create", "Carla", "--name", "Carla Mikkelsen", "--role", "leader",
                                 "--unit", "Jobcenter Nord", "--phone", "+45 20 11 22 09",
                                 "--email", "carla@example.org", "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    assert "created Carla" in result.output
    with db as session:
        carla = _user(session, "carla")
        assert (carla.name, carla.role, carla.unit.name, carla.phone, carla.email) == (
            "Carla Mikkelsen", "leader", "Jobcenter Nord", "+45 20 11 22 09", "carla@example.org")
        assert carla.active and verify_secret(carla.password_hash, "a-long-password")
        assert session.execute(select(func.count()).select_from(Unit)).scalar_one() == 1
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "user.create",
                                                        AuditEntry.object_id == str(carla.id))).scalar_one()


def test_users_create_makes_a_missing_unit(runner, db):
    result = runner.invoke(args=["users", "create", "dan", "--name", "Dan", "--unit", "Ydelsescenter Syd",
                                 "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    with db as session:
        dan = _user(session, "dan")
        assert dan.role == "staff" and dan.unit.name == "Ydelsescenter Syd"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["anna", "--name", "Another Anna", "--password", "a-long-password"], "taken"),
        (["eve", "--name", "Eve", "--password", "short"], "Adgangskoden skal være på mindst 12 tegn."),
        (["eve", "--name", "Eve", "--password", "eve-is-my-password"], "må ikke indeholde brugernavnet"),
        (["eve", "--name", "Eve", "--role", "boss", "--password", "a-long-password"], "boss"),
        (["eve", "--password", "a-long-password"], "--name"),
    ],
)
def test_users_create_refusals(runner, db, args, message):
    result = runner.invoke(args=["users", "create", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, RuntimeError)
    with db as session:
        assert _user(session, "eve") is None
        assert session.execute(select(func.count()).select_from(User).where(User.name == "Another Anna")).scalar_one() == 0


def test_users_set_password(runner, db, clock):
    with db as session:
        bo = _user(session, "bo")
        sid = sessions.start(session, bo, clock, stay_signed_in=True, user_agent="phone", ip="").id
        session.commit()
    result = runner.invoke(args=["users", "set-password", "bo", "--password", "short"])
    assert result.exit_code == 1 and "Adgangskoden skal være på mindst 12 tegn." in result.output
    result = runner.invoke(args=["users", "set-password", "BO", "--password", "a-brand-new-password"])
    assert result.exit_code == 0, result.output
    with db as session:
        bo = _user(session, "bo")
        assert verify_secret(bo.password_hash, "a-brand-new-password")
        assert not verify_secret(bo.password_hash, "demo")
        assert sessions.load_user(session, sid, str(bo.id), clock) is None  # signed out everywhere
    result = runner.invoke(args=["users", "set-password", "nobody", "--password", "a-brand-new-password"])
    assert result.exit_code == 1 and "no user 'nobody'" in result.output


def test_users_deactivate(runner, db, clock):
    with db as session:
        ali = _user(session, "ali")
        sid = sessions.start(session, ali, clock, stay_signed_in=True, user_agent="phone", ip="").id
        session.commit()
    result = runner.invoke(args=["users", "deactivate", "ali"])
    assert result.exit_code == 0 and "deactivated ali" in result.output
    with db as session:
        ali = _user(session, "ali")
        assert ali.active is False
        assert sessions.load_user(session, sid, str(ali.id), clock) is None
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "user.deactivate")).scalar_one()
    result = runner.invoke(args=["users", "deactivate", "nobody"])
    assert result.exit_code == 1 and "no user 'nobody'" in result.output


def _check_contract_demo_data(session) -> None:
    units = session.execute(select(Unit)).scalars().all()
    assert [u.name for u in units] == ["Jobcenter Nord"]
    users = {u.username: u for u in session.execute(select(User)).scalars()}
    assert set(users) == set(CONTRACT_USERS)
    for username, role in CONTRACT_USERS.items():
        user = users[username]
        assert user.role == role, username
        assert user.unit is not None and user.unit.name == "Jobcenter Nord", username
        assert DANISH_PHONE.match(user.phone), (username, user.phone)
        assert user.active and verify_secret(user.password_hash, "demo"), username
    assert len({u.phone for u in users.values()}) == 5


def _demo_data(app, runner):
    # `flask demo-data` runs in an app context (the flask command pushes one for every command);
    # the test runner invokes app.cli directly, which does not for a plain click command.
    with app.app_context():
        return runner.invoke(args=["demo-data"])


def test_demo_data_on_an_empty_database_is_idempotent(tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "cli",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "DEMO": False})
    with app.app_context():
        _db.create_all()
    runner = app.test_cli_runner()
    first = _demo_data(app, runner)
    assert first.exit_code == 0, first.output
    for username in CONTRACT_USERS:
        assert username in first.output
    second = _demo_data(app, runner)
    assert second.exit_code == 0 and "nothing new" in second.output
    with app.app_context():
        _check_contract_demo_data(_db.session)
        _db.session.remove()
        _db.engine.dispose()


def test_demo_data_twice_creates_nothing_new(app, runner, db):
    with db as session:
        before = (session.execute(select(func.count()).select_from(User)).scalar_one(),
                  session.execute(select(func.count()).select_from(Unit)).scalar_one())
    for _ in range(2):
        result = _demo_data(app, runner)
        assert result.exit_code == 0 and "nothing new" in result.output
    with db as session:
        after = (session.execute(select(func.count()).select_from(User)).scalar_one(),
                 session.execute(select(func.count()).select_from(Unit)).scalar_one())
        assert before == after == (5, 1)
        _check_contract_demo_data(session)
