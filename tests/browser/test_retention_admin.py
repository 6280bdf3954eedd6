"""The retention page at phone size (390x844): the policy in Danish words and the latest runs."""

from __future__ import annotations

from datetime import timedelta

from app.clock import SystemClock
from app.extensions import db
from app.retention import services
from tests.browser.conftest import screenshot, sign_in
from tests.retention import helpers as h


def test_retention_page_from_the_admin_overview(page, live_server):
    app = live_server.app
    with app.app_context():
        clock = SystemClock()
        h.mail(db.session, created_at=clock.now() - timedelta(days=40))
        h.visit(db.session, closed_at=clock.now() - timedelta(days=45))
        db.session.commit()
        services.run_now(db.session, clock, services.Policy.from_config(app.config))
        db.session.remove()

    sign_in(page, "admin")
    page.goto("/admin/")
    page.get_by_role("link", name="Sletning af data").click()
    page.wait_for_url("**/admin/retention")
    page.get_by_role("heading", name="Sletning af data").wait_for()
    lines = page.locator("#retention-lines li")
    assert lines.first.inner_text() == "Adresser og positioner slettes 30 dage efter besøget."
    assert lines.count() == 9
    assert "deaktiveret i 30 dage" in lines.nth(7).inner_text()
    runs = page.locator("#retention-run-list > li")
    assert runs.count() == 1
    assert "2 rækker slettet eller ryddet" in runs.first.inner_text()
    assert "Manuelt" in runs.first.inner_text() and "Færdig" in runs.first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not page.js_errors, page.js_errors
    screenshot(page, "retention-admin")
