"""The service worker's push handlers in Chromium: a push delivered through CDP
`ServiceWorker.deliverPushMessage` to the real /sw.js (which imports /sw-push.js), the notification it
shows, and what its actions do. Plus the honest states of the settings card.
Screenshots in test-artifacts/screenshots/push-*."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.admin.services import find_user
from app.alerts import services as alerts
from app.extensions import db
from app.models import Alert, Visit
from app.visits import services as visits
from tests.browser.conftest import screenshot, sign_in

READY = "() => navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)"
NOTIFICATIONS = """async () => {
  const reg = await navigator.serviceWorker.ready;
  return (await reg.getNotifications()).map(n => ({
    title: n.title, body: n.body, tag: n.tag, requireInteraction: n.requireInteraction, renotify: n.renotify,
    actions: n.actions.map(a => [a.action, a.title]), data: n.data, vibrate: Array.from(n.vibrate || []),
    silent: n.silent}));
}"""
CLOSE_ALL = """async () => { const reg = await navigator.serviceWorker.ready;
  (await reg.getNotifications()).forEach(n => n.close()); }"""
# What the "shown" notifications look like, drawn into the page for a screenshot (an OS notification
# is not part of the page).
DRAW = """(items) => {
  document.querySelector('main').innerHTML = '<h1>Notifikationer (testvisning)</h1>' + items.map(n =>
    `<section class="card"><strong>${n.title}</strong><p>${n.body}</p>
     <p class="muted">tag: ${n.tag} · requireInteraction: ${n.requireInteraction} · renotify: ${n.renotify}</p>
     <div class="row">${n.actions.map(a => `<span class="button">${a[1]}</span>`).join('')}</div></section>`).join('');
}"""


@pytest.fixture
def browser_permissions():
    return ['notifications']


class Pusher:
    """Delivers push messages to the page's service worker registration through CDP."""

    def __init__(self, context, page, origin):
        self.cdp = context.new_cdp_session(page)
        self.origin = origin
        self.registrations: dict[str, str] = {}
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", self._registrations)
        self.cdp.send("ServiceWorker.enable")

    def _registrations(self, event):
        for reg in event["registrations"]:
            if not reg.get("isDeleted"):
                self.registrations[reg["scopeURL"]] = reg["registrationId"]

    def push(self, page, payload: dict) -> None:
        scope = self.origin + "/"
        page.wait_for_function(READY)
        for _ in range(50):
            if scope in self.registrations:
                break
            page.wait_for_timeout(100)
        self.cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": self.origin, "registrationId": self.registrations[scope], "data": json.dumps(payload),
        })


def _ready(page, context, live_server, username):
    sign_in(page, username)
    page.wait_for_function(READY)
    page.reload()  # controlled from now on
    page.wait_for_function(READY)
    return Pusher(context, page, live_server.url)


def _wait_notifications(page, count=1, title=None):
    for _ in range(100):
        shown = page.evaluate(NOTIFICATIONS)
        if len(shown) >= count and (title is None or any(n["title"] == title for n in shown)):
            return shown
        page.wait_for_timeout(100)
    raise AssertionError(f"notifications: {page.evaluate(NOTIFICATIONS)}")


def _sw(context):
    for _ in range(50):
        workers = [w for w in context.service_workers if w.url.endswith("/sw.js")]
        if workers:
            return workers[0]
        context.pages[0].wait_for_timeout(100)
    raise AssertionError("no service worker")


def _click(context, tag: str, action: str) -> str:
    """Click `action` on the shown notification with `tag`: the same code path the notificationclick
    listener runs (a real OS click cannot be made from a test), returning what it did."""
    return _sw(context).evaluate(
        """async ([tag, action]) => {
             const [n] = await self.registration.getNotifications({tag});
             n.close();
             return await self.MakkerPush.click(n.data, action);
           }""", [tag, action])


def _sos(app, worker="anna", buddy="bo"):
    from app.clock import SystemClock

    clock = SystemClock()
    with app.app_context():
        w, b = find_user(db.session, worker), find_user(db.session, buddy)
        plan = visits.VisitPlan(id=str(uuid.uuid4()), planned_end=clock.now() + timedelta(minutes=30), buddy=b,
                                place="Vestergade 1, 2. th")
        visit, _ = visits.start(db.session, clock, w, plan)
        alert = alerts.raise_alert(db.session, clock, w, reason="sos", visit=visit)
        db.session.commit()
        ids = (alert.id, visit.id)
        db.session.remove()
    return ids


def _alert_payload(alert_id, visit_id, tag=None):
    return {"type": "alert", "title": "ALARM: Anna Jensen har trykket SOS",
            "body": "Sted: Vestergade 1, 2. th. Åbn Makker, tag alarmen og ring til Anna.",
            "url": f"/alerts/{alert_id}", "alert_id": alert_id, "visit_id": visit_id, "reason": "sos",
            "level": 2, "phone": "+45 20 11 22 01", "actions": ["ack", "call"], "tag": tag or f"alert-{alert_id}",
            "action_titles": {"ack": "Jeg tager den", "call": "Ring"}}


