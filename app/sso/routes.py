"""Single sign-on pages: /login/oidc (+ callback), /login/saml (+ acs, metadata), the refusal page,
and the admin's switch for local (password) accounts. Both protocols end in `_complete`, which signs
the person in (or confirms a re-authentication) through the shared provisioning."""

from __future__ import annotations

import logging
import time

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from onelogin.saml2.errors import OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError

from app import audit, get_clock
from app.auth.routes import SESSION_KEY, sign_in
from app.extensions import csrf, db
from app.models import SamlRequest, SsoIdentity, User
from app.reauth import services as reauth
from app.reauth.routes import safe_next
from app.security import roles_required
from app.sso import oidc, saml
from app.sso.claims import parse_role_map, person_from
from app.sso.provisioning import find_identity, provision

log = logging.getLogger("makker.sso")
bp = Blueprint("sso", __name__)
REAUTH_KEY = "sso_reauth"
NEXT_KEY = "sso_next"


def _refused(code: str, status: int = 403):
    return render_template("sso/refused.html", code=code), status


def _person(claims: dict):
    config = current_app.config
    return person_from(claims, role_claim=config["OIDC_ROLE_CLAIM"] or "groups",
                       role_map=current_app.extensions.get("makker.oidc_role_map", {}),
                       unit_claim=config["OIDC_UNIT_CLAIM"] or "department")


def _complete(provider: str, issuer: str, subject: str, claims: dict, *, next_url: str,
              reauth_user_id: int | None = None, id_token: str = "", sid: str = ""):
    clock = get_clock()
    if reauth_user_id is not None:
        identity = find_identity(db.session, provider, issuer, subject)
        if not current_user.is_authenticated or current_user.id != reauth_user_id or identity is None \
                or identity.user_id != reauth_user_id:
            audit.record(db.session, "reauth.failed", actor_id=reauth_user_id, detail={"method": provider})
            db.session.commit()
            return _refused("other_person")
        reauth.record(db.session, session[SESSION_KEY], provider, clock, id_token=id_token or None,
                      provider_sid=sid or None)
        audit.record(db.session, "reauth", actor_id=reauth_user_id, detail={"method": provider})
        db.session.commit()
        return redirect(next_url, 303)
    outcome = provision(db.session, clock, provider=provider, issuer=issuer, subject=subject,
                        person=_person(claims))
    db.session.commit()
    if outcome.refused:
        return _refused(outcome.refused)
    row = sign_in(outcome.user, stay_signed_in=True)
    reauth.record(db.session, row.id, provider, clock, id_token=id_token, provider_sid=sid)
    db.session.commit()
    return redirect(next_url, 303)


def _remember_start() -> tuple[bool, str]:
    """(is a re-authentication, where to go afterwards), from ?reauth=1&next=..."""
    next_url = safe_next(request.args.get("next"))
    wants_reauth = request.args.get("reauth") == "1" and current_user.is_authenticated
    return wants_reauth, next_url


# --- OpenID Connect ------------------------------------------------------------------------------

@bp.get("/login/oidc")
def oidc_start():
    if not oidc.enabled():
        abort(404)
    wants_reauth, next_url = _remember_start()
    if current_user.is_authenticated and not wants_reauth:
        return redirect(url_for("main.home"))
    session[NEXT_KEY] = next_url
    if wants_reauth:
        session[REAUTH_KEY] = {"user": current_user.id, "at": int(time.time())}
    else:
        session.pop(REAUTH_KEY, None)
    try:
        return oidc.start(oidc.base_url() + url_for("sso.oidc_callback"),
                          reauth_max_age=current_app.config["REAUTH_AFTER_S"] if wants_reauth else None)
    except oidc.OidcUnavailable as exc:
        log.warning("OpenID provider unreachable: %s", exc)
        return _refused("unavailable", 503)


