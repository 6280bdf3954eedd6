"""Writing to the audit log. Callers commit with their own change."""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy.orm import Session

from app.clock import Clock, SystemClock
from app.models import AuditEntry


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    object_type: str = "",
    object_id: str | int = "",
    subject_user_id: int | None = None,
    detail: dict | None = None,
    clock: Clock | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=(clock or SystemClock()).now(),
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        subject_user_id=subject_user_id,
        ip=(request.remote_addr or "") if has_request_context() else "",
        detail=detail or {},
    )
    session.add(entry)
    return entry
