"""Template globals and filters shared by every screen."""

from __future__ import annotations

from datetime import datetime

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

    app.jinja_env.globals["static_url"] = lambda filename: url_for("static", filename=filename)


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
