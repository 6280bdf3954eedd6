"""An incident draft written with no signal is queued on the phone and reaches the server once."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from app.extensions import db
from app.models import Incident
from tests.browser.conftest import screenshot
from tests.browser.test_pwa import CONTROLLED, controlled_sign_in


def test_offline_incident_draft_is_delivered_on_reconnect(page, context, live_server):
    controlled_sign_in(page)
    page.goto("/incidents/new")
    page.wait_for_function(CONTROLLED)
    context.set_offline(True)
    page.locator("label.choice", has_text="Trussel").click()
    page.locator("label.choice", has_text="Personligt").click()
    page.get_by_label("Hvor", exact=True).fill("Hjemme hos borgeren")
    page.get_by_label("Under: hvad skete der?").fill("Borgeren truede med at slå.")
    page.get_by_role("button", name="Gem kladde").click()
    page.get_by_text("Hændelsesudkast").first.wait_for()
    assert page.get_by_text("den ligger sikkert på telefonen").is_visible()
    screenshot(page, "incidents-09-offline-queued")
    with live_server.app.app_context():
        assert db.session.execute(select(func.count()).select_from(Incident)).scalar() == 0
    context.set_offline(False)
    deadline = time.monotonic() + 30
    incidents = []
    while time.monotonic() < deadline and not incidents:
        page.wait_for_timeout(250)
        with live_server.app.app_context():
            incidents = db.session.execute(select(Incident)).scalars().all()
            db.session.expunge_all()
    assert len(incidents) == 1, page.evaluate("async () => JSON.stringify(await window.MakkerOutbox.all())")
    assert incidents[0].kind == "threat" and incidents[0].status == "draft"
    assert "truede" in incidents[0].description
    page.wait_for_function("""async () => (await window.MakkerOutbox.all())
        .every(e => e.kind !== 'incident' || e.state === 'delivered')""", timeout=20_000)
