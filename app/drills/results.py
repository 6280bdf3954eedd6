"""A drill's result: per person, when each message left (a channel accepted it), when it was
delivered to the phone (where the channel reports it) and when it was acknowledged.

"Left" is the channel's own delivery record (DeliveryAttempt ok: the push service answered 201, the
SMS gateway 2xx, the mail server 250). "Delivered" is the service worker's receipt on the phone
(`notifications.delivered_at`, issue 16); until that column exists it stays empty."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import Alert, DeliveryAttempt, Drill, DrillPerson, Notification, User

CHANNELS = ("push", "sms", "email")  # the log channel is for operators and never counts


@dataclass
class Message:
    """One alarm message of the drill to one person, at one level."""

    level: int
    written_at: datetime
    left: dict[str, datetime] = field(default_factory=dict)  # channel -> first accepted
    failed: list[str] = field(default_factory=list)  # channels that only failed
    delivered_at: datetime | None = None


@dataclass
class PersonResult:
    user: User
    tier: int
    status: str  # skipped | waiting | alerted | acknowledged | taken_by_other | missed | stopped | not_needed
    messages: list[Message] = field(default_factory=list)
    acked_at: datetime | None = None
    taken_by: User | None = None

    @property
    def sent_at(self) -> datetime | None:
        times = [t for m in self.messages for t in m.left.values()]
        return min(times) if times else None

    @property
    def delivered_at(self) -> datetime | None:
        times = [m.delivered_at for m in self.messages if m.delivered_at is not None]
        return min(times) if times else None


@dataclass
class DrillResult:
    drill: Drill
    state: str
    ended_at: datetime | None
    people: list[PersonResult]

    @property
    def reached(self) -> int:
        return sum(1 for p in self.people if p.sent_at is not None)

    @property
    def acknowledged(self) -> int:
        return sum(1 for p in self.people if p.acked_at is not None)

    def after_start(self, when: datetime | None) -> str:
        return after(self.drill.created_at, when)


def after(start: datetime, when: datetime | None) -> str:
    """How long after the start: "12 s", "2 min 5 s" (the same in Danish and English)."""
    if when is None:
        return ""
    seconds = max(0, round((when - start).total_seconds()))
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min {seconds % 60} s"


def _status(person: DrillPerson, alert: Alert | None, messages: list[Message], stopped: bool) -> str:
    if person.skipped or alert is None:
        return "skipped"
    if alert.owner_id == person.user_id:
        return "acknowledged"
    if alert.owner_id is not None:
        return "taken_by_other"
    if alert.state != "resolved":
        return "alerted" if messages else "waiting"
    if not messages:
        return "not_needed"
    return "stopped" if stopped else "missed"


def result(session: Session, drill: Drill) -> DrillResult:
    """A fixed number of queries, whatever the size of the drill."""
    people = list(session.execute(
        select(DrillPerson).where(DrillPerson.drill_id == drill.id).options(selectinload(DrillPerson.user))
        .order_by(DrillPerson.tier, DrillPerson.id)).scalars())
    alerts = {a.id: a for a in session.execute(
        select(Alert).where(Alert.drill_id == drill.id).options(selectinload(Alert.owner))).scalars()}
    # The alarm messages only (urgent): not the "X took it" or "the drill is over" that follow.
    notes = list(session.execute(select(Notification).where(
        Notification.alert_id.in_(list(alerts)), Notification.urgent.is_(True))
        .order_by(Notification.created_at)).scalars()) if alerts else []
    attempts = list(session.execute(select(DeliveryAttempt).where(
        DeliveryAttempt.notification_id.in_([n.id for n in notes]), DeliveryAttempt.channel.in_(CHANNELS))
        .order_by(DeliveryAttempt.at)).scalars()) if notes else []
    by_note: dict[str, Message] = {}
    per_person: dict[tuple[str, int], list[Message]] = {}
    for note in notes:
        level = (note.payload or {}).get("level") or _level_of(note.step_key)
        message = Message(level=level, written_at=note.created_at,
                          delivered_at=getattr(note, "delivered_at", None))
        by_note[note.id] = message
        per_person.setdefault((note.alert_id, note.recipient_id), []).append(message)
    failed: dict[str, set[str]] = {}
    for attempt in attempts:
        message = by_note[attempt.notification_id]
        if attempt.ok:
            message.left.setdefault(attempt.channel, attempt.at)
        else:
            failed.setdefault(attempt.notification_id, set()).add(attempt.channel)
    for note_id, channels in failed.items():
        by_note[note_id].failed = sorted(channels - set(by_note[note_id].left))
    stopped = drill.stopped_at is not None
    rows = []
    for person in people:
        alert = alerts.get(person.alert_id) if person.alert_id else None
        messages = per_person.get((person.alert_id, person.user_id), []) if alert else []
        rows.append(PersonResult(
            user=person.user, tier=person.tier, status=_status(person, alert, messages, stopped),
            messages=messages,
            acked_at=alert.acknowledged_at if alert is not None and alert.owner_id == person.user_id else None,
            taken_by=alert.owner if alert is not None and alert.owner_id not in (None, person.user_id) else None,
        ))
    state = "stopped" if stopped else "running" if any(a.state != "resolved" for a in alerts.values()) else "ended"
    ended = [a.resolved_at for a in alerts.values() if a.resolved_at is not None]
    ended_at = drill.stopped_at or (max(ended) if ended and state != "running" else None)
    return DrillResult(drill, state, ended_at, rows)


def _level_of(step_key: str) -> int:
    """alert:<id>:l2:0 -> 2 (when retention has emptied the payload)."""
    for part in step_key.split(":"):
        if part.startswith("l") and part[1:].isdigit():
            return int(part[1:])
    return 1
