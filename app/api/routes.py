"""/api/v1: who am I, and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from pydantic import BaseModel
from werkzeug.exceptions import NotFound

from app.api import openapi
from app.api.core import ApiError, endpoint, handle_api_error, unstorable

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Me(BaseModel):
    username: str
    name: str
    role: str
    unit: str | None
    csrf_token: str
    locale: str


@endpoint(bp, "/me", "GET", "The signed-in user and the CSRF token for state changes", response=Me)
def me():
    return jsonify(
        Me(
            username=current_user.username,
            name=current_user.name,
            role=current_user.role,
            unit=current_user.unit.name if current_user.unit else None,
            csrf_token=generate_csrf(),
            locale=current_user.locale,
        ).model_dump()
    )


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.build())


def _refuse_unstorable_url_values(endpoint: str | None, values: dict | None) -> None:
    # /visits/%00 names nothing; asked of PostgreSQL it is an error (NUL in text), not "not found".
    if values and any(isinstance(v, str) and unstorable(v) for v in values.values()):
        raise NotFound()


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, handle_api_error)
    app.url_value_preprocessor(_refuse_unstorable_url_values)
