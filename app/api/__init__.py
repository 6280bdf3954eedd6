"""Shared pieces of the JSON API under /api/v1: validation, errors, the OpenAPI registry."""

from app.api.core import ApiError, ApiTime, api_login_required, endpoint, parse_body

__all__ = ["ApiError", "ApiTime", "api_login_required", "endpoint", "parse_body"]
