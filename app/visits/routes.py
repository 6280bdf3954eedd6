"""Visit screens: plan ("Nyt besøg"), the active visit, check-out, extend, SOS, PIN settings.

Thin views over app.visits.services; every form also works without JavaScript (hx-boost)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app import audit, get_clock
from app.extensions import db, htmx, limiter
from app.visits import services
from app.visits.forms import CheckoutForm, ExtendForm, PinsForm, PlanVisitForm
from app.visits.ladder import overdue_time, timings_for
from app.visits.services import LOCAL

bp = Blueprint("visits", __name__, url_prefix="/visits")


def _local_time_today(value: str, now: datetime) -> datetime:
    hours, minutes = (int(x) for x in value.split(":"))
    local_now = now.astimezone(LOCAL)
    return local_now.replace(hour=hours % 24, minute=minutes % 60, second=0, microsecond=0)


def _call_list(visit=None):
    """Buddy, the unit's leader(s) and AMR(s), and 112: the calls a worker may need right now."""
    from app.help.services import Contact, contacts_for

    calls = [Contact("buddy", visit.buddy.name, visit.buddy.phone)] if visit is not None else []
    return calls + [c for c in contacts_for(db.session, current_user) if c.role in ("leader", "amr", "police")]


@bp.get("/")
@login_required
def index():
    visit = services.active_visit(db.session, current_user)
    if visit is not None:
        return redirect(url_for("visits.show", visit_id=visit.id))
    return redirect(url_for("visits.new"))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    running = services.active_visit(db.session, current_user)
    if running is not None and request.method == "GET":
        return redirect(url_for("visits.show", visit_id=running.id))
    form = PlanVisitForm()
    buddies = services.colleagues(db.session, current_user)
    form.buddy.choices = [(u.username, u.name) for u in buddies]
    if request.method == "GET":
        form.id.data = str(uuid.uuid4())
        last = services.last_buddy(db.session, current_user)
        if last is not None and last.username in {u.username for u in buddies}:
            form.buddy.data = last.username
    if form.validate_on_submit():
        now = get_clock().now()
        problem = None
        if form.duration.data == "custom":
            if not form.end_time.data:
                problem = (form.end_time, _("Choose when the visit ends."))
            else:
                planned_end = _local_time_today(form.end_time.data, now)
        else:
            planned_end = now + timedelta(minutes=int(form.duration.data))
        interrupt_at = None
        if form.interrupt.data:
            if not form.interrupt_at.data:
                problem = (form.interrupt_at, _("Choose when your buddy should interrupt."))
            else:
                interrupt_at = _local_time_today(form.interrupt_at.data, now)
        if problem is None:
            buddy = next(u for u in buddies if u.username == form.buddy.data)
            try:
                visit_id = str(uuid.UUID(form.id.data))
            except (ValueError, TypeError):
                visit_id = str(uuid.uuid4())
            plan = services.VisitPlan(
                id=visit_id, planned_end=planned_end, buddy=buddy, place=form.place.data,
                interrupt_at=interrupt_at, two_person=form.two_person.data,
                second_colleague=form.second_colleague.data or "",
                checklist={"unsure": form.unsure.data, "told_colleague": form.told_colleague.data,
                           "alarm_taken": form.alarm_taken.data, "two_person": form.two_person.data,
                           "interrupt": form.interrupt.data},
                **_location(form),
            )
            try:
                visit, _created = services.start(db.session, get_clock(), current_user, plan)
                db.session.commit()
                return redirect(url_for("visits.show", visit_id=visit.id))
            except services.VisitError as exc:
                db.session.rollback()
                field = {"planned_end_past": form.end_time, "planned_end_too_late": form.end_time,
                         "invalid_interrupt": form.interrupt_at, "cpr_number": form.place,
                         "second_colleague_missing": form.second_colleague}.get(exc.code, form.buddy)
                problem = (field, exc.message)
        field, message = problem
        field.errors = [*field.errors, message]
    status = 422 if request.method == "POST" else 200
    return render_template("visits/new.html", form=form, has_buddies=bool(buddies)), status


def _location(form) -> dict:
    if not form.share_location.data:
        return {}
    try:
        lat, lon = float(form.lat.data), float(form.lon.data)
        accuracy = float(form.accuracy.data) if form.accuracy.data else None
    except (TypeError, ValueError):
        return {}
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return {}
    return {"lat": lat, "lon": lon, "accuracy": accuracy}


def _own(visit_id: str):
    try:
        return services.own_visit(db.session, current_user, visit_id)
    except services.VisitError:
        abort(404)


