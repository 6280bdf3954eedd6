"""Incidents: the employee's draft, the leader's review, the checklist, follow-up and exports.

Plain functions taking a SQLAlchemy session and a clock; no request objects. Visibility is decided
here (`get_visible`): the author sees their own incidents, the leaders and AMRs of the incident's unit
see it once it is submitted, everyone else is told it does not exist. Callers commit, except
`run_due_followups`, which is a complete task (called by the watchdog and `flask incidents remind`)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app import audit
from app.alerts.access import is_responder
from app.clock import Clock
from app.database import is_postgres
from app.incidents import labels
from app.models import Alert, AuditEntry, Incident, IncidentCheck, IncidentComment, User, Visit
from app.models.incidents import (
    CHECK_ITEMS,
    CONTEXTS,
    HELP_CHOICES,
    INJURIES,
    KINDS,
    POLICE,
    POLICE_REPORT_CHOICES,
)
from app.models.org import RESPONDER_ROLES
from app.textcheck import contains_cpr

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
POLICE_REPORT_WINDOW = timedelta(hours=72)
WEEK = timedelta(days=7)
REMIND_EVERY = timedelta(days=1)
TEXT_FIELDS = ("place", "before", "description", "after", "involved", "witnesses")
DRAFT_FIELDS = (
    "kind", "context", "occurred_at", "place", "before", "description", "after", "involved", "witnesses",
    "injury", "absence_expected", "police", "alarm_used",
)
MAX_TEXT = 10_000
OPEN_STATUSES = ("submitted", "in_review", "registered")



class IncidentError(Exception):
    """A refused request: `status` follows the API contract (400, 403, 404, 409)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def not_found() -> IncidentError:
    return IncidentError(404, "not_found", _("We could not find that incident."))


def has_cpr(text: str | None) -> bool:
    return contains_cpr(text)


def cpr_message() -> str:
    return _("This looks like a CPR number. Leave CPR numbers out and describe the person in words "
             "(for example \u201cthe citizen\u201d). Nothing was saved.")


def refuse_cpr(fields: dict[str, str | None]) -> None:
    for name, value in fields.items():
        if isinstance(value, str) and has_cpr(value):
            raise IncidentError(400, "cpr_number", cpr_message(), field=name)


# --- Who may see and do what ---------------------------------------------------------------------

def is_reviewer(user: User, incident: Incident) -> bool:
    """A leader or AMR of the incident's unit (the author is never their own reviewer)."""
    return (
        user.active and user.role in RESPONDER_ROLES and incident.unit_id is not None
        and user.unit_id == incident.unit_id and user.id != incident.author_id
    )


def can_view(user: User, incident: Incident) -> bool:
    if incident.author_id == user.id:
        return True
    return incident.status != "draft" and is_reviewer(user, incident)


def visible_clause(user: User):
    mine = Incident.author_id == user.id
    if user.role in RESPONDER_ROLES and user.unit_id is not None:
        return or_(mine, and_(Incident.unit_id == user.unit_id, Incident.status != "draft"))
    return mine


def record_read(session: Session, clock: Clock, user: User, incident: Incident, via: str) -> None:
    if user.id != incident.author_id:
        audit.record(session, "incident.read", actor_id=user.id, object_type="incident", object_id=incident.id,
                     subject_user_id=incident.author_id, detail={"via": via}, clock=clock)


def get_visible(session: Session, clock: Clock, user: User, incident_id: str, *, via: str | None = "page") -> Incident:
    """The incident if `user` may see it (a read by anyone but the author is audited), else 404."""
    incident = session.get(Incident, str(incident_id)[:64])
    if incident is None or not can_view(user, incident):
        raise not_found()
    if via:
        record_read(session, clock, user, incident, via)
    return incident


def list_mine(session: Session, user: User) -> list[Incident]:
    return list(session.execute(
        select(Incident).where(Incident.author_id == user.id).order_by(Incident.updated_at.desc())
    ).scalars())


