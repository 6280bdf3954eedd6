"""The `visit` live topic: what the worker's own visit screens show (their latest visit and the
alerts about them that they may see). A duress alarm never moves it: the worker must not learn
that a silent alarm went off, nor when someone took it."""

from __future__ import annotations

from sqlalchemy import bindparam, literal, or_, select, union_all
from sqlalchemy.orm import Session

from app.live import token_of
from app.models import Alert, Visit

_LATEST = (
    select(Visit.id).where(Visit.worker_id == bindparam("user_id"))
    .order_by(Visit.started_at.desc()).limit(1).scalar_subquery()
)
# One round trip: the latest visit's row version, then every alert the worker may see that is open
# or belongs to that visit (an SOS without a visit included), with its version.
_STATE = union_all(
    select(literal("v"), Visit.id, Visit.version).where(Visit.id == _LATEST),
    select(literal("a"), Alert.id, Alert.version).where(
        Alert.worker_id == bindparam("user_id"), Alert.reason != "duress",
        or_(Alert.state != "resolved", Alert.visit_id == _LATEST),
    ),
)


def visit_token(session: Session, user) -> str | None:
    rows = sorted(tuple(r) for r in session.execute(_STATE, {"user_id": user.id}))
    return token_of(rows)