@bp.get("/<visit_id>")
@login_required
def show(visit_id: str):
    visit = _own(visit_id)
    template = "visits/_visit.html" if htmx and not htmx.boosted else "visits/show.html"
    return render_template(
        template, visit=visit, checkout_form=CheckoutForm(), extend_form=ExtendForm(),
        needs_pin=bool(current_user.checkout_pin_hash), calls=_call_list(visit), now=get_clock().now(),
        open_alert=_worker_alert(visit),
        alert_at=overdue_time(visit, timings_for(visit.unit)),
    )


def _worker_alert(visit):
    """The alert the worker may see (never a duress alert)."""
    for alert in reversed(visit.alerts):
        if alert.state != "resolved" and alert.reason != "duress":
            return alert
    return None


@bp.post("/<visit_id>/checkout")
@login_required
@limiter.limit("12 per minute", key_func=lambda: f"pin:{current_user.get_id()}")
def checkout(visit_id: str):
    form = CheckoutForm()
    visit = _own(visit_id)
    if not form.validate_on_submit():
        flash(_("Write your PIN: 4 to 8 digits."), "error")
        return redirect(url_for("visits.show", visit_id=visit.id))
    try:
        services.checkout(db.session, get_clock(), current_user, visit.id, form.pin.data or None,
                          action_id=form.action_id.data or None)
        db.session.commit()
    except services.VisitError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("visits.show", visit_id=visit.id))
    return redirect(url_for("visits.show", visit_id=visit.id))


@bp.post("/<visit_id>/extend")
@login_required
def extend(visit_id: str):
    form = ExtendForm()
    visit = _own(visit_id)
    if form.validate_on_submit():
        try:
            services.extend(db.session, get_clock(), current_user, visit.id, int(form.minutes.data),
                            action_id=form.action_id.data or None)
            db.session.commit()
            flash(_("Extended by %(minutes)s minutes.", minutes=form.minutes.data), "ok")
        except services.VisitError as exc:
            db.session.rollback()
            flash(exc.message, "error")
    return redirect(url_for("visits.show", visit_id=visit.id))


@bp.route("/sos", methods=["GET", "POST"])
@login_required
def sos():
    """SOS: the hold-to-send button posts here; GET shows the accessible confirm alternative."""
    visit = services.active_visit(db.session, current_user)
    if request.method == "GET":
        return render_template("visits/sos_confirm.html", visit=visit)
    alert_id = request.form.get("alert_id") or None
    try:
        alert_id = str(uuid.UUID(alert_id)) if alert_id else None
    except ValueError:
        alert_id = None
    try:
        alert, _created = services.sos(db.session, get_clock(), current_user,
                                       visit_id=visit.id if visit else None, alert_id=alert_id)
        db.session.commit()
    except services.VisitError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("main.home"))
    return redirect(url_for("visits.sos_sent", alert_id=alert.id))


@bp.get("/sos/<alert_id>")
@login_required
def sos_sent(alert_id: str):
    from app.models import Alert

    alert = db.session.get(Alert, alert_id)
    if alert is None or alert.worker_id != current_user.id or alert.reason != "sos":
        abort(404)
    from app.alerts.access import responders

    return render_template("visits/sos_sent.html", alert=alert, responders=responders(db.session, alert),
                           calls=_call_list(alert.visit))


@bp.route("/pins", methods=["GET", "POST"])
@login_required
def pins():
    form = PinsForm()
    if form.validate_on_submit():
        services.set_pins(db.session, current_user, form.checkout_pin.data, form.duress_pin.data)
        audit.record(db.session, "pins.set", actor_id=current_user.id)
        db.session.commit()
        flash(_("Your PINs are saved. Check-out now asks for your PIN."), "ok")
        return redirect(url_for("account.settings"))
    status = 422 if request.method == "POST" else 200
    return render_template("visits/pins.html", form=form), status


@bp.post("/pins/clear")
@login_required
def clear_pins():
    services.clear_pins(db.session, current_user)
    audit.record(db.session, "pins.clear", actor_id=current_user.id)
    db.session.commit()
    flash(_("PINs removed. Check-out is one tap again."), "ok")
    return redirect(url_for("account.settings"))


def _home_panel():
    if not current_user.is_authenticated:
        return None
    visit = services.active_visit(db.session, current_user)
    return Markup(render_template("visits/_home_panel.html", visit=visit, now=get_clock().now()))


def _pins_card():
    return Markup(render_template("visits/_pins_card.html"))


def init_app(app: Flask) -> None:
    from app.serve import register_background
    from app.watchdog import runner
    from app.watchdog.cli import watchdog_command

    app.cli.add_command(watchdog_command)
    if app.config.get("EMBEDDED_WATCHDOG"):
        register_background(app, "watchdog", runner.run)
    app.extensions.setdefault("makker.home_panels", []).insert(0, _home_panel)
    from app.live import register_topic
    from app.visits.live import visit_token

    register_topic(app, "visit", visit_token)
    app.extensions.setdefault("makker.settings_cards", []).insert(0, _pins_card)
