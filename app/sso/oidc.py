"""OpenID Connect with Authlib's Flask client: authorization code flow with PKCE (S256), state and
nonce (kept in the signed session cookie by Authlib), discovery from MAKKER_OIDC_ISSUER, the ID token's
signature and claims checked by the library with a clock skew of LEEWAY seconds, and RP-initiated
logout through the provider's end_session_endpoint."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, request
from joserfc.errors import JoseError

from app.extensions import db
from app.models import SessionAuth

log = logging.getLogger("makker.sso")
CLIENT = "municipal"
LEEWAY = 120  # seconds of clock difference between Makker and the provider that are tolerated


class OidcUnavailable(Exception):
    """The provider could not be reached or answered nonsense (discovery, token or userinfo)."""


def enabled(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("OIDC_ISSUER"))


def base_url() -> str:
    """Where the provider sends people back: MAKKER_PUBLIC_URL, else this request's own host."""
    return (current_app.config.get("PUBLIC_URL") or request.url_root).rstrip("/")


def issuer() -> str:
    return current_app.config["OIDC_ISSUER"].rstrip("/")


def init_app(app: Flask) -> None:
    if not enabled(app):
        return
    oauth = OAuth(app)
    oauth.register(
        CLIENT,
        client_id=app.config.get("OIDC_CLIENT_ID"),
        client_secret=app.config.get("OIDC_CLIENT_SECRET"),
        server_metadata_url=app.config["OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": app.config.get("OIDC_SCOPE") or "openid profile email",
                       "code_challenge_method": "S256", "timeout": 10},
    )
    app.extensions["makker.oidc"] = oauth.create_client(CLIENT)


def client():
    return current_app.extensions["makker.oidc"]


def metadata() -> dict:
    try:
        return client().load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise OidcUnavailable(str(exc)) from exc


def start(redirect_uri: str, *, reauth_max_age: int | None = None):
    """The redirect to the provider's authorization endpoint (state, nonce, PKCE made by Authlib)."""
    extra = {"prompt": "login", "max_age": reauth_max_age} if reauth_max_age is not None else {}
    metadata()
    try:
        return client().authorize_redirect(redirect_uri, **extra)
    except (requests.RequestException, ValueError) as exc:
        raise OidcUnavailable(str(exc)) from exc


class OidcRefused(Exception):
    """The answer from the provider is not acceptable (state, nonce, signature, claims, error)."""


def finish() -> tuple[dict, str]:
    """(claims, id_token) of the answer at the callback; userinfo claims are merged in when the
    provider has a userinfo endpoint and the subject agrees."""
    try:
        token = client().authorize_access_token(leeway=LEEWAY)
    except (AuthlibBaseError, JoseError) as exc:  # state, nonce, signature, issuer, audience, times
        raise OidcRefused(getattr(exc, "error", "") or exc.__class__.__name__) from exc
    except (requests.RequestException, ValueError) as exc:
        raise OidcUnavailable(str(exc)) from exc
    claims = dict(token.get("userinfo") or {})
    if not claims.get("sub"):
        raise OidcRefused("no_id_token")
    if metadata().get("userinfo_endpoint"):
        try:
            info = dict(client().userinfo(token=token))
        except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
            raise OidcUnavailable(str(exc)) from exc
        if info.get("sub") == claims["sub"]:
            claims = {**info, **claims}  # the signed ID token's claims win where both have one
    return claims, token.get("id_token", "")


def logout_url(session_id: str) -> str | None:
    """POST /logout of a session signed in here goes on to the provider's end-session endpoint."""
    if not enabled() or not session_id:
        return None
    row = db.session.get(SessionAuth, session_id)
    if row is None or row.method != "oidc":
        return None
    try:
        endpoint = metadata().get("end_session_endpoint")
    except OidcUnavailable:
        log.warning("OpenID provider unreachable at logout; the Makker session ends, the provider's stays")
        return None
    if not endpoint:
        return None
    params = {"post_logout_redirect_uri": base_url() + "/login", "client_id": current_app.config["OIDC_CLIENT_ID"]}
    if row.id_token:
        params["id_token_hint"] = row.id_token
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)
