"""The alert statistics page and its CSV (leaders, AMRs, administrators; others 403)."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app import get_clock
from app.extensions import db
from app.models import Unit
from app.stats import services
from app.stats.chart import cumulative_chart

bp = Blueprint("stats", __name__, url_prefix="/stats")


def _unit_arg() -> int | None:
    raw = request.args.get("unit", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        abort(404)
    return int(raw)


def _load():
    if not services.may_view(current_user):
        abort(403)
    try:
        month = services.parse_month(request.args.get("month"), get_clock())
        return services.alert_stats(db.session, current_user, month, _unit_arg())
    except services.StatsError as exc:
        if exc.status == 400:
            return exc
        abort(exc.status)


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f} %"


def _secs(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds:.0f} s" if seconds < 120 else f"{format_decimal(seconds / 60, '0.0')} min"


@bp.get("/alerts")
@login_required
def alerts():
    stats = _load()
    if isinstance(stats, services.StatsError):
        flash(stats.message, "error")
        return redirect(url_for("stats.alerts"))
    ack, delivery = stats.ack_values, stats.delivery_values
    description = _("Acknowledged within 10 s: %(a10)s, within 40 s: %(a40)s. First delivery within 10 s: "
                    "%(d10)s. BS 8484 reference: 80 %% within 10 s and 98.5 %% within 40 s.",
                    a10=_pct(services.share_within(ack, 10)), a40=_pct(services.share_within(ack, 40)),
                    d10=_pct(services.share_within(delivery, 10)))
    chart = cumulative_chart(
        [("chart-delivery", _("First delivery"), delivery), ("chart-ack", _("Acknowledged"), ack)],
        title=_("Share of alerts delivered and acknowledged within a given time"), description=description,
        hour_label=_("1 h"), reference_label=_("BS 8484"))
    units = list(db.session.execute(select(Unit).order_by(Unit.name)).scalars()) \
        if current_user.role == "admin" else []
    return render_template(
        "stats/alerts.html", stats=stats, chart=chart, units=units, pct=_pct, secs=_secs,
        month_label=format_date(stats.month, "MMMM yyyy"), ref_98_5=f"{format_decimal(98.5, '0.0')} %",
        previous=services.previous_month(stats.month).strftime("%Y-%m"),
        following=services.next_month(stats.month).strftime("%Y-%m"),
        ack=stats.percentiles(ack), delivery=stats.percentiles(delivery),
        ack_within={s: services.share_within(ack, s) for _p, s in services.BS8484},
        delivery_within={s: services.share_within(delivery, s) for _p, s in services.BS8484},
    )


def _csv_safe(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@bp.get("/alerts.csv")
@login_required
def alerts_csv():
    stats = _load()
    if isinstance(stats, services.StatsError):
        abort(400)
    reasons = {"overdue": _("Not checked out"), "sos": _("SOS"), "duress": _("Silent alarm")}
    outcomes = {"safe": _("Safe"), "false_alarm": _("False alarm"), "incident": _("Incident"),
                "unresolved": _("Not resolved")}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Raised"), _("Unit"), _("Reason"), _("Highest level"), _("Outcome"),
                     _("Escalated to level 2"), _("Seconds to first delivery"), _("Seconds to acknowledgement")])
    for row in stats.rows:
        writer.writerow([
            row.created_at.astimezone(services.LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"), _csv_safe(row.unit),
            reasons.get(row.reason, row.reason), row.level, outcomes.get(row.outcome, row.outcome),
            _("Yes") if row.escalated else _("No"),
            "" if row.delivery_seconds is None else round(row.delivery_seconds),
            "" if row.ack_seconds is None else round(row.ack_seconds),
        ])
    response = make_response("\ufeff" + out.getvalue())  # a BOM: spreadsheets then read UTF-8 (æøå)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="alerts-{stats.month:%Y-%m}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