def list_visible(session: Session, user: User) -> list[Incident]:
    return list(session.execute(
        select(Incident).where(visible_clause(user)).order_by(Incident.created_at.desc())
    ).scalars())


def is_unit_reviewer(user: User) -> bool:
    return user.active and user.role in RESPONDER_ROLES and user.unit_id is not None


def review_list(session: Session, user: User) -> list[Incident]:
    """The unit's submitted incidents for a leader or AMR: open ones first, oldest first."""
    if not is_unit_reviewer(user):
        return []
    rows = session.execute(
        select(Incident).where(
            Incident.unit_id == user.unit_id, Incident.status != "draft", Incident.author_id != user.id
        ).order_by(Incident.submitted_at)
    ).scalars()
    return list(rows)


def waiting_count(session: Session, user: User) -> int:
    """Submitted incidents waiting for a leader or AMR of the user's unit (the nav badge)."""
    if not is_unit_reviewer(user):
        return 0
    return session.execute(
        select(func.count()).select_from(Incident).where(
            Incident.unit_id == user.unit_id, Incident.status == "submitted", Incident.author_id != user.id
        )
    ).scalar_one()


def readers(session: Session, incident: Incident) -> list[dict]:
    """Who other than the author has read the incident: name, role, how often, last time."""
    rows = session.execute(
        select(AuditEntry.actor_id, func.count(), func.max(AuditEntry.at), func.min(AuditEntry.at))
        .where(AuditEntry.action == "incident.read", AuditEntry.object_type == "incident",
               AuditEntry.object_id == incident.id)
        .group_by(AuditEntry.actor_id)
    ).all()
    people = {u.id: u for u in session.execute(
        select(User).where(User.id.in_([r[0] for r in rows if r[0] is not None]))
    ).scalars()}
    result = []
    for actor_id, count, last, first in rows:
        person = people.get(actor_id)
        result.append({
            "user_id": actor_id, "name": person.name if person else "?", "role": person.role if person else "",
            "count": count, "first": _aware(first), "last": _aware(last),
        })
    return sorted(result, key=lambda r: r["last"], reverse=True)


def _aware(value: datetime) -> datetime:
    # Aggregates bypass the column type on SQLite: make them aware again.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# --- Pre-filling from a visit or an alert --------------------------------------------------------

def prefill(session: Session, clock: Clock, user: User, *, alert_id: str | None = None,
            visit_id: str | None = None) -> dict:
    """Time, place and links taken from an alert or a visit the user took part in, else 404.

    Only the worker of the visit/alert or one of its responders may use it. A visit's place is sealed
    until an alert exists, so someone other than the worker needs an alert on the visit they respond to."""
    if alert_id:
        alert = session.get(Alert, str(alert_id)[:64])
        if alert is None or alert.drill_id is not None or not (alert.worker_id == user.id or is_responder(alert, user)):
            raise not_found()
        visit = alert.visit
        place = visit.place if visit is not None else ""
        if not place and alert.lat is not None and alert.lon is not None:
            place = f"{alert.lat:.5f}, {alert.lon:.5f}"
        return {
            "occurred_at": alert.client_created_at or alert.created_at, "place": place,
            "visit_id": visit.id if visit else None, "alert_id": alert.id,
            "context": "in_person" if visit is not None else "",
        }
    if visit_id:
        visit = session.get(Visit, str(visit_id)[:64])
        if visit is None:
            raise not_found()
        alerts = list(visit.alerts)
        if visit.worker_id != user.id and not any(is_responder(a, user) for a in alerts):
            raise not_found()
        when = alerts[-1].created_at if alerts else visit.started_at
        return {
            "occurred_at": when, "place": visit.place, "visit_id": visit.id,
            "alert_id": alerts[-1].id if alerts else None, "context": "in_person",
        }
    return {"occurred_at": clock.now(), "place": "", "visit_id": None, "alert_id": None, "context": ""}


