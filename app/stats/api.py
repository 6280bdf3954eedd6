"""/api/v1/stats/alerts?month=YYYY-MM: the month's alert statistics (leaders, AMRs, administrators)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user
from pydantic import BaseModel, Field

from app import get_clock
from app.api import ApiError, endpoint
from app.extensions import db
from app.stats import services

bp = Blueprint("stats_api", __name__, url_prefix="/api/v1")


class Percentiles(BaseModel):
    p50: float | None
    p80: float | None
    p98_5: float | None


class AlertStatsOut(BaseModel):
    month: str = Field(description="YYYY-MM, a calendar month in Copenhagen time")
    unit: str | None = Field(description="the unit; null for every unit (administrators)")
    alerts: int = Field(description="alerts raised in the month; drills are never counted")
    by_reason: dict[str, int] = Field(description="overdue, sos, duress")
    by_outcome: dict[str, int] = Field(description="safe, false_alarm, incident, unresolved")
    ack_seconds: Percentiles = Field(description="raise to acknowledgement, nearest-rank percentiles")
    delivery_seconds: Percentiles = Field(description="raise to the first message a channel accepted")
    escalated: int = Field(description="overdue alerts that went up to level 2")
    unacknowledged: int = Field(description="alerts nobody acknowledged")
    false_alarm_share: float | None = Field(description="false alarms among alerts resolved with an outcome")
    ack_within: dict[str, float | None] = Field(description='share acknowledged within 10 and 40 s ("10", "40")')
    delivery_within: dict[str, float | None] = Field(description="share delivered within 10 and 40 s")


@endpoint(bp, "/stats/alerts", "GET", "Alert statistics of a month (query: month=YYYY-MM, unit=<id> for admins)",
          response=AlertStatsOut, errors=(400, 403, 404))
def alert_stats():
    raw_unit = request.args.get("unit", "").strip()
    if raw_unit and (not raw_unit.isdigit() or len(raw_unit) > 9):
        raise ApiError(400, "invalid_unit", "unit must be the number of a unit.")
    try:
        month = services.parse_month(request.args.get("month"), get_clock())
        stats = services.alert_stats(db.session, current_user, month, int(raw_unit) if raw_unit else None)
    except services.StatsError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    return jsonify(stats.as_json())
