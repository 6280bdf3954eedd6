"""Request validation with pydantic and an endpoint registry that the OpenAPI document is built from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import wraps
from typing import Annotated, Any, TypeVar

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import AfterValidator, AwareDatetime, BaseModel, ValidationError

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
    # Other success statuses with the same body, e.g. {200: "already there"} for idempotent creates.
    also: dict[int, str] = field(default_factory=dict)
    body_required: bool = True


REGISTRY: list[Endpoint] = []


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _in_range(value: datetime) -> datetime:
    # An offset can push 0001-01-01 or 9999-12-31 out of what a datetime holds in UTC (OverflowError
    # when stored), and any date near the ends overflows on the first `+ timedelta`: refuse them here.
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not EARLIEST <= in_utc < LATEST:
        raise ValueError("the time must be between the years 1900 and 2199")
    return value


ApiTime = Annotated[AwareDatetime, AfterValidator(_in_range)]
"""A time in a request body: ISO 8601 with an offset, between 1900 and 2199 (use instead of AwareDatetime)."""


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
    also: dict[int, str] | None = None,
    body_required: bool = True,
):
    """Register a JSON view on `bp` and describe it for /api/v1/openapi.json."""

    def decorator(view):
        full = (bp.url_prefix or "") + rule
        REGISTRY.append(
            Endpoint(method.upper(), full, summary, body, response, status, bp.name.split("_")[0], errors,
                     also=dict(also or {}), body_required=body_required)
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
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # nested deeper than the parser goes, e.g. [[[[...]]]]: not a 500
            data = None
        if data is None:
            raise ApiError(400, "invalid_json", _("The body is not valid JSON."))
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", _("The body must be a JSON object."))
    where = _unstorable_text(data)
    if where is not None:
        problem = "text may not contain NUL characters or unpaired surrogates"
        raise ApiError(400, "invalid", f"{where}: {problem}" if where else problem,
                       fields=[{"field": where, "problem": problem}])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(400, "invalid", _first_problem(exc), fields=_fields(exc)) from None


def unstorable(text: str) -> bool:
    """NUL (PostgreSQL refuses it in text) or a lone surrogate (not encodable as UTF-8): JSON can carry
    both ("\\u0000", "\\ud800"), no database column can."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unstorable_text(data: Any) -> str | None:
    """The path (e.g. "contacts.0.name") of a key or string in `data` that cannot be stored, if any."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:  # no recursion: the JSON may be nested as deep as the parser allows
        where, value = stack.pop()
        if isinstance(value, str):
            if unstorable(value):
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                inner = f"{where}.{key}" if where else str(key)
                if unstorable(key):
                    return where
                stack.append((inner, item))
        elif isinstance(value, list):
            stack.extend((f"{where}.{i}" if where else str(i), item) for i, item in enumerate(value))
    return None


def _fields(exc: ValidationError) -> list[dict]:
    return [
        {"field": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
        for e in exc.errors()
    ]


def handle_api_error(exc: ApiError):
    return json_error(exc.status, exc.code, exc.message, **exc.extra)