# --- Drafts --------------------------------------------------------------------------------------

def _clean(data: dict) -> dict:
    """Validated draft fields (a subset of DRAFT_FIELDS); raises IncidentError on bad input."""
    clean: dict = {}
    refuse_cpr({k: data.get(k) for k in TEXT_FIELDS})
    for key, value in data.items():
        if key not in DRAFT_FIELDS:
            continue
        if key in TEXT_FIELDS:
            value = (value or "").strip()
            if len(value) > MAX_TEXT:
                raise IncidentError(400, "too_long", _("That text is too long."), field=key)
        elif key in ("kind", "context", "injury", "police"):
            value = value or ""
            allowed = {"kind": KINDS, "context": CONTEXTS, "injury": INJURIES, "police": POLICE}[key]
            if value and value not in allowed:
                raise IncidentError(400, "invalid", _("Choose one of the options."), field=key)
        elif key in ("absence_expected", "alarm_used"):
            value = bool(value)
        elif key == "occurred_at":
            if value is None:
                continue
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise IncidentError(400, "invalid", _("Give the time with a time zone."), field=key)
        clean[key] = value
    return clean


def _link(session: Session, clock: Clock, user: User, incident: Incident, visit_id, alert_id) -> None:
    if alert_id:
        info = prefill(session, clock, user, alert_id=alert_id)
        incident.alert_id, incident.visit_id = info["alert_id"], info["visit_id"]
    elif visit_id:
        info = prefill(session, clock, user, visit_id=visit_id)
        incident.visit_id = info["visit_id"]


def create_draft(session: Session, clock: Clock, user: User, incident_id: str, data: dict, *,
                 visit_id: str | None = None, alert_id: str | None = None,
                 client_created_at: datetime | None = None) -> tuple[Incident, bool]:
    """Create a draft with a client-made id. The same id again gives the same draft, unchanged."""
    clean = _clean(data)
    existing = session.get(Incident, incident_id)
    if existing is not None:
        if existing.author_id != user.id:
            raise IncidentError(409, "id_taken", _("That id is already used."))
        return existing, False
    now = clock.now()
    incident = Incident(
        id=incident_id, author_id=user.id, unit_id=user.unit_id, status="draft",
        occurred_at=clean.pop("occurred_at", None) or now, created_at=now, updated_at=now,
        client_created_at=client_created_at,
    )
    for key, value in clean.items():
        setattr(incident, key, value)
    _link(session, clock, user, incident, visit_id, alert_id)
    session.add(incident)
    session.flush()
    audit.record(session, "incident.create", actor_id=user.id, object_type="incident", object_id=incident.id,
                 subject_user_id=user.id, clock=clock)
    return incident, True


def save_draft(session: Session, clock: Clock, user: User, incident_id: str, data: dict, *,
               visit_id: str | None = None, alert_id: str | None = None) -> tuple[Incident, bool]:
    """Autosave: create the draft on the first save, update it after. Only the author, only drafts."""
    clean = _clean(data)  # refuses before anything changes
    incident = session.get(Incident, incident_id)
    if incident is None:
        return create_draft(session, clock, user, incident_id, clean, visit_id=visit_id, alert_id=alert_id)
    if incident.author_id != user.id:
        raise not_found()
    if incident.status != "draft":
        raise IncidentError(409, "not_draft", _("This incident has been submitted and can no longer be changed."))
    for key, value in clean.items():
        setattr(incident, key, value)
    if (visit_id or alert_id) and not incident.visit_id and not incident.alert_id:
        _link(session, clock, user, incident, visit_id, alert_id)
    incident.updated_at = clock.now()
    return incident, False


def missing_for_submit(incident: Incident) -> list[str]:
    return [f for f in ("kind", "context", "description") if not getattr(incident, f)]


def delete_draft(session: Session, clock: Clock, user: User, incident: Incident) -> None:
    if incident.author_id != user.id:
        raise not_found()
    if incident.status != "draft":
        raise IncidentError(409, "not_draft", _("Only a draft can be deleted."))
    session.delete(incident)


