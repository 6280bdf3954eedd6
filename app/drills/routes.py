"""Drill pages: start one and follow its result (leaders, AMRs, administrators), and the drill alarm
as the person it reaches sees it (no call buttons, no place: nobody is in danger)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app import get_clock
from app.alerts import services as alerts
from app.drills import messages, results, services
from app.drills.forms import StartForm, kind_labels
from app.extensions import db, htmx
from app.models import Alert, Drill
from app.visits.ladder import timings_for

bp = Blueprint("drills", __name__, url_prefix="/drills")


def _leader_only() -> None:
    if not services.may_run_drills(current_user):
        abort(403)


def _drill_or_404(drill_id: str) -> Drill:
    _leader_only()
    try:
        return services.visible_drill(db.session, current_user, drill_id)
    except services.DrillError:
        abort(404)


def _page(template: str, partial: str, **context):
    """The full page, or for htmx's own refresh (not a boosted navigation) only its partial."""
    return render_template(partial if htmx and not htmx.boosted else template, **context)


@bp.get("/")
@login_required
def index():
    _leader_only()
    form = StartForm()
    form.set_people(services.candidates(db.session, current_user), without=current_user)
    drills = services.recent(db.session, current_user)
    ack = round(timings_for(current_user.unit).ack_timeout.total_seconds())
    wait = f"{ack // 60} min" if ack % 60 == 0 else f"{ack} s"
    return render_template("drills/index.html", form=form, drills=drills, kinds=kind_labels(), wait=wait,
                           states={d.id: services.state_of(db.session, d) for d in drills})


@bp.post("/")
@login_required
def start():
    _leader_only()
    form = StartForm()
    form.set_people(services.candidates(db.session, current_user), without=current_user)
    if not form.validate_on_submit():
        flash(_("Choose who the drill is for."), "error")
        return redirect(url_for("drills.index"))
    try:
        plan = services.plan(db.session, current_user, **form.plan_arguments())
        drill = services.start(db.session, get_clock(), current_user, plan)
        db.session.commit()
    except services.DrillError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("drills.index"))
    flash(_("The drill has started. Every message says TEST."), "ok")
    return redirect(url_for("drills.show", drill_id=drill.id))


@bp.get("/<drill_id>")
@login_required
def show(drill_id: str):
    drill = _drill_or_404(drill_id)
    return _page("drills/show.html", "drills/_result.html", result=results.result(db.session, drill),
                 kinds=kind_labels())


@bp.post("/<drill_id>/stop")
@login_required
def stop(drill_id: str):
    drill = _drill_or_404(drill_id)
    try:
        services.stop(db.session, get_clock(), drill, current_user)
        db.session.commit()
        flash(_("The drill is stopped. The people it reached have been told."), "ok")
    except services.DrillError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("drills.show", drill_id=drill_id))


# --- The drill alarm, as the person it reaches sees it ---------------------------------------------

def _drill_alert_or_404(alert_id: str) -> Alert:
    try:
        alert = alerts.visible_alert(db.session, current_user, alert_id)
    except alerts.AlertError:
        abort(404)
    if alert.drill_id is None:
        abort(404)
    return alert


@bp.get("/answer/<alert_id>")
@login_required
def answer(alert_id: str):
    alert = _drill_alert_or_404(alert_id)
    drill = db.session.get(Drill, alert.drill_id)
    return _page("drills/answer.html", "drills/_answer.html", alert=alert, drill=drill, what=messages.heading(drill),
                 after=results.after(alert.created_at, alert.acknowledged_at), ack_ready=request.args.get("ack") == "1")


@bp.post("/answer/<alert_id>/ack")
@login_required
def ack(alert_id: str):
    alert = _drill_alert_or_404(alert_id)
    if alert.state == "open":
        if alerts.acknowledge(db.session, get_clock(), alert, current_user):
            db.session.commit()  # the page itself says so: no message on top
        else:
            flash(_("Someone else took it first."), "error")
    return redirect(url_for("drills.answer", alert_id=alert_id))


def _home_panel() -> Markup | None:
    if not services.may_run_drills(current_user):
        return None
    return Markup(render_template("drills/_home_panel.html"))


def init_app(app: Flask) -> None:
    from app.drills.live import drills_token
    from app.live import register_topic

    app.extensions.setdefault("makker.home_panels", []).append(_home_panel)
    register_topic(app, "drills", drills_token)
