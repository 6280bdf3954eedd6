"""/api/v1/incidents: the contract's endpoints plus what the review needs (draft edits, comments,
checklist, follow-up, readers). Idempotent create by client-made id, for the offline outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from flask import Blueprint, jsonify
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from app import get_clock
from app.api import ApiError, ApiTime, endpoint, parse_body
from app.extensions import db
from app.incidents import services
from app.incidents.services import IncidentError
from app.models import Incident

bp = Blueprint("incidents_api", __name__, url_prefix="/api/v1")

Kind = Literal["threat", "violence", "offensive", "sexual_harassment", "bullying", "near_miss", "accident"]
Context = Literal["in_person", "phone", "digital", "internal", "off_duty"]
Injury = Literal["none", "physical", "psychological"]
Police = Literal["called", "wants_report", "no"]
Status = Literal["draft", "submitted", "in_review", "registered", "closed"]
Text = Field(default="", max_length=services.MAX_TEXT)


class IncidentCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: UUID = Field(description="Made by the client; sending the same id again answers 200 with the same draft")
    kind: Kind
    context: Context
    occurred_at: ApiTime
    place: str = Field(max_length=500)
    description: str = Field(max_length=services.MAX_TEXT, description="What happened (during)")
    before: str = Text
    after: str = Text
    involved: str = Text
    witnesses: str = Text
    visit_id: UUID | None = None
    alert_id: UUID | None = None
    injury: Injury | None = None
    absence_expected: bool = False
    police: Police | None = None
    alarm_used: bool = False
    created_at: ApiTime | None = Field(default=None, description="When the note was written (offline)")
    acted_at: ApiTime | None = Field(default=None, description="Alias of created_at")


class IncidentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind | None = None
    context: Context | None = None
    occurred_at: ApiTime | None = None
    place: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=services.MAX_TEXT)
    before: str | None = Field(default=None, max_length=services.MAX_TEXT)
    after: str | None = Field(default=None, max_length=services.MAX_TEXT)
    involved: str | None = Field(default=None, max_length=services.MAX_TEXT)
    witnesses: str | None = Field(default=None, max_length=services.MAX_TEXT)
    injury: Injury | None = None
    absence_expected: bool | None = None
    police: Police | None = None
    alarm_used: bool | None = None


class Check(BaseModel):
    item: str
    done_at: datetime
    done_by: str | None
    choice: str
    note: str
    reference: str
    on_date: date | None
    with_user: str | None


class Comment(BaseModel):
    id: int
    author: str | None
    at: datetime
    body: str
    by_author: bool


class IncidentOut(BaseModel):
    id: str
    status: Status
    kind: str
    context: str
    occurred_at: datetime
    place: str
    before: str
    description: str
    after: str
    involved: str
    witnesses: str
    injury: str
    absence_expected: bool
    police: str
    alarm_used: bool
    visit_id: str | None
    alert_id: str | None
    author: str
    unit: str | None
    created_at: datetime
    client_created_at: datetime | None
    updated_at: datetime
    submitted_at: datetime | None
    registered_at: datetime | None
    closed_at: datetime | None
    easy_required: bool
    easy_deadline: date | None
    police_report_deadline: datetime
    followup_due_at: datetime | None
    followup_held_at: datetime | None
    week_message_sent_at: datetime | None
    checklist: list[Check]
    comments: list[Comment]
    url: str


class IncidentSummary(BaseModel):
    id: str
    status: Status
    kind: str
    context: str
    occurred_at: datetime
    author: str
    mine: bool
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    url: str


class IncidentList(BaseModel):
    incidents: list[IncidentSummary]


class TransitionIn(BaseModel):
    to: Literal["submitted", "in_review", "registered", "closed"]


class CommentIn(BaseModel):
    body: str = Field(min_length=1, max_length=4000)


class CheckIn(BaseModel):
    choice: str = Field(default="", max_length=24)
    note: str = Field(default="", max_length=2000)
    reference: str = Field(default="", max_length=64)
    on_date: date | None = None
    with_user: str | None = Field(default=None, description="Username of the AMR (SafetyNet item)")


class FollowupIn(BaseModel):
    due_at: ApiTime | None = None
    held: bool = False
    declined: bool = False


class Reader(BaseModel):
    name: str
    role: str
    count: int
    first: datetime
    last: datetime


class ReaderList(BaseModel):
    readers: list[Reader]


def _out(incident: Incident) -> dict:
    checks = [
        Check(item=c.item, done_at=c.done_at, done_by=c.done_by.name if c.done_by else None, choice=c.choice,
              note=c.note, reference=c.reference, on_date=c.on_date,
              with_user=c.with_user.name if c.with_user else None)
        for c in sorted(incident.checks, key=lambda c: services.CHECK_ITEMS.index(c.item))
    ]
    comments = [
        Comment(id=c.id, author=c.author.name if c.author else None, at=c.at, body=c.body,
                by_author=c.author_id == incident.author_id)
        for c in incident.comments
    ]
    deadline = services.easy_deadline(incident)
    return IncidentOut(
        id=incident.id, status=incident.status, kind=incident.kind, context=incident.context,
        occurred_at=incident.occurred_at, place=incident.place, before=incident.before,
        description=incident.description, after=incident.after, involved=incident.involved,
        witnesses=incident.witnesses, injury=incident.injury, absence_expected=incident.absence_expected,
        police=incident.police, alarm_used=incident.alarm_used, visit_id=incident.visit_id,
        alert_id=incident.alert_id, author=incident.author.name, unit=incident.unit.name if incident.unit else None,
        created_at=incident.created_at, client_created_at=incident.client_created_at,
        updated_at=incident.updated_at, submitted_at=incident.submitted_at, registered_at=incident.registered_at,
        closed_at=incident.closed_at, easy_required=deadline is not None, easy_deadline=deadline,
        police_report_deadline=services.police_deadline(incident), followup_due_at=incident.followup_due_at,
        followup_held_at=incident.followup_held_at, week_message_sent_at=incident.week_message_sent_at,
        checklist=checks, comments=comments, url=f"/incidents/{incident.id}",
    ).model_dump(mode="json")


def _fail(exc: IncidentError):
    db.session.rollback()
    extra = {"field": exc.field} if exc.field else {}
    raise ApiError(exc.status, exc.code, exc.message, **extra) from None


def _load(incident_id: str, via: str | None = None) -> Incident:
    try:
        return services.get_visible(db.session, get_clock(), current_user, incident_id, via=via)
    except IncidentError as exc:
        _fail(exc)


@endpoint(bp, "/incidents", "POST", "Create an incident draft (idempotent by the client-made id)",
          body=IncidentCreate, response=IncidentOut, status=201, errors=(409,),
          also={200: "A draft with this id already exists: the same draft, nothing new"})
def create():
    body = parse_body(IncidentCreate)
    data = body.model_dump(include=set(services.DRAFT_FIELDS))
    data = {k: ("" if v is None else v) for k, v in data.items()}
    try:
        incident, created = services.create_draft(
            db.session, get_clock(), current_user, str(body.id), data,
            visit_id=str(body.visit_id) if body.visit_id else None,
            alert_id=str(body.alert_id) if body.alert_id else None,
            client_created_at=body.created_at or body.acted_at,
        )
        db.session.commit()
    except IncidentError as exc:
        _fail(exc)
    return jsonify(_out(incident)), 201 if created else 200


@endpoint(bp, "/incidents", "GET", "My incidents; for a leader or AMR also the submitted ones of their unit",
          response=IncidentList)
def list_incidents():
    rows = services.list_visible(db.session, current_user)
    return jsonify(IncidentList(incidents=[
        IncidentSummary(
            id=i.id, status=i.status, kind=i.kind, context=i.context, occurred_at=i.occurred_at,
            author=i.author.name, mine=i.author_id == current_user.id, created_at=i.created_at,
            updated_at=i.updated_at, submitted_at=i.submitted_at, url=f"/incidents/{i.id}",
        ) for i in rows
    ]).model_dump(mode="json"))


@endpoint(bp, "/incidents/<incident_id>", "GET", "One incident (a read by anyone but the author is audited)",
          response=IncidentOut)
def get_one(incident_id: str):
    incident = _load(incident_id, via="api")
    db.session.commit()
    return jsonify(_out(incident))


@endpoint(bp, "/incidents/<incident_id>", "PATCH", "Change fields of my draft", body=IncidentPatch,
          response=IncidentOut, errors=(409,))
def patch(incident_id: str):
    body = parse_body(IncidentPatch)
    incident = _load(incident_id)
    data = body.model_dump(exclude_unset=True)
    data = {k: ("" if v is None and k not in ("occurred_at",) else v) for k, v in data.items()}
    try:
        if incident.author_id != current_user.id:
            raise services.not_found()
        services.save_draft(db.session, get_clock(), current_user, incident.id, data)
        db.session.commit()
    except IncidentError as exc:
        _fail(exc)
    return jsonify(_out(incident))


@endpoint(bp, "/incidents/<incident_id>/submit", "POST",
          "Submit my draft; the unit's leaders and AMRs are notified (again: 200, nothing new)",
          response=IncidentOut, errors=(409,))
def submit(incident_id: str):
    incident = _load(incident_id)
    try:
        if incident.author_id == current_user.id and incident.status != "draft":
            return jsonify(_out(incident))  # a replay from the offline outbox
        services.submit(db.session, get_clock(), current_user, incident)
        db.session.commit()
    except IncidentError as exc:
        _fail(exc)
    return jsonify(_out(incident))


@endpoint(bp, "/incidents/<incident_id>/transition", "POST",
          "Change the status: submitted -> in_review -> registered -> closed (leaders and AMRs of the unit)",
          body=TransitionIn, response=IncidentOut, errors=(403, 409))
def transition(incident_id: str):
    body = parse_body(TransitionIn)
    incident = _load(incident_id)
    try:
        services.transition(db.session, get_clock(), current_user, incident, body.to)
        db.session.commit()
    except IncidentError as exc:
        _fail(exc)
    return jsonify(_out(incident))


@endpoint(bp, "/incidents/<incident_id>/comments", "POST",
          "Comment (a reviewer asks for more detail; the author answers)", body=CommentIn, response=Comment,
          status=201, errors=(409,))
def comment(incident_id: str):
    body = parse_body(CommentIn)
    incident = _load(incident_id)
    try:
        c = services.add_comment(db.session, get_clock(), current_user, incident, body.body)
        db.session.commit()
    except IncidentError as exc:
        _fail(exc)
    return jsonify(Comment(id=c.id, author=current_user.name, at=c.at, body=c.body,
                           by_author=c.author_id == incident.author_id).model_dump(mode="json")), 201


@endpoint(bp, "/incidents/<incident_id>/checklist/<item>", "PUT",
          "Mark an item of the leader's checklist done: cared_for, help_started, group_informed, safetynet, "
          "police_report", body=CheckIn, response=IncidentOut, errors=(403, 409))
def set_check(incident_id: str, item: str):
    body = parse_body(CheckIn)
    incident = _load(incident_id)
    with_user_id = None
    if body.with_user:
        from app.admin.services import find_user

        user = find_user(db.session, body.with_user)
        if user is None:
            raise ApiError(400, "invalid", "with_user: unknown user", field="with_user")
        with_user_id = user.id
    try:
        services.set_check(db.session, get_clock(), current_user, incident, item, choice=body.choice,
                           note=body.note, reference=body.reference, on_date=body.on_date,
                           with_user_id=with_user_id)
        db.session.commit()
    except IncidentError as exc:
        _fail(exc)
    return jsonify(_out(incident))


@endpoint(bp, "/incidents/<incident_id>/followup", "POST",
          "Plan the follow-up conversation (due_at), or mark it held or declined", body=FollowupIn,
          response=IncidentOut, errors=(403, 409))
def followup(incident_id: str):
    body = parse_body(FollowupIn)
    incident = _load(incident_id)
    try:
        if body.held or body.declined:
            services.mark_followup_held(db.session, get_clock(), current_user, incident, declined=body.declined)
        elif body.due_at is not None:
            services.plan_followup(db.session, get_clock(), current_user, incident, body.due_at)
        else:
            raise IncidentError(400, "invalid", "Give due_at, held or declined.")
        db.session.commit()
    except IncidentError as exc:
        _fail(exc)
    return jsonify(_out(incident))


@endpoint(bp, "/incidents/<incident_id>/readers", "GET", "Who other than me has read my incident (author only)",
          response=ReaderList)
def readers(incident_id: str):
    incident = _load(incident_id)
    if incident.author_id != current_user.id:
        raise ApiError(404, "not_found", services.not_found().message)
    rows = services.readers(db.session, incident)
    return jsonify(ReaderList(readers=[
        Reader(name=r["name"], role=r["role"], count=r["count"], first=r["first"], last=r["last"]) for r in rows
    ]).model_dump(mode="json"))
