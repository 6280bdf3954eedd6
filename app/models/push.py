"""Web Push subscriptions, per-user notification preferences, and the local mail sink."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UUIDStr
from app.models.org import User


class PushSubscription(Base):
    """One browser (device) that accepted push for a user: a browser's `PushSubscription.toJSON()`."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The push service URL; a capability, unique per browser profile.
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))  # base64url uncompressed P-256 point (65 bytes)
    auth: Mapped[str] = mapped_column(String(64))  # base64url 16-byte auth secret
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    last_failure: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship()


class NotificationPrefs(Base):
    """Which channels a user wants, and whether their phone and e-mail were confirmed by a test message.

    A table of its own (keyed by user) so the users table stays untouched; no row = the defaults."""

    __tablename__ = "notification_prefs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    push_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The number/address that was confirmed: changing the user's phone or e-mail unconfirms it.
    phone_confirmed: Mapped[str] = mapped_column(String(32), default="", server_default="")
    phone_confirmed_at: Mapped[datetime | None]
    email_confirmed: Mapped[str] = mapped_column(String(254), default="", server_default="")
    email_confirmed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class MailSinkMessage(Base):
    """An e-mail that would have been sent, kept locally when no SMTP server is configured."""

    __tablename__ = "mail_sink"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    notification_id: Mapped[str | None] = mapped_column(UUIDStr)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer, default=0)
