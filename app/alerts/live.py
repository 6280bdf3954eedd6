"""The `alerts` live topic: the open alerts a person responds to (level, state, owner move it), so
every responder's screen shows a new alarm, who took it, and that it was resolved."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.access import responder_clause
from app.live import token_of
from app.models import Alert


def alerts_token(session: Session, user) -> str | None:
    rows = session.execute(
        select(Alert.id, Alert.version).where(Alert.state != "resolved", responder_clause(user))
        .order_by(Alert.id)
    ).all()
    return token_of([tuple(r) for r in rows])
