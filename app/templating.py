"""Template globals and filters shared by every screen."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Flask, url_for
from flask_babel import format_datetime, format_time, get_locale


def init_app(app: Flask) -> None:
    @app.template_filter("localtime")
    def localtime(value: datetime | None, fmt: str = "HH:mm") -> str:
        return format_time(value, fmt) if value else ""

    @app.template_filter("localdatetime")
    def localdatetime(value: datetime | None, fmt: str = "d. MMM HH:mm") -> str:
        return format_datetime(value, fmt) if value else ""

    @app.template_filter("isotime")
    def isotime(value: datetime | None) -> str:
        return value.isoformat() if value else ""

    @app.template_filter("tel")
    def tel(number: str | None) -> str:
        digits = "".join(ch for ch in (number or "") if ch.isdigit() or ch == "+")
        return f"tel:{digits}"

    @app.context_processor
    def inject_globals():
        return {"current_locale": str(get_locale() or "da"), "nav_badges": _nav_badges()}

    # Content-hashed URLs (?v=<hash>) when the pwa feature has hashed the file: cached for a year.
    def static_url(filename: str) -> str:
        version = app.extensions.get("makker.static_versions", {}).get(filename)
        return url_for("static", filename=filename, v=version) if version else url_for("static", filename=filename)

    app.jinja_env.globals["static_url"] = static_url

    # More ways to sign in on /login (single sign-on buttons, passkeys): callables returning Markup.
    def login_options() -> list:
        return [m for m in (f() for f in app.extensions.get("makker.login_options", ())) if m]

    app.jinja_env.globals["login_options"] = login_options
    # Every feature stylesheet and script is on every page: hx-boost swaps only the <body>, so a
    # page-specific <head> entry would be missing after a boosted navigation.
    static = Path(app.static_folder)
    app.jinja_env.globals["feature_css"] = sorted(
        f"css/{p.name}" for p in (static / "css").glob("*.css") if p.name != "app.css"
    )
    app.jinja_env.globals["feature_js"] = sorted(
        f"js/{p.name}" for p in (static / "js").glob("*.js") if p.name not in ("app.js",) and not p.name.startswith("sw")
    )


def _nav_badges() -> dict:
    """Counts shown on the bottom navigation; features register providers in app.extensions."""
    from flask import current_app
    from flask_login import current_user

    if not current_user or not current_user.is_authenticated:
        return {}
    badges = {}
    for key, provider in current_app.extensions.get("makker.nav_badges", {}).items():
        badges[key] = provider(current_user)
    return badges
