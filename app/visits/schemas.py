"""JSON bodies and answers of the visits and alerts API (pydantic)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.api.core import ApiTime


class Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class VisitCreate(Strict):
    id: uuid.UUID
    planned_end: ApiTime
    buddy: str = Field(min_length=1, max_length=64, description="username of the buddy")
    place: str = Field(min_length=1, max_length=500)
    interrupt_at: ApiTime | None = None
    two_person: bool = False
    second_colleague: str = Field(default="", max_length=120)
    checklist: dict[str, bool] = Field(default_factory=dict)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    accuracy: float | None = Field(default=None, ge=0, le=100000)
    started_at: ApiTime | None = Field(default=None, description="when the user tapped (offline)")

    @field_validator("checklist")
    @classmethod
    def _small(cls, value: dict) -> dict:
        if len(value) > 20:
            raise ValueError("too many checklist items")
        return value


class ActionMeta(Strict):
    action_id: str | None = Field(default=None, max_length=64, description="client-made id of a queued action")
    acted_at: ApiTime | None = Field(default=None, description="when the user tapped (offline)")


class Extend(ActionMeta):
    minutes: int = Field(ge=1, le=240)


class Checkout(ActionMeta):
    pin: str | None = Field(default=None, max_length=8, pattern=r"^\d*$")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class Location(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy: float | None = Field(default=None, ge=0, le=100000)


class Sos(Strict):
    id: uuid.UUID | None = Field(default=None, description="client-made id; the same id again creates nothing")
    visit_id: uuid.UUID | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    accuracy: float | None = Field(default=None, ge=0, le=100000)
    acted_at: ApiTime | None = None


class Pins(Strict):
    checkout_pin: str = Field(pattern=r"^\d{4,8}$")
    duress_pin: str = Field(pattern=r"^\d{4,8}$")


class Resolve(Strict):
    outcome: Literal["safe", "false_alarm", "incident"]
    note: str = Field(default="", max_length=2000)


class VisitOut(BaseModel):
    id: str
    state: Literal["active", "overdue", "alarm", "closed"]
    planned_end: datetime
    started_at: datetime
    buddy: str
    buddy_name: str
    worker: str
    worker_name: str
    place: str | None = Field(description="null when the place is sealed for the reader")
    interrupt_at: datetime | None = None
    two_person: bool = False
    second_colleague: str = ""
    checklist: dict[str, bool] = {}
    outside_opening_hours: bool = False
    closed_at: datetime | None = None
    lat: float | None = None
    lon: float | None = None


class AlertOut(BaseModel):
    id: str
    visit_id: str | None
    reason: Literal["overdue", "sos", "duress"]
    level: int
    state: Literal["open", "acknowledged", "resolved"]
    owner: str | None
    owner_name: str | None
    worker: str
    worker_name: str
    worker_phone: str
    created_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    outcome: str | None
    note: str
    place: str | None
    lat: float | None
    lon: float | None
    location_at: datetime | None
    drill: bool = Field(default=False, description="true for a drill's alert (app/drills): nobody is in danger")


class Colleague(BaseModel):
    username: str
    name: str
