"""`flask purge` (with --dry-run and overrides) and the admin page /admin/retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import AuditEntry, MailSinkMessage, RetentionRun, Visit
from tests.retention import helpers as h


def _data(db, clock) -> str:
    with db as s:
        h.mail(s, created_at=clock.now() - timedelta(days=31))
        h.mail(s, created_at=clock.now() - timedelta(days=10))
        visit = h.visit(s, closed_at=clock.now() - timedelta(days=6))
        s.commit()
        return visit.id


def test_dry_run_prints_the_counts_and_changes_nothing(runner, db, clock):
    _data(db, clock)
    with db as s:
        before = h.snapshot(s)
    result = runner.invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "mail_sink                1" in result.output
    assert "would delete or erase 1 row(s) (dry run: nothing was changed)" in result.output
    with db as s:
        assert h.snapshot(s) == before
        assert h.count(s, RetentionRun) == 0
        assert h.count(s, AuditEntry, AuditEntry.action == "retention.purge") == 0


def test_purge_deletes_prints_and_is_audited(runner, db, clock):
    _data(db, clock)
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "places_days 30, visits_days 365" in result.output
    assert "mail_sink                1" in result.output and "visit_places             0" in result.output
    assert "deleted or erased 1 row(s)" in result.output
    with db as s:
        assert h.count(s, MailSinkMessage) == 1
        run = s.execute(select(RetentionRun)).scalar_one()
        assert run.trigger == "command" and run.finished_at == clock.now() and run.counts["mail_sink"] == 1
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "retention.purge")).scalar_one()
        assert entry.detail["counts"] == {"mail_sink": 1} and entry.detail["policy"]["places_days"] == 30


def test_days_can_be_overridden_for_one_run(runner, db, clock):
    visit_id = _data(db, clock)
    result = runner.invoke(args=["purge", "--places-days", "5"])
    assert result.exit_code == 0, result.output
    assert "visit_places             1" in result.output and "mail_sink                2" in result.output
    with db as s:
        assert s.get(Visit, visit_id).place == ""
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "retention.purge")).scalar_one()
        assert entry.detail["policy"]["places_days"] == 5


def test_a_bad_override_is_refused(runner, db):
    result = runner.invoke(args=["purge", "--audit-days", "0"])
    assert result.exit_code == 2
    assert "0 is not in the range x>=1" in result.output
    with db as s:
        assert h.count(s, RetentionRun) == 0


def test_the_admin_page_shows_the_policy_in_danish_and_the_latest_runs(client, auth, runner, db, clock):
    _data(db, clock)
    assert runner.invoke(args=["purge"]).exit_code == 0
    auth.login("admin")
    index = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/retention"' in index and "Sletning af data" in index

    response = client.get("/admin/retention")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Adresser og positioner slettes 30 dage efter besøget." in page
    assert "Revisionsloggen gemmes i 2190 dage (6 år)." in page
    assert "Hændelser slettes 1825 dage (5 år) efter" in page
    assert "Seneste kørsler" in page and "Manuelt" in page and "Færdig" in page
    assert "1 række slettet eller ryddet" in page and "Lokale kopier af e-mails" in page


def test_the_admin_page_says_when_nothing_ran_yet(client, auth):
    auth.login("admin")
    assert "Ingen kørsler endnu." in client.get("/admin/retention").get_data(as_text=True)


def test_staff_leaders_and_anonymous_visitors_cannot_see_it(client, auth):
    response = client.get("/admin/retention")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    for username in ("anna", "lene", "ali"):
        auth.login(username)
        assert client.get("/admin/retention").status_code == 403
        auth.logout()


def test_a_retention_period_below_one_day_stops_the_start(app_config, tmp_path):
    from app import create_app

    with pytest.raises(RuntimeError, match="MAKKER_RETAIN_VISITS_DAYS must be a whole number of days, at least 1"):
        create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                    "RETAIN_VISITS_DAYS": 0})
