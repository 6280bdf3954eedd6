"""Security headers, and the one helper that enforces roles."""

from __future__ import annotations

from functools import wraps

from flask import Flask, abort, request
from flask_login import current_user

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Set on every response unless the view set its own.
DEFAULT_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def set_security_headers(response):
    headers = response.headers
    # One pass over the response's headers instead of a case-insensitive scan per header.
    present = {key.lower() for key in headers.keys()}
    for name, value in DEFAULT_HEADERS + ((HSTS,) if request.is_secure else ()):
        if name.lower() not in present:
            headers.add(name, value)
    # Pages are per user: never let a shared cache keep them.
    if response.mimetype in ("text/html", "application/json") and "cache-control" not in present:
        headers["Cache-Control"] = "no-store"
    return response


def roles_required(*roles: str):
    """Allow the view only to signed-in users with one of `roles` (admin always passes)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from app.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role != "admin" and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
    if app.config.get("SESSION_COOKIE_SECURE"):
        app.config["REMEMBER_COOKIE_SECURE"] = True
