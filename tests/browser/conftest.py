"""Browser end-to-end fixtures: a live Makker server on 127.0.0.1 and Debian's Chromium via Playwright,
at a phone viewport (390x844). Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.clock import SystemClock
from app.extensions import db as _db

CHROMIUM = os.environ.get("MAKKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.server.serve_forever, daemon=True)]
        for name, target in app.extensions.get("makker.background", []):
            self.threads.append(threading.Thread(target=target, args=(app, self.stop), name=name, daemon=True))

    def start(self):
        for thread in self.threads:
            thread.start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def live_config():
    """Override in a test module to change the live app's config."""
    return {}


@pytest.fixture
def live_server(tmp_path, live_config):
    app = create_app({
        "TESTING": False,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.sqlite3'}",
        "SECRET_KEY": "browser-test",
        "CLOCK": SystemClock(),
        "DEMO": False,
        "RATELIMIT_ENABLED": False,
        **live_config,
    })
    with app.app_context():
        _db.create_all()
        from app.demo import load_demo_data

        load_demo_data()
    server = LiveServer(app)
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


def new_phone_context(browser, base_url: str, permissions=()):
    """A browser context like a phone: 390x844, touch, Danish, Copenhagen time."""
    ctx = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
        locale="da-DK", timezone_id="Europe/Copenhagen", base_url=base_url,
    )
    if permissions:
        ctx.grant_permissions(list(permissions), origin=base_url)
    ctx.set_default_timeout(15_000)
    return ctx


@pytest.fixture
def browser_permissions():
    """Override in a test module, e.g. ["notifications"] or ["background-sync"]."""
    return ()


@pytest.fixture
def context(browser, live_server, browser_permissions):
    ctx = new_phone_context(browser, live_server.url, browser_permissions)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors
    yield page


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # caret="initial": hiding the caret would inject an inline style, which our CSP (rightly) blocks.
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


def sign_in(page, username: str = "anna", password: str = "demo") -> None:
    page.goto("/login")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(lambda url: "/login" not in url)