def test_alert_push_is_shown_and_ack_takes_it(page, context, live_server):
    alert_id, visit_id = _sos(live_server.app)
    pusher = _ready(page, context, live_server, "bo")
    pusher.push(page, _alert_payload(alert_id, visit_id))
    [shown] = _wait_notifications(page)
    assert shown["title"] == "ALARM: Anna Jensen har trykket SOS"
    assert shown["tag"] == f"alert-{alert_id}"
    assert shown["requireInteraction"] is True and shown["renotify"] is True
    assert shown["actions"] == [["ack", "Jeg tager den"], ["call", "Ring"]]
    assert shown["vibrate"] and shown["data"]["alert_id"] == alert_id
    page.evaluate(DRAW, [shown])
    screenshot(page, "push-alert-notification")

    # The same alert pushed again (a re-send): still one notification, same tag.
    pusher.push(page, _alert_payload(alert_id, visit_id))
    page.wait_for_timeout(300)
    assert len(page.evaluate(NOTIFICATIONS)) == 1

    assert _click(context, f"alert-{alert_id}", "ack") == "acked"
    page.wait_for_url(f"**/alerts/{alert_id}")
    with live_server.app.app_context():
        alert = db.session.get(Alert, alert_id)
        assert alert.state == "acknowledged" and alert.owner.username == "bo"
        db.session.remove()
    assert page.evaluate(NOTIFICATIONS) == []
    screenshot(page, "push-alert-after-ack")


def test_ack_that_fails_opens_the_alert_page_to_take_it_there(page, context, live_server):
    pusher = _ready(page, context, live_server, "bo")
    unknown = str(uuid.uuid4())
    pusher.push(page, _alert_payload(unknown, None))
    _wait_notifications(page)
    assert _click(context, f"alert-{unknown}", "ack") == "ack-fallback"
    page.wait_for_url(f"**/alerts/{unknown}?ack=1")


def test_notificationclick_listener_opens_the_url(page, context, live_server):
    alert_id, visit_id = _sos(live_server.app)
    pusher = _ready(page, context, live_server, "bo")
    pusher.push(page, _alert_payload(alert_id, visit_id))
    _wait_notifications(page)
    # Dispatch a notificationclick through the listener itself (no action: open the payload's url).
    _sw(context).evaluate(
        """async (tag) => {
             const [n] = await self.registration.getNotifications({tag});
             try { self.dispatchEvent(new NotificationEvent('notificationclick', {notification: n})); }
             catch (e) { /* waitUntil on a synthetic event */ }
           }""", f"alert-{alert_id}")
    page.wait_for_url(f"**/alerts/{alert_id}")
    assert page.evaluate(NOTIFICATIONS) == []  # the listener closed it
    with live_server.app.app_context():
        assert db.session.get(Alert, alert_id).state == "open"  # opening is not taking it
        db.session.remove()


def test_call_action_dials_or_falls_back_to_the_alert(page, context, live_server):
    alert_id, visit_id = _sos(live_server.app)
    pusher = _ready(page, context, live_server, "bo")
    pusher.push(page, _alert_payload(alert_id, visit_id))
    _wait_notifications(page)
    # Outside a real click Chromium refuses to open windows: then the alert page (with its call button).
    assert _click(context, f"alert-{alert_id}", "call") in ("called", "call-fallback")


def test_reminder_actions_extend_and_check_out(page, context, live_server):
    pusher = _ready(page, context, live_server, "anna")
    me = page.request.get("/api/v1/me").json()
    visit_id = str(uuid.uuid4())
    planned_end = datetime.now(UTC) + timedelta(minutes=5)
    r = page.request.post("/api/v1/visits", headers={"X-CSRFToken": me["csrf_token"]},
                          data={"id": visit_id, "planned_end": planned_end.isoformat(), "buddy": "bo",
                                "place": "Testvej 1"})
    assert r.status == 201
    reminder = {"type": "reminder", "title": "Dit besøg slutter kl. 10:05", "body": "Tjek ud eller forlæng.",
                "url": f"/visits/{visit_id}", "visit_id": visit_id, "actions": ["checkout", "extend15"],
                "tag": f"visit-{visit_id}-reminder",
                "action_titles": {"checkout": "Tjek ud", "extend15": "+15 min", "checkout_done": "Du er tjekket ud",
                                  "extended": "Forlænget med 15 min"}}
    pusher.push(page, reminder)
    [shown] = _wait_notifications(page)
    assert shown["actions"] == [["checkout", "Tjek ud"], ["extend15", "+15 min"]]
    assert shown["requireInteraction"] is True
    page.evaluate(DRAW, [shown])
    screenshot(page, "push-reminder-notification")

    assert _click(context, f"visit-{visit_id}-reminder", "extend15") == "extended"
    [note] = _wait_notifications(page, title="Forlænget med 15 min")
    assert note["title"] == "Forlænget med 15 min"
    with live_server.app.app_context():
        visit = db.session.get(Visit, visit_id)
        assert abs((visit.planned_end - planned_end).total_seconds() - 15 * 60) < 2
        db.session.remove()

    page.evaluate(CLOSE_ALL)
    pusher.push(page, reminder)
    _wait_notifications(page)
    assert _click(context, f"visit-{visit_id}-reminder", "checkout") == "checked-out"
    with live_server.app.app_context():
        assert db.session.get(Visit, visit_id).state == "closed"
        db.session.remove()


