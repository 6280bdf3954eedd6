"""The `drills` live topic for leaders, AMRs and administrators: the state of their unit's latest
drills (each alert's version, and the newest delivery record of their messages), so a result page
fills in by itself as messages leave, people take it and it ends."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.drills.services import may_run_drills
from app.live import token_of
from app.models import Alert, DeliveryAttempt, Drill

LATEST = 5


def drills_token(session: Session, user) -> str | None:
    if not may_run_drills(user):
        return None
    latest = select(Drill.id).order_by(Drill.created_at.desc()).limit(LATEST)
    if user.role != "admin":
        latest = latest.where(Drill.unit_id == user.unit_id)
    ids = list(session.execute(latest).scalars())
    if not ids:
        return token_of([])
    alerts = session.execute(select(Alert.id, Alert.version).where(Alert.drill_id.in_(ids)).order_by(Alert.id)).all()
    newest = session.execute(select(func.max(DeliveryAttempt.id), func.count()).where(
        DeliveryAttempt.alert_id.in_([a.id for a in alerts]))).one() if alerts else (None, 0)
    stopped = session.execute(select(Drill.id, Drill.stopped_at).where(Drill.id.in_(ids)).order_by(Drill.id)).all()
    return token_of([tuple(a) for a in alerts] + [tuple(newest)] + [(d, s.isoformat() if s else None)
                                                                  for d, s in stopped])
