"""/api/v1 for visits: colleagues, visits, extend, check-out, location, SOS, PINs."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from app import get_clock
from app.admin.services import find_user
from app.api import ApiError, endpoint, parse_body
from app.extensions import db, limiter
from app.visits import schemas, services
from app.visits.serializers import alert_out, visit_out

bp = Blueprint("visits_api", __name__, url_prefix="/api/v1")


def _fail(exc: services.VisitError):
    db.session.rollback()
    raise ApiError(exc.status, exc.code, exc.message) from None


@endpoint(bp, "/colleagues", "GET", "The people who can be my buddy")
def colleagues():
    return jsonify([{"username": u.username, "name": u.name} for u in services.colleagues(db.session, current_user)])


@endpoint(bp, "/visits", "POST", "Start a visit (idempotent by client-made id)", body=schemas.VisitCreate,
          response=schemas.VisitOut, status=201, errors=(409,),
          also={200: "A visit with this id was already started: the same visit, nothing new"})
def create_visit():
    body = parse_body(schemas.VisitCreate)
    buddy = find_user(db.session, body.buddy)
    if buddy is None:
        raise ApiError(400, "invalid_buddy", "Choose a colleague from your unit as buddy.")
    plan = services.VisitPlan(
        id=str(body.id), planned_end=body.planned_end, buddy=buddy, place=body.place,
        interrupt_at=body.interrupt_at, two_person=body.two_person, second_colleague=body.second_colleague,
        checklist=body.checklist, lat=body.lat, lon=body.lon, accuracy=body.accuracy,
        client_started_at=body.started_at,
    )
    try:
        visit, created = services.start(db.session, get_clock(), current_user, plan)
        answer = visit_out(visit, current_user)  # before the commit expires what it reads
        db.session.commit()
    except services.VisitError as exc:
        _fail(exc)
    return jsonify(answer), 201 if created else 200


@endpoint(bp, "/visits/<visit_id>", "GET", "A visit (mine, or one I respond to)", response=schemas.VisitOut)
def get_visit(visit_id: str):
    try:
        visit = services.visible_visit(db.session, current_user, visit_id)
    except services.VisitError as exc:
        _fail(exc)
    return jsonify(visit_out(visit, current_user))


@endpoint(bp, "/visits/<visit_id>/extend", "POST", "Extend my visit", body=schemas.Extend,
          response=schemas.VisitOut, errors=(409,))
def extend_visit(visit_id: str):
    body = parse_body(schemas.Extend)
    try:
        visit = services.extend(db.session, get_clock(), current_user, visit_id, body.minutes,
                                action_id=body.action_id, acted_at=body.acted_at)
        answer = visit_out(visit, current_user)
        db.session.commit()
    except services.VisitError as exc:
        _fail(exc)
    return jsonify(answer)


@endpoint(bp, "/visits/<visit_id>/checkout", "POST", "Check out (PIN when set; a duress PIN looks the same)",
          body=schemas.Checkout, response=schemas.VisitOut, body_required=False)
@limiter.limit("12 per minute", key_func=lambda: f"pin:{current_user.get_id()}")
def checkout_visit(visit_id: str):
    body = parse_body(schemas.Checkout, allow_empty=True)
    try:
        visit = services.checkout(db.session, get_clock(), current_user, visit_id, body.pin,
                                  action_id=body.action_id, acted_at=body.acted_at, lat=body.lat, lon=body.lon)
        answer = visit_out(visit, current_user)
        db.session.commit()
    except services.VisitError as exc:
        _fail(exc)
    return jsonify(answer)


@endpoint(bp, "/visits/<visit_id>/location", "POST", "Share my location during the visit or its alert",
          body=schemas.Location, status=204, errors=(409,))
def visit_location(visit_id: str):
    body = parse_body(schemas.Location)
    try:
        services.update_location(db.session, get_clock(), current_user, visit_id, body.lat, body.lon, body.accuracy)
        db.session.commit()
    except services.VisitError as exc:
        _fail(exc)
    return "", 204


@endpoint(bp, "/sos", "POST", "SOS: every responder is alerted at once (idempotent by optional id)",
          body=schemas.Sos, response=schemas.AlertOut, status=201, body_required=False,
          also={200: "An SOS with this id was already sent: the same alert, nothing new"})
def sos():
    body = parse_body(schemas.Sos, allow_empty=True)
    try:
        alert, created = services.sos(
            db.session, get_clock(), current_user, visit_id=str(body.visit_id) if body.visit_id else None,
            lat=body.lat, lon=body.lon, accuracy=body.accuracy, alert_id=str(body.id) if body.id else None,
            acted_at=body.acted_at,
        )
        db.session.commit()
    except services.VisitError as exc:
        _fail(exc)
    return jsonify(alert_out(alert)), 201 if created else 200


@endpoint(bp, "/me/pins", "PUT", "Set my check-out PIN and duress PIN", body=schemas.Pins, status=204)
def set_pins():
    body = parse_body(schemas.Pins)
    try:
        services.set_pins(db.session, current_user, body.checkout_pin, body.duress_pin)
    except services.VisitError as exc:
        _fail(exc)
    from app import audit

    audit.record(db.session, "pins.set", actor_id=current_user.id)
    db.session.commit()
    return "", 204


@endpoint(bp, "/me/pins", "DELETE", "Remove my PINs (check-out without PIN)", status=204)
def delete_pins():
    services.clear_pins(db.session, current_user)
    db.session.commit()
    return "", 204
