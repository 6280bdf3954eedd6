"""deploy/backup.sh and deploy/restore.sh against real PostgreSQL databases: a custom-format dump with
retention, restored into a new database with every row, which the app then runs on."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, table, text

from app import create_app
from app.extensions import db as _db
from app.models import User, Visit
from app.visits.ladder import reschedule, timings_for
from tests.conftest import private_pg_database
from tests.production.conftest import ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def script(name: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "deploy" / name), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).scalars().all()
            return {t: conn.execute(select(func.count()).select_from(table(t))).scalar() for t in tables}
    finally:
        engine.dispose()


def test_backup_then_restore_into_a_new_database(production_db, production_keys, tmp_path):
    # Something beyond the demo data: a visit of Anna's.
    source_app = create_app({"SQLALCHEMY_DATABASE_URI": production_db, "INSTANCE_PATH": str(tmp_path / "src"),
                             "SECRET_KEY": "x"})
    with source_app.app_context():
        s = _db.session
        anna = s.execute(select(User).where(User.username == "anna")).scalar_one()
        bo = s.execute(select(User).where(User.username == "bo")).scalar_one()
        end = datetime.now(UTC) + timedelta(hours=1)
        visit = Visit(id=str(uuid.uuid4()), worker_id=anna.id, buddy_id=bo.id, unit_id=anna.unit_id,
                      state="active", started_at=end - timedelta(minutes=30), planned_end=end,
                      place="Backupvej 2")
        visit.unit = anna.unit
        reschedule(visit, timings_for(anna.unit))
        s.add(visit)
        s.commit()
        s.remove()
        _db.engine.dispose()

    backups = tmp_path / "backups"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    env.update({"MAKKER_DATABASE_URL": production_db, "MAKKER_ENV_FILE": str(tmp_path / "none.env"),
                "MAKKER_BACKUP_DIR": str(backups), "MAKKER_BACKUP_KEEP": "1"})
    made = []
    for _ in range(2):
        result = script("backup.sh", env=env)
        assert result.returncode == 0, result.stderr
        made.append(result.stdout.strip())
    # Timestamped names, one per second at most; only the newest is kept (MAKKER_BACKUP_KEEP=1).
    assert all(re.fullmatch(r".*/makker-\d{8}T\d{6}Z\.dump", path) for path in made), made
    assert made[0] < made[1] and [str(p) for p in backups.iterdir()] == made[1:]
    source = row_counts(production_db)
    assert source["visits"] >= 1 and source["users"] >= 5 and source["alembic_version"] >= 1

    with private_pg_database("makker_restore") as target:
        restore_env = {**env, "MAKKER_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/live"}
        result = script("restore.sh", made[-1], target, env=restore_env)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert "SAME MAKKER_SECRET_KEY" in result.stdout  # the keys are not in the backup: it says so
        assert row_counts(target) == source

        # A database that already has tables is only replaced when asked to (--yes).
        again = script("restore.sh", made[-1], target, env=restore_env)
        assert again.returncode == 2 and "add --yes" in again.stderr
        again = script("restore.sh", "--yes", made[-1], target, env=restore_env)
        assert again.returncode == 0, again.stderr[-3000:]
        assert row_counts(target) == source
        # Without a target, restore.sh would overwrite MAKKER_DATABASE_URL: refused without --yes.
        live = script("restore.sh", made[-1], env=restore_env)
        assert live.returncode == 2 and "live database" in live.stderr

        # The app runs on the restored copy with the installation's keys: Anna signs in.
        app = create_app({"SQLALCHEMY_DATABASE_URI": target, "INSTANCE_PATH": str(tmp_path / "instance"),
                          "SECRET_KEY": production_keys["MAKKER_SECRET_KEY"],
                          "VAPID_PRIVATE_KEY": production_keys["MAKKER_VAPID_PRIVATE_KEY"],
                          "RATELIMIT_STORAGE_URI": "memory://"})
        try:
            client = app.test_client()
            assert client.get("/healthz").status_code == 200
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            signed_in = client.post("/login", data={"username": "anna", "password": "demo", "csrf_token": token})
            assert signed_in.status_code == 302
            assert client.get("/api/v1/me").get_json()["username"] == "anna"
            with app.app_context():
                assert _db.session.execute(select(func.count()).select_from(Visit)
                                           .where(Visit.place == "Backupvej 2")).scalar() == 1
        finally:
            with app.app_context():
                _db.session.remove()
                _db.engine.dispose()
