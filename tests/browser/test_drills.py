"""A drill between phones: the leader starts a drill for the whole unit, it reaches three people
through the real watchdog, outbox and channels (a fake push service and the mail sink), two take it
on their phones, and the leader's result page fills in by itself (no reload): when each message
left, and when each person took it. Then the alert statistics of the month, with their chart.
Screenshots in Danish and English."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from app.admin.services import find_user
from app.extensions import db as _db
from tests.browser.conftest import new_phone_context, screenshot, sign_in
from tests.push.fake_push import FakePushService

ACK_TIMEOUT_S = 15  # level 2 after 15 s, the end after 30 s


@pytest.fixture
def push_service():
    service = FakePushService().start()  # checks VAPID and decrypts, as a browser would
    yield service
    service.stop()


@pytest.fixture
def live_config(push_service):
    return {"ACK_TIMEOUT_S": ACK_TIMEOUT_S, "EMBEDDED_WATCHDOG": True,
            "PUSH_ALLOWED_HOSTS": (push_service.host_port,)}


def _subscribe(app, push_service, *usernames):
    from app.push import services

    with app.app_context():
        clock = app.extensions["makker.clock"]
        for name in usernames:
            phone = push_service.new_subscription(name)
            services.subscribe(_db.session, clock, find_user(_db.session, name), endpoint=phone.endpoint,
                               p256dh=phone.p256dh, auth=phone.auth, allowed_hosts=(push_service.host_port,),
                               user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/126.0 Mobile Safari/537.36")
        _db.session.commit()


def _take(phone, shot=None):
    """On the responder's phone: the alert list shows the drill by itself (it refreshes every 10 s)."""
    item = phone.locator(".alert-list a", has_text="ØVELSE")
    item.wait_for(timeout=30_000)
    if shot:
        screenshot(phone, shot + "-list")
    item.click()
    phone.wait_for_url(re.compile(r"/drills/answer/[0-9a-f-]{36}"))
    assert phone.get_by_role("heading", name="Alarmtest fra Lene Holm").is_visible()
    assert phone.locator("a[href^='tel:']").count() == 0  # nobody is called in a drill
    if shot:
        screenshot(phone, shot)
    phone.get_by_role("button", name="Jeg tager den (øvelse)").click()
    phone.get_by_text("Du tog øvelsen kl.").wait_for()


def test_a_unit_drill_reaches_three_phones_and_the_result_lists_their_times(browser, live_server, page,
                                                                            push_service):
    _subscribe(live_server.app, push_service, "anna", "bo", "ali")
    phones = {}
    for name in ("bo", "ali"):
        ctx = new_phone_context(browser, live_server.url)
        phones[name] = ctx.new_page()
        sign_in(phones[name], name)
        phones[name].goto("/alerts/")

    sign_in(page, "lene")
    page.get_by_role("link", name="Øvelser").click()
    page.wait_for_url("**/drills/")
    screenshot(page, "drills-01-start-da")
    page.get_by_role("button", name="Start en øvelse for hele enheden").click()
    page.wait_for_url(re.compile(r"/drills/[0-9a-f-]{36}$"))
    result = page.locator("#drill-result")
    assert result.get_by_text("ØVELSE", exact=True).is_visible()
    assert result.locator(".drill-person").count() == 3  # anna, bo, ali: not lene herself, not admin

    _take(phones["bo"], "drills-02-alarm-on-bos-phone-da")
    screenshot(phones["bo"], "drills-02-taken-on-bos-phone-da")
    _take(phones["ali"])

    # The leader's page refreshes itself: both times appear without a reload.
    page.locator(".drill-person", has_text="Bo Nielsen").get_by_text("Tog den").wait_for(timeout=10_000)
    page.locator(".drill-person", has_text="Ali Hassan").get_by_text("Tog den").wait_for(timeout=10_000)
    for name in ("Anna Jensen", "Bo Nielsen", "Ali Hassan"):
        person = page.locator(".drill-person", has_text=name)
        left = person.locator("dd").first.inner_text()
        assert "Push" in left and "E-mail" in left and re.search(r"\d\d:\d\d:\d\d", left), (name, left)
    screenshot(page, "drills-03-result-running-da")

    # Anna's phone got it (pushes left) but nobody took hers: after the last tier it ends by itself.
    page.locator(".drill-person", has_text="Anna Jensen").get_by_text("Tog den ikke i tide").wait_for(
        timeout=(2 * ACK_TIMEOUT_S + 15) * 1000)
    assert page.locator("#drill-result .pill", has_text="Slut").is_visible()
    assert "3 af 3 nået · 2 tog den" in page.locator(".drill-summary").inner_text()
    anna_pushes = [r.payload for r in push_service.received if r.path.endswith("/anna")]
    assert [p["level"] for p in anna_pushes if p.get("actions") == ["ack"]] == [1, 2]
    assert all(p["type"] == "test" and p["drill"] is True and "ØVELSE" in p["title"] for p in anna_pushes)
    screenshot(page, "drills-04-result-da")

    with live_server.app.app_context():
        find_user(_db.session, "lene").locale = "en"
        _db.session.commit()
    page.reload()
    assert page.get_by_text("Drill: The whole unit").is_visible()
    screenshot(page, "drills-05-result-en")
    for phone in phones.values():
        phone.context.close()
    assert not [e for e in page.js_errors if "Content Security Policy" in e]


