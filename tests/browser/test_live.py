"""Live regions in Chromium (app/live, static/js/live.js): two phones side by side, no reload.

The leader's badge shows anna's SOS within 5 s and goes when it is resolved; a push arriving at the
service worker makes the open page poll at once instead of at its next turn."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import new_phone_context, screenshot, sign_in
from tests.browser.test_push_sw import READY, Pusher

LIVE_DEADLINE_MS = 5_000  # the promise: every responder sees it within 5 s


@pytest.fixture
def browser_permissions():
    return ["notifications"]


def _api(page, method: str, path: str, body: dict | None = None):
    return page.evaluate(
        """async ([method, path, body]) => {
          const me = await (await fetch('/api/v1/me')).json();
          const r = await fetch(path, {method, headers: {'Content-Type': 'application/json',
                                'X-CSRFToken': me.csrf_token}, body: body ? JSON.stringify(body) : undefined});
          return {status: r.status, body: await r.json().catch(() => null)};
        }""", [method, path, body])


def test_a_new_alarm_and_its_end_reach_the_leaders_badge_without_reload(browser, live_server):
    worker_ctx = new_phone_context(browser, live_server.url)
    leader_ctx = new_phone_context(browser, live_server.url)
    try:
        worker, leader = worker_ctx.new_page(), leader_ctx.new_page()
        sign_in(worker, "anna")
        sign_in(leader, "lene")
        badge = leader.locator("#alerts-badge")
        assert badge.count() == 0

        sos = _api(worker, "POST", "/api/v1/sos", {})
        assert sos["status"] == 201, sos
        raised = time.monotonic()
        badge.wait_for(state="visible", timeout=LIVE_DEADLINE_MS)
        assert time.monotonic() - raised < LIVE_DEADLINE_MS / 1000
        assert badge.inner_text().startswith("1")
        screenshot(leader, "live-leader-badge-da")

        done = _api(leader, "POST", f"/api/v1/alerts/{sos['body']['id']}/resolve",
                    {"outcome": "false_alarm", "note": "lommen"})
        assert done["status"] == 200, done
        badge.wait_for(state="detached", timeout=LIVE_DEADLINE_MS)
    finally:
        worker_ctx.close()
        leader_ctx.close()


def test_a_push_makes_the_open_page_poll_at_once(context, page, live_server):
    sign_in(page, "lene")
    page.wait_for_function(READY)
    page.reload()
    page.wait_for_function(READY)
    pusher = Pusher(context, page, live_server.url)
    polls: list[float] = []
    page.on("request", lambda r: polls.append(time.monotonic()) if "/live?" in r.url else None)
    page.wait_for_timeout(500)
    polls.clear()
    pushed = time.monotonic()
    pusher.push(page, {"type": "alert", "title": "ALARM: test", "body": "", "url": "/alerts/", "tag": "t"})
    page.wait_for_function("() => true")
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and not polls:
        page.wait_for_timeout(50)
    # The regular poll comes every 3 s; a poll within 1.5 s of the push is the push's doing.
    assert polls and polls[0] - pushed < 1.5, polls
