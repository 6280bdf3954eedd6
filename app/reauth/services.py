"""When a sign-in session was last authenticated, and how: the base of re-authentication before the
most sensitive reads. A session without a SessionAuth row was signed in with a password when it was
created. Single sign-on, the password form and passkeys record here with `record`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import SessionAuth, UserSession


@dataclass(frozen=True)
class LastAuth:
    method: str
    at: datetime


def record(session: Session, session_id: str, method: str, clock: Clock, *, id_token: str | None = None,
           provider_sid: str | None = None) -> SessionAuth:
    """The session was (re)authenticated now with `method`; the caller commits."""
    row = session.get(SessionAuth, session_id)
    if row is None:
        row = SessionAuth(session_id=session_id, method=method, authenticated_at=clock.now(), id_token="",
                          provider_sid="")
        session.add(row)
    row.method, row.authenticated_at = method, clock.now()
    if id_token is not None:
        row.id_token = id_token
    if provider_sid is not None:
        row.provider_sid = provider_sid
    return row


def last_authenticated(session: Session, session_id: str | None) -> LastAuth | None:
    if not session_id:
        return None
    found = session.execute(
        select(UserSession.created_at, SessionAuth.method, SessionAuth.authenticated_at)
        .outerjoin(SessionAuth, SessionAuth.session_id == UserSession.id)
        .where(UserSession.id == session_id)
    ).first()
    if found is None:
        return None
    if found.method is None:
        return LastAuth("password", found.created_at)
    return LastAuth(found.method, found.authenticated_at)


def is_fresh(session: Session, session_id: str | None, clock: Clock, max_age_s: int) -> bool:
    last = last_authenticated(session, session_id)
    return last is not None and clock.now() - last.at <= timedelta(seconds=max_age_s)
