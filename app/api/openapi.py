"""The OpenAPI 3.1 document, built from the endpoint registry and the pydantic models."""

from __future__ import annotations

import re

from app.api.core import REGISTRY
from app.errors import CODES

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


def _path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def build() -> dict:
    paths: dict[str, dict] = {}
    components: dict[str, dict] = {"Error": ERROR_SCHEMA}

    def ref(model) -> dict:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            components[name] = sub
        components[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    for ep in REGISTRY:
        path = _path(ep.path)
        op: dict = {"summary": ep.summary, "tags": [ep.tag], "operationId": f"{ep.method.lower()}_{path}"}
        params = re.findall(r"{([a-z_]+)}", path)
        if params:
            op["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params
            ]
        if ep.body is not None:
            op["requestBody"] = {
                "required": ep.body_required,
                "content": {"application/json": {"schema": ref(ep.body)}},
            }
        ok: dict = {"description": "OK"}
        if ep.response is not None:
            ok["content"] = {"application/json": {"schema": ref(ep.response)}}
        op["responses"] = {str(ep.status): ok}
        for status, description in sorted(ep.also.items()):
            op["responses"][str(status)] = {**ok, "description": description}
        # Every request body is capped by MAX_CONTENT_LENGTH: 413 too_large.
        common = {400, 401, 403, 404, 429, *((413,) if ep.body is not None else ())}
        for status in sorted(common | set(ep.errors)):
            op["responses"][str(status)] = {
                "description": CODES.get(status, "error"),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        if ep.method != "GET":
            op.setdefault("parameters", []).append(
                {"name": "X-CSRFToken", "in": "header", "required": True, "schema": {"type": "string"}}
            )
        paths.setdefault(path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Makker API",
            "version": "1",
            "description": "JSON API of Makker. Sign in with POST /login (session cookie); send "
            "X-CSRFToken from GET /api/v1/me on every request that changes state.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "makker_session"}},
        },
        "security": [{"session": []}],
    }
