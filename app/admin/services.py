"""Managing users and units; used by the admin screens, the CLI and the demo data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.auth import sessions
from app.clock import Clock
from app.handover.services import hand_over
from app.models import ROLES, AuditEntry, Unit, User
from app.passwords import hash_secret


class UserError(ValueError):
    """A user change that cannot be made; the message is shown to the person."""


def find_user(db: Session, username: str) -> User | None:
    """Case-insensitive: usernames are stored lower-case (create_user, update_user), so the unique
    index answers it."""
    return db.execute(select(User).where(User.username == username.strip().lower())).scalar_one_or_none()


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
    local_login: bool = True,
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
        password_hash=hash_secret(password) if password else "",  # no password: single sign-on only
        local_login=local_login,
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


def deactivate(db: Session, clock: Clock, user: User, *, actor_id: int | None, reason: str = "admin"):
    """Close the account (reason "admin", or "sso" when single sign-on stopped giving a role), sign it
    out everywhere and hand over its open alerts and buddy duties (app/handover). Returns the hand-over."""
    was_active = user.active
    user.active = False
    user.deactivated_at = user.deactivated_at if not was_active and user.deactivated_at else clock.now()
    user.deactivated_reason = reason
    sessions.revoke_all(db, user.id, clock)
    handover = hand_over(db, clock, user)
    audit.record(db, "user.deactivate", actor_id=actor_id, object_type="user", object_id=user.id,
                 subject_user_id=user.id, detail={"reason": reason, **handover.as_detail()}, clock=clock)
    return handover


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


# --- Used by the admin screens -------------------------------------------------------------------

USER_FIELDS = ("username", "name", "phone", "email", "role", "unit_id", "locale", "first_aid_trained")
UNIT_FIELDS = (
    "name", "opens_at", "closes_at", "open_weekdays", "reminder_before_s", "grace_s", "ack_timeout_s",
    "crisis_line", "crisis_line_name", "police_emergency", "police_service", "sms_for_level2",
    "easy_deadline_days", "follow_up_after_days", "active",
)


def list_users(db: Session, *, unit_id: int | None = None, without_unit: bool = False) -> list[User]:
    stmt = select(User).order_by(User.active.desc(), User.name)
    if without_unit:
        stmt = stmt.where(User.unit_id.is_(None))
    elif unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id)
    return list(db.execute(stmt).scalars())


def list_units(db: Session) -> list[Unit]:
    return list(db.execute(select(Unit).order_by(Unit.active.desc(), Unit.name)).scalars())


def _active_admins(db: Session) -> int:
    return db.execute(
        select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
    ).scalar_one()


def _guard_last_admin(db: Session, user: User) -> None:
    """Refuse a change that would leave nobody able to administer Makker."""
    if user.role == "admin" and user.active and _active_admins(db) <= 1:
        raise UserError(_l("Makker needs at least one active administrator."))


def update_user(db: Session, clock: Clock, user: User, changes: dict, *, actor_id: int | None) -> list[str]:
    """Apply `changes` (a subset of USER_FIELDS); audited with the names of the changed fields."""
    changes = {k: v for k, v in changes.items() if k in USER_FIELDS and getattr(user, k) != v}
    if "username" in changes:
        changes["username"] = changes["username"].strip().lower()
        other = find_user(db, changes["username"])
        if not changes["username"] or (other is not None and other.id != user.id):
            raise UserError(_l("The username %(username)s is taken.", username=changes["username"]))
    if "role" in changes:
        if changes["role"] not in ROLES:
            raise UserError(_l("Unknown role."))
        _guard_last_admin(db, user)
    for key, value in changes.items():
        setattr(user, key, value)
    if changes:
        audit.record(db, "user.update", actor_id=actor_id, object_type="user", object_id=user.id,
                     subject_user_id=user.id, detail={"changed": sorted(changes)}, clock=clock)
    return sorted(changes)


def set_role(db: Session, clock: Clock, user: User, role: str, *, actor_id: int | None) -> None:
    """A member's role within their unit (staff, leader, AMR): how a unit's leaders and AMRs are chosen."""
    if role not in ROLES:
        raise UserError(_l("Unknown role."))
    if role == user.role:
        return
    _guard_last_admin(db, user)
    old, user.role = user.role, role
    audit.record(db, "user.set_role", actor_id=actor_id, object_type="user", object_id=user.id,
                 subject_user_id=user.id, detail={"from": old, "to": role}, clock=clock)


def admin_deactivate(db: Session, clock: Clock, user: User, *, actor_id: int):
    """Deactivate from the admin screens: never yourself, never the last administrator."""
    if user.id == actor_id:
        raise UserError(_l("You cannot deactivate yourself."))
    _guard_last_admin(db, user)
    return deactivate(db, clock, user, actor_id=actor_id)


def reactivate(db: Session, clock: Clock, user: User, *, actor_id: int | None) -> None:
    user.active = True
    user.deactivated_at = None
    user.deactivated_reason = ""
    audit.record(db, "user.reactivate", actor_id=actor_id, object_type="user", object_id=user.id,
                 subject_user_id=user.id, clock=clock)


def sign_out_everywhere(db: Session, clock: Clock, user: User, *, actor_id: int | None) -> int:
    count = sessions.revoke_all(db, user.id, clock)
    audit.record(db, "user.sign_out_everywhere", actor_id=actor_id, object_type="user", object_id=user.id,
                 subject_user_id=user.id, detail={"count": count}, clock=clock)
    return count


def create_unit(db: Session, clock: Clock, values: dict, *, actor_id: int | None) -> Unit:
    values = {k: v for k, v in values.items() if k in UNIT_FIELDS}
    name = (values.get("name") or "").strip()
    if not name or find_unit(db, name):
        raise UserError(_l("A unit called %(name)s already exists.", name=name))
    unit = Unit(**{**values, "name": name})
    db.add(unit)
    db.flush()
    audit.record(db, "unit.create", actor_id=actor_id, object_type="unit", object_id=unit.id,
                 detail={"name": name}, clock=clock)
    return unit


def update_unit(db: Session, clock: Clock, unit: Unit, values: dict, *, actor_id: int | None) -> list[str]:
    changes = {k: v for k, v in values.items() if k in UNIT_FIELDS and getattr(unit, k) != v}
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        other = find_unit(db, changes["name"])
        if not changes["name"] or (other is not None and other.id != unit.id):
            raise UserError(_l("A unit called %(name)s already exists.", name=changes["name"]))
    for key, value in changes.items():
        setattr(unit, key, value)
    if changes:
        audit.record(db, "unit.update", actor_id=actor_id, object_type="unit", object_id=unit.id,
                     detail={"changed": sorted(changes)}, clock=clock)
    return sorted(changes)


AUDIT_LIMIT = 200


def audit_entries(db: Session, *, action: str | None = None, limit: int = AUDIT_LIMIT) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.execute(stmt).scalars())


def audit_actions(db: Session) -> list[str]:
    return list(db.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars())