def _seed_month(app):
    """A few real alerts of this month with delivery and acknowledgement times (as the watchdog and
    responders would leave them)."""
    from app.models import Alert, DeliveryAttempt, Notification, OutboxEntry

    with app.app_context():
        session = _db.session
        clock = app.extensions["makker.clock"]
        anna, bo = find_user(session, "anna"), find_user(session, "bo")
        start = clock.now().replace(day=1, hour=9, minute=0, second=0, microsecond=0)
        rows = [("overdue", 1, 8, "safe", False), ("overdue", 2, 45, "false_alarm", True), ("sos", 1, 12, "incident", False),
                ("overdue", 3, None, "safe", False), ("duress", 4, 30, "safe", False), ("overdue", 2, 200, "false_alarm", True),
                ("overdue", 1, 9, "safe", False), ("sos", 1, 6, "safe", False)]
        for i, (reason, delivery, ack, outcome, escalated) in enumerate(rows):
            raised = start + timedelta(hours=i)
            alert = Alert(id=str(uuid.uuid4()), worker_id=anna.id, unit_id=anna.unit_id, reason=reason,
                          level=2 if reason != "overdue" or escalated else 1, state="resolved", created_at=raised,
                          escalated_at=raised + timedelta(seconds=120) if escalated else None, escalations=0, note="",
                          outcome=outcome, acknowledged_at=raised + timedelta(seconds=ack) if ack else None,
                          resolved_at=raised + timedelta(minutes=5), owner_id=bo.id if ack else None)
            session.add(alert)
            session.flush()
            note = Notification(id=str(uuid.uuid4()), recipient_id=bo.id, type="alert", step_key=f"seed:{i}", tag="t",
                                payload={}, alert_id=alert.id, urgent=True, created_at=raised, due_at=raised)
            session.add(note)
            session.flush()
            entry = OutboxEntry(notification_id=note.id, channel="push", state="sent", attempts=1, next_attempt_at=raised)
            session.add(entry)
            session.flush()
            session.add(DeliveryAttempt(outbox_id=entry.id, notification_id=note.id, alert_id=alert.id,
                                        recipient_id=bo.id, channel="push", at=raised + timedelta(seconds=delivery),
                                        ok=True, detail=""))
        session.commit()


def test_the_alert_statistics_page_with_its_chart(live_server, page):
    _seed_month(live_server.app)
    sign_in(page, "ali")
    page.get_by_role("link", name="Alarmstatistik").click()
    page.wait_for_url("**/stats/alerts")
    assert page.get_by_role("heading", name="8 alarmer").is_visible()
    chart = page.locator("svg.stats-chart")
    assert chart.is_visible() and chart.locator("polyline").count() == 2
    assert "Taget inden for 10 s: 43 %" in chart.locator("desc").text_content()
    screenshot(page, "stats-01-alerts-da")
    chart.screenshot(path=str(screenshot(page, "stats-01-alerts-da").parent / "stats-01-chart-da.png"))
    with live_server.app.app_context():
        find_user(_db.session, "ali").locale = "en"
        _db.session.commit()
    page.reload()
    assert page.get_by_role("heading", name="8 alerts").is_visible()
    screenshot(page, "stats-02-alerts-en")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("alerts-")
    assert not [e for e in page.js_errors if "Content Security Policy" in e]
