"""Re-authentication: before the most sensitive reads (a colleague's ambulance letter) the person
signs in again when their last sign-in is older than MAKKER_REAUTH_AFTER_S.

`challenge()` answers a view that needs a fresh sign-in (None when it is fresh): pages go to /reauth,
the JSON API gets 401 `reauthentication_required`. /reauth offers every way this person can prove
who they are: the password (local accounts, or everyone while single sign-on is off), a round trip to
the identity provider (app/sso), and whatever a feature adds to `makker.reauth_methods`
(callables(user, next_url) -> Markup or None, e.g. passkeys)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import audit, get_clock
from app.auth.routes import SESSION_KEY, sso_enabled
from app.extensions import db, limiter
from app.passwords import verify_secret
from app.reauth import services
from app.reauth.forms import ReauthForm

bp = Blueprint("reauth", __name__)


def safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would help phishing."""
    target = target or ""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("main.home")
    return target


def is_fresh() -> bool:
    return services.is_fresh(db.session, session.get(SESSION_KEY), get_clock(),
                             current_app.config["REAUTH_AFTER_S"])


def challenge(next_url: str | None = None):
    """None when the session's sign-in is recent enough; otherwise the answer that asks for a new one."""
    if is_fresh():
        return None
    if request.path.startswith("/api/"):
        response = jsonify(error="reauthentication_required",
                           message=_("Sign in again to see this. Open %(url)s in Makker.", url="/reauth"),
                           reauth_url=url_for("reauth.page", next=next_url))
        response.status_code = 401
        return response
    return redirect(url_for("reauth.page", next=next_url or request.full_path.rstrip("?")))


def password_allowed(user) -> bool:
    return bool(user.password_hash) and (user.local_login or not sso_enabled())


def _page(form: ReauthForm, next_url: str, status: int = 200):
    methods = [m for m in (f(current_user, next_url) for f in current_app.extensions.get("makker.reauth_methods", ()))
               if m]
    return render_template("reauth/page.html", form=form, next_url=next_url, methods=methods,
                           password=password_allowed(current_user),
                           last=services.last_authenticated(db.session, session.get(SESSION_KEY))), status


def _reauth_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/reauth", methods=["GET", "POST"])
@login_required
@limiter.limit(_reauth_limit, methods=["POST"], key_func=lambda: f"reauth:{current_user.get_id()}")
def page():
    next_url = safe_next(request.values.get("next"))
    form = ReauthForm()
    if request.method == "GET":
        return _page(form, next_url)
    if form.validate_on_submit() and password_allowed(current_user) \
            and verify_secret(current_user.password_hash, form.password.data):
        services.record(db.session, session[SESSION_KEY], "password", get_clock())
        audit.record(db.session, "reauth", actor_id=current_user.id, detail={"method": "password"})
        db.session.commit()
        return redirect(next_url, 303)
    audit.record(db.session, "reauth.failed", actor_id=current_user.id, detail={"method": "password"})
    db.session.commit()
    flash(_("Wrong password."), "error")
    return _page(form, next_url, 422)
