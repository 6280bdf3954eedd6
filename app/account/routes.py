"""Settings: language, signed-in devices (with sign out everywhere)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import audit, get_clock
from app.account.forms import LanguageForm
from app.auth import sessions
from app.auth.routes import SESSION_KEY
from app.extensions import db

bp = Blueprint("account", __name__, url_prefix="/settings")


@bp.get("/")
@login_required
def settings():
    # Features add cards to settings (PINs, notifications, ambulance letter) via this registry.
    cards = [provider() for provider in current_app.extensions.get("makker.settings_cards", [])]
    return render_template(
        "account/settings.html",
        language_form=LanguageForm(locale=current_user.locale),
        devices=sessions.active_for(db.session, current_user.id, get_clock()),
        current_session=session.get(SESSION_KEY),
        cards=[c for c in cards if c],
    )


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        current_user.locale = form.locale.data
        db.session.commit()
    else:
        session["locale"] = form.locale.data
    target = request.referrer or url_for("main.home")
    return redirect(target if target.startswith(request.host_url) else url_for("main.home"))


@bp.post("/devices/<device_id>/revoke")
@login_required
def revoke_device(device_id: str):
    if not sessions.revoke(db.session, device_id, current_user.id, get_clock()):
        abort(404)
    audit.record(db.session, "session.revoke", actor_id=current_user.id, object_type="session",
                 object_id=device_id[:8])
    db.session.commit()
    flash(_("The device is signed out."), "ok")
    return redirect(url_for("account.settings"))


@bp.post("/devices/revoke-others")
@login_required
def revoke_other_devices():
    count = sessions.revoke_all(db.session, current_user.id, get_clock(), keep=session.get(SESSION_KEY))
    audit.record(db.session, "session.revoke_all", actor_id=current_user.id, detail={"count": count})
    db.session.commit()
    flash(_("All your other devices are signed out."), "ok")
    return redirect(url_for("account.settings"))
