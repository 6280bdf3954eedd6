"""All models, imported so that metadata (and Alembic autogenerate) sees every table.

Each feature keeps its tables in its own module here."""

from app.models.audit import AuditEntry
from app.models.base import Base
from app.models.org import ROLES, Unit, User, UserSession

__all__ = ["AuditEntry", "Base", "ROLES", "Unit", "User", "UserSession"]
