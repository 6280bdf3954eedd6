"""The installable app: web app manifest, the one service worker at /sw.js, the offline page, and how
static files are served (content-hashed URLs, a year's cache lifetime, gzip).

The service worker's version is a hash of its source, of every precached file and of the offline page's
template and catalogue, computed at start (`refresh`). Any change to one of them changes the bytes of
/sw.js, so browsers install the new worker and the page offers "Ny version – genindlæs"."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path

from flask import Blueprint, Flask, current_app, render_template, request, url_for

bp = Blueprint("pwa", __name__)

ROOT = Path(__file__).resolve().parent.parent.parent
SW_SOURCE = ROOT / "service_worker" / "sw.js"
OFFLINE_SOURCES = (ROOT / "templates" / "pwa", Path(__file__).resolve().parent / "translations")

# What the worker precaches: the app shell. Anything under these folders with these suffixes.
PRECACHE_DIRS = ("css", "js", "vendor", "img")
PRECACHE_SUFFIXES = (".css", ".js", ".svg", ".png", ".woff2")
PRECACHE_MAX_BYTES = 512 * 1024
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/manifest+json",
                "image/svg+xml", "text/javascript")
MIN_COMPRESS_BYTES = 512
YEAR = 31536000
THEME = "#0b4f5c"
BACKGROUND = "#f4f6f7"


@dataclass
class StaticFile:
    digest: str  # first 12 hex digits of sha256 of the content
    size: int
    mtime: float
    gz: bytes | None = None  # precompressed body, for text types


@dataclass
class PwaState:
    files: dict[str, StaticFile] = field(default_factory=dict)
    version: str = ""
    precache: list[str] = field(default_factory=list)
    fingerprint: tuple = ()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def _is_text(name: str) -> bool:
    return name.endswith((".css", ".js", ".svg", ".json", ".webmanifest", ".html", ".txt", ".map"))


def _scan(static_folder: Path) -> dict[str, StaticFile]:
    files: dict[str, StaticFile] = {}
    for path in sorted(static_folder.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(static_folder).parts):
            continue
        name = path.relative_to(static_folder).as_posix()
        data = path.read_bytes()
        stat = path.stat()
        gz = None
        if _is_text(name) and len(data) >= MIN_COMPRESS_BYTES:
            packed = gzip.compress(data, compresslevel=9, mtime=0)
            gz = packed if len(packed) < len(data) else None
        files[name] = StaticFile(_digest(data), stat.st_size, stat.st_mtime, gz)
    return files


def _fingerprint(static_folder: Path) -> tuple:
    """Cheap change detection (debug mode): names, sizes and mtimes of every input of the version."""
    paths = [p for p in static_folder.rglob("*") if p.is_file()] + [SW_SOURCE]
    for base in OFFLINE_SOURCES:
        if base.exists():
            paths += [p for p in base.rglob("*") if p.is_file()]
    return tuple(sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths if p.exists()))


def precache_names(files: dict[str, StaticFile]) -> list[str]:
    return sorted(
        name for name, info in files.items()
        if name.split("/", 1)[0] in PRECACHE_DIRS and name.endswith(PRECACHE_SUFFIXES)
        and info.size <= PRECACHE_MAX_BYTES and not name.split("/")[-1].startswith("sw")
    )


def compute_version(files: dict[str, StaticFile], sw_source: bytes, extra: str = "") -> str:
    """The service worker's version: a hash of its own source, the precached files and the offline page."""
    h = hashlib.sha256()
    h.update(sw_source)
    for name in precache_names(files):
        h.update(f"\n{name}={files[name].digest}".encode())
    for base in OFFLINE_SOURCES:
        if base.exists():
            for path in sorted(p for p in base.rglob("*") if p.is_file() and p.suffix in (".html", ".mo")):
                h.update(f"\n{path.name}={_digest(path.read_bytes())}".encode())
    h.update(f"\nsalt={extra}".encode())
    return h.hexdigest()[:16]


def state(app: Flask | None = None) -> PwaState:
    return (app or current_app).extensions["makker.pwa"]


def refresh(app: Flask) -> PwaState:
    """(Re)compute file hashes, gzip bodies and the service worker's version. Called at start."""
    static_folder = Path(app.static_folder)
    files = _scan(static_folder)
    current = app.extensions.setdefault("makker.pwa", PwaState())
    current.files = files
    current.version = compute_version(files, SW_SOURCE.read_bytes(), str(app.config.get("PWA_VERSION_SALT", "")))
    current.precache = precache_names(files)
    current.fingerprint = _fingerprint(static_folder) if app.debug else ()
    # templating.static_url adds ?v=<digest> from this mapping (hashed URLs, cached for a year).
    app.extensions["makker.static_versions"] = {name: info.digest for name, info in files.items()}
    return current


def _versioned(name: str) -> str:
    info = state().files.get(name)
    return url_for("static", filename=name, v=info.digest) if info else url_for("static", filename=name)


