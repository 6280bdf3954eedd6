"""Notifications and their outbox: written in the same transaction as the state change, sent after."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UUIDStr
from app.models.org import User

if TYPE_CHECKING:
    from app.models.visits import Alert, Visit

NOTIFICATION_TYPES = ("reminder", "alert", "ack", "resolved", "interrupt", "incident", "test")


class Notification(Base):
    """One message to one person: the in-app notification, and what each channel sends."""

    __tablename__ = "notifications"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    # The step that caused it, e.g. "alert:<id>:level2:3"; unique per recipient, so a step never
    # notifies the same person twice even if it were processed again.
    step_key: Mapped[str] = mapped_column(String(120))
    # Same tag on re-sends (the phone shows it once).
    tag: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    alert_id: Mapped[str | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]  # when the step was due: for due->sent latency
    read_at: Mapped[datetime | None]

    recipient: Mapped[User] = relationship()
    # Declared so the unit of work inserts the alert/visit first.
    alert: Mapped["Alert | None"] = relationship()  # noqa: UP037
    visit: Mapped["Visit | None"] = relationship()  # noqa: UP037

    __table_args__ = (UniqueConstraint("recipient_id", "step_key", name="uq_notifications_recipient_step"),)


class OutboxEntry(Base):
    """One notification to be sent through one channel. Claimed with a lease, so a crash re-sends."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[str] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")

    notification: Mapped[Notification] = relationship()

    __table_args__ = (UniqueConstraint("notification_id", "channel", name="uq_outbox_notification_channel"),)


class DeliveryAttempt(Base):
    """Every attempt, per notification and channel: shown on the alert's timeline."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    notification_id: Mapped[str] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    alert_id: Mapped[str | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")

    recipient: Mapped[User] = relationship()


class WatchdogBeat(Base):
    """Liveness and cumulative counters of each watchdog process (health checks, the admin warning
    and /metrics). One row per process, written only by that process (app/watchdog/runner.py): the
    counters live here, not in memory, because web and watchdog processes run on several hosts."""

    __tablename__ = "watchdog_beats"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    started_at: Mapped[datetime]
    last_tick_at: Mapped[datetime]
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    # Outbox entries given up on / to be retried, since the process started.
    failed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retried: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # due->sent latency of each notification's first delivery: a histogram (app/ops/beats.py).
    latency_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    latency_sum: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    latency_buckets: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")  # {"0.5": n, "+Inf": n}
    # Per channel: {"push": {"sent": n, "failed": n, "retried": n, "skipped": n}}.
    channels: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")


# The live `inbox` topic asks for a person's newest notification on every poll.
Index("ix_notifications_recipient_created", Notification.recipient_id, Notification.created_at)
