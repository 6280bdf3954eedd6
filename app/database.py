"""Database engine set-up: SQLite gets WAL, foreign keys and a busy timeout (web threads and the
embedded watchdog write concurrently); every pooled connection is checked after it has been idle."""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.orm import Session, make_transient_to_detached

# A connection used less than this long ago is handed out without a ping. SQLAlchemy's pool_pre_ping
# pings on every checkout: one extra round trip on every request, about an eighth of a check-in under
# load. A connection that went bad while busy (the server restarted) fails its statement instead;
# SQLAlchemy then invalidates the pool and the request answers 503 (app/errors.py), which phones retry.
PING_AFTER_IDLE_S = 5.0


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _note_checkin(_dbapi_connection, record) -> None:
    if record is not None:
        record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect):
    def on_checkout(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return  # new, or busy a moment ago
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(str(error)) from error
        if not alive:
            raise exc.DisconnectionError("ping failed")  # the pool retries with a new connection

    return on_checkout


def init_app(app: Flask, db) -> None:
    with app.app_context():
        engine = db.engine
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", _ping_if_idle(engine.dialect))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("timeout", 15)
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)
            if ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"]:
                # WAL is a property of the file: set once, not on every new connection (it takes a lock).
                with db.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA journal_mode=WAL")


def is_postgres(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_INSERT_UNLESS_PRESENT: dict = {}


def insert_unless_present(session, model, values: dict) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING in one round trip: True if the row was new.

    For idempotent creates by a client-made id: no SELECT first, and no unit of work. The statement
    is built once per table and dialect and the values go in as parameters, so SQLAlchemy finds it
    compiled in its cache at once instead of building and keying a 24-column VALUES every time."""
    dialect = session.get_bind().dialect.name
    statement = _INSERT_UNLESS_PRESENT.get((dialect, model))
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        table = model.__table__
        # RETURNING, not rowcount: with implicit RETURNING, psycopg's rowcount of an INSERT is -1.
        statement = insert(table).on_conflict_do_nothing().returning(*table.primary_key)
        _INSERT_UNLESS_PRESENT[(dialect, model)] = statement
    return session.execute(statement, values).first() is not None


_INSERTED = "makker.inserted_with_core"


def attach_as_loaded(session, obj) -> None:
    """Put `obj`, whose row this transaction has just INSERTed with Core, into the session as if it
    had been loaded (no SQL), so callers can go on with it. A rollback takes the row away again; the
    object then leaves the session too (see below), instead of standing for a row that is gone."""
    make_transient_to_detached(obj)
    session.add(obj)
    session.info.setdefault(_INSERTED, []).append(obj)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_inserts(session, _previous_transaction) -> None:
    for obj in session.info.pop(_INSERTED, ()):
        if obj in session:
            session.expunge(obj)


@event.listens_for(Session, "after_commit")
def _inserts_are_kept(session) -> None:
    session.info.pop(_INSERTED, None)
