"""Drills (øvelser): a leader rehearses the alarm ladder with real alerts marked as drills.

A drill is one or more alerts (`Alert.drill_id`) that travel the real channels and tiers; who each
alert reaches, and from which tier, is written down when the drill starts (`DrillPerson`), so a
drill never depends on a visit (no place is ever involved) and its result can list everyone who
was meant to be reached, also those who never were."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UUIDStr
from app.models.org import Unit, User

DRILL_KINDS = ("person", "visit", "unit")
STOP_REASONS = ("leader", "real_alarm")
SKIP_REASONS = ("on_visit",)


class Drill(Base):
    __tablename__ = "drills"

    id: Mapped[str] = mapped_column(UUIDStr, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))  # person | visit | unit
    # The visit pattern: in whose name the pretend visit runs (never a real visit, never a place).
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(index=True)
    # Running until every alert of the drill has ended, unless stopped earlier.
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[str] = mapped_column(String(16), default="")  # leader | real_alarm
    stopped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    unit: Mapped[Unit] = relationship()
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id])
    worker: Mapped[User | None] = relationship(foreign_keys=[worker_id])
    stopped_by: Mapped[User | None] = relationship(foreign_keys=[stopped_by_id])
    people: Mapped[list[DrillPerson]] = relationship(back_populates="drill", order_by="DrillPerson.id",
                                                     cascade="all, delete-orphan")


class DrillPerson(Base):
    """One person a drill is meant to reach: through which of its alerts, and from which tier on."""

    __tablename__ = "drill_people"

    id: Mapped[int] = mapped_column(primary_key=True)
    drill_id: Mapped[str] = mapped_column(ForeignKey("drills.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # None for someone left out at the start (see `skipped`); SET NULL when retention deletes the alert.
    alert_id: Mapped[str | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"), index=True)
    tier: Mapped[int] = mapped_column(Integer, default=1)  # alerted from this level of the alert on
    skipped: Mapped[str] = mapped_column(String(16), default="")  # "" or on_visit: never alerted

    drill: Mapped[Drill] = relationship(back_populates="people")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("drill_id", "user_id", name="uq_drill_people_drill_user"),)