# --- Notifications -------------------------------------------------------------------------------

def unit_people(session: Session, unit_id: int | None, roles: tuple[str, ...]) -> list[User]:
    if unit_id is None:
        return []
    return list(session.execute(
        select(User).where(User.unit_id == unit_id, User.role.in_(roles), User.active.is_(True)).order_by(User.name)
    ).scalars())


def reviewers(session: Session, incident: Incident) -> list[User]:
    return [u for u in unit_people(session, incident.unit_id, RESPONDER_ROLES) if u.id != incident.author_id]


def _notify(session: Session, clock: Clock, recipients: list[User], incident: Incident, step: str,
            message) -> int:
    """One notification (and its outbox entries) per recipient for this step, in the caller's
    transaction. `message(incident)` returns (title, body) in the recipient's language."""
    from app.notify.outbox import enqueue

    count = 0
    for person in recipients:
        with force_locale(person.locale or "da"):
            title, body = message(incident)
            title, body = str(title), str(body)
        created = enqueue(
            session, clock, person, type="incident", step_key=f"incident:{incident.id}:{step}",
            tag=f"incident-{incident.id}", due_at=clock.now(),
            payload={"type": "incident", "title": title, "body": body, "url": f"/incidents/{incident.id}",
                     "incident_id": incident.id},
        )
        count += created is not None
    return count


def _kind(incident: Incident) -> str:
    return labels.label(labels.KIND_LABELS, incident.kind) or _("Incident")


# --- Status changes ------------------------------------------------------------------------------

TRANSITIONS = {"submitted": "draft", "in_review": "submitted", "registered": "in_review", "closed": "registered"}


def submit(session: Session, clock: Clock, user: User, incident: Incident) -> int:
    """draft -> submitted, by the author. Notifies the unit's leaders and AMRs; returns how many."""
    if incident.author_id != user.id:
        raise IncidentError(403, "forbidden", _("Only the author can submit the incident."))
    if incident.status != "draft":
        raise IncidentError(409, "not_draft", _("The incident is already submitted."))
    missing = missing_for_submit(incident)
    if missing:
        raise IncidentError(400, "incomplete", _("Choose what happened and how, and describe it."), field=missing[0])
    now = clock.now()
    incident.status, incident.submitted_at, incident.updated_at = "submitted", now, now
    unit = incident.unit
    days = unit.follow_up_after_days if unit is not None else 2
    incident.followup_due_at = now + timedelta(days=days)
    incident.followup_next_reminder_at = incident.followup_due_at
    incident.week_message_due_at = max(incident.occurred_at + WEEK, now)
    audit.record(session, "incident.submit", actor_id=user.id, object_type="incident", object_id=incident.id,
                 subject_user_id=user.id, clock=clock)
    author = incident.author.name

    def message(i):
        return (_("New incident: %(kind)s", kind=_kind(i)),
                _("%(name)s has reported an incident. Please review it and register it in SafetyNet.",
                  name=author))

    return _notify(session, clock, reviewers(session, incident), incident, "submitted", message)


def may_close(session: Session, user: User, incident: Incident) -> bool:
    """The leader is responsible; an AMR may close only when the author is the unit's only leader."""
    if not is_reviewer(user, incident):
        return False
    if user.role == "leader":
        return True
    return not [u for u in unit_people(session, incident.unit_id, ("leader",)) if u.id != incident.author_id]


def close_blockers(incident: Incident) -> list[str]:
    missing = [item for item in CHECK_ITEMS if incident.check(item) is None]
    if incident.followup_held_at is None:
        missing.append("followup")
    return missing


