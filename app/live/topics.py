"""The core topic every signed-in person has: `inbox`, the newest notification addressed to them
(an in-app message: "Bo har taget alarmen", "Ring til Anna nu", ...). Features register their own
(`visit` in app/visits, `alerts` in app/alerts)."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.live import register_topic, token_of
from app.models import Notification

# Built once; answered from ix_notifications_recipient_created.
_NEWEST = (
    select(func.max(Notification.created_at), func.count())
    .where(Notification.recipient_id == bindparam("user_id"))
)


def inbox_token(session: Session, user) -> str | None:
    newest, count = session.execute(_NEWEST, {"user_id": user.id}).one()
    return token_of([newest.isoformat() if newest else None, count])


def register_core_topics(app) -> None:
    register_topic(app, "inbox", inbox_token)
