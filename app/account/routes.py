"""Settings: language, signed-in devices (with sign out everywhere)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import audit, get_clock
from app.account.forms import ChangePasswordForm, LanguageForm
from app.auth import sessions
from app.auth.routes import SESSION_KEY
from app.extensions import db, limiter
from app.passwords import hash_secret, verify_secret

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


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"], key_func=lambda: f"password:{current_user.get_id()}")
def change_password():
    """Change my own password (current password required); every other device is signed out
    (ASVS V2.1.6, V3.3.3: the old password may have leaked)."""
    form = ChangePasswordForm(user=current_user)
    if form.validate_on_submit():
        if not verify_secret(current_user.password_hash, form.current_password.data):
            form.current_password.errors = [*form.current_password.errors, _("That is not your current password.")]
            audit.record(db.session, "password.change_failed", actor_id=current_user.id)
            db.session.commit()
        else:
            current_user.password_hash = hash_secret(form.new_password.data)
            count = sessions.revoke_all(db.session, current_user.id, get_clock(), keep=session.get(SESSION_KEY))
            audit.record(db.session, "password.change", actor_id=current_user.id, detail={"signed_out": count})
            db.session.commit()
            flash(_("Your password is changed. Your other devices are signed out."), "ok")
            return redirect(url_for("account.settings"))
    status = 422 if request.method == "POST" else 200
    return render_template("account/password.html", form=form), status
