"""Rows at exact ages for the retention tests, written straight to the models (no services, no clock games)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from app.models import (
    Alert,
    AmbulanceLetter,
    AuditEntry,
    ClientAction,
    DeliveryAttempt,
    Incident,
    IncidentCheck,
    IncidentComment,
    MailSinkMessage,
    NextOfKin,
    Notification,
    OutboxEntry,
    PushSubscription,
    TimelineEvent,
    User,
    UserSession,
    Visit,
)

SECOND = timedelta(seconds=1)


def user(session, username: str = "anna") -> User:
    return session.execute(select(User).where(User.username == username)).scalar_one()


def visit(session, *, closed_at: datetime | None, state: str = "closed", place: str = "Nørregade 1, 2. tv",
          started_at: datetime | None = None) -> Visit:
    anna, bo = user(session, "anna"), user(session, "bo")
    started = started_at or closed_at - timedelta(hours=1)
    row = Visit(id=str(uuid.uuid4()), worker_id=anna.id, buddy_id=bo.id, unit_id=anna.unit_id, state=state,
                started_at=started, planned_end=started + timedelta(minutes=45), place=place, lat=55.68,
                lon=12.57, accuracy=12.0, location_at=started, closed_at=closed_at,
                close_kind="checkout" if state == "closed" else "")
    session.add(row)
    session.add(TimelineEvent(visit=row, at=started, kind="visit.started", detail={"buddy": "Bo Nielsen"}))
    session.flush()
    return row


def alert(session, visit_row: Visit | None = None, *, state: str = "resolved", resolved_at: datetime | None = None,
          created_at: datetime | None = None) -> Alert:
    anna = user(session, "anna")
    created = created_at or resolved_at - timedelta(minutes=20)
    row = Alert(id=str(uuid.uuid4()), visit=visit_row, worker_id=anna.id, unit_id=anna.unit_id, reason="sos",
                level=2, state=state, created_at=created, resolved_at=resolved_at,
                outcome="safe" if state == "resolved" else None, lat=55.68, lon=12.57, accuracy=8.0,
                location_at=created)
    session.add(row)
    session.add(TimelineEvent(alert=row, visit=visit_row, at=created, kind="alert.sos", detail={"level": 2}))
    session.flush()
    notification(session, "lene", alert_row=row, visit_row=visit_row, created_at=created, type="alert",
                 body="Place: Nørregade 1, 2. tv. Open Makker, take the alert and call Anna.")
    return row


def notification(session, username: str = "anna", *, created_at: datetime, type: str = "reminder",
                 alert_row: Alert | None = None, visit_row: Visit | None = None, state: str = "sent",
                 body: str = "Check out or extend.") -> Notification:
    recipient = user(session, username)
    row = Notification(id=str(uuid.uuid4()), recipient_id=recipient.id, type=type,
                       step_key=f"test:{uuid.uuid4()}", tag="test", payload={"title": "Makker", "body": body},
                       alert=alert_row, visit=visit_row, created_at=created_at, due_at=created_at)
    session.add(row)
    session.flush()
    entry = OutboxEntry(notification_id=row.id, channel="push", state=state, attempts=1,
                        next_attempt_at=created_at, sent_at=created_at if state == "sent" else None)
    session.add(entry)
    session.flush()
    session.add(DeliveryAttempt(outbox_id=entry.id, notification_id=row.id, alert_id=alert_row.id if alert_row else None,
                                recipient_id=recipient.id, channel="push", at=created_at, ok=state == "sent",
                                status=201))
    session.flush()
    return row


def incident(session, *, status: str, at: datetime, visit_row: Visit | None = None,
             alert_row: Alert | None = None) -> Incident:
    """An incident whose last milestone (closing, registration or last draft change) was at `at`."""
    anna, lene = user(session, "anna"), user(session, "lene")
    created = at - timedelta(days=20)
    row = Incident(id=str(uuid.uuid4()), author_id=anna.id, unit_id=anna.unit_id, visit_id=visit_row.id if visit_row
                   else None, alert_id=alert_row.id if alert_row else None, status=status, kind="threat",
                   context="in_person", occurred_at=created, place="Nørregade 1", description="Truede mig.",
                   created_at=created, updated_at=at if status == "draft" else created,
                   submitted_at=None if status == "draft" else created + timedelta(days=1))
    if status in ("registered", "closed"):
        row.registered_at = at if status == "registered" else at - timedelta(days=3)
    if status == "closed":
        row.closed_at = at
    session.add(row)
    session.flush()
    session.add(IncidentComment(incident_id=row.id, author_id=lene.id, at=created, body="Tak, vi tager en snak."))
    session.add(IncidentCheck(incident_id=row.id, item="safetynet", done_at=created, done_by_id=lene.id,
                              reference="SN-1", on_date=date(2020, 1, 1)))
    session.add(AuditEntry(at=at, actor_id=lene.id, action="incident.read", object_type="incident",
                           object_id=row.id, subject_user_id=anna.id))
    session.flush()
    return row


def mail(session, *, created_at: datetime) -> MailSinkMessage:
    row = MailSinkMessage(created_at=created_at, to_addr="anna@example.org", subject="Makker", body="Hej", size=3)
    session.add(row)
    return row


def client_action(session, *, received_at: datetime, target: str = "") -> ClientAction:
    row = ClientAction(id=str(uuid.uuid4()), user_id=user(session).id, kind="extend", target_id=target,
                       received_at=received_at)
    session.add(row)
    return row


def sign_in_row(session, *, expires_at: datetime, revoked_at: datetime | None = None) -> UserSession:
    row = UserSession(id=uuid.uuid4().hex, user_id=user(session).id, created_at=expires_at - timedelta(days=30),
                      last_seen_at=expires_at - timedelta(days=1), expires_at=expires_at, revoked_at=revoked_at,
                      user_agent="Phone", ip="10.0.0.1")
    session.add(row)
    return row


def audit_entry(session, *, at: datetime, action: str = "user.update") -> AuditEntry:
    row = AuditEntry(at=at, action=action, object_type="user", object_id="1")
    session.add(row)
    return row


def leaver(session, username: str, *, deactivated_at: datetime | None, active: bool = False) -> User:
    """`username` with a phone subscribed to push and an ambulance letter with one next of kin."""
    person = user(session, username)
    person.active, person.deactivated_at = active, deactivated_at
    at = (deactivated_at or datetime(2026, 1, 1, tzinfo=UTC)) - timedelta(days=200)
    session.add(PushSubscription(user_id=person.id, endpoint=f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4()}",
                                 p256dh="BP" + "A" * 85, auth="A" * 22, created_at=at))
    letter = AmbulanceLetter(user_id=person.id, important_info="Penicillin allergy", created_at=at, updated_at=at,
                             reviewed_at=at)
    letter.contacts.append(NextOfKin(name="Kim", relation="partner", phone="+4512345678"))
    session.add(letter)
    session.flush()
    return person


def count(session, model, *where) -> int:
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


TABLES = (Visit, Alert, TimelineEvent, Notification, OutboxEntry, DeliveryAttempt, Incident, IncidentComment,
          IncidentCheck, AuditEntry, MailSinkMessage, ClientAction, UserSession, PushSubscription, AmbulanceLetter,
          NextOfKin, User)


def snapshot(session) -> dict:
    """Every row of the tables retention touches, as plain tuples (to prove that nothing changed)."""
    result = {}
    for model in TABLES:
        columns = [c for c in model.__table__.columns]
        rows = session.execute(select(*columns).order_by(*model.__table__.primary_key.columns)).all()
        result[model.__tablename__] = [tuple(r) for r in rows]
    return result
