"""The admin screens at phone size (390x844): the user list, a unit page, and the role quick change."""

from __future__ import annotations

from tests.browser.conftest import SCREENSHOTS, sign_in

EXPECTED_422 = "the server responded with a status of 422"


def _check_errors_then_screenshot(page, name: str) -> None:
    """Assert no script errors or CSP violations so far, then take a full-page screenshot.

    caret="initial": hiding the caret (Playwright's default) injects an inline style, which our CSP
    blocks; Chromium then logs violations that do not come from Makker."""
    errors = [e for e in page.js_errors if EXPECTED_422 not in e]
    assert not errors, "\n".join(errors)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_admin_user_list_and_unit_page_at_phone_size(page):
    sign_in(page, "admin")
    page.goto("/settings/")
    page.get_by_role("link", name="Åbn administrationen").click()
    page.wait_for_url("**/admin/")
    page.get_by_role("link", name="Brugere").first.click()
    page.wait_for_url("**/admin/users")
    assert page.get_by_role("heading", name="Brugere").is_visible()
    assert page.get_by_role("link", name="Anna Jensen").is_visible()
    assert _no_horizontal_scroll(page)
    _check_errors_then_screenshot(page, "admin-01-users")

    # Filtering by unit swaps the list in place (htmx) and keeps the URL shareable.
    page.get_by_label("Enhed").select_option(label="Ingen enhed")
    page.wait_for_url("**/admin/users?unit=none")
    page.get_by_text("Ingen brugere her endnu.").wait_for()
    page.get_by_label("Enhed").select_option(label="Jobcenter Nord")
    page.get_by_text("5 brugere").wait_for()

    page.get_by_role("link", name="Enheder").first.click()
    page.get_by_role("link", name="Jobcenter Nord").click()
    page.get_by_role("heading", name="Jobcenter Nord").wait_for()
    assert page.locator("#unit-leaders").inner_text() == "Lene Holm"
    assert page.locator("#unit-amrs").inner_text() == "Ali Hassan"
    assert _no_horizontal_scroll(page)
    _check_errors_then_screenshot(page, "admin-02-unit")

    # Quick change: Bo becomes an AMR without leaving the page.
    page.get_by_label("Rolle for Bo Nielsen").select_option("amr")
    page.locator("li.member", has_text="Bo Nielsen").locator("button[type=submit]").click()
    page.get_by_text("Rollen er ændret.").wait_for()
    assert page.locator("#unit-amrs").inner_text() == "Ali Hassan, Bo Nielsen"
    _check_errors_then_screenshot(page, "admin-03-unit-role-changed")

    # The change is in the audit log.
    page.get_by_role("link", name="Revisionslog").click()
    page.wait_for_url("**/admin/audit")
    page.get_by_label("Handling").select_option("user.set_role")
    # The change event filters at once (htmx); the button does the same without JavaScript, and
    # makes the test independent of whether htmx had processed the boosted page yet.
    page.get_by_role("button", name="Vis").click()
    page.wait_for_url("**/admin/audit?action=user.set_role")
    # Wait for the filtered list to be swapped in (the unfiltered one has the entry too).
    page.wait_for_function("""() => {
        const rows = [...document.querySelectorAll('#audit-list tbody tr')];
        return rows.length > 0 && rows.every(r => r.textContent.includes('user.set_role'));
    }""")
    assert page.locator("#audit-list tbody tr").count() == 1
    assert _no_horizontal_scroll(page)
    _check_errors_then_screenshot(page, "admin-05-audit")
    assert not [e for e in page.js_errors if EXPECTED_422 not in e], page.js_errors


def test_admin_form_errors_at_phone_size(page):
    sign_in(page, "admin")
    page.goto("/admin/users/new")
    page.get_by_label("Navn", exact=True).fill("Carla Mikkelsen")
    page.get_by_label("Brugernavn").fill("carla")
    page.get_by_label("Første adgangskode").fill("short")
    page.get_by_role("button", name="Opret bruger").click()
    page.get_by_text("Adgangskoden skal være på mindst 12 tegn.").wait_for()
    # The page keeps its layout (a 422 on a boosted form swaps the whole page, not a fragment).
    assert page.get_by_role("navigation", name="Hovedmenu").is_visible()
    assert page.get_by_label("Navn", exact=True).input_value() == "Carla Mikkelsen"
    _check_errors_then_screenshot(page, "admin-04-new-user-error")
    page.get_by_label("Første adgangskode").fill("a-long-initial-password")
    page.get_by_role("button", name="Opret bruger").click()
    page.get_by_text("Carla Mikkelsen kan nu logge ind som carla.").wait_for()
    assert "/admin/users/" in page.url
    assert not [e for e in page.js_errors if EXPECTED_422 not in e], page.js_errors
