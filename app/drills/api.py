"""/api/v1 for drills: start one, read its result, stop it (leaders, AMRs, administrators)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from app import get_clock
from app.api import ApiError, endpoint, parse_body
from app.drills import results, schemas, services
from app.extensions import db

bp = Blueprint("drills_api", __name__, url_prefix="/api/v1")


def _fail(exc: services.DrillError):
    db.session.rollback()
    raise ApiError(exc.status, exc.code, exc.message) from None


def _drill(drill_id: str):
    if not services.may_run_drills(current_user):
        raise ApiError(403, "forbidden", "Only leaders, AMRs and administrators see drills.")
    try:
        return services.visible_drill(db.session, current_user, drill_id)
    except services.DrillError as exc:
        _fail(exc)


def drill_out(result: results.DrillResult) -> dict:
    drill = result.drill
    return schemas.DrillOut(
        id=drill.id, state=result.state, kind=drill.kind, unit=drill.unit.name, started_by=drill.started_by.username,
        started_at=drill.created_at, ended_at=result.ended_at, stop_reason=drill.stop_reason or "",
        worker=drill.worker.username if drill.worker else None,
        people=[schemas.DrillPersonOut(
            username=p.user.username, name=p.user.name, tier=p.tier, status=p.status,
            skipped="on_visit" if p.status == "skipped" else "", sent_at=p.sent_at, delivered_at=p.delivered_at,
            acked_at=p.acked_at, taken_by=p.taken_by.username if p.taken_by else None,
            channels={c: t for m in reversed(p.messages) for c, t in m.left.items()},
        ) for p in result.people],
    ).model_dump(mode="json")


@endpoint(bp, "/drills", "POST", "Start a drill: a real alert marked as a drill through the real ladder",
          body=schemas.DrillStart, response=schemas.DrillOut, status=201, errors=(403, 404, 409))
def start_drill():
    body = parse_body(schemas.DrillStart)
    try:
        plan = services.plan(db.session, current_user, username=body.username, unit=body.unit,
                             worker=body.worker, buddy=body.buddy)
        drill = services.start(db.session, get_clock(), current_user, plan)
        db.session.commit()
    except services.DrillError as exc:
        _fail(exc)
    return jsonify(drill_out(results.result(db.session, drill))), 201


@endpoint(bp, "/drills/<drill_id>", "GET", "A drill's result: per person when it left, arrived, was taken",
          response=schemas.DrillOut, errors=(403, 404))
def get_drill(drill_id: str):
    return jsonify(drill_out(results.result(db.session, _drill(drill_id))))


@endpoint(bp, "/drills/<drill_id>/stop", "POST", "Stop a running drill", response=schemas.DrillOut,
          errors=(403, 404, 409))
def stop_drill(drill_id: str):
    drill = _drill(drill_id)
    try:
        services.stop(db.session, get_clock(), drill, current_user)
        db.session.commit()
    except services.DrillError as exc:
        _fail(exc)
    return jsonify(drill_out(results.result(db.session, drill)))
