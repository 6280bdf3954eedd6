"""Request validation with pydantic and an endpoint registry that the OpenAPI document is built from."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from app.errors import json_error


class ApiError(Exception):
    """Raised by API views and services; rendered as the contract's JSON error."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


@dataclass
class Endpoint:
    method: str
    path: str  # Flask rule, e.g. /api/v1/visits/<id>
    summary: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    tag: str = "makker"
    errors: tuple[int, ...] = ()
    extra: dict = field(default_factory=dict)


REGISTRY: list[Endpoint] = []


def endpoint(
    bp: Blueprint,
    rule: str,
    method: str,
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    login: bool = True,
):
    """Register a JSON view on `bp` and describe it for /api/v1/openapi.json."""

    def decorator(view):
        full = (bp.url_prefix or "") + rule
        REGISTRY.append(
            Endpoint(method.upper(), full, summary, body, response, status, bp.name.split("_")[0], errors)
        )
        wrapped = api_login_required(view) if login else view
        bp.add_url_rule(rule, view.__name__, wrapped, methods=[method.upper()])
        return wrapped

    return decorator


def api_login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return json_error(401)
        return view(*args, **kwargs)

    return wrapped


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
    return f"{where}: {err.get('msg', '')}" if where else err.get("msg", "")


M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M], *, allow_empty: bool = False) -> M:
    """The request's JSON validated by `model`, or an ApiError 400 with the first problem."""
    if not request.get_data(cache=True) and allow_empty:
        data: Any = {}
    else:
        if not request.is_json:
            raise ApiError(400, "invalid_json", _("Send the data as JSON (Content-Type: application/json)."))
        data = request.get_json(silent=True)
        if data is None:
            raise ApiError(400, "invalid_json", _("The body is not valid JSON."))
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", _("The body must be a JSON object."))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(400, "invalid", _first_problem(exc), fields=_fields(exc)) from None


def _fields(exc: ValidationError) -> list[dict]:
    return [
        {"field": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
        for e in exc.errors()
    ]


def handle_api_error(exc: ApiError):
    return json_error(exc.status, exc.code, exc.message, **exc.extra)
