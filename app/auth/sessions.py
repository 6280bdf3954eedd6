"""Server-side sign-in sessions: one row per device, listed and revocable."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, contains_eager

from app.clock import Clock
from app.models import User, UserSession

SHORT_SESSION = timedelta(hours=12)
LONG_SESSION = timedelta(days=30)
# Writing last_seen on every request would turn every read into a write.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


def start(
    db: Session, user: User, clock: Clock, *, stay_signed_in: bool, user_agent: str, ip: str
) -> UserSession:
    now = clock.now()
    row = UserSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + (LONG_SESSION if stay_signed_in else SHORT_SESSION),
        user_agent=user_agent[:255],
        ip=ip[:64],
    )
    db.add(row)
    return row


# Run on every signed-in request: one query for the session row, its user and the user's unit (most
# requests need the unit: timings, opening hours, contacts), built once (no statement construction and
# cache-key work per request).
_SESSION_USER = (
    select(UserSession, User)
    .join(User, User.id == UserSession.user_id)
    .outerjoin(User.unit)
    .options(contains_eager(User.unit))
    .where(
        UserSession.id == bindparam("session_id"),
        UserSession.user_id == bindparam("user_id"),
        UserSession.revoked_at.is_(None),
        UserSession.expires_at > bindparam("now"),
    )
)


def load_user(db: Session, session_id: str | None, user_id: str, clock: Clock) -> User | None:
    if not session_id or not user_id.isdigit():
        return None
    now = clock.now()
    found = db.execute(_SESSION_USER, {"session_id": session_id, "user_id": int(user_id), "now": now}).first()
    if found is None or not found.User.active:
        return None
    row = found.UserSession
    if now - row.last_seen_at > LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
        db.commit()
    return found.User


def active_for(db: Session, user_id: int, clock: Clock) -> list[UserSession]:
    return list(
        db.execute(
            select(UserSession)
            .where(
                UserSession.user_id == user_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > clock.now(),
            )
            .order_by(UserSession.last_seen_at.desc())
        ).scalars()
    )


def revoke(db: Session, session_id: str, user_id: int, clock: Clock) -> bool:
    result = db.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return result.rowcount > 0


def revoke_all(db: Session, user_id: int, clock: Clock, *, keep: str | None = None) -> int:
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep:
        stmt = stmt.where(UserSession.id != keep)
    return db.execute(stmt.values(revoked_at=clock.now())).rowcount


def purge_expired(db: Session, now: datetime) -> int:
    from sqlalchemy import delete

    return db.execute(delete(UserSession).where(UserSession.expires_at < now - LONG_SESSION)).rowcount