def transition(session: Session, clock: Clock, user: User, incident: Incident, to: str) -> None:
    """A reviewer's status change: submitted -> in_review -> registered -> closed."""
    if to == "submitted":
        submit(session, clock, user, incident)
        return
    if to not in TRANSITIONS:
        raise IncidentError(400, "invalid", _("Unknown status."), field="to")
    if not is_reviewer(user, incident):
        raise IncidentError(403, "forbidden", _("Only a leader or AMR of the unit can do that."))
    if incident.status != TRANSITIONS[to]:
        raise IncidentError(409, "wrong_status", _("That is not possible in the incident's current status."))
    now = clock.now()
    if to == "in_review":
        incident.review_started_at, incident.review_started_by_id = now, user.id
    elif to == "registered":
        if incident.check("safetynet") is None:
            raise IncidentError(409, "safetynet_missing",
                                _("Enter the SafetyNet reference first."), field="safetynet")
        incident.registered_at = now
    elif to == "closed":
        if not may_close(session, user, incident):
            raise IncidentError(403, "forbidden", _("Only the leader can close the incident."))
        if close_blockers(incident):
            raise IncidentError(409, "checklist_incomplete",
                                _("Finish the checklist and the follow-up conversation first."))
        incident.closed_at, incident.closed_by_id = now, user.id
        incident.followup_next_reminder_at = None
    incident.status, incident.updated_at = to, now
    audit.record(session, f"incident.{to}", actor_id=user.id, object_type="incident", object_id=incident.id,
                 subject_user_id=incident.author_id, clock=clock)
    if to == "registered":
        def message(i):
            return (_("Your incident is registered"),
                    _("Your report is registered in SafetyNet. Thank you for reporting it."))

        _notify(session, clock, [incident.author], incident, "registered", message)


# --- Checklist, comments, follow-up --------------------------------------------------------------

def _require_review(user: User, incident: Incident) -> None:
    if not is_reviewer(user, incident):
        raise IncidentError(403, "forbidden", _("Only a leader or AMR of the unit can do that."))
    if incident.status not in ("in_review", "registered"):
        raise IncidentError(409, "wrong_status", _("Begin the review first."))


def set_check(session: Session, clock: Clock, user: User, incident: Incident, item: str, *, choice: str = "",
              note: str = "", reference: str = "", on_date: date | None = None,
              with_user_id: int | None = None) -> IncidentCheck:
    """Mark one item of the leader's checklist done (again: update it), with who and when."""
    if item not in CHECK_ITEMS:
        raise not_found()
    _require_review(user, incident)
    note, reference, choice = (note or "").strip(), (reference or "").strip(), (choice or "").strip()
    refuse_cpr({"note": note, "reference": reference})
    if item == "help_started" and choice not in HELP_CHOICES:
        raise IncidentError(400, "invalid", _("Choose what help was started."), field="choice")
    if item == "police_report" and choice not in POLICE_REPORT_CHOICES:
        raise IncidentError(400, "invalid", _("Choose what happens with the police report."), field="choice")
    if item not in ("help_started", "police_report"):
        choice = ""
    if item == "safetynet":
        if not reference:
            raise IncidentError(400, "invalid", _("Enter the SafetyNet reference."), field="reference")
        if len(reference) > 64:
            raise IncidentError(400, "too_long", _("That text is too long."), field="reference")
        if with_user_id is not None and with_user_id not in {
            u.id for u in unit_people(session, incident.unit_id, ("amr",))
        }:
            raise IncidentError(400, "invalid", _("Choose an AMR of the unit."), field="with_user")
        on_date = on_date or clock.now().astimezone(LOCAL_TZ).date()
    else:
        reference, on_date, with_user_id = "", None, None
    if len(note) > 2000:
        raise IncidentError(400, "too_long", _("That text is too long."), field="note")
    check = incident.check(item)
    if check is None:
        check = IncidentCheck(item=item, done_at=clock.now())
        incident.checks.append(check)
    check.done_at, check.done_by_id = clock.now(), user.id
    check.choice, check.note, check.reference, check.on_date, check.with_user_id = (
        choice, note, reference, on_date, with_user_id)
    incident.updated_at = clock.now()
    audit.record(session, "incident.check", actor_id=user.id, object_type="incident", object_id=incident.id,
                 subject_user_id=incident.author_id, detail={"item": item}, clock=clock)
    session.flush()
    return check


