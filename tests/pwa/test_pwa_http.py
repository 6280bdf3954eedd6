"""HTTP-level checks of the installable app: manifest, /sw.js, versioned static files, gzip, offline page."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import struct

import pytest

from app.pwa import routes as pwa


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_manifest_is_danish_installable_and_has_shortcuts(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "Makker" and manifest["short_name"] == "Makker"
    assert manifest["lang"] == "da"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/" and manifest["id"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b4f5c" and manifest["background_color"].startswith("#")
    shortcuts = {s["name"]: s["url"] for s in manifest["shortcuts"]}
    assert shortcuts == {"Nyt besøg": "/visits/new", "SOS": "/visits/sos"}

    pngs = {(i["sizes"], i["purpose"]): i["src"] for i in manifest["icons"] if i["type"] == "image/png"}
    assert set(pngs) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for (sizes, _purpose), src in pngs.items():
        assert re.search(r"\?v=[0-9a-f]{12}$", src), src
        icon = client.get(src)
        assert icon.status_code == 200 and icon.mimetype == "image/png"
        width, height = png_size(icon.data)
        assert f"{width}x{height}" == sizes


def test_apple_touch_icon_in_the_layout_exists(client):
    page = client.get("/login").get_data(as_text=True)
    href = re.search(r'rel="apple-touch-icon" href="([^"]+)"', page).group(1)
    assert href.startswith("/static/img/icon-192.png?v=")
    assert png_size(client.get(href).data) == (192, 192)
    assert 'rel="manifest" href="/manifest.webmanifest"' in page


def test_service_worker_is_served_at_the_root_with_its_version(client, app):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    version = pwa.state(app).version
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    assert f'var VERSION = "{version}";' in body
    assert response.headers["X-Makker-SW-Version"] == version
    assert "__MAKKER_" not in body
    precache = json.loads(re.search(r"var PRECACHE = (\[.*?\]);", body).group(1))
    assert "/offline" in precache and "/manifest.webmanifest" in precache
    assert any(re.fullmatch(r"/static/vendor/htmx-[\d.]+\.min\.js\?v=[0-9a-f]{12}", u) for u in precache)
    assert any(u.startswith("/static/css/app.css?v=") for u in precache)
    assert any(u.startswith("/static/js/outbox.js?v=") for u in precache)
    assert not any("/static/js/sw" in u for u in precache)
    # The push handlers are imported, guarded so a missing /sw-push.js cannot stop the install.
    assert re.search(r'try \{ importScripts\("/sw-push\.js"\); \} catch', body)
    for url in precache:
        assert client.get(url).status_code == 200, url


def test_version_changes_when_a_precached_file_or_the_salt_changes(app, tmp_path):
    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    app.static_folder = str(static)
    first = pwa.refresh(app).version
    assert pwa.refresh(app).version == first  # deterministic: every process computes the same
    client = app.test_client()
    old_url = re.search(r"/static/css/app\.css\?v=\w+", client.get("/login").get_data(as_text=True)).group(0)

    (static / "css" / "app.css").write_text((static / "css" / "app.css").read_text() + "\n/* changed */\n")
    second = pwa.refresh(app).version
    assert second != first
    assert f'"{second}"' in client.get("/sw.js").get_data(as_text=True)
    new_url = re.search(r"/static/css/app\.css\?v=\w+", client.get("/login").get_data(as_text=True)).group(0)
    assert new_url != old_url

    app.config["PWA_VERSION_SALT"] = "release-2"
    assert pwa.refresh(app).version not in (first, second)


def test_versioned_static_files_are_cached_for_a_year_and_gzipped(client, app):
    page = client.get("/login").get_data(as_text=True)
    url = re.search(r"/static/vendor/htmx-[\d.]+\.min\.js\?v=[0-9a-f]{12}", page).group(0)
    plain = client.get(url)
    assert plain.status_code == 200
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]

    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert gzip.decompress(packed.data) == plain.data
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) * 0.45
    # Revalidation still works with the weak validator of the gzipped copy.
    etag = packed.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304

    assert plain.headers["Content-Security-Policy"] == "default-src 'none'"  # strict and short
    path = url.split("?")[0]
    assert client.get(path).headers["Cache-Control"] == "no-cache"  # unversioned: revalidate
    assert client.get(path + "?v=000000000000").headers["Cache-Control"] == "no-cache"  # stale hash


def test_pwa_responses_are_gzipped_too(client):
    for path in ("/sw.js", "/offline", "/manifest.webmanifest"):
        plain = client.get(path)
        packed = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert packed.headers.get("Content-Encoding") == "gzip", path
        assert gzip.decompress(packed.data) == plain.data, path


def test_offline_page_works_without_sign_in_and_holds_no_user_data(client):
    response = client.get("/offline", headers={"Accept-Language": "da"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    text = response.get_data(as_text=True)
    assert "Ingen forbindelse lige nu" in text
    assert 'href="tel:112"' in text
    assert "data-last-buddy" in text
    assert 'data-signed-in="no"' in text


def test_pages_tell_the_worker_whose_cache_they_belong_in(client, auth, make_client):
    assert "X-Makker-User" not in client.get("/login").headers
    auth.login("anna")
    anna = client.get("/").headers.get("X-Makker-User")
    assert anna and re.fullmatch(r"[0-9a-f]{20}", anna)
    _bo_client, _ = make_client("bo")
    bo = _bo_client.get("/").headers.get("X-Makker-User")
    assert bo and bo != anna
    assert "X-Makker-User" not in client.get("/api/v1/me").headers


def test_sign_out_clears_the_phone(client, auth):
    auth.login("anna")
    response = auth.logout()
    assert response.status_code in (302, 303)
    directives = {d.strip() for d in response.headers["Clear-Site-Data"].split(",")}
    assert {'"cache"', '"storage"'} <= directives


@pytest.mark.parametrize("path", ["/sw.js", "/manifest.webmanifest", "/offline"])
def test_pwa_urls_need_no_session(client, path):
    assert client.get(path).status_code == 200