def test_checkout_action_with_a_pin_opens_the_visit(page, context, live_server):
    pusher = _ready(page, context, live_server, "anna")
    me = page.request.get("/api/v1/me").json()
    headers = {"X-CSRFToken": me["csrf_token"]}
    assert page.request.put("/api/v1/me/pins", headers=headers,
                            data={"checkout_pin": "1234", "duress_pin": "9876"}).status == 204
    visit_id = str(uuid.uuid4())
    page.request.post("/api/v1/visits", headers=headers, data={
        "id": visit_id, "planned_end": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(), "buddy": "bo",
        "place": "Testvej 1"})
    pusher.push(page, {"type": "reminder", "title": "Slut snart", "body": "", "url": f"/visits/{visit_id}",
                       "visit_id": visit_id, "actions": ["checkout", "extend15"], "tag": "r1"})
    _wait_notifications(page)
    assert _click(context, "r1", "checkout") == "checkout-fallback"
    page.wait_for_url(f"**/visits/{visit_id}")
    with live_server.app.app_context():
        assert db.session.get(Visit, visit_id).state != "closed"
        db.session.remove()


def test_information_push_is_quiet_and_plain(page, context, live_server):
    pusher = _ready(page, context, live_server, "bo")
    pusher.push(page, {"type": "ack", "title": "Lene Holm tog alarmen for Anna Jensen",
                       "body": "Du behøver ikke gøre mere.", "url": "/alerts/x", "tag": "alert-x"})
    [shown] = _wait_notifications(page)
    assert shown["requireInteraction"] is False and shown["actions"] == []


def test_settings_card_states(page, context, live_server):
    sign_in(page, "bo")
    page.goto("/settings/")
    page.wait_for_function(READY)
    card = page.locator("#notifications")
    # Permission granted, no subscription yet: off, with the button to turn it on.
    page.wait_for_selector("#notifications[data-push-state='off']")
    assert card.locator("[data-push-action='enable']").is_visible()
    card.scroll_into_view_if_needed()
    screenshot(page, "push-settings-off")
    # A server-side device list and the channels are there.
    assert "Ingen enhed får notifikationer endnu" in card.inner_text()
    assert not [e for e in page.js_errors if "Content Security Policy" in e]

    # Blocked in the browser's settings: say so, no button. (Playwright can grant but not deny a
    # permission in its contexts; the page sees what Chromium reports for a denied one.)
    page.add_init_script("Object.defineProperty(Notification, 'permission', {get: () => 'denied'});")
    page.reload()
    page.wait_for_selector("#notifications[data-push-state='blocked']")
    assert not card.locator("[data-push-action='enable']").is_visible()
    screenshot(page, "push-settings-blocked")


def test_settings_card_on_iphone_says_add_to_home_screen(context, live_server):
    page = context.new_page()
    page.add_init_script("""Object.defineProperty(navigator, 'userAgent', {get: () =>
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'});""")
    sign_in(page, "bo")
    page.goto("/settings/")
    page.wait_for_selector("#notifications[data-push-state='ios-install']")
    assert "hjemmeskærmen" in page.locator("#notifications").inner_text()
    page.locator("#notifications").scroll_into_view_if_needed()
    screenshot(page, "push-settings-iphone")


def test_duress_is_not_in_the_workers_pushes(live_server):
    """The server side of "never show a duress alarm to the worker": no push is even enqueued."""
    from app.clock import SystemClock
    from app.models import Notification

    with live_server.app.app_context():
        clock = SystemClock()
        anna, bo = find_user(db.session, "anna"), find_user(db.session, "bo")
        plan = visits.VisitPlan(id=str(uuid.uuid4()), planned_end=clock.now() + timedelta(minutes=30), buddy=bo,
                                place="x")
        visit, _ = visits.start(db.session, clock, anna, plan)
        alert = alerts.raise_alert(db.session, clock, anna, reason="duress", visit=visit)
        db.session.commit()
        to_worker = db.session.execute(select(Notification).where(
            Notification.alert_id == alert.id, Notification.recipient_id == anna.id)).scalars().all()
        assert to_worker == []
        db.session.remove()
