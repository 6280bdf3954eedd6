"""One sign-in through single sign-on (OpenID Connect or SAML) becomes a Makker user.

- The identity (provider, issuer, subject) finds the user it was linked to before; else an account
  with the same username is linked, unless it is a local account (password sign-in: demo data, the
  break-glass admin), which an identity provider may never take over.
- The first sign-in creates the user in the unit the claims name (the unit is created when it does
  not exist yet), with the mapped role; every sign-in updates role, unit, name, e-mail and phone.
- Claims that map to no role: no account, and an existing one is closed (reason "sso") with its
  duties handed over (app/handover). A later sign-in with a role opens it again.
- An account the administrator closed stays closed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.admin import services as users
from app.clock import Clock
from app.models import SsoIdentity, Unit, User
from app.sso.claims import MAX_USERNAME, Person

# Why a sign-in was refused (the page says it in words; the audit log keeps the code).
NO_ROLE = "no_role"
DISABLED = "disabled"
NO_USERNAME = "no_username"
LOCAL_ACCOUNT = "local_account"
TAKEN = "username_taken"


@dataclass
class Outcome:
    user: User | None = None
    refused: str | None = None
    created: bool = False


def find_identity(session: Session, provider: str, issuer: str, subject: str) -> SsoIdentity | None:
    return session.execute(
        select(SsoIdentity).where(SsoIdentity.provider == provider, SsoIdentity.issuer == issuer,
                                  SsoIdentity.subject == subject)
    ).scalar_one_or_none()


def _unit_named(session: Session, clock: Clock, name: str | None) -> Unit | None:
    if not name:
        return None
    unit = users.find_unit(session, name) or session.execute(
        select(Unit).where(func.lower(Unit.name) == name.lower())
    ).scalars().first()
    if unit is None:
        unit = Unit(name=name)
        session.add(unit)
        session.flush()
        audit.record(session, "unit.create", actor_id=None, object_type="unit", object_id=unit.id,
                     detail={"name": name, "source": "sso"}, clock=clock)
    return unit


def _refuse(session: Session, clock: Clock, code: str, *, provider: str, person: Person,
            user: User | None = None) -> Outcome:
    audit.record(session, "sso.refused", actor_id=None, object_type="user", object_id=user.id if user else "",
                 subject_user_id=user.id if user else None, clock=clock,
                 detail={"reason": code, "provider": provider, "username": person.username[:64]})
    return Outcome(user=None, refused=code)


def provision(session: Session, clock: Clock, *, provider: str, issuer: str, subject: str,
              person: Person) -> Outcome:
    """The user this sign-in is for, created or updated from `person`; or why they may not enter.
    The caller commits (also after a refusal: the audit entry and a closed account are kept)."""
    now = clock.now()
    identity = find_identity(session, provider, issuer, subject)
    user = identity.user if identity is not None else None
    if user is None:
        if not person.username or len(person.username) > MAX_USERNAME:
            return _refuse(session, clock, NO_USERNAME, provider=provider, person=person)
        user = users.find_user(session, person.username)
        if user is not None and user.local_login:
            return _refuse(session, clock, LOCAL_ACCOUNT, provider=provider, person=person, user=user)
        if user is not None and session.execute(
            select(SsoIdentity.id).where(SsoIdentity.user_id == user.id, SsoIdentity.provider == provider,
                                         SsoIdentity.issuer == issuer)
        ).first():
            return _refuse(session, clock, TAKEN, provider=provider, person=person, user=user)

    if person.role is None:
        if user is not None and user.active:
            users.deactivate(session, clock, user, actor_id=None, reason="sso")
            audit.record(session, "sso.access_lost", actor_id=None, object_type="user", object_id=user.id,
                         subject_user_id=user.id, detail={"provider": provider}, clock=clock)
        return _refuse(session, clock, NO_ROLE, provider=provider, person=person, user=user)
    if user is not None and not user.active:
        if user.deactivated_reason != "sso":
            return _refuse(session, clock, DISABLED, provider=provider, person=person, user=user)
        users.reactivate(session, clock, user, actor_id=None)

    unit = _unit_named(session, clock, person.unit_name)
    created = user is None
    if created:
        user = users.create_user(session, clock, username=person.username, name=person.name, password="",
                                 role=person.role, unit=unit, phone=person.phone, email=person.email,
                                 local_login=False)
    else:
        changes = {"name": person.name, "role": person.role}
        if unit is not None:
            changes["unit_id"] = unit.id
        if person.email:
            changes["email"] = person.email
        if person.phone:
            changes["phone"] = person.phone
        changes = {k: v for k, v in changes.items() if getattr(user, k) != v}
        for key, value in changes.items():
            setattr(user, key, value)
        if unit is not None:
            user.unit = unit
        if changes:
            audit.record(session, "user.update", actor_id=None, object_type="user", object_id=user.id,
                         subject_user_id=user.id, clock=clock,
                         detail={"changed": sorted(changes), "source": provider, "role": user.role})
    if identity is None:
        identity = SsoIdentity(user_id=user.id, provider=provider, issuer=issuer, subject=subject,
                               created_at=now, last_login_at=now)
        session.add(identity)
        audit.record(session, "sso.linked", actor_id=None, object_type="user", object_id=user.id,
                     subject_user_id=user.id, detail={"provider": provider, "created": created}, clock=clock)
    identity.last_login_at = now
    return Outcome(user=user, created=created)
