"""Shared pieces of the JSON API under /api/v1: validation, errors, the OpenAPI registry."""

from app.api.core import ApiError, api_login_required, endpoint, parse_body

__all__ = ["ApiError", "api_login_required", "endpoint", "parse_body"]
