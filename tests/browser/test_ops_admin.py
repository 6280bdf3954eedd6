"""The admin overview at phone size: the loud warning without a watchdog, the calm line with one."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import WatchdogBeat
from app.watchdog import runner
from tests.browser.conftest import screenshot, sign_in


def _beats(app) -> int:
    with app.app_context():
        try:
            return _db.session.execute(select(func.count()).select_from(WatchdogBeat)).scalar()
        finally:
            _db.session.remove()


def test_admin_overview_warns_without_a_watchdog_and_calms_down_with_one(page, live_server):
    sign_in(page, "admin")
    page.goto("/admin/")
    warning = page.get_by_role("alert")
    warning.wait_for()
    assert "Ingen vagthund har kørt det sidste minut – alarmer bliver ikke sendt." in warning.inner_text()
    assert page.get_by_role("heading", name="Alarmer bliver ikke sendt").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "ops-admin-01-no-watchdog")

    stop = threading.Event()
    watchdog = threading.Thread(target=runner.run, args=(live_server.app, stop), kwargs={"name": "browser-test"},
                                daemon=True)
    watchdog.start()
    try:
        deadline = time.monotonic() + 15
        while _beats(live_server.app) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _beats(live_server.app) == 1, "the watchdog did not tick"
        page.goto("/admin/")
        status = page.get_by_role("status").filter(has_text="Vagthunde i gang")
        status.wait_for()
        assert "Vagthunde i gang: 1" in status.inner_text() and "trin der venter: 0" in status.inner_text()
        assert page.get_by_role("alert").count() == 0
        assert not page.js_errors, page.js_errors
        screenshot(page, "ops-admin-02-watchdog-running")
    finally:
        stop.set()
        watchdog.join(timeout=15)
    assert not watchdog.is_alive()
