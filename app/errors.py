"""Errors: the contract's JSON shape under /api/, friendly Danish pages elsewhere, never a 500 for bad input."""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app, jsonify, make_response, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Machine codes for the API, by status.
CODES = {
    400: "bad_request",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}


def messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        401: _("Please sign in."),
        403: _("You are not allowed to do that."),
        404: _("We could not find that page."),
        405: _("That action is not possible here."),
        409: _("That conflicts with what has already happened."),
        413: _("That is too much data at once."),
        415: _("Send the data as JSON."),
        429: _("Too many attempts. Wait a minute and try again."),
        500: _("Something went wrong on our side. Your data is safe; try again."),
        503: _("Makker is busy for a moment. Try again."),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str | None = None, message: str | None = None, **extra):
    body = {"error": code or CODES.get(status, "error"), "message": message or messages().get(status, "")}
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    return response


def _make(response):
    return make_response(response)


def _html_error(status: int, message: str | None = None):
    from app.extensions import htmx

    template = "errors/error.html" if not htmx else "errors/_error.html"
    return render_template(template, status=status, message=message or messages().get(status, "")), status


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    if status == 429:
        message = messages()[429]
    elif status in messages() and (not exc.description or exc.description == type(exc).description):
        message = messages()[status]
    else:
        message = exc.description if status < 500 else messages()[500]
    if wants_json():
        response = json_error(status, message=message)
    else:
        response = _html_error(status, message)
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        response = _make(response)
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 429:
        response = _with_rate_limit_headers(response)
    return response


def _with_rate_limit_headers(response):
    """Retry-After and X-RateLimit-* on a 429 only: they cost two Redis reads, too many for every answer."""
    from app.extensions import limiter

    response = _make(response)
    limit = limiter.current_limit
    if limit is None:
        return response
    try:
        reset_at = int(limit.reset_at)
        remaining = limit.remaining
    except Exception:  # storage gone between the hit and now: the 429 itself still stands
        log.warning("rate limit window unreadable", exc_info=True)
        response.headers["Retry-After"] = "60"
        return response
    response.headers["X-RateLimit-Limit"] = str(limit.limit.amount)
    response.headers["X-RateLimit-Remaining"] = str(remaining)
    response.headers["X-RateLimit-Reset"] = str(reset_at)
    response.headers["Retry-After"] = str(max(1, reset_at - int(time.time())))
    return response


def handle_csrf_error(exc: CSRFError):
    message = _("Your session expired or the form was old. Reload the page and try again.")
    if wants_json():
        return json_error(400, "csrf_failed", message)
    return _html_error(400, message)


def _transient(exc: Exception) -> bool:
    return isinstance(exc, (OperationalError, StaleDataError)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


def _unavailable():
    """503 without asking the database again (it may still be down): the language from the browser,
    not from the signed-in user, and a page without the signed-in layout and its badges."""
    locale = request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "da"
    with force_locale(locale):
        if wants_json():
            response = _make(json_error(503))
        else:
            template = current_app.jinja_env.get_template("errors/unavailable.html")
            page = template.render(locale=locale, message=messages()[503], _=_,
                                   static_url=current_app.jinja_env.globals["static_url"],
                                   again=request.full_path if request.method == "GET" else url_for("main.home"))
            response = current_app.response_class(page, status=503, mimetype="text/html")
    response.headers["Retry-After"] = "1"
    return response


def handle_unexpected(exc: Exception):
    from app.extensions import db

    if _transient(exc):
        # The database went away (a restart, a failover: SQLAlchemy has dropped the pool), refused a
        # connection, gave up on a deadlock or lock wait, or the row changed under this request.
        # Trying again is right (a lost COMMIT may have gone through: every queued phone action is
        # idempotent by its client-made id), and phones retry a 503 from their queue by themselves.
        log.warning("transient database error on %s %s", request.method, request.path, exc_info=exc)
        try:
            db.session.rollback()
        except Exception:  # the connection is gone: nothing to roll back
            log.debug("rollback after a transient error failed", exc_info=True)
        return _unavailable()
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    if wants_json():
        return json_error(500)
    return _html_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
