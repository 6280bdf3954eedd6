"""`GET /live?topics=a,b`: the current token of each topic for the signed-in user (JSON), with an
ETag so an unchanged state answers 304 with no body. Also the `live_token` template global."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Flask, jsonify, make_response, request
from flask_login import current_user

from app.errors import json_error
from app.extensions import db, limiter
from app.live import tokens
from app.live.topics import register_core_topics

bp = Blueprint("live", __name__)
# Every visible page with a live region polls every few seconds: limited per person, not per address
# (a town hall's staff share one outgoing address).
POLL_LIMIT = "120 per minute"


def _per_user() -> str:
    return f"live:{current_user.get_id()}"


@bp.get("/live")
@limiter.limit(POLL_LIMIT, key_func=_per_user)
def state():
    if not current_user.is_authenticated:
        return json_error(401)
    names = [n.strip() for n in request.args.get("topics", "").split(",") if n.strip()]
    current = tokens(db.session, current_user, names)
    body = json.dumps(current, sort_keys=True, separators=(",", ":"))
    etag = hashlib.blake2b(body.encode(), digest_size=8).hexdigest()
    if etag in request.if_none_match:
        response = make_response("", 304)
    else:
        response = jsonify(current)
    response.set_etag(etag)
    # Always revalidated, never stored by a proxy or the HTTP cache: it is one person's state.
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    register_core_topics(app)

    def live_token(name: str) -> str | None:
        if not current_user or not current_user.is_authenticated:
            return None
        return tokens(db.session, current_user, [name]).get(name)

    app.jinja_env.globals["live_token"] = live_token
