"""Notifications in the app: the settings card (this device, my devices, my channels, "send test"),
confirmation links from test messages, the service worker's push handlers at /sw-push.js, and for
administrators the delivery health page and the local mail sink."""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from app import audit, get_clock
from app.extensions import db, htmx, limiter
from app.models import MailSinkMessage, OutboxEntry
from app.notify.channels import get_channel
from app.notify.outbox import enqueue
from app.push import services, texts
from app.push.forms import ChannelsForm, ConfirmForm
from app.security import roles_required
from app.watchdog.wakeup import request_wakeup

bp = Blueprint("push", __name__)

SW_PUSH = Path(__file__).resolve().parent.parent.parent / "service_worker" / "push.js"


# --- The service worker's push handlers ------------------------------------------------------------

@bp.get("/sw-push.js")
def service_worker_push():
    """Imported by the one service worker (/sw.js) with importScripts('/sw-push.js')."""
    response = make_response(send_file(SW_PUSH, mimetype="application/javascript", max_age=0, conditional=True))
    response.headers["Content-Type"] = "application/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- The settings card -----------------------------------------------------------------------------

def _card_context() -> dict:
    user = current_user
    prefs = services.prefs_of(db.session, user)
    subs = services.subscriptions_of(db.session, user.id)
    sms, email = get_channel("sms"), get_channel("email")
    return {
        "prefs": prefs,
        "form": ChannelsForm(push=prefs.push, sms=prefs.sms, email=prefs.email, formdata=None),
        "devices": [{"sub": s, "name": services.device_name(s.user_agent, s.endpoint)} for s in subs],
        "sms_available": bool(sms is not None and sms.configured and services.msisdn(user.phone)),
        "sms_configured": bool(sms is not None and sms.configured),
        "email_available": bool(email is not None and user.email),
        "unit_sms_level2": bool(user.unit is not None and user.unit.sms_for_level2
                                and sms is not None and sms.configured),
    }


def render_card(inline_flashes: bool = False) -> str:
    return render_template("push/_card.html", inline_flashes=inline_flashes, **_card_context())


def settings_card() -> Markup | None:
    if not current_user.is_authenticated:
        return None
    return Markup(render_card())


def health_card() -> Markup | None:
    if not current_user.is_authenticated or not current_user.has_role("admin"):
        return None
    health = services.delivery_health(db.session, get_clock())
    return Markup(render_template("push/_health_card.html", health=health))


def _card_response():
    """The card for an htmx request, else back to settings (the flash message shows there)."""
    if htmx and not htmx.boosted:
        response = make_response(render_card(inline_flashes=True))
        response.headers["Vary"] = "HX-Request"
        return response
    return redirect(url_for("account.settings") + "#notifications")


@bp.get("/push/card")
@login_required
def card():
    response = make_response(render_card(inline_flashes=True))
    response.headers["Vary"] = "HX-Request"
    return response


@bp.post("/push/channels")
@login_required
def save_channels():
    form = ChannelsForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_prefs(db.session, get_clock(), current_user, push=form.push.data, sms=form.sms.data,
                       email=form.email.data)
    audit.record(db.session, "notify.channels", actor_id=current_user.id,
                 detail={"push": form.push.data, "sms": form.sms.data, "email": form.email.data})
    db.session.commit()
    flash(_("Your notification choices are saved."), "ok")
    return _card_response()


@bp.post("/push/test")
@login_required
@limiter.limit("5 per minute", key_func=lambda: f"push-test:{current_user.get_id()}")
def send_test():
    ConfirmForm().validate_on_submit() or abort(400)
    clock = get_clock()
    locale = current_user.locale
    notification = enqueue(
        db.session, clock, current_user, type="test", step_key=f"test:{uuid.uuid4()}",
        tag=f"test-{current_user.id}",
        payload={"title": texts.test_title(locale), "body": texts.test_body(locale),
                 "url": "/settings/#notifications"},
    )
    db.session.flush()
    channels = list(db.session.execute(
        select(OutboxEntry.channel).where(OutboxEntry.notification_id == notification.id)
    ).scalars())
    names = {"push": _("push"), "sms": _("SMS"), "email": _("e-mail")}
    shown = [names[c] for c in ("push", "sms", "email") if c in channels]
    request_wakeup(db.session)
    db.session.commit()
    if shown:
        flash(_("Test sent by %(channels)s. It should arrive within a minute.", channels=", ".join(shown)), "ok")
    else:
        flash(_("No channel is on: turn on notifications on this device, or SMS or e-mail."), "error")
    return _card_response()


@bp.post("/push/devices/<int:subscription_id>/remove")
@login_required
def remove_device(subscription_id: int):
    ConfirmForm().validate_on_submit() or abort(400)
    if not services.remove_device(db.session, current_user, subscription_id):
        abort(404)
    audit.record(db.session, "push.unsubscribe", actor_id=current_user.id, object_type="push_subscription",
                 object_id=subscription_id)
    db.session.commit()
    flash(_("The device no longer gets notifications."), "ok")
    return _card_response()


# --- Confirmation links from the test SMS / e-mail --------------------------------------------------

@bp.route("/push/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user, channel = services.confirm(db.session, get_clock(), current_app.secret_key, token)
        except services.PushError as exc:
            db.session.rollback()
            return render_template("push/confirm.html", form=form, error=exc.code, done=False), exc.status
        audit.record(db.session, f"notify.confirm_{channel}", actor_id=user.id)
        db.session.commit()
        return render_template("push/confirm.html", form=form, channel=channel, done=True, error=None)
    return render_template("push/confirm.html", form=form, done=False, error=None)


# --- Administrators: delivery health and the local mail sink ----------------------------------------

@bp.get("/push/health")
@roles_required("admin")
def health():
    clock = get_clock()
    sms, email = get_channel("sms"), get_channel("email")
    return render_template(
        "push/health.html",
        health=services.delivery_health(db.session, clock),
        failures=services.recent_failures(db.session, clock),
        sms_configured=bool(sms is not None and sms.configured),
        smtp_configured=bool(email is not None and email.smtp_configured),
        email_enabled=email is not None,
    )


@bp.get("/push/outbox-mail")
@roles_required("admin")
def mail_sink():
    messages = db.session.execute(
        select(MailSinkMessage).order_by(MailSinkMessage.created_at.desc(), MailSinkMessage.id.desc()).limit(100)
    ).scalars()
    return render_template("push/mail_sink.html", messages=list(messages))


@bp.get("/push/outbox-mail/<int:message_id>")
@roles_required("admin")
def mail_sink_message(message_id: int):
    message = db.session.get(MailSinkMessage, message_id) or abort(404)
    return render_template("push/mail_message.html", message=message)


def init_app(app: Flask) -> None:
    cards = app.extensions.setdefault("makker.settings_cards", [])
    cards.append(settings_card)
    cards.append(health_card)