def add_comment(session: Session, clock: Clock, user: User, incident: Incident, body: str) -> IncidentComment:
    """A comment between the reviewers and the author; the other side is notified."""
    body = (body or "").strip()
    if not can_view(user, incident):
        raise not_found()
    if incident.status in ("draft", "closed"):
        raise IncidentError(409, "wrong_status", _("Comments are possible while the incident is being reviewed."))
    if not body:
        raise IncidentError(400, "invalid", _("Write a comment."), field="body")
    if len(body) > 4000:
        raise IncidentError(400, "too_long", _("That text is too long."), field="body")
    refuse_cpr({"body": body})
    comment = IncidentComment(incident=incident, author_id=user.id, at=clock.now(), body=body)
    session.add(comment)
    session.flush()
    incident.updated_at = clock.now()
    name = user.name
    if user.id == incident.author_id:
        recipients = reviewers(session, incident)

        def message(i):
            return _("%(name)s answered", name=name), body[:140]
    else:
        recipients = [incident.author]

        def message(i):
            return _("%(name)s asks about your incident", name=name), body[:140]
    _notify(session, clock, recipients, incident, f"comment:{comment.id}", message)
    return comment


def plan_followup(session: Session, clock: Clock, user: User, incident: Incident, when: datetime) -> None:
    """Move the supportive conversation; reminders follow the new time."""
    if not is_reviewer(user, incident):
        raise IncidentError(403, "forbidden", _("Only a leader or AMR of the unit can do that."))
    if incident.status not in OPEN_STATUSES or incident.followup_held_at is not None:
        raise IncidentError(409, "wrong_status", _("The follow-up conversation can no longer be moved."))
    if when.tzinfo is None:
        raise IncidentError(400, "invalid", _("Give the time with a time zone."), field="due_at")
    incident.followup_due_at = incident.followup_next_reminder_at = when
    incident.updated_at = clock.now()
    audit.record(session, "incident.followup_planned", actor_id=user.id, object_type="incident",
                 object_id=incident.id, subject_user_id=incident.author_id, clock=clock)


def mark_followup_held(session: Session, clock: Clock, user: User, incident: Incident, *,
                       declined: bool = False) -> None:
    """The conversation was held (or the employee declined it): reminders stop."""
    if not is_reviewer(user, incident):
        raise IncidentError(403, "forbidden", _("Only a leader or AMR of the unit can do that."))
    if incident.status not in OPEN_STATUSES:
        raise IncidentError(409, "wrong_status", _("That is not possible in the incident's current status."))
    now = clock.now()
    incident.followup_held_at, incident.followup_held_by_id = now, user.id
    incident.followup_declined = declined
    incident.followup_next_reminder_at = None
    incident.updated_at = now
    audit.record(session, "incident.followup_held", actor_id=user.id, object_type="incident",
                 object_id=incident.id, subject_user_id=incident.author_id,
                 detail={"declined": declined}, clock=clock)


