"""`flask db upgrade heads` on an empty database gives exactly the schema of the models.

This catches a model (or a column, index, constraint) added without a migration, and a migration
that does not match its model."""

from __future__ import annotations

import logging

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, inspect, text

from app import create_app
from app.extensions import db
from app.models import Base
from tests.conftest import private_pg_database


def _flask_db(url: str, tmp_path, *commands: list[str]) -> None:
    """Run `flask db ...` commands, one after the other, on the database at `url`."""
    app = create_app({
        "TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "migrations",
        "SQLALCHEMY_DATABASE_URI": url, "DEMO": False,
    })
    runner = app.test_cli_runner()
    # Alembic's env.py calls logging.fileConfig, which disables every existing logger: undo that
    # so that later tests still see the app's log records.
    loggers = {name: lg.disabled for name, lg in logging.root.manager.loggerDict.items()
               if isinstance(lg, logging.Logger)}
    root_level, root_handlers = logging.root.level, list(logging.root.handlers)
    try:
        for command in commands:
            result = runner.invoke(args=["db", *command])
            assert result.exit_code == 0, (result.output, result.exception)
    finally:
        for name, disabled in loggers.items():
            logging.getLogger(name).disabled = disabled
        logging.root.setLevel(root_level)
        logging.root.handlers[:] = root_handlers
        with app.app_context():
            db.engine.dispose()


def _upgrade(url: str, tmp_path) -> None:
    _flask_db(url, tmp_path, ["upgrade", "heads"], ["upgrade", "heads"])  # the second run must be a no-op


def _differences(url: str, metadata: MetaData = Base.metadata) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
            diff = compare_metadata(context, metadata)
            tables = set(inspect(conn).get_table_names())
            heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert heads, "alembic_version is empty"
    return diff


def _describe(diff) -> str:
    return "\n".join(repr(d) for d in diff)


def test_sqlite_upgrade_matches_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    _upgrade(url, tmp_path)
    diff = _differences(url)
    assert diff == [], "schema differs from the models (a model without a migration?):\n" + _describe(diff)

    # The comparison does notice a table or a column that no migration created.
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    Table("not_migrated", changed, Column("id", Integer, primary_key=True))
    changed.tables["users"].append_column(Column("shoe_size", Integer))
    changed.tables["users"].c.username.type = String(99)
    kinds = {d[0] if isinstance(d, tuple) else d[0][0] for d in _differences(url, changed)}
    assert {"add_table", "add_column", "modify_type"} <= kinds


@pytest.fixture
def empty_pg_database():
    with private_pg_database("makker_migrations") as url:
        yield url


@pytest.mark.postgres
def test_postgres_upgrade_matches_the_models(empty_pg_database, tmp_path):
    _upgrade(empty_pg_database, tmp_path)
    diff = _differences(empty_pg_database)
    assert diff == [], "schema differs from the models (a model without a migration?):\n" + _describe(diff)


def test_sqlite_downgrade_of_0010_keeps_the_rows_that_point_at_users(tmp_path):
    """0010's downgrade drops users.deactivated_at with a native DROP COLUMN: a table rebuild would
    drop `users` under ON DELETE CASCADE and take every ambulance letter with it."""
    url = f"sqlite:///{tmp_path / 'down.sqlite3'}"
    _upgrade(url, tmp_path)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, username, name, phone, email, role, locale, active, "
                              "password_hash, first_aid_trained, created_at) VALUES (1, 'anna', 'Anna', '', '', "
                              "'staff', 'da', 1, '', 0, '2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO ambulance_letters (id, user_id, important_info, created_at, updated_at, "
                              "reviewed_at) VALUES (1, 1, 'x', '2026-01-01', '2026-01-01', '2026-01-01')"))
    finally:
        engine.dispose()
    _flask_db(url, tmp_path, ["downgrade", "0009_retention_indexes"])
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM ambulance_letters")).scalar() == 1
            assert "deactivated_at" not in {c["name"] for c in inspect(conn).get_columns("users")}
    finally:
        engine.dispose()
