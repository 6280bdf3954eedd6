"""The app shell's byte budget and Lighthouse scores.

    .venv/bin/python bench/pwa_budget.py [--no-lighthouse] [--json PATH]

Starts Makker on 127.0.0.1 (a temporary SQLite database with the demo data), then in Debian's
Chromium at phone size, signed in as anna:
- first load of the home screen: bytes transferred for the page (CDP Network.loadingFinished
  encodedDataLength, headers included), target <= 60 KB; the service worker's own precache
  download is counted on the server and shown beside it;
- a repeat visit (the app opened again): bytes the server sent for the shell (static files and the
  manifest), target 0 (all from the service worker's cache); the page itself is network-first;
- Lighthouse 12 (npx lighthouse@12.8.2, mobile) on the sign-in page and the home page (the session
  cookie passed with --extra-headers): performance, accessibility, best practices (targets 95, 100, 95).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("MAKKER_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
LIGHTHOUSE = "lighthouse@12.8.2"
RESULTS = ROOT / "bench" / "results"  # full Lighthouse reports (not committed)
TARGETS = {"first_load_kb": 60, "repeat_shell_bytes": 0, "performance": 95, "accessibility": 100,
           "best-practices": 95}


class ByteCounter:
    """WSGI middleware: the bytes of every response body the server sends, by path."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.sent: dict[str, int] = defaultdict(int)

    def reset(self) -> dict[str, int]:
        with self.lock:
            sent, self.sent = dict(self.sent), defaultdict(int)
        return sent

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        for chunk in self.app(environ, start_response):
            with self.lock:
                self.sent[path] += len(chunk)
            yield chunk


def start_server(tmp: Path):
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from app import create_app
    from app.demo import load_demo_data
    from app.extensions import db

    app = create_app({
        "INSTANCE_PATH": str(tmp / "instance"), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "SECRET_KEY": "pwa-budget", "DEMO": False, "RATELIMIT_ENABLED": False,
    })
    with app.app_context():
        db.create_all()
        load_demo_data()
    counter = ByteCounter(app.wsgi_app)
    app.wsgi_app = counter
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}", counter


