"""The installed app in Chromium at phone size: installable, controlled by the service worker, and a
visit that keeps working offline: check-out and SOS are queued on the phone, shown honestly, and
delivered exactly once when the network returns. Screenshots in test-artifacts/screenshots/pwa-*."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from app.models import Alert, ClientAction, Visit
from app.pwa import routes as pwa
from tests.browser.conftest import screenshot, sign_in

CONTROLLED = "() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)"

CACHED = """async (path) => {
  for (const key of await caches.keys()) {
    if (!key.startsWith('makker-user-')) continue;
    const cache = await caches.open(key);
    if (await cache.match(location.origin + path)) return true;
  }
  return false;
}"""

OUTBOX_STATES = """async () => (await window.MakkerOutbox.all()).map(e => [e.kind, e.state, e.id])"""


@pytest.fixture
def browser_permissions():
    return ['background-sync']


def controlled_sign_in(page, username="anna"):
    sign_in(page, username)
    page.wait_for_function(CONTROLLED)


def start_visit(page, minutes: int = 30, buddy: str = "bo") -> str:
    me = page.request.get("/api/v1/me").json()
    visit_id = str(uuid.uuid4())
    planned_end = (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()
    response = page.request.post("/api/v1/visits", headers={"X-CSRFToken": me["csrf_token"]},
                                 data={"id": visit_id, "planned_end": planned_end, "buddy": buddy,
                                       "place": "Testvej 1, 2. th."})
    assert response.status == 201, response.text()
    return visit_id


def open_visit_cached(page, visit_id: str) -> None:
    """Open home and the visit while online, as a worker does before leaving: both are then kept."""
    page.goto("/")
    page.wait_for_function(CACHED, arg="/")
    page.goto(f"/visits/{visit_id}")
    page.wait_for_function(CACHED, arg=f"/visits/{visit_id}")


def no_csp_errors(page):
    violations = [e for e in page.js_errors if "Content Security Policy" in e]
    assert not violations, violations


def test_manifest_is_valid_and_the_app_installable(browser, live_server, tmp_path):
    # Playwright's contexts are incognito, where Chromium never offers to install ("in-incognito"):
    # a persistent profile is a normal window.
    from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, PHONE

    ctx = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True,
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="da-DK",
        base_url=live_server.url,
    )
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        controlled_sign_in(page)
        cdp = ctx.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"].endswith("/manifest.webmanifest")
        assert not manifest.get("errors"), manifest.get("errors")
        installability = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert installability == [], installability
        assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == f"{live_server.url}/sw.js"
        scope = page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.scope)")
        assert scope == f"{live_server.url}/"
        screenshot(page, "pwa-01-home")
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        ctx.close()


def test_offline_check_out_is_queued_shown_honestly_and_delivered_once(page, context, live_server):
    controlled_sign_in(page)
    visit_id = start_visit(page)
    open_visit_cached(page, visit_id)
    section = page.locator("section[data-visit-id]")
    alert_at = datetime.fromisoformat(section.get_attribute("data-alert-at"))
    screenshot(page, "pwa-02-visit-online")

    context.set_offline(True)
    page.reload()
    # Served by the service worker from Anna's cache, countdown still running.
    assert page.locator("body").get_attribute("data-offline-copy")
    assert page.locator("#connection").inner_text() == "Offline – handlinger gemmes på telefonen"
    first = page.locator("#countdown").inner_text()
    page.wait_for_function("t => document.getElementById('countdown').textContent !== t", arg=first)
    assert re.fullmatch(r"\d+:\d\d", page.locator("#countdown").inner_text())
    left_minutes = int(page.locator("#countdown").inner_text().split(":")[0])
    assert 27 <= left_minutes <= 29  # the cached copy's clock correction still holds

    tapped = datetime.now(UTC)
    page.get_by_role("button", name="Tjek ud – jeg er ok").click()
    item = page.locator("#outbox .outbox-item").first
    item.wait_for()
    assert "Tjek ud" in item.inner_text()
    # It may show "Sender…" for a moment while the attempt fails; then it waits for the network.
    expect(item).to_contain_text("Venter – sendes, når der er forbindelse")
    local_alert = alert_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Copenhagen")).strftime("%H:%M")
    note = page.locator("#outbox .outbox-note").inner_text()
    assert note == f"Ikke sendt endnu – Bo får en alarm kl. {local_alert}, hvis vi ikke når serveren."
    sms = page.locator("#outbox a.outbox-sms")
    assert sms.inner_text() == "SMS til Bo"
    href = sms.get_attribute("href")
    assert href.startswith("sms:+4520112202?body=")
    assert "Jeg%20er%20ok%2C%20tjekker%20ud%20fra%20bes%C3%B8get%20kl." in href and href.endswith("%E2%80%93%20Anna")
    assert page.locator("#outbox a.outbox-call").get_attribute("href") == "tel:+4520112202"
    assert page.locator(".checkout-form").is_hidden()  # replaced by the queued state, SOS still there
    assert page.locator(".sos-button").is_visible()
    screenshot(page, "pwa-03-visit-offline-queued")

    with live_server.app.app_context():
        assert db.session.get(Visit, visit_id).state == "active"  # nothing reached the server

    context.set_offline(False)
    page.locator("#outbox .outbox-item[data-state='delivered']").wait_for()
    assert "Leveret kl." in page.locator("#outbox .outbox-item").first.inner_text()
    assert "Du er tjekket ud kl." in page.locator("#outbox").inner_text()
    screenshot(page, "pwa-04-visit-delivered")

    with live_server.app.app_context():
        visit = db.session.get(Visit, visit_id)
        assert visit.state == "closed"
        assert visit.client_closed_at is not None
        assert abs((visit.client_closed_at - tapped).total_seconds()) < 10
        assert visit.client_closed_at <= visit.closed_at
        actions = db.session.scalars(select(ClientAction).where(ClientAction.target_id == visit_id)).all()
        assert [a.kind for a in actions] == ["checkout"]
        assert actions[0].acted_at == visit.client_closed_at and actions[0].received_at >= actions[0].acted_at

    # A second replay (app start) sends nothing twice.
    page.reload()
    page.wait_for_function("() => window.MakkerOutbox.all().then(es => es.every(e => e.state === 'delivered'))")
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ClientAction)
                                 .where(ClientAction.target_id == visit_id)) == 1
    no_csp_errors(page)


def hold_sos(page):
    button = page.locator(".sos-button")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(2300)
    page.mouse.up()


def test_sos_offline_is_delivered_exactly_once_on_reconnect(page, context, live_server):
    controlled_sign_in(page)
    visit_id = start_visit(page)
    open_visit_cached(page, visit_id)
    context.set_offline(True)
    page.reload()
    page.locator(".sos-button").click()  # a plain tap never sends
    page.wait_for_timeout(300)
    assert page.evaluate(OUTBOX_STATES) == []
    hold_sos(page)
    page.locator("#outbox .outbox-item[data-state='waiting']").wait_for()
    assert "SOS" in page.locator("#outbox .outbox-item").inner_text()
    assert "Er du i fare, så ring 112 nu." in page.locator("#outbox").inner_text()
    assert page.locator("#outbox a[href='tel:112']").is_visible()
    screenshot(page, "pwa-05-sos-offline-queued")
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Alert)) == 0

    context.set_offline(False)
    page.locator("#outbox .outbox-item[data-state='delivered']").wait_for()
    [(kind, state, entry_id)] = page.evaluate(OUTBOX_STATES)
    assert (kind, state) == ("sos", "delivered")
    with live_server.app.app_context():
        alerts = db.session.scalars(select(Alert).where(Alert.reason == "sos")).all()
        assert len(alerts) == 1
        assert alerts[0].id == entry_id and alerts[0].visit_id == visit_id
        assert db.session.get(Visit, visit_id).state == "alarm"


def test_background_sync_in_the_worker_delivers_when_no_page_is_open(page, context, live_server):
    controlled_sign_in(page)
    visit_id = start_visit(page)
    open_visit_cached(page, visit_id)
    context.set_offline(True)
    page.reload()
    page.get_by_role("button", name="+15 min").click()
    page.locator("#outbox .outbox-item[data-state='waiting']").wait_for()
    planned_end = None
    with live_server.app.app_context():
        planned_end = db.session.get(Visit, visit_id).planned_end
    other = context.new_page()
    page.close()  # only the worker is left to send it
    cdp = other.context.new_cdp_session(other)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    other.wait_for_timeout(300)
    context.set_offline(False)
    [reg] = [r for r in registrations if r["scopeURL"] == f"{live_server.url}/"][:1]
    cdp.send("ServiceWorker.dispatchSyncEvent", {"origin": live_server.url, "registrationId": reg["registrationId"],
                                                 "tag": "makker-outbox", "lastChance": False})
    with live_server.app.app_context():
        for _ in range(50):
            db.session.expire_all()
            visit = db.session.get(Visit, visit_id)
            if visit.planned_end != planned_end:
                break
            other.wait_for_timeout(100)
        assert visit.planned_end - planned_end == timedelta(minutes=15)
        assert db.session.scalar(select(func.count()).select_from(ClientAction)
                                 .where(ClientAction.kind == "extend")) == 1


def test_offline_page_offers_112_and_the_last_buddy(page, context, live_server):
    controlled_sign_in(page)
    visit_id = start_visit(page)
    open_visit_cached(page, visit_id)
    context.set_offline(True)
    page.goto("/visits/new")  # never cached: the offline page answers
    assert page.get_by_role("heading", name="Ingen forbindelse lige nu").is_visible()
    assert page.get_by_role("link", name="Ring 112").get_attribute("href") == "tel:112"
    assert page.get_by_role("link", name="SMS til Bo").get_attribute("href").startswith("sms:+4520112202?body=")
    assert page.get_by_role("link", name="Ring til Bo").get_attribute("href") == "tel:+4520112202"
    assert page.locator("#connection").inner_text() == "Offline – handlinger gemmes på telefonen"
    screenshot(page, "pwa-06-offline-page")
    no_csp_errors(page)


def test_a_new_version_is_offered_and_taken_on_tap(page, live_server):
    controlled_sign_in(page)
    old = pwa.state(live_server.app).version
    live_server.app.config["PWA_VERSION_SALT"] = "next-release"
    new = pwa.refresh(live_server.app).version
    assert new != old
    page.reload()
    prompt = page.get_by_role("button", name="Ny version – genindlæs")
    prompt.wait_for()
    screenshot(page, "pwa-07-update-prompt")
    with page.expect_event("load"):
        prompt.click()
    page.wait_for_function(CONTROLLED)
    version = page.evaluate("""() => new Promise(resolve => {
      navigator.serviceWorker.addEventListener('message', e => resolve(e.data.version), { once: true });
      navigator.serviceWorker.controller.postMessage({ type: 'version' });
    })""")
    assert version == new
    keys = page.evaluate("caches.keys()")
    assert f"makker-shell-{new}" in keys and f"makker-shell-{old}" not in keys
    assert not page.get_by_role("button", name="Ny version – genindlæs").is_visible()


def test_sign_out_empties_the_caches(page, live_server):
    controlled_sign_in(page)
    page.goto("/")
    page.wait_for_function(CACHED, arg="/")
    page.goto("/settings")
    page.get_by_role("button", name=re.compile("Log ud")).click()
    page.wait_for_url(re.compile("/login"))
    page.wait_for_function("""async () => !(await caches.keys()).some(k => k.startsWith('makker-user-'))""")
    assert page.evaluate("localStorage.getItem('makker.lastVisit')") is None


def test_iphone_safari_gets_the_home_screen_hint(browser, live_server):
    from tests.browser.conftest import PHONE

    ctx = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="da-DK", base_url=live_server.url,
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
                   "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    )
    try:
        page = ctx.new_page()
        sign_in(page)
        hint = page.locator("#ios-hint")
        hint.wait_for()
        assert "Føj Makker til hjemmeskærmen" in hint.inner_text()
        screenshot(page, "pwa-08-ios-hint")
        hint.get_by_role("button", name="Luk").click()
        page.reload()
        page.wait_for_load_state("load")
        assert page.locator("#ios-hint").count() == 0
    finally:
        ctx.close()
