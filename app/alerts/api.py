"""/api/v1 for alerts: the ones I respond to, acknowledge, resolve."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from app import get_clock
from app.alerts import services
from app.api import ApiError, endpoint, parse_body
from app.extensions import db
from app.visits import schemas
from app.visits.serializers import alert_out

bp = Blueprint("alerts_api", __name__, url_prefix="/api/v1")


def _alert(alert_id: str):
    try:
        return services.visible_alert(db.session, current_user, alert_id)
    except services.AlertError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None


@endpoint(bp, "/alerts", "GET", "The open alerts I am a responder for")
def list_alerts():
    return jsonify([alert_out(a) for a in services.open_alerts_for(db.session, current_user)])


@endpoint(bp, "/alerts/<alert_id>", "GET", "An alert I respond to", response=schemas.AlertOut)
def get_alert(alert_id: str):
    return jsonify(alert_out(_alert(alert_id)))


@endpoint(bp, "/alerts/<alert_id>/ack", "POST", "Acknowledge: the first to do so owns the alert",
          response=schemas.AlertOut, errors=(409,))
def ack_alert(alert_id: str):
    alert = _alert(alert_id)
    if alert.state == "resolved":
        raise ApiError(409, "already_resolved", "The alert is already resolved.")
    if not services.acknowledge(db.session, get_clock(), alert, current_user):
        alert = _alert(alert_id)
        raise ApiError(409, "already_acknowledged", f"{alert.owner.name if alert.owner else '?'} already took it.",
                       owner=alert.owner.username if alert.owner else None)
    db.session.commit()
    return jsonify(alert_out(_alert(alert_id)))


@endpoint(bp, "/alerts/<alert_id>/resolve", "POST", "Resolve with an outcome and a note",
          body=schemas.Resolve, response=schemas.AlertOut, errors=(409,))
def resolve_alert(alert_id: str):
    body = parse_body(schemas.Resolve)
    alert = _alert(alert_id)
    from app.textcheck import contains_cpr

    if contains_cpr(body.note):
        raise ApiError(400, "cpr_number", "Do not write CPR numbers in Makker.")
    try:
        services.resolve(db.session, get_clock(), alert, current_user, body.outcome, body.note)
    except services.AlertError as exc:
        db.session.rollback()
        raise ApiError(exc.status, exc.code, exc.message) from None
    db.session.commit()
    return jsonify(alert_out(alert))
