"""The admin overview warns (role="alert", Danish) when no watchdog ticked within WATCHDOG_STALE_S."""

from __future__ import annotations

import re

from tests.ops.conftest import add_beat, start_visit

WARNING = "Ingen vagthund har kørt det sidste minut – alarmer bliver ikke sendt."


def _alert_block(html: str) -> str | None:
    match = re.search(r'<section class="card card-danger ops-status" role="alert".*?</section>', html, re.S)
    return match.group(0) if match else None


def test_warning_when_no_watchdog_ever_ran(client, auth):
    auth.login("admin")
    html = client.get("/admin/").get_data(as_text=True)
    block = _alert_block(html)
    assert block is not None and WARNING in block
    assert "Ingen vagthund har endnu kørt mod denne database." in block


def test_warning_when_the_last_tick_is_too_old(client, auth, db, clock):
    with db as session:
        start_visit(session, clock, minutes=10)
        clock.advance(minutes=6)  # its reminder is due since a minute
        add_beat(session, clock, ago=75)
    auth.login("admin")
    block = _alert_block(client.get("/admin/").get_data(as_text=True))
    assert block is not None and WARNING in block
    assert "for 1 minut siden" in block and "Trin der venter: 1." in block


def test_warning_says_the_configured_limit(app, client, auth, db, clock):
    app.config["WATCHDOG_STALE_S"] = 30
    with db as session:
        add_beat(session, clock, ago=31)
    auth.login("admin")
    block = _alert_block(client.get("/admin/").get_data(as_text=True))
    assert "Ingen vagthund har kørt de sidste 30 sekunder – alarmer bliver ikke sendt." in block


def test_calm_status_line_when_a_watchdog_ticks(client, auth, db, clock):
    with db as session:
        add_beat(session, clock, "host-a:1:1", ago=3)
        add_beat(session, clock, "host-b:2:1", ago=8)
    auth.login("admin")
    html = client.get("/admin/").get_data(as_text=True)
    assert _alert_block(html) is None and 'role="alert"' not in html
    status = re.search(r'<p class="muted ops-status" role="status">(.*?)</p>', html, re.S).group(1)
    assert "Vagthunde i gang: 2" in status and "sidst kørt 09:59:57" in status  # Copenhagen time (UTC+1)
    assert "trin der venter: 0" in status and "ingen ikke-sendte beskeder" in status
    assert "host-a" not in html


def test_behind_warning_when_watchdogs_tick_but_work_waits(client, auth, db, clock):
    with db as session:
        start_visit(session, clock, minutes=10)
        clock.advance(minutes=7)  # the reminder has waited 2 minutes
        add_beat(session, clock, ago=1)
    auth.login("admin")
    html = client.get("/admin/").get_data(as_text=True)
    assert 'class="card card-warn ops-status" role="alert"' in html
    assert "Vagthunden kan ikke følge med: det ældste forfaldne trin har ventet 2 minutter." in html


def test_only_admins_see_the_overview(client, auth):
    auth.login("lene")
    assert client.get("/admin/").status_code == 403