def sign_in(context, base: str) -> None:
    page = context.request.get(f"{base}/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text()).group(1)
    response = context.request.post(f"{base}/login", form={"username": "anna", "password": "demo",
                                                            "csrf_token": token})
    assert response.ok and "/login" not in response.url, "sign-in failed"


def measure(page, url: str) -> dict:
    """Load url; return the page's requests with bytes and where they came from."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    requests: dict[str, dict] = {}

    def on_response(event):
        r = event["response"]
        requests.setdefault(event["requestId"], {}).update(
            url=r["url"], status=r["status"], from_sw=bool(r.get("fromServiceWorker")),
            from_cache=bool(r.get("fromDiskCache") or r.get("fromPrefetchCache")),
            encoding=r.get("headers", {}).get("content-encoding") or r.get("headers", {}).get("Content-Encoding"))

    def on_finished(event):
        requests.setdefault(event["requestId"], {})["bytes"] = int(event["encodedDataLength"])

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(500)
    cdp.detach()
    return {k: v for k, v in requests.items() if "url" in v}


def budget(base: str, counter: ByteCounter) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                      locale="da-DK", timezone_id="Europe/Copenhagen")
        sign_in(context, base)
        counter.reset()
        page = context.new_page()
        first = measure(page, f"{base}/")
        page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=15000)
        page.wait_for_timeout(1000)  # the worker's precache finishes
        first_server = counter.reset()
        cookie = next(c for c in context.cookies() if c["name"] == "makker_session")

        page.close()
        again = context.new_page()  # the app opened again
        repeat = measure(again, f"{base}/")
        repeat_server = counter.reset()
        browser.close()

    first_bytes = sum(r.get("bytes", 0) for r in first.values())
    shell_paths = {p: n for p, n in repeat_server.items() if p.startswith("/static/") or p == "/manifest.webmanifest"}
    return {
        "first_load_bytes": first_bytes,
        "first_load_requests": len(first),
        "first_load_by_url": {r["url"].replace(base, ""): r.get("bytes", 0) for r in first.values()},
        "first_load_not_gzipped": sorted(r["url"] for r in first.values()
                                         if "/static/" in r["url"] and not r.get("encoding")
                                         and not r["url"].split("?")[0].endswith(".png")),
        "first_load_server_bytes_incl_sw_precache": sum(first_server.values()),
        "repeat_shell_bytes_from_network": sum(shell_paths.values()),
        "repeat_shell_paths_from_network": shell_paths,
        "repeat_page_bytes_from_network": sum(n for p, n in repeat_server.items() if p not in shell_paths),
        "repeat_requests_from_sw": sum(1 for r in repeat.values() if r["from_sw"]),
        "repeat_requests": len(repeat),
        "cookie": f"{cookie['name']}={cookie['value']}",
    }


def lighthouse(url: str, cookie: str | None, out: Path) -> dict:
    flags = " ".join(FLAGS)
    cmd = ["npx", "--yes", LIGHTHOUSE, url, "--output=json", f"--output-path={out}", "--quiet",
           "--form-factor=mobile", "--only-categories=performance,accessibility,best-practices",
           f"--chrome-flags={flags}", "--max-wait-for-load=30000"]
    if cookie:
        cmd += ["--extra-headers", json.dumps({"Cookie": cookie})]
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    for _attempt in range(3):  # Lighthouse now and then loses its trace (NO_NAVSTART): run it again
        out.unlink(missing_ok=True)
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        if result.returncode == 0 and out.exists():
            break
    if result.returncode != 0 or not out.exists():
        raise RuntimeError(f"lighthouse failed ({result.returncode}): {result.stderr[-2000:]}")
    report = json.loads(out.read_text())
    scores = {k: round((v.get("score") or 0) * 100) for k, v in report["categories"].items()}
    problems = []
    for key, category in report["categories"].items():
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 0.9:
                problems.append(f"{key}: {ref['id']} ({audit.get('displayValue') or audit['title']})")
    metrics = {m: report["audits"][m].get("displayValue") for m in
               ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift")
               if m in report["audits"]}
    return {"scores": scores, "problems": problems, "metrics": metrics, "final_url": report.get("finalDisplayedUrl")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="makker-pwa-budget-") as tmp_name:
        tmp = Path(tmp_name)
        server, base, counter = start_server(tmp)
        try:
            started = time.monotonic()
            result = budget(base, counter)
            cookie = result.pop("cookie")
            print(f"first load of the home screen: {result['first_load_bytes'] / 1024:.1f} KB in "
                  f"{result['first_load_requests']} requests (target <= {TARGETS['first_load_kb']} KB); "
                  f"server sent {result['first_load_server_bytes_incl_sw_precache'] / 1024:.1f} KB "
                  "including the service worker's precache")
            if result["first_load_not_gzipped"]:
                print("  not compressed:", ", ".join(result["first_load_not_gzipped"]))
            print(f"repeat visit: shell bytes from the network {result['repeat_shell_bytes_from_network']} "
                  f"(target 0); {result['repeat_requests_from_sw']}/{result['repeat_requests']} requests "
                  f"answered by the service worker; the page itself (network-first) "
                  f"{result['repeat_page_bytes_from_network'] / 1024:.1f} KB")
            if result["repeat_shell_paths_from_network"]:
                print("  from the network:", result["repeat_shell_paths_from_network"])
            ok = (result["first_load_bytes"] <= TARGETS["first_load_kb"] * 1024
                  and result["repeat_shell_bytes_from_network"] == TARGETS["repeat_shell_bytes"])
            if not args.no_lighthouse:
                result["lighthouse"] = {}
                for name, path, with_cookie in (("sign-in", "/login", False), ("home", "/", True)):
                    RESULTS.mkdir(parents=True, exist_ok=True)
                    report = lighthouse(f"{base}{path}", cookie if with_cookie else None, RESULTS / f"lighthouse-{name}.json")
                    result["lighthouse"][name] = report
                    s = report["scores"]
                    print(f"lighthouse {name} ({report['final_url']}): performance {s.get('performance')}, "
                          f"accessibility {s.get('accessibility')}, best-practices {s.get('best-practices')}  "
                          f"[{', '.join(f'{k} {v}' for k, v in report['metrics'].items())}]")
                    for problem in report["problems"]:
                        print("  to fix:", problem)
                    ok = ok and s.get("performance", 0) >= TARGETS["performance"] \
                        and s.get("accessibility", 0) >= TARGETS["accessibility"] \
                        and s.get("best-practices", 0) >= TARGETS["best-practices"]
            print(f"{'all targets met' if ok else 'some targets missed'} ({time.monotonic() - started:.0f} s)")
            if args.json:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(result, indent=2))
            return 0 if ok else 1
        finally:
            server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
