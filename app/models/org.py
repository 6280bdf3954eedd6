"""Units, users and their sign-in sessions."""

from __future__ import annotations

from datetime import datetime, time

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, Time, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base

ROLES = ("staff", "leader", "amr", "admin")
RESPONDER_ROLES = ("leader", "amr")
DEFAULT_CRISIS_LINE = "87 10 89 00"  # Trivselsordningen, Human House (the guideline)


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    opens_at: Mapped[time] = mapped_column(Time, default=time(8, 0))
    closes_at: Mapped[time] = mapped_column(Time, default=time(16, 0))
    # ISO weekdays the unit is open, e.g. "12345" for Monday to Friday.
    open_weekdays: Mapped[str] = mapped_column(String(7), default="12345")
    # Escalation timings; NULL means the deployment default (MAKKER_*_S).
    reminder_before_s: Mapped[int | None] = mapped_column(Integer)
    grace_s: Mapped[int | None] = mapped_column(Integer)
    ack_timeout_s: Mapped[int | None] = mapped_column(Integer)
    crisis_line: Mapped[str] = mapped_column(String(32), default=DEFAULT_CRISIS_LINE)
    crisis_line_name: Mapped[str] = mapped_column(String(120), default="Human House (Trivselsordningen)")
    police_emergency: Mapped[str] = mapped_column(String(16), default="112")
    police_service: Mapped[str] = mapped_column(String(16), default="114")
    sms_for_level2: Mapped[bool] = mapped_column(Boolean, default=True)
    easy_deadline_days: Mapped[int] = mapped_column(Integer, default=9)
    follow_up_after_days: Mapped[int] = mapped_column(Integer, default=2)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    users: Mapped[list[User]] = relationship(back_populates="unit", order_by="User.name")

    def __repr__(self) -> str:
        return f"<Unit {self.name}>"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    role: Mapped[str] = mapped_column(String(16), default="staff")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="da")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set on deactivation, cleared on reactivation: retention forgets the person's devices and
    # ambulance letter a month later (app/retention).
    deactivated_at: Mapped[datetime | None]
    # Who closed the account: "admin" (stays closed, also to single sign-on) or "sso" (the identity
    # provider's claims stopped giving a role; a later sign-in with a role opens it again).
    deactivated_reason: Mapped[str] = mapped_column(String(16), default="", server_default="")
    # May sign in with a password while single sign-on is on (demo data, the break-glass admin).
    local_login: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    first_aid_trained: Mapped[bool] = mapped_column(Boolean, default=False)
    checkout_pin_hash: Mapped[str | None] = mapped_column(String(255))
    duress_pin_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]

    unit: Mapped[Unit | None] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.username

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserSession(Base):
    """One signed-in device. The cookie carries only this id; revoking the row signs the device out."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