def run_due_followups(session: Session, clock: Clock, *, limit: int = 200) -> int:
    """Send what is due: follow-up reminders to the leader (again each day until the conversation
    is marked held) and the one-week message to the employee (once). Commits; returns the number of
    notifications written. Safe to run in several processes at once (rows are claimed)."""
    now = clock.now()
    written = 0
    query = (
        select(Incident)
        .where(Incident.status.in_(OPEN_STATUSES), Incident.followup_held_at.is_(None),
               Incident.followup_next_reminder_at.is_not(None), Incident.followup_next_reminder_at <= now)
        .order_by(Incident.followup_next_reminder_at).limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    for incident in session.execute(query).scalars().all():
        recipients = unit_people(session, incident.unit_id, ("leader",)) or unit_people(
            session, incident.unit_id, ("amr",))
        recipients = [u for u in recipients if u.id != incident.author_id] or recipients
        number = incident.followup_reminders + 1
        author = incident.author.name
        due = incident.followup_due_at

        def message(i, author=author, due=due):
            return (_("Follow-up conversation with %(name)s", name=author),
                    _("Hold the supportive conversation after the incident (planned %(when)s) and mark it "
                      "as held.", when=due.astimezone(LOCAL_TZ).strftime("%d.%m. %H:%M")))

        written += _notify(session, clock, recipients, incident, f"followup:{number}", message)
        incident.followup_reminders = number
        incident.followup_reminded_at = now
        incident.followup_next_reminder_at = now + REMIND_EVERY
    session.commit()

    query = (
        select(Incident)
        .where(Incident.status != "draft", Incident.week_message_sent_at.is_(None),
               Incident.week_message_due_at.is_not(None), Incident.week_message_due_at <= now)
        .order_by(Incident.week_message_due_at).limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    for incident in session.execute(query).scalars().all():
        unit = incident.unit

        def message(i, unit=unit):
            line = f"{unit.crisis_line_name}: {unit.crisis_line}" if unit is not None else ""
            return (_("How are you?"),
                    _("It is a week since the incident. Reactions can come later. Talk to your leader or "
                      "AMR, or call %(line)s.", line=line))

        written += _notify(session, clock, [incident.author], incident, "week", message)
        incident.week_message_sent_at = now
    session.commit()
    return written


# --- Facts, exports and statistics ---------------------------------------------------------------

def local(value: datetime | None) -> datetime | None:
    return value.astimezone(LOCAL_TZ) if value else None


def easy_deadline(incident: Incident) -> date | None:
    """An EASY report is needed when absence of a day or more is expected; the unit sets the deadline."""
    if not incident.absence_expected:
        return None
    days = incident.unit.easy_deadline_days if incident.unit is not None else 9
    return local(incident.occurred_at).date() + timedelta(days=days)


def police_deadline(incident: Incident) -> datetime:
    return incident.occurred_at + POLICE_REPORT_WINDOW


@dataclass
class Fact:
    key: str
    label: str
    value: str


def _fmt(value: datetime | None) -> str:
    return local(value).strftime("%d.%m.%Y %H:%M") if value else ""


def _yes(value: bool) -> str:
    return _("Yes") if value else _("No")


def fact_labels() -> dict[str, str]:
    """The facts a SafetyNet (and EASY) entry asks for, in its order: key -> label."""
    return {
        "kind": _("Type of incident"), "context": _("How it happened"), "occurred_at": _("When"),
        "place": _("Where"), "unit": _("Unit"), "employee": _("Employee"), "before": _("Before"),
        "description": _("What happened"), "after": _("After"), "involved": _("Who was involved"),
        "witnesses": _("Witnesses"), "injury": _("Injury"),
        "absence_expected": _("Absence of a day or more expected"), "easy_deadline": _("EASY report by"),
        "police": _("Police"), "police_report": _("Police report"), "alarm_used": _("Assault alarm used"),
        "amr": _("AMR involved"), "safetynet_ref": _("SafetyNet reference"),
        "safetynet_date": _("Registered in SafetyNet on"), "status": _("Status"),
        "submitted_at": _("Submitted"), "id": _("Makker id"),
    }


def safetynet_facts(incident: Incident) -> list[Fact]:
    """The incident in the order of `fact_labels`: used by the print page, the PDF and the CSV."""
    i = incident
    deadline = easy_deadline(i)
    safetynet = i.check("safetynet")
    police_report = i.check("police_report")
    values = {
        "kind": labels.label(labels.KIND_LABELS, i.kind),
        "context": labels.label(labels.CONTEXT_LABELS, i.context),
        "occurred_at": _fmt(i.occurred_at),
        "place": i.place,
        "unit": i.unit.name if i.unit else "",
        "employee": i.author.name,
        "before": i.before,
        "description": i.description,
        "after": i.after,
        "involved": i.involved,
        "witnesses": i.witnesses,
        "injury": labels.label(labels.INJURY_LABELS, i.injury),
        "absence_expected": _yes(i.absence_expected),
        "easy_deadline": deadline.strftime("%d.%m.%Y") if deadline else "",
        "police": labels.label(labels.POLICE_LABELS, i.police),
        "police_report": labels.label(labels.POLICE_REPORT_LABELS, police_report.choice) if police_report else "",
        "alarm_used": _yes(i.alarm_used),
        "amr": safetynet.with_user.name if safetynet and safetynet.with_user else "",
        "safetynet_ref": safetynet.reference if safetynet else "",
        "safetynet_date": safetynet.on_date.strftime("%d.%m.%Y") if safetynet and safetynet.on_date else "",
        "status": labels.label(labels.STATUS_LABELS, i.status),
        "submitted_at": _fmt(i.submitted_at),
        "id": i.id,
    }
    return [Fact(key, label, values[key]) for key, label in fact_labels().items()]


def _period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    lo = datetime.combine(start, time.min, LOCAL_TZ).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time.min, LOCAL_TZ).astimezone(UTC)
    return lo, hi


def may_export(user: User) -> bool:
    return user.active and (user.role == "admin" or is_unit_reviewer(user))


def _period_query(user: User, start: date, end: date):
    lo, hi = _period_bounds(start, end)
    query = select(Incident).where(Incident.status != "draft", Incident.occurred_at >= lo, Incident.occurred_at < hi)
    if user.role != "admin":
        query = query.where(Incident.unit_id == user.unit_id)
    return query.order_by(Incident.occurred_at)


def _csv_safe(value: str) -> str:
    # Spreadsheets run cells that start with these as formulas.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(session: Session, clock: Clock, user: User, start: date, end: date) -> str:
    """Submitted incidents of the period (the unit's; every unit's for an admin) as CSV, one column
    per SafetyNet fact. Every incident read this way is audited for its author."""
    if not may_export(user):
        raise IncidentError(403, "forbidden", _("You are not allowed to do that."))
    incidents = list(session.execute(_period_query(user, start, end)).scalars())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(fact_labels().values()))
    for incident in incidents:
        writer.writerow([_csv_safe(f.value) for f in safetynet_facts(incident)])
        record_read(session, clock, user, incident, "csv")
    return out.getvalue()


