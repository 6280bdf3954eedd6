"""Database engine set-up: SQLite gets WAL, foreign keys and a busy timeout (web threads and the
embedded watchdog write concurrently)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask, db) -> None:
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
