"""Incidents (hændelser): the employee's own note, the leader's review, the follow-up and the checklist
that leads to the SafetyNet registration."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UUIDStr
from app.models.org import Unit, User

KINDS = ("threat", "violence", "offensive", "sexual_harassment", "bullying", "near_miss", "accident")
CONTEXTS = ("in_person", "phone", "digital", "internal", "off_duty")
INJURIES = ("none", "physical", "psychological")
POLICE = ("called", "wants_report", "no")
STATUSES = ("draft", "submitted", "in_review", "registered", "closed")
# The guideline's leader checklist, in its order.
CHECK_ITEMS = ("cared_for", "help_started", "group_informed", "safetynet", "police_report")
HELP_CHOICES = ("crisis_line", "first_aid", "other", "declined")
POLICE_REPORT_CHOICES = ("made", "not_relevant", "employee_reports")


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)  # made by the client (offline outbox)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"), index=True)
    alert_id: Mapped[str | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)

    kind: Mapped[str] = mapped_column(String(24), default="")  # "" until chosen (drafts)
    context: Mapped[str] = mapped_column(String(16), default="")
    occurred_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")  # during
    after: Mapped[str] = mapped_column(Text, default="")
    involved: Mapped[str] = mapped_column(Text, default="")
    witnesses: Mapped[str] = mapped_column(Text, default="")
    injury: Mapped[str] = mapped_column(String(16), default="")
    absence_expected: Mapped[bool] = mapped_column(Boolean, default=False)
    police: Mapped[str] = mapped_column(String(16), default="")
    alarm_used: Mapped[bool] = mapped_column(Boolean, default=False)

    created_at: Mapped[datetime]  # server time
    client_created_at: Mapped[datetime | None]  # when the note was written on the phone (offline)
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    review_started_at: Mapped[datetime | None]
    review_started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    registered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    # Follow-up: the supportive conversation and the one-week message.
    followup_due_at: Mapped[datetime | None] = mapped_column(index=True)
    followup_next_reminder_at: Mapped[datetime | None] = mapped_column(index=True)
    followup_reminded_at: Mapped[datetime | None]
    followup_reminders: Mapped[int] = mapped_column(Integer, default=0)
    followup_held_at: Mapped[datetime | None]
    followup_held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    followup_declined: Mapped[bool] = mapped_column(Boolean, default=False)
    week_message_due_at: Mapped[datetime | None] = mapped_column(index=True)
    week_message_sent_at: Mapped[datetime | None]

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    unit: Mapped[Unit | None] = relationship()
    review_started_by: Mapped[User | None] = relationship(foreign_keys=[review_started_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    followup_held_by: Mapped[User | None] = relationship(foreign_keys=[followup_held_by_id])
    comments: Mapped[list[IncidentComment]] = relationship(
        back_populates="incident", order_by="IncidentComment.at", cascade="all, delete-orphan"
    )
    checks: Mapped[list[IncidentCheck]] = relationship(
        back_populates="incident", cascade="all, delete-orphan"
    )

    def check(self, item: str) -> IncidentCheck | None:
        return next((c for c in self.checks if c.item == item), None)


class IncidentComment(Base):
    """Comments back and forth between the reviewers and the author (e.g. asking for more detail)."""

    __tablename__ = "incident_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)

    incident: Mapped[Incident] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()


class IncidentCheck(Base):
    """One item of the leader's checklist: done by whom and when, with its details."""

    __tablename__ = "incident_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(24))
    done_at: Mapped[datetime]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    choice: Mapped[str] = mapped_column(String(24), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(String(64), default="")  # SafetyNet reference
    on_date: Mapped[date | None] = mapped_column(Date)  # the date it was registered in SafetyNet
    with_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # the AMR

    incident: Mapped[Incident] = relationship(back_populates="checks")
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])
    with_user: Mapped[User | None] = relationship(foreign_keys=[with_user_id])

    __table_args__ = (UniqueConstraint("incident_id", "item", name="uq_incident_checks_incident_item"),)


Index("ix_incidents_unit_status", Incident.unit_id, Incident.status)
