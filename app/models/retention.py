"""One row per retention run: the claim of a scheduled day, its progress, its counts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class RetentionRun(Base):
    """A purge: scheduled by the watchdog (one per local day: `day` is unique, so only one watchdog
    claims it) or run by `flask purge` (`day` is NULL). Counts are kept as the run progresses."""

    __tablename__ = "retention_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date | None] = mapped_column(Date, unique=True)
    trigger: Mapped[str] = mapped_column(String(16), default="schedule", server_default="schedule")
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]
    # The next rule to work on (a scheduled run is done a few batches per watchdog tick).
    stage: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    worker: Mapped[str] = mapped_column(String(120), default="", server_default="")
    lease_until: Mapped[datetime | None]
    counts: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    policy: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    error: Mapped[str] = mapped_column(Text, default="", server_default="")
