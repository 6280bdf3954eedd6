"""Configuration from the MAKKER_* environment, with embedded single-machine defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PUBLIC_PUSH_HOSTS = (
    "fcm.googleapis.com",  # Chrome, Android
    "updates.push.services.mozilla.com",  # Firefox
    "web.push.apple.com",  # Safari, iOS home-screen apps
    "wns2-par02p.notify.windows.com",  # Edge (WNS shards share the suffix below)
    "*.notify.windows.com",
    "*.push.apple.com",
)


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict:
    """Everything Makker reads from the environment, as a Flask config mapping."""
    sqlite_path = Path(instance_path) / "makker.sqlite3"
    return {
        "SQLALCHEMY_DATABASE_URI": _env("MAKKER_DATABASE_URL", f"sqlite:///{sqlite_path}"),
        "SECRET_KEY": _env("MAKKER_SECRET_KEY"),
        "VAPID_PRIVATE_KEY": _env("MAKKER_VAPID_PRIVATE_KEY"),
        "VAPID_SUBJECT": _env("MAKKER_VAPID_SUBJECT", "mailto:admin@makker.invalid"),
        "REMINDER_BEFORE_S": _env_int("MAKKER_REMINDER_BEFORE_S", 300),
        "GRACE_S": _env_int("MAKKER_GRACE_S", 300),
        "ACK_TIMEOUT_S": _env_int("MAKKER_ACK_TIMEOUT_S", 120),
        "PUSH_ALLOWED_HOSTS": tuple(
            h.strip().lower()
            for h in (_env("MAKKER_PUSH_ALLOWED_HOSTS") or ",".join(PUBLIC_PUSH_HOSTS)).split(",")
            if h.strip()
        ),
        "DEMO": _env_bool("MAKKER_DEMO", False),
        "RATELIMIT_STORAGE_URI": _env("MAKKER_RATELIMIT_STORAGE_URL", "memory://"),
        "PUBLIC_URL": _env("MAKKER_PUBLIC_URL"),
        "SESSION_COOKIE_SECURE": _env_bool("MAKKER_SECURE_COOKIES", False),
        "EMBEDDED_WATCHDOG": _env_bool("MAKKER_EMBEDDED_WATCHDOG", False),
        # Number of reverse proxies in front (TLS proxy): trust their X-Forwarded-* headers.
        "PROXIES": _env_int("MAKKER_PROXIES", 0),
        # SMS gateway (GatewayAPI-style REST) and SMTP for the second channels (app/notify/channels).
        "SMS_URL": _env("MAKKER_SMS_URL"),
        "SMS_TOKEN": _env("MAKKER_SMS_TOKEN"),
        "SMS_SENDER": _env("MAKKER_SMS_SENDER", "Makker"),
        "SMS_FALLBACK_DELAY_S": _env_int("MAKKER_SMS_FALLBACK_DELAY_S", 30),
        "SMTP_HOST": _env("MAKKER_SMTP_HOST"),
        "SMTP_PORT": _env_int("MAKKER_SMTP_PORT", 587),
        "SMTP_USER": _env("MAKKER_SMTP_USER"),
        "SMTP_PASSWORD": _env("MAKKER_SMTP_PASSWORD"),
        "SMTP_FROM": _env("MAKKER_SMTP_FROM", "Makker <makker@makker.invalid>"),
        "SMTP_STARTTLS": _env_bool("MAKKER_SMTP_STARTTLS", True),
        # Operations (app/ops): /metrics wants "Authorization: Bearer <token>" when a token is set,
        # otherwise it answers only the local machine. The admin screen warns after WATCHDOG_STALE_S.
        "METRICS_TOKEN": _env("MAKKER_METRICS_TOKEN"),
        "WATCHDOG_STALE_S": _env_int("MAKKER_WATCHDOG_STALE_S", 60),
        # Retention (app/retention), in days (each at least 1, or the app refuses to start): one watchdog
        # purges from its first tick after 03:00 Europe/Copenhagen each day, `flask purge` on demand.
        # Places/positions of closed visits and resolved alerts; also messages not about an alert,
        # local e-mail copies and replay records.
        "RETAIN_PLACES_DAYS": _env_int("MAKKER_RETAIN_PLACES_DAYS", 30),
        # Closed visits (kept while an alert or incident refers to them).
        "RETAIN_VISITS_DAYS": _env_int("MAKKER_RETAIN_VISITS_DAYS", 365),
        # Resolved alerts with their notifications and delivery log (kept while an incident refers to them).
        "RETAIN_ALERTS_DAYS": _env_int("MAKKER_RETAIN_ALERTS_DAYS", 365),
        # Incidents after closing (or registration), with comments, checklist and their audit rows.
        "RETAIN_INCIDENTS_DAYS": _env_int("MAKKER_RETAIN_INCIDENTS_DAYS", 1825),
        "RETAIN_AUDIT_DAYS": _env_int("MAKKER_RETAIN_AUDIT_DAYS", 2190),
        # Single sign-on (app/sso). OpenID Connect is on when the issuer is set; the role map is
        # "claim-value=role,..." and applies to SAML attributes too. A label left unset shows the
        # translated default ("Log ind med kommunens login").
        "OIDC_ISSUER": _env("MAKKER_OIDC_ISSUER"),
        "OIDC_CLIENT_ID": _env("MAKKER_OIDC_CLIENT_ID"),
        "OIDC_CLIENT_SECRET": _env("MAKKER_OIDC_CLIENT_SECRET"),
        "OIDC_LABEL": _env("MAKKER_OIDC_LABEL"),
        "OIDC_SCOPE": _env("MAKKER_OIDC_SCOPE", "openid profile email"),
        "OIDC_ROLE_CLAIM": _env("MAKKER_OIDC_ROLE_CLAIM", "groups"),
        "OIDC_ROLE_MAP": _env("MAKKER_OIDC_ROLE_MAP", ""),
        "OIDC_UNIT_CLAIM": _env("MAKKER_OIDC_UNIT_CLAIM", "department"),
        # SAML 2.0 is on when the IdP's metadata file is named. The SP key and certificate (PEM files)
        # sign the AuthnRequest; unset, a pair is generated once into the instance folder (set both on
        # every host of a multi-host deployment, like the secret key).
        "SAML_IDP_METADATA": _env("MAKKER_SAML_IDP_METADATA"),
        "SAML_SP_KEY": _env("MAKKER_SAML_SP_KEY"),
        "SAML_SP_CERT": _env("MAKKER_SAML_SP_CERT"),
        "SAML_LABEL": _env("MAKKER_SAML_LABEL"),
        # Re-authentication: reading a colleague's ambulance letter asks the person to sign in again
        # when their last sign-in is older than this.
        "REAUTH_AFTER_S": _env_int("MAKKER_REAUTH_AFTER_S", 900),
    }


class Defaults:
    """Settings that are not per-deployment. Tests override through create_app(config)."""

    SQLALCHEMY_ENGINE_OPTIONS: dict = {}  # connections idle for a while are pinged (app/database.py)
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    MAX_CONTENT_LENGTH = 256 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "makker_session"
    # "Stay signed in": a phone keeps its session for weeks; revocable server side.
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    SESSION_REFRESH_EACH_REQUEST = False
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the (revocable) session
    WTF_CSRF_HEADERS = ["X-CSRFToken", "X-CSRF-Token"]
    BABEL_DEFAULT_LOCALE = "da"
    BABEL_DEFAULT_TIMEZONE = "Europe/Copenhagen"
    LANGUAGES = ("da", "en")
    # X-RateLimit-* on every answer would cost two more Redis round trips per request (GET and TTL of
    # the counter); a 429 still says Retry-After and the X-RateLimit-* numbers (app/errors.py).
    RATELIMIT_HEADERS_ENABLED = False
    # Redis (MAKKER_RATELIMIT_STORAGE_URL) down: count in each process's memory until it is back,
    # instead of answering 500 to every request (check-out and SOS included).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_DEFAULT = "600 per minute"
    LOGIN_RATE_LIMIT = "10 per minute"
    TESTING = False
