"""Danish first: every UI string translated, <html lang> follows the user, times shown in Copenhagen."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template_string
from sqlalchemy import select

from app import catalogs
from app.models import User


def test_every_ui_string_has_a_danish_translation():
    missing = catalogs.missing_danish()
    assert missing == [], "\n".join(f"{where[0]}:{where[1]}: {msgid}" for msgid, where in missing)


def test_the_check_would_notice_a_missing_translation(monkeypatch):
    real = catalogs.all_danish()
    some_msgid = next(iter(catalogs.extract("admin")))
    monkeypatch.setattr(catalogs, "all_danish", lambda: {k: v for k, v in real.items() if k != some_msgid})
    assert some_msgid in [msgid for msgid, _ in catalogs.missing_danish()]


def test_html_lang_follows_the_users_locale(client, auth, db):
    with db as session:
        session.execute(select(User).where(User.username == "bo")).scalar_one().locale = "en"
        session.commit()
    auth.login("anna")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="da">' in html and "Besøg" in html
    auth.logout()
    auth.login("bo")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Visits" in html
    auth.logout()
    auth.login("admin")
    html = client.get("/admin/units").get_data(as_text=True)
    assert '<html lang="da">' in html and "Ny enhed" in html


def test_anonymous_visitors_get_their_browsers_language_or_danish(client):
    assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "en-GB,en"}).get_data(as_text=True)
    assert '<html lang="da">' in client.get("/login", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert '<html lang="da">' in client.get("/login").get_data(as_text=True)


def test_times_are_shown_in_copenhagen(app):
    winter = datetime(2026, 1, 15, 12, 5, tzinfo=UTC)  # CET, UTC+1
    summer = datetime(2026, 7, 1, 12, 5, tzinfo=UTC)  # CEST, UTC+2
    with app.test_request_context("/"):
        assert render_template_string("{{ t|localtime }}", t=winter) == "13:05"
        assert render_template_string("{{ t|localtime }}", t=summer) == "14:05"
        assert render_template_string("{{ t|localtime }}", t=None) == ""
        assert render_template_string("{{ t|localdatetime }}", t=summer) == "1. jul. 14:05"
        assert render_template_string("{{ t|isotime }}", t=summer) == "2026-07-01T12:05:00+00:00"
    # Just before midnight UTC on New Year's Eve is already the next day in Copenhagen.
    with app.test_request_context("/"):
        late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
        assert render_template_string("{{ t|localdatetime('d/M HH:mm') }}", t=late) == "1/1 00:30"
