"""Responder screens: the open alerts I respond to, and one alert that refreshes itself (htmx)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from app import get_clock
from app.alerts import services
from app.extensions import db, htmx
from app.models import Alert, DeliveryAttempt, TimelineEvent
from app.textcheck import contains_cpr

bp = Blueprint("alerts", __name__, url_prefix="/alerts")
OUTCOMES = ("safe", "false_alarm", "incident")


def _alert_or_404(alert_id: str) -> Alert:
    try:
        return services.visible_alert(db.session, current_user, alert_id)
    except services.AlertError:
        abort(404)


@bp.get("/")
@login_required
def index():
    alerts = services.open_alerts_for(db.session, current_user)
    partial = bool(htmx) and not htmx.boosted
    template = "alerts/_list.html" if partial else "alerts/index.html"
    # A refresh also updates the badge on the bottom navigation (out of band).
    return render_template(template, alerts=alerts, now=get_clock().now(), refresh=partial)


@bp.get("/badge")
@login_required
def badge():
    """The bottom navigation's badge alone: what its live region fetches when the `alerts` topic moves."""
    return render_template("partials/alerts_badge.html")


def timeline(alert: Alert) -> list[dict]:
    """Events of the visit and alert, plus every delivery attempt, oldest first."""
    conditions = [TimelineEvent.alert_id == alert.id]
    if alert.visit_id:
        conditions.append(TimelineEvent.visit_id == alert.visit_id)
    events = db.session.execute(
        select(TimelineEvent).where(or_(*conditions)).order_by(TimelineEvent.at, TimelineEvent.id)
    ).scalars()
    rows = [{"at": e.at, "kind": e.kind, "actor": e.actor.name if e.actor else None, "detail": e.detail}
            for e in events]
    # The log channel is for operators, not responders.
    attempts = db.session.execute(
        select(DeliveryAttempt).where(DeliveryAttempt.alert_id == alert.id, DeliveryAttempt.channel != "log")
        .order_by(DeliveryAttempt.at)
    ).scalars()
    rows += [{"at": a.at, "kind": "delivery", "actor": a.recipient.name,
              "detail": {"channel": a.channel, "ok": a.ok, "status": a.status, "text": a.detail}} for a in attempts]
    return sorted(rows, key=lambda r: r["at"])


def _calls(alert: Alert) -> list:
    """The worker first, then the worker's leader(s), AMR(s) and 112."""
    from app.help.services import Contact, contacts_for

    worker = alert.worker
    others = [c for c in contacts_for(db.session, worker) if c.role in ("leader", "amr", "police")]
    return [Contact("worker", worker.name, worker.phone), *others]


@bp.get("/<alert_id>")
@login_required
def show(alert_id: str):
    alert = _alert_or_404(alert_id)
    if alert.drill_id is not None:  # a drill has its own screen: marked TEST, no calls, no place
        return redirect(url_for("drills.answer", alert_id=alert.id, ack=request.args.get("ack") or None))
    context = {"alert": alert, "timeline": timeline(alert), "calls": _calls(alert), "now": get_clock().now(),
               "outcomes": OUTCOMES, "ack_ready": request.args.get("ack") == "1"}
    template = "alerts/_alert.html" if htmx and not htmx.boosted else "alerts/show.html"
    return render_template(template, **context)


@bp.post("/<alert_id>/ack")
@login_required
def ack(alert_id: str):
    alert = _alert_or_404(alert_id)
    if alert.drill_id is not None:  # the same POST (and CSRF token) to the drill's own answer
        return redirect(url_for("drills.ack", alert_id=alert.id), code=307)
    if alert.state == "open":
        if services.acknowledge(db.session, get_clock(), alert, current_user):
            db.session.commit()
            flash(_("You have the alert. Call %(name)s now.", name=alert.worker.first_name), "ok")
        else:
            alert = _alert_or_404(alert_id)
            flash(_("%(name)s already took the alert.", name=alert.owner.name if alert.owner else "?"), "error")
    return redirect(url_for("alerts.show", alert_id=alert_id))


@bp.post("/<alert_id>/resolve")
@login_required
def resolve(alert_id: str):
    alert = _alert_or_404(alert_id)
    outcome = request.form.get("outcome", "")
    note = (request.form.get("note") or "").strip()[:2000]
    if outcome not in OUTCOMES:
        flash(_("Choose how it ended."), "error")
        return redirect(url_for("alerts.show", alert_id=alert_id))
    if contains_cpr(note):
        flash(_("Do not write CPR numbers in Makker."), "error")
        return redirect(url_for("alerts.show", alert_id=alert_id))
    try:
        services.resolve(db.session, get_clock(), alert, current_user, outcome, note)
        db.session.commit()
    except services.AlertError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("alerts.show", alert_id=alert_id))
    flash(_("The alert is resolved."), "ok")
    if outcome == "incident":
        return redirect(url_for("incidents.index") + f"new?alert_id={alert.id}")
    return redirect(url_for("alerts.show", alert_id=alert_id))


def init_app(app: Flask) -> None:
    def open_alert_count(user) -> int:
        return services.count_open_for(db.session, user)

    app.extensions.setdefault("makker.nav_badges", {})["alerts"] = open_alert_count
    from app.alerts.live import alerts_token
    from app.live import register_topic

    register_topic(app, "alerts", alerts_token)