def user_key(user_id) -> str:
    """An opaque per-user name for the service worker's page cache (the user id stays private)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"pwa-cache:{user_id}".encode(), hashlib.sha256).hexdigest()[:20]


# --- routes -----------------------------------------------------------------------------------------

def manifest_data() -> dict:
    icon = lambda name, size, purpose="any": {  # noqa: E731
        "src": _versioned(f"img/{name}"), "sizes": size, "type": "image/png", "purpose": purpose}
    small = [icon("icon-192.png", "192x192")]
    return {
        "id": "/",
        "name": "Makker",
        "short_name": "Makker",
        "description": "Tryghed på hjemmebesøg: tjek ud med ét tryk, SOS, og din makker får besked, "
                       "hvis du ikke er tjekket ud.",
        "lang": "da",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME,
        "background_color": BACKGROUND,
        "categories": ["productivity", "utilities"],
        "icons": [
            icon("icon-192.png", "192x192"),
            icon("icon-512.png", "512x512"),
            icon("icon-maskable-512.png", "512x512", "maskable"),
            {"src": _versioned("img/icon.svg"), "sizes": "any", "type": "image/svg+xml",
             "purpose": "any"},
        ],
        "shortcuts": [
            {"name": "Nyt besøg", "short_name": "Nyt besøg", "description": "Start et besøg med tidsur",
             "url": "/visits/new", "icons": small},
            {"name": "SOS", "short_name": "SOS", "description": "Send SOS til din makker, leder og AMR",
             "url": "/visits/sos", "icons": small},
        ],
    }


@bp.get("/manifest.webmanifest")
def manifest():
    body = json.dumps(manifest_data(), ensure_ascii=False, indent=1)
    response = current_app.response_class(body, mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


def render_service_worker() -> str:
    current = state()
    source = SW_SOURCE.read_text(encoding="utf-8")
    replacements = {
        '"__MAKKER_VERSION__"': json.dumps(current.version),
        '"__MAKKER_PRECACHE__"': json.dumps(
            [_versioned(name) for name in current.precache] + ["/offline", "/manifest.webmanifest"]),
        '"__MAKKER_OUTBOX_URL__"': json.dumps(_versioned("js/outbox.js")),
    }
    for placeholder, value in replacements.items():
        source = source.replace(placeholder, value)
    return source


@bp.get("/sw.js")
def service_worker():
    response = current_app.response_class(render_service_worker(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Makker-SW-Version"] = state().version
    return response


@bp.get("/offline")
def offline():
    """The page the worker shows when a page is neither reachable nor cached. No user data: it is
    precached in the shared app-shell cache."""
    response = current_app.response_class(render_template("pwa/offline.html"), mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- response hooks ---------------------------------------------------------------------------------

def _static_headers(response):
    filename = (request.view_args or {}).get("filename", "")
    current = state()
    info = current.files.get(filename)
    if info is None or response.status_code not in (200, 304):
        return response
    # Headers are a good part of a small file's bytes. Stylesheets, scripts and images need no page
    # policy: the strictest CSP is also the shortest (an SVG opened on its own can run nothing).
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers.pop("Content-Disposition", None)
    if request.args.get("v") == info.digest:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        response.headers.pop("Last-Modified", None)  # never revalidated; the ETag stays for tools
        response.headers.pop("Accept-Ranges", None)
    else:
        response.headers["Cache-Control"] = "no-cache"
    if response.status_code == 200 and "Range" not in request.headers:
        _gzip_static(response, filename, info)
    return response


def _accepts_gzip() -> bool:
    return "gzip" in (request.headers.get("Accept-Encoding") or "").lower()


def _gzip_static(response, filename: str, info: StaticFile) -> None:
    response.vary.add("Accept-Encoding")
    if info.gz is None or not _accepts_gzip():
        return
    path = Path(current_app.static_folder) / filename
    try:
        stat = path.stat()
    except OSError:
        return
    if stat.st_size != info.size or stat.st_mtime != info.mtime:
        return  # changed since start: serve it as it is now (debug mode refreshes the table)
    if hasattr(response.response, "close"):
        response.response.close()
    response.direct_passthrough = False
    response.set_data(info.gz)
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(etag, weak=True)  # same content, other encoding: a weak validator


def _gzip_dynamic(response) -> None:
    """The PWA's own public responses (manifest, worker, offline page): gzip on the fly. Pages with a
    user's CSRF token are not compressed (BREACH)."""
    response.vary.add("Accept-Encoding")
    if not _accepts_gzip() or response.direct_passthrough or "Content-Encoding" in response.headers:
        return
    data = response.get_data()
    if len(data) < MIN_COMPRESS_BYTES:
        return
    response.set_data(gzip.compress(data, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"


def after_request(response):
    endpoint = request.endpoint or ""
    if endpoint == "static":
        return _static_headers(response)
    if endpoint in ("pwa.manifest", "pwa.service_worker", "pwa.offline") and response.status_code == 200:
        _gzip_dynamic(response)
        return response
    if response.status_code == 200 and response.mimetype == "text/html":
        from flask_login import current_user

        # Tells the service worker whose page this is: it caches pages only in that user's cache.
        if current_user and current_user.is_authenticated:
            response.headers["X-Makker-User"] = user_key(current_user.get_id())
    return response


def init_app(app: Flask) -> None:
    refresh(app)
    app.after_request(after_request)

    if app.debug:
        @app.before_request
        def _refresh_when_changed():
            current = state(app)
            if current.fingerprint != _fingerprint(Path(app.static_folder)):
                refresh(app)
