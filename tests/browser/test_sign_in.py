from tests.browser.conftest import screenshot, sign_in


def test_sign_in_at_phone_size_shows_the_danish_home_screen(page):
    page.goto("/login")
    screenshot(page, "01-login")
    sign_in(page, "anna")
    assert page.locator("html").get_attribute("lang") == "da"
    assert page.get_by_role("navigation", name="Hovedmenu").is_visible()
    for label in ("Besøg", "Alarmer", "Hændelser", "Hjælp"):
        assert page.get_by_role("link", name=label).first.is_visible()
    screenshot(page, "02-home-anna")
    csp_violations = [e for e in page.js_errors if "Content Security Policy" in e]
    assert not csp_violations, csp_violations