@bp.get("/login/oidc/callback")
def oidc_callback():
    if not oidc.enabled():
        abort(404)
    next_url = safe_next(session.pop(NEXT_KEY, None))
    started = session.pop(REAUTH_KEY, None)
    try:
        claims, id_token = oidc.finish()
    except oidc.OidcUnavailable as exc:
        log.warning("OpenID provider unreachable: %s", exc)
        return _refused("unavailable", 503)
    except oidc.OidcRefused as exc:
        audit.record(db.session, "sso.failed", actor_id=None, detail={"provider": "oidc", "error": str(exc)[:120]})
        db.session.commit()
        return _refused("failed", 400)
    if started is not None:
        auth_time = claims.get("auth_time")
        if not isinstance(auth_time, (int, float)) or auth_time < started["at"] - oidc.LEEWAY:
            return _refused("not_again", 400)  # the provider did not ask the person to sign in again
    return _complete("oidc", str(claims.get("iss") or oidc.issuer()), str(claims["sub"]), claims,
                     next_url=next_url, reauth_user_id=started["user"] if started else None,
                     id_token=id_token, sid=str(claims.get("sid") or ""))


# --- SAML 2.0 ------------------------------------------------------------------------------------

def _ticket_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="makker-saml-answer")


@bp.get("/login/saml")
def saml_start():
    if not saml.enabled():
        abort(404)
    wants_reauth, next_url = _remember_start()
    if current_user.is_authenticated and not wants_reauth:
        return redirect(url_for("main.home"))
    clock = get_clock()
    now = clock.now()
    db.session.execute(SamlRequest.__table__.delete().where(SamlRequest.expires_at < now))
    auth = saml.auth()
    url = auth.login(return_to="makker", force_authn=wants_reauth)
    db.session.add(SamlRequest(id=auth.get_last_request_id(), created_at=now,
                               expires_at=now + saml.REQUEST_LIFETIME,
                               reauth_user_id=current_user.id if wants_reauth else None, next_url=next_url,
                               answer={}))
    db.session.commit()
    return redirect(url)


@bp.post("/login/saml/acs")
@csrf.exempt  # a cross-site POST from the identity provider: the signature and InResponseTo protect it
def saml_acs():
    if not saml.enabled():
        abort(404)
    clock = get_clock()
    # Only answers to a request Makker sent (no IdP-initiated sign-in), each answered once.
    request_id = saml.in_response_to(request.form.get("SAMLResponse", ""))
    pending = db.session.get(SamlRequest, request_id) if request_id else None
    if pending is None or pending.answered_at is not None or pending.expires_at < clock.now():
        return _saml_failed("unknown_request")
    auth = saml.auth()
    try:
        auth.process_response(request_id=pending.id)
    except (OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError, ValueError) as exc:
        return _saml_failed(str(exc))
    if auth.get_errors() or not auth.is_authenticated():
        return _saml_failed(auth.get_last_error_reason() or ",".join(auth.get_errors()))
    claims = saml.claims_from(auth.get_attributes(), auth.get_nameid(), auth.get_nameid_format())
    issuer = saml.idp_metadata(current_app)["idp"]["entityId"]
    answered = db.session.execute(
        SamlRequest.__table__.update().where(SamlRequest.id == pending.id, SamlRequest.answered_at.is_(None))
        .values(answered_at=clock.now(), answer={"issuer": issuer, "claims": claims,
                                                 "subject": saml.subject_of(auth.get_nameid(),
                                                                            auth.get_nameid_format(), claims)})
    ).rowcount
    db.session.commit()
    if answered != 1:
        return _saml_failed("replayed")
    return redirect(url_for("sso.saml_done", ticket=_ticket_serializer().dumps(pending.id)), 303)


def _saml_failed(reason: str):
    log.info("SAML answer refused: %s", reason)
    audit.record(db.session, "sso.failed", actor_id=None, detail={"provider": "saml", "error": reason[:120]})
    db.session.commit()
    return _refused("failed", 400)


@bp.get("/login/saml/done")
def saml_done():
    """Back from the ACS with the session cookie: sign in (or confirm the re-authentication), once."""
    if not saml.enabled():
        abort(404)
    try:
        request_id = _ticket_serializer().loads(request.args.get("ticket", ""), max_age=120)
    except BadSignature:
        return _refused("failed", 400)
    row = db.session.get(SamlRequest, request_id)
    if row is None or row.answered_at is None or not row.answer.get("subject"):
        return _refused("failed", 400)
    answer, reauth_user_id, next_url = row.answer, row.reauth_user_id, safe_next(row.next_url)
    db.session.delete(row)  # one use
    db.session.commit()
    return _complete("saml", answer["issuer"], answer["subject"], answer["claims"], next_url=next_url,
                     reauth_user_id=reauth_user_id)


