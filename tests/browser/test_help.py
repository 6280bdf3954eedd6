"""Hjælp in Chromium at phone size: one-tap calls, a guideline card, and the ambulance letter."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import new_phone_context, screenshot, sign_in


def test_help_screen_calls_guideline_and_ambulance_letter(page):
    sign_in(page, "anna")
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Hjælp").click()
    page.wait_for_url("**/help/")
    assert page.get_by_role("heading", name="Hjælp", level=1).is_visible()

    calls = {
        role: page.locator(f'a[data-role="{role}"]').first
        for role in ("leader", "amr", "crisis", "police", "police_service", "first_aid")
    }
    assert calls["leader"].get_attribute("href") == "tel:+4520112203"
    assert calls["amr"].get_attribute("href") == "tel:+4520112204"
    assert calls["crisis"].get_attribute("href") == "tel:87108900"
    assert calls["police"].get_attribute("href") == "tel:112"
    assert calls["police_service"].get_attribute("href") == "tel:114"
    assert calls["first_aid"].get_attribute("href") == "tel:+4520112204"
    for role, link in calls.items():
        assert link.is_visible(), role
        box = link.bounding_box()
        assert box["height"] >= 56, (role, box)  # big touch targets
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (role, box)  # nothing off-screen
    assert "Lene Holm" in calls["leader"].inner_text()
    # No sideways scrolling at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "help-01-hjaelp")

    page.get_by_role("link", name="Før et hjemmebesøg").click()
    page.wait_for_url("**/help/guideline/home-visit")
    assert page.get_by_role("heading", name="Før et hjemmebesøg").is_visible()
    assert page.locator(".guide-body ol > li").count() == 7
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "help-02-guideline-card")

    # The ambulance letter: asked for on the home screen, filled in, shown.
    page.goto("/")
    prompt = page.locator(".letter-prompt")
    assert prompt.is_visible()
    prompt.get_by_role("link", name="Udfyld dit ambulancebrev").click()
    page.wait_for_url("**/help/ambulance-letter/edit")
    person = page.locator("fieldset").first
    person.get_by_label("Navn").fill("Peter Jensen")
    person.get_by_label("Relation til dig").fill("Ægtefælle")
    person.get_by_label("Telefon", exact=True).fill("+45 40 50 60 70")
    page.get_by_label("Vigtige oplysninger").fill("CPR 010190-1234")
    page.get_by_role("button", name="Gem").click()
    expect(page.get_by_text("Skriv ikke CPR-numre")).to_be_visible()
    screenshot(page, "help-03-letter-cpr-refused")
    page.get_by_label("Vigtige oplysninger").fill("Allergisk over for penicillin.")
    page.get_by_role("button", name="Gem").click()
    page.wait_for_url("**/help/ambulance-letter")
    expect(page.get_by_text("Dit ambulancebrev er gemt.")).to_be_visible()
    assert page.get_by_role("link", name="+45 40 50 60 70").get_attribute("href") == "tel:+4540506070"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "help-04-ambulance-letter")

    page.goto("/")
    assert page.locator(".letter-prompt").count() == 0
    csp_violations = [e for e in page.js_errors if "Content Security Policy" in e]
    assert not csp_violations, csp_violations


def test_leader_reads_the_letter_and_the_employee_sees_it(browser, live_server):
    def phone():
        ctx = new_phone_context(browser, live_server.url)
        return ctx, ctx.new_page()

    anna_ctx, anna = phone()
    lene_ctx, lene = phone()
    try:
        sign_in(anna, "anna")
        anna.goto("/help/ambulance-letter/edit")
        anna.locator("fieldset").first.get_by_label("Navn").fill("Peter Jensen")
        anna.locator("fieldset").first.get_by_label("Telefon", exact=True).fill("40506070")
        anna.get_by_role("button", name="Gem").click()
        anna.wait_for_url("**/help/ambulance-letter")

        sign_in(lene, "lene")
        lene.goto("/help/ambulance-letters")
        lene.get_by_role("link", name="Anna Jensen").click()
        lene.wait_for_url("**/help/people/anna/ambulance-letter")
        assert lene.get_by_text("Peter Jensen").is_visible()
        screenshot(lene, "help-05-leader-reads-letter")

        anna.reload()
        expect(anna.get_by_text("Lene Holm læste dit ambulancebrev")).to_be_visible()
        screenshot(anna, "help-06-letter-read-by-leader")
    finally:
        anna_ctx.close()
        lene_ctx.close()


def test_help_works_offline_with_its_call_links(browser, live_server):
    """Hjælp is cached by the service worker per user: with no network it still opens, calls work."""
    from tests.browser.test_pwa import CACHED, CONTROLLED

    ctx = new_phone_context(browser, live_server.url)
    try:
        page = ctx.new_page()
        sign_in(page, "anna")
        page.wait_for_function(CONTROLLED)
        page.goto("/help/")
        page.wait_for_function(CACHED, arg="/help/")
        ctx.set_offline(True)
        page.reload()
        hrefs = page.eval_on_selector_all("a[href^='tel:']", "els => els.map(e => e.getAttribute('href'))")
        assert "tel:112" in hrefs and "tel:87108900" in hrefs
        assert any(h.startswith("tel:+452011220") for h in hrefs)  # leader and AMR of the unit
        screenshot(page, "help-07-offline")
    finally:
        ctx.close()
