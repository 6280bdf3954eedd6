"""Sign-in and sign-out. Each sign-in creates a fresh server-side session (the id is rotated)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app import audit, get_clock
from app.admin.services import find_user
from app.auth import sessions
from app.auth.forms import LoginForm
from app.errors import json_error
from app.extensions import db, htmx, limiter, login_manager
from app.models import User
from app.passwords import verify_secret

bp = Blueprint("auth", __name__)

SESSION_KEY = "sid"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _username_key() -> str:
    return "login:" + (request.form.get("username") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_username_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip().lower()
        user = find_user(db.session, username)
        # With single sign-on on, only local accounts (demo data, the break-glass admin) use a password.
        password_allowed = user is not None and (user.local_login or not sso_enabled())
        if user and user.active and password_allowed and verify_secret(user.password_hash, form.password.data):
            sign_in(user, stay_signed_in=form.stay_signed_in.data)
            target = request.args.get("next", "")
            # Only local paths: an open redirect would help phishing.
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("main.home")
            return redirect(target)
        if user is None:
            verify_secret(None, form.password.data)
        audit.record(db.session, "login.failed", actor_id=None, detail={"username": username[:64]})
        db.session.commit()
        if sso_enabled():
            flash(_("Wrong username or password. Staff sign in with the municipality's login button."), "error")
        else:
            flash(_("Wrong username or password."), "error")
        return render_template("auth/login.html", form=form), 422
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


def sso_enabled() -> bool:
    """Single sign-on (app/sso) is configured: OpenID Connect or SAML."""
    return bool(current_app.config.get("OIDC_ISSUER") or current_app.config.get("SAML_IDP_METADATA"))


def sign_in(user: User, *, stay_signed_in: bool):
    """Start a fresh server-side session for `user` (also used by single sign-on); returns its row."""
    clock = get_clock()
    session.clear()  # a fresh session: nothing from before sign-in carries over
    row = sessions.start(
        db.session,
        user,
        clock,
        stay_signed_in=stay_signed_in,
        user_agent=request.user_agent.string or "",
        ip=request.remote_addr or "",
    )
    audit.record(db.session, "login", actor_id=user.id, object_type="session", object_id=row.id[:8])
    db.session.commit()
    session[SESSION_KEY] = row.id
    session.permanent = stay_signed_in
    login_user(user, remember=False, fresh=True)
    return row


@bp.post("/logout")
def logout():
    target = url_for("auth.login")
    if current_user.is_authenticated:
        session_id = session.get(SESSION_KEY, "")
        # A single sign-on session goes on to end the provider's session too (RP-initiated logout).
        for hook in current_app.extensions.get("makker.logout_redirects", ()):
            target = hook(session_id) or target
        sessions.revoke(db.session, session_id, current_user.id, get_clock())
        audit.record(db.session, "logout", actor_id=current_user.id)
        db.session.commit()
    logout_user()
    session.clear()
    response = redirect(target)
    # Tells the service worker and browser to drop everything this user had cached.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@login_manager.user_loader
def load_user(user_id: str):
    return sessions.load_user(db.session, session.get(SESSION_KEY), user_id, get_clock())


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        return json_error(401)
    target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if htmx:
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def init_app(app: Flask) -> None:
    login_manager.session_protection = None  # the server-side session row is our protection
    login_manager.login_view = "auth.login"