@bp.get("/login/saml/metadata")
def saml_metadata():
    if not saml.enabled():
        abort(404)
    return current_app.response_class(saml.sp_metadata(), mimetype="application/samlmetadata+xml")


# --- Admin: how each user signs in ---------------------------------------------------------------

@bp.post("/admin/users/<int:user_id>/local-login")
@roles_required("admin")
def set_local_login(user_id: int):
    from app.sso.forms import ConfirmForm

    user = db.session.get(User, user_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user.local_login = request.form.get("local") == "1"
    audit.record(db.session, "user.local_login", actor_id=current_user.id, object_type="user", object_id=user.id,
                 subject_user_id=user.id, detail={"local": user.local_login})
    db.session.commit()
    flash(_("%(name)s may now sign in with a password.", name=user.name) if user.local_login
          else _("%(name)s now signs in with the municipality's login only.", name=user.name), "ok")
    return redirect(url_for("admin.edit_user", user_id=user.id), 303)


def sign_in_methods(user: User) -> list[str]:
    """How `user` can sign in, for the admin pages: "password", "oidc", "saml" (more from features)."""
    from app.auth.routes import sso_enabled

    methods = []
    if user.password_hash and (user.local_login or not sso_enabled()):
        methods.append("password")
    providers = {p for (p,) in db.session.execute(
        db.select(SsoIdentity.provider).where(SsoIdentity.user_id == user.id)).all()}
    methods += [p for p in ("oidc", "saml") if p in providers]
    return methods


def _labels() -> dict:
    config = current_app.config
    default = _("Sign in with your municipality's login")
    return {"oidc": config.get("OIDC_LABEL") or default, "saml": config.get("SAML_LABEL") or default}


def _login_options() -> Markup | None:
    buttons = [(url_for("sso.oidc_start", next=request.args.get("next")), _labels()["oidc"])] if oidc.enabled() else []
    if saml.enabled():
        buttons.append((url_for("sso.saml_start", next=request.args.get("next")), _labels()["saml"]))
    return Markup(render_template("sso/_login_buttons.html", buttons=buttons)) if buttons else None


def _reauth_option(user: User, next_url: str) -> Markup | None:
    buttons = []
    providers = {p for (p,) in db.session.execute(
        db.select(SsoIdentity.provider).where(SsoIdentity.user_id == user.id)).all()}
    if oidc.enabled() and "oidc" in providers:
        buttons.append((url_for("sso.oidc_start", reauth="1", next=next_url), _labels()["oidc"]))
    if saml.enabled() and "saml" in providers:
        buttons.append((url_for("sso.saml_start", reauth="1", next=next_url), _labels()["saml"]))
    return Markup(render_template("sso/_login_buttons.html", buttons=buttons, reauth=True)) if buttons else None


def _form_action_for_logout(response):
    """POST /logout of an OpenID session redirects to the provider: the CSP's form-action must allow
    its origin (Chromium applies form-action to the redirect after a form)."""
    from urllib.parse import urlsplit

    from app.security import CSP

    parts = urlsplit(current_app.config["OIDC_ISSUER"])
    origin = f"{parts.scheme}://{parts.netloc}"
    if "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = CSP.replace("form-action 'self'", f"form-action 'self' {origin}")
    return response


def init_app(app: Flask) -> None:
    # One role map for both protocols; a bad map stops the start with a message naming the bad part.
    app.extensions["makker.oidc_role_map"] = parse_role_map(app.config.get("OIDC_ROLE_MAP"))
    oidc.init_app(app)
    saml.init_app(app)
    app.extensions.setdefault("makker.login_options", []).insert(0, _login_options)
    app.extensions.setdefault("makker.reauth_methods", []).insert(0, _reauth_option)
    app.extensions.setdefault("makker.logout_redirects", []).append(oidc.logout_url)
    app.jinja_env.globals["sign_in_methods"] = sign_in_methods
    if oidc.enabled(app):
        app.after_request(_form_action_for_logout)
