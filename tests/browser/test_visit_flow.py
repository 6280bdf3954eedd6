"""Plan → start → reminder → alert seen by the buddy → acknowledge → resolve, at a phone viewport,
with the real watchdog thread running against the live server (short timings)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import new_phone_context, screenshot, sign_in


@pytest.fixture
def live_config():
    # Seconds instead of minutes: reminder 1 min before the end is immediate for a 1-minute visit,
    # the buddy is alerted 2 s after the end, level 2 after 3 s more.
    return {"REMINDER_BEFORE_S": 58, "GRACE_S": 2, "ACK_TIMEOUT_S": 3, "EMBEDDED_WATCHDOG": True}


def test_visit_to_alert_to_resolve(browser, live_server, page):
    sign_in(page, "anna")
    screenshot(page, "10-home-no-visit")
    page.get_by_role("link", name="Nyt besøg").first.click()
    page.wait_for_url("**/visits/new")
    page.locator("label.choice", has_text="Indtil").click()
    # A visit that ends in about a minute: the planned end is the next whole minute + 1.
    page.evaluate("""() => {
        const d = new Date(Date.now() + 61000);
        const p = n => String(n).padStart(2, '0');
        document.querySelector('#end_time').value = p(d.getHours()) + ':' + p(d.getMinutes());
    }""")
    page.get_by_label("Makker", exact=True).select_option("bo")
    page.get_by_label("Hvor?").fill("Nørregade 7, 1. tv")
    page.get_by_label("Jeg har overfaldsalarmen med").check()
    screenshot(page, "11-plan-visit")
    page.get_by_role("button", name="Start besøg").click()
    page.wait_for_url(re.compile(r"/visits/[0-9a-f-]{36}$"))
    assert page.get_by_role("button", name="Tjek ud – jeg er ok").is_visible()
    countdown = page.locator("#countdown").inner_text()
    page.wait_for_function("(before) => document.querySelector('#countdown').textContent !== before",
                           arg=countdown, timeout=5000)  # the countdown runs
    screenshot(page, "12-active-visit")

    buddy_ctx = new_phone_context(browser, live_server.url)
    buddy = buddy_ctx.new_page()
    sign_in(buddy, "bo")
    buddy.goto("/alerts/")
    assert buddy.get_by_text("Ingen åbne alarmer.").is_visible()
    # The watchdog fires at planned end + 2 s; the list refreshes itself every 10 s.
    buddy.get_by_text("Anna Jensen").wait_for(timeout=100_000)
    assert buddy.locator("#alerts-badge").inner_text().startswith("1")
    screenshot(buddy, "13-buddy-alert-list")
    buddy.get_by_text("Anna Jensen").click()
    buddy.wait_for_url(re.compile(r"/alerts/[0-9a-f-]{36}$"))
    assert buddy.get_by_text("Nørregade 7, 1. tv").is_visible()  # revealed to the responder
    assert buddy.locator("a[href^='tel:']").count() >= 3
    screenshot(buddy, "14-buddy-alert")
    buddy.get_by_role("button", name="Jeg tager den").click()
    buddy.wait_for_url(re.compile(r"/alerts/[0-9a-f-]{36}$"))
    buddy.get_by_text("Du har alarmen").wait_for()
    assert buddy.get_by_text("taget af Bo Nielsen").first.is_visible()
    buddy.locator("label.choice", has_text="I sikkerhed").click()
    buddy.get_by_label("Note").fill("Ringede til Anna, alt ok")
    buddy.get_by_role("button", name="Afslut").click()
    buddy.get_by_text("Alarmen er afsluttet.").wait_for()
    screenshot(buddy, "15-buddy-resolved")
    timeline = buddy.locator(".timeline").inner_text()
    assert "Besøg startet af Anna Jensen" in timeline and "Bo Nielsen tog alarmen" in timeline

    page.reload()
    assert page.get_by_text("Du er tjekket ud").is_visible()  # the responder closed the visit
    screenshot(page, "16-worker-after")
    buddy_ctx.close()
    assert not [e for e in page.js_errors if "Content Security Policy" in e]