def statistics(session: Session, user: User, start: date, end: date) -> dict:
    """Counts by kind, context and month for the work-environment group: no names, no text."""
    if not may_export(user):
        raise IncidentError(403, "forbidden", _("You are not allowed to do that."))
    lo, hi = _period_bounds(start, end)
    query = select(Incident.kind, Incident.context, Incident.occurred_at).where(
        Incident.status != "draft", Incident.occurred_at >= lo, Incident.occurred_at < hi)
    if user.role != "admin":
        query = query.where(Incident.unit_id == user.unit_id)
    rows = session.execute(query).all()
    by_kind = Counter(r.kind for r in rows)
    by_context = Counter(r.context for r in rows)
    by_month = Counter(local(r.occurred_at).strftime("%Y-%m") for r in rows)
    months = []
    cursor = date(start.year, start.month, 1)
    while cursor <= end:
        key = cursor.strftime("%Y-%m")
        months.append((key, by_month.get(key, 0)))
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return {
        "total": len(rows),
        "by_kind": [(k, by_kind.get(k, 0)) for k in KINDS],
        "by_context": [(c, by_context.get(c, 0)) for c in CONTEXTS],
        "by_month": months,
    }


def default_period(clock: Clock) -> tuple[date, date]:
    today = clock.now().astimezone(LOCAL_TZ).date()
    start = date(today.year - (1 if today.month < 12 else 0), today.month % 12 + 1, 1)
    return start, today
