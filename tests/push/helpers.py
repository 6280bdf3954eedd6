"""Small helpers shared by the push tests."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from app.admin.services import find_user
from app.alerts import services as alerts
from app.models import DeliveryAttempt, OutboxEntry
from app.notify import outbox
from app.push import services
from app.visits import services as visits

UA_ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"


def people(session):
    return {name: find_user(session, name) for name in ("anna", "bo", "lene", "ali", "admin")}


def add_sub(session, clock, user, fake_sub, *, user_agent=UA_ANDROID, allowed=None):
    sub, _ = services.subscribe(
        session, clock, user, endpoint=fake_sub.endpoint, p256dh=fake_sub.p256dh, auth=fake_sub.auth,
        user_agent=user_agent, allowed_hosts=allowed or (fake_sub.endpoint.split("/")[2],),
    )
    session.commit()
    return sub


def notify(session, clock, user, *, type="test", urgent=False, payload=None, tag=None, alert_id=None, visit_id=None):
    n = outbox.enqueue(
        session, clock, user, type=type, step_key=f"t:{uuid.uuid4()}", tag=tag or f"{type}-{uuid.uuid4().hex[:8]}",
        payload=payload or {"title": "Test", "body": "Hello", "url": "/"}, urgent=urgent, alert_id=alert_id,
        visit_id=visit_id,
    )
    session.commit()
    return n


def start_visit(session, clock, worker, buddy, minutes=60):
    plan = visits.VisitPlan(id=str(uuid.uuid4()), planned_end=clock.now() + timedelta(minutes=minutes),
                            buddy=buddy, place="Vestergade 1, 2. th")
    visit, _ = visits.start(session, clock, worker, plan)
    session.commit()
    return visit


def raise_alert(session, clock, worker, buddy, reason="sos"):
    visit = start_visit(session, clock, worker, buddy)
    alert = alerts.raise_alert(session, clock, worker, reason=reason, visit=visit)
    session.commit()
    return alert


def entries(session, channel=None, notification_id=None):
    q = select(OutboxEntry).order_by(OutboxEntry.id)
    if channel:
        q = q.where(OutboxEntry.channel == channel)
    if notification_id:
        q = q.where(OutboxEntry.notification_id == notification_id)
    session.expire_all()
    return list(session.execute(q).scalars())


def attempts(session, channel=None):
    q = select(DeliveryAttempt).order_by(DeliveryAttempt.id)
    if channel:
        q = q.where(DeliveryAttempt.channel == channel)
    return list(session.execute(q).scalars())


def dispatch(session, clock):
    report = outbox.dispatch_due(session, clock)
    session.expire_all()
    return report
