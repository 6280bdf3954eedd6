"""Visit screens: plan ("Nyt besøg"), the active visit, PIN settings. Thin views over services."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_login import login_required

bp = Blueprint("visits", __name__, url_prefix="/visits")


@bp.get("/")
@login_required
def index():
    return render_template("visits/index.html")


def init_app(app: Flask) -> None:
    from app.serve import register_background
    from app.watchdog import runner
    from app.watchdog.cli import watchdog_command

    app.cli.add_command(watchdog_command)
    if app.config.get("EMBEDDED_WATCHDOG"):
        register_background(app, "watchdog", runner.run)
