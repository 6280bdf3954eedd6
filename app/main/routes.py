"""The home screen ("Besøg"): the active visit, or a big button to start one."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import login_required

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home():
    # Features contribute panels to the home screen (e.g. the active visit) without main knowing them.
    panels = [provider() for provider in current_app.extensions.get("makker.home_panels", [])]
    return render_template("main/home.html", panels=[p for p in panels if p])
