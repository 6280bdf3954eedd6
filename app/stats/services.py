"""Alert statistics per month and unit. Plain functions: a session, the viewer, a month.

Definitions (README "Alert statistics"; the same for the page, the CSV and the JSON API):
- The month is a calendar month in Copenhagen time; an alert belongs to the month it was raised in
  (`created_at`, when it reached the server). Drills' alerts never count.
- Time to first delivery: from raising to the first moment one of its alarm messages (type `alert`)
  was accepted by a channel, push service, SMS gateway or mail server (DeliveryAttempt ok; the
  operators' log channel never counts). Alerts never delivered have no value.
- Time to acknowledgement: from raising to the first "Jeg tager den" (or to the resolve by a
  responder who resolved without taking it first). Alerts nobody acknowledged have no value.
- Percentiles: the nearest-rank method. Of n values sorted ascending, the p-th percentile is the
  value at rank ceil(p/100 * n), counted from 1; none for n = 0. It is always an observed value,
  and it reads as BS 8484 does: p80 is the time within which at least 80 % were acknowledged.
- Escalated: overdue alerts that went up to level 2 because nobody took level 1 in time (SOS and
  the silent alarm start at level 2 and are not counted here).
- Unacknowledged: alerts nobody acknowledged, however they ended (also those the worker's own late
  check-out resolved).
- False-alarm share: false alarms among the alerts resolved with an outcome (safe, false alarm,
  incident); none when no alert has an outcome yet."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from fractions import Fraction
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import Alert, DeliveryAttempt, Notification, Unit, User
from app.models.org import RESPONDER_ROLES
from app.models.visits import ALERT_REASONS, OUTCOMES

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
CHANNELS = ("push", "sms", "email")
P50, P80, P98_5 = Fraction(1, 2), Fraction(4, 5), Fraction(197, 200)
# BS 8484's alarm-centre figures, as a reference: 80 % within 10 s and 98.5 % within 40 s.
BS8484 = ((P80, 10), (P98_5, 40))
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class StatsError(Exception):
    def __init__(self, status: int, code: str, message) -> None:
        super().__init__(str(message))
        self.status, self.code, self.message = status, code, str(message)


def may_view(user: User) -> bool:
    return bool(user.is_authenticated and user.active and (
        user.role == "admin" or (user.role in RESPONDER_ROLES and user.unit_id is not None)))


def parse_month(text: str | None, clock: Clock) -> date:
    """YYYY-MM (years 1900-2199) as the month's first day; the current month when empty."""
    if not text:
        today = clock.now().astimezone(LOCAL_TZ).date()
        return today.replace(day=1)
    match = MONTH_RE.match(text.strip())
    if match is None or not 1900 <= int(match.group(1)) <= 2199 or not 1 <= int(match.group(2)) <= 12:
        raise StatsError(400, "invalid_month", _l("Give the month as YYYY-MM, e.g. 2026-03."))
    return date(int(match.group(1)), int(match.group(2)), 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    lo = datetime.combine(month, time.min, LOCAL_TZ).astimezone(UTC)
    hi = datetime.combine(next_month(month), time.min, LOCAL_TZ).astimezone(UTC)
    return lo, hi


def percentile(values: list[float], p: Fraction) -> float | None:
    """Nearest rank: the value at rank ceil(p * n) (1-based) of the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-p.numerator * len(ordered) // p.denominator)  # ceil, in integers: no rounding error
    return ordered[max(rank, 1) - 1]


def share_within(values: list[float], seconds: float) -> float | None:
    """The share of all `values` at most `seconds` (None without values)."""
    if not values:
        return None
    return sum(1 for v in values if v <= seconds) / len(values)


@dataclass
class AlertRow:
    """One alert as the CSV shows it: no names, no places."""

    created_at: datetime
    unit: str
    reason: str
    level: int
    outcome: str  # safe | false_alarm | incident | unresolved
    escalated: bool
    delivery_seconds: float | None
    ack_seconds: float | None


@dataclass
class AlertStats:
    month: date
    unit: Unit | None  # None: every unit (administrators)
    rows: list[AlertRow]

    @property
    def alerts(self) -> int:
        return len(self.rows)

    @property
    def by_reason(self) -> dict[str, int]:
        return {r: sum(1 for row in self.rows if row.reason == r) for r in ALERT_REASONS}

    @property
    def by_outcome(self) -> dict[str, int]:
        return {o: sum(1 for row in self.rows if row.outcome == o) for o in (*OUTCOMES, "unresolved")}

    @property
    def ack_values(self) -> list[float]:
        return sorted(r.ack_seconds for r in self.rows if r.ack_seconds is not None)

    @property
    def delivery_values(self) -> list[float]:
        return sorted(r.delivery_seconds for r in self.rows if r.delivery_seconds is not None)

    @property
    def escalated(self) -> int:
        return sum(1 for r in self.rows if r.escalated)

    @property
    def unacknowledged(self) -> int:
        return sum(1 for r in self.rows if r.ack_seconds is None)

    @property
    def false_alarm_share(self) -> float | None:
        outcomes = self.by_outcome
        decided = sum(outcomes[o] for o in OUTCOMES)
        return round(outcomes["false_alarm"] / decided, 4) if decided else None

    def percentiles(self, values: list[float]) -> dict[str, float | None]:
        return {key: _seconds(percentile(values, p)) for key, p in (("p50", P50), ("p80", P80), ("p98_5", P98_5))}

    def as_json(self) -> dict:
        delivery = self.percentiles(self.delivery_values)
        return {
            "month": self.month.strftime("%Y-%m"),
            "unit": self.unit.name if self.unit else None,
            "alerts": self.alerts,
            "by_reason": self.by_reason,
            "by_outcome": self.by_outcome,
            "ack_seconds": self.percentiles(self.ack_values),
            "delivery_seconds": {"p50": delivery["p50"], "p80": delivery["p80"], "p98_5": delivery["p98_5"]},
            "escalated": self.escalated,
            "unacknowledged": self.unacknowledged,
            "false_alarm_share": self.false_alarm_share,
            "ack_within": {str(s): _share(share_within(self.ack_values, s)) for _p, s in BS8484},
            "delivery_within": {str(s): _share(share_within(self.delivery_values, s)) for _p, s in BS8484},
        }


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def scope(session: Session, viewer: User, unit_id: int | None) -> Unit | None:
    """The unit the viewer may see: their own; an administrator any unit, or every unit (None)."""
    if not may_view(viewer):
        raise StatsError(403, "forbidden", _l("Only leaders, AMRs and administrators see the alert statistics."))
    if viewer.role == "admin":
        if unit_id is None:
            return None
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise StatsError(404, "not_found", _l("There is no such unit."))
        return unit
    if unit_id is not None and unit_id != viewer.unit_id:
        raise StatsError(403, "forbidden", _l("You see the statistics of your own unit only."))
    return viewer.unit


def alert_stats(session: Session, viewer: User, month: date, unit_id: int | None = None) -> AlertStats:
    unit = scope(session, viewer, unit_id)
    lo, hi = month_bounds(month)
    where = [Alert.drill_id.is_(None), Alert.created_at >= lo, Alert.created_at < hi]
    if unit is not None:
        where.append(Alert.unit_id == unit.id)
    ids = select(Alert.id).where(*where).scalar_subquery()
    first_delivery = dict(session.execute(
        select(DeliveryAttempt.alert_id, func.min(DeliveryAttempt.at))
        .join(Notification, Notification.id == DeliveryAttempt.notification_id)
        .where(DeliveryAttempt.alert_id.in_(ids), DeliveryAttempt.ok.is_(True),
               DeliveryAttempt.channel.in_(CHANNELS), Notification.type == "alert")
        .group_by(DeliveryAttempt.alert_id)).all())
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    rows = []
    for a in session.execute(select(Alert).where(*where).order_by(Alert.created_at)).scalars():
        delivered = first_delivery.get(a.id)
        rows.append(AlertRow(
            created_at=a.created_at, unit=units.get(a.unit_id, ""), reason=a.reason, level=a.level,
            outcome=a.outcome if a.state == "resolved" and a.outcome in OUTCOMES else "unresolved",
            escalated=a.reason == "overdue" and a.escalated_at is not None,
            delivery_seconds=_elapsed(a.created_at, delivered),
            ack_seconds=_elapsed(a.created_at, a.acknowledged_at),
        ))
    return AlertStats(month, unit, rows)


def _elapsed(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else max(0.0, (end - start).total_seconds())
