"""JSON bodies and answers of the drills API (pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DrillStart(BaseModel):
    """Exactly one of: `username` (one person), `unit: true` (the whole unit), or `worker` and
    `buddy` (a visit pattern)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    username: str | None = Field(default=None, min_length=1, max_length=64,
                                 description="one person: is this person reached?")
    unit: bool = Field(default=False, description="the whole unit: everyone who answers alarms, except you")
    worker: str | None = Field(default=None, min_length=1, max_length=64,
                               description="a visit pattern: the worker of the pretend visit")
    buddy: str | None = Field(default=None, min_length=1, max_length=64,
                              description="a visit pattern: the buddy, alerted at level 1")


class DrillPersonOut(BaseModel):
    username: str
    name: str
    tier: int = Field(description="alerted from this level on")
    status: Literal["skipped", "waiting", "alerted", "acknowledged", "taken_by_other", "missed", "stopped",
                    "not_needed"]
    skipped: str = Field(description='"on_visit": not alerted, because a drill never disturbs a visit')
    sent_at: datetime | None = Field(description="when the first message left (a channel accepted it)")
    delivered_at: datetime | None = Field(description="when the phone received it, where the channel reports it")
    acked_at: datetime | None = Field(description="when this person took it")
    taken_by: str | None = Field(description="who took it, when someone else did (a visit pattern)")
    channels: dict[str, datetime] = Field(description="per channel (push, sms, email): when it first left")


class DrillOut(BaseModel):
    id: str
    state: Literal["running", "ended", "stopped"]
    kind: Literal["person", "visit", "unit"]
    unit: str
    started_by: str
    started_at: datetime
    ended_at: datetime | None
    stop_reason: str = Field(description='"leader" or "real_alarm" when stopped')
    worker: str | None = Field(description="a visit pattern: in whose name it ran")
    people: list[DrillPersonOut]
