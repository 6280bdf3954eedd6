"""Changing my own password at phone size: a common password is refused in Danish, a good one is
taken, and the new password is the one that signs in."""

from __future__ import annotations

from tests.browser.conftest import screenshot, sign_in


def test_change_password_from_settings(page, live_server):
    sign_in(page, "bo")
    page.goto("/settings/password")
    page.get_by_role("heading", name="Skift adgangskode").wait_for()
    page.get_by_label("Nuværende adgangskode").fill("demo")
    page.get_by_label("Ny adgangskode", exact=True).fill("Password2024!")
    page.get_by_label("Ny adgangskode igen").fill("Password2024!")
    page.get_by_role("button", name="Skift adgangskode").click()
    error = page.locator(".field-error, .error, [role=alert]").first
    error.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "password-01-common-refused")

    page.get_by_label("Nuværende adgangskode").fill("demo")
    page.get_by_label("Ny adgangskode", exact=True).fill("grøn kaffe på trappen om morgenen")
    page.get_by_label("Ny adgangskode igen").fill("grøn kaffe på trappen om morgenen")
    page.get_by_role("button", name="Skift adgangskode").click()
    page.get_by_text("Din adgangskode er skiftet").wait_for()
    screenshot(page, "password-02-changed")
    # The refused form answers 422 (Chromium logs that); anything else would be a real error.
    assert not [e for e in page.js_errors if "status of 422" not in e], page.js_errors

    page.context.clear_cookies()
    sign_in(page, "bo", "grøn kaffe på trappen om morgenen")
    page.goto("/settings")
    assert "/login" not in page.url
