"""Home visits, the alerts raised for them, and their shared timeline.

The ladder's next step is kept on the row itself (`next_due_at`), so a watchdog claims one row
(FOR UPDATE SKIP LOCKED) and extend/check-out lock the same row: no step table to race on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UUIDStr
from app.models.org import Unit, User

VISIT_STATES = ("active", "overdue", "alarm", "closed")
ALERT_REASONS = ("overdue", "sos", "duress")
ALERT_STATES = ("open", "acknowledged", "resolved")
OUTCOMES = ("safe", "false_alarm", "incident")


class Visit(Base):
    __tablename__ = "visits"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)  # made by the client
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    buddy_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="active")
    started_at: Mapped[datetime]
    client_started_at: Mapped[datetime | None]
    planned_end: Mapped[datetime]
    # Sealed: shown to responders only once an alert exists for the visit.
    place: Mapped[str] = mapped_column(Text, default="")
    interrupt_at: Mapped[datetime | None]
    two_person: Mapped[bool] = mapped_column(Boolean, default=False)
    second_colleague: Mapped[str] = mapped_column(String(120), default="")
    checklist: Mapped[dict] = mapped_column(JSON, default=dict)
    outside_opening_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy: Mapped[float | None] = mapped_column(Float)
    location_at: Mapped[datetime | None]
    # Ladder bookkeeping: when each step fired (None = not yet).
    reminder_sent_at: Mapped[datetime | None]
    overdue_at: Mapped[datetime | None]
    interrupt_sent_at: Mapped[datetime | None]
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None] = mapped_column(index=True)  # retention selects by it
    client_closed_at: Mapped[datetime | None]  # when the worker tapped (may be earlier, offline)
    close_kind: Mapped[str] = mapped_column(String(16), default="")  # checkout | duress | admin
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    worker: Mapped[User] = relationship(foreign_keys=[worker_id])
    buddy: Mapped[User] = relationship(foreign_keys=[buddy_id])
    unit: Mapped[Unit | None] = relationship()
    alerts: Mapped[list[Alert]] = relationship(back_populates="visit", order_by="Alert.created_at")

    __mapper_args__ = {"version_id_col": version}


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime]
    client_created_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    next_escalation_at: Mapped[datetime | None] = mapped_column(index=True)
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)  # retention selects by it
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy: Mapped[float | None] = mapped_column(Float)
    location_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    # A drill's alert (app/drills): no visit, its own recipients (DrillPerson), never counted in
    # statistics. A drill is deleted only after its alerts (retention), so no ON DELETE here.
    drill_id: Mapped[str | None] = mapped_column(ForeignKey("drills.id"), index=True)

    visit: Mapped[Visit | None] = relationship(back_populates="alerts")
    worker: Mapped[User] = relationship(foreign_keys=[worker_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    unit: Mapped[Unit | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.state != "resolved"

    @property
    def is_drill(self) -> bool:
        return self.drill_id is not None


class TimelineEvent(Base):
    """Everything that happened to a visit and its alerts, in order (shown to responders)."""

    __tablename__ = "timeline_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    alert_id: Mapped[str | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Hidden from the worker (duress): the worker's own views never show these.
    hidden_from_worker: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()
    # Declared so the unit of work inserts the visit/alert before its events.
    visit: Mapped[Visit | None] = relationship(viewonly=False)
    alert: Mapped[Alert | None] = relationship(viewonly=False)


class ClientAction(Base):
    """Idempotency record for replayed offline actions (check-out, extend, SOS) by client-made id."""

    __tablename__ = "client_actions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(64), default="")
    acted_at: Mapped[datetime | None]  # the user's time
    received_at: Mapped[datetime]  # the server's time
    response: Mapped[dict] = mapped_column(JSON, default=dict)


Index("ix_alerts_unit_state", Alert.unit_id, Alert.state)
