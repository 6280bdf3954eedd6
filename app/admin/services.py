"""Managing users and units; used by the admin screens, the CLI and the demo data."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.auth import sessions
from app.clock import Clock
from app.models import ROLES, Unit, User
from app.passwords import hash_secret


class UserError(ValueError):
    """A user change that cannot be made; the message is shown to the person."""


def find_user(db: Session, username: str) -> User | None:
    return db.execute(
        select(User).where(func.lower(User.username) == username.strip().lower())
    ).scalar_one_or_none()


def find_unit(db: Session, name: str) -> Unit | None:
    return db.execute(select(Unit).where(Unit.name == name)).scalar_one_or_none()


def create_user(
    db: Session,
    clock: Clock,
    *,
    username: str,
    name: str,
    password: str,
    role: str = "staff",
    unit: Unit | None = None,
    phone: str = "",
    email: str = "",
    locale: str = "da",
    actor_id: int | None = None,
) -> User:
    username = username.strip().lower()
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}")
    if not username or find_user(db, username):
        raise UserError(f"the username {username!r} is taken or empty")
    user = User(
        username=username,
        name=name,
        role=role,
        unit=unit,
        phone=phone,
        email=email,
        locale=locale,
        password_hash=hash_secret(password),
        created_at=clock.now(),
    )
    db.add(user)
    db.flush()
    audit.record(db, "user.create", actor_id=actor_id, object_type="user", object_id=user.id, clock=clock)
    return user


def set_password(db: Session, clock: Clock, user: User, password: str, *, actor_id: int | None) -> None:
    user.password_hash = hash_secret(password)
    # A new password signs out every device: the old one may have leaked.
    sessions.revoke_all(db, user.id, clock)
    audit.record(db, "user.set_password", actor_id=actor_id, object_type="user", object_id=user.id, clock=clock)


def deactivate(db: Session, clock: Clock, user: User, *, actor_id: int | None) -> None:
    user.active = False
    sessions.revoke_all(db, user.id, clock)
    audit.record(db, "user.deactivate", actor_id=actor_id, object_type="user", object_id=user.id, clock=clock)


def unit_people(db: Session, unit_id: int | None, *roles: str) -> list[User]:
    """The active users of a unit with one of `roles` (e.g. its leaders and AMRs)."""
    if unit_id is None:
        return []
    return list(
        db.execute(
            select(User)
            .where(User.unit_id == unit_id, User.active.is_(True), User.role.in_(roles))
            .order_by(User.name)
        ).scalars()
    )
