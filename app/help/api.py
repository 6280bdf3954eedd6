"""/api/v1 for help: who to call, and the ambulance letter (same access rules and audit as the pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from flask import Blueprint, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field, PlainSerializer, RootModel

from app import get_clock
from app.admin.services import find_user
from app.api import ApiError, endpoint, parse_body
from app.errors import messages
from app.extensions import db
from app.help import services
from app.reauth.routes import challenge as reauth_challenge

bp = Blueprint("help_api", __name__, url_prefix="/api/v1")

IsoTime = Annotated[datetime, PlainSerializer(lambda v: v.isoformat(), return_type=str)]


class ContactOut(BaseModel):
    role: str = Field(description="leader, amr, crisis, police (112), police_service (114) or first_aid")
    name: str
    phone: str


class ContactList(RootModel[list[ContactOut]]):
    pass


class NextOfKinIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    relation: str = Field("", max_length=60)
    phone: str = Field(min_length=1, max_length=32)
    phone_alt: str = Field("", max_length=32)


class NextOfKinOut(BaseModel):
    name: str
    relation: str
    phone: str
    phone_alt: str


class LetterIn(BaseModel):
    contacts: list[NextOfKinIn] = Field(min_length=1, max_length=services.MAX_CONTACTS)
    important_info: str = Field("", max_length=2000)


class LetterOut(BaseModel):
    username: str
    name: str
    status: str = Field(description="missing, due (not reviewed for 12 months) or ok")
    contacts: list[NextOfKinOut]
    important_info: str
    updated_at: IsoTime | None
    reviewed_at: IsoTime | None
    review_due_at: IsoTime | None


def _letter_json(employee, letter):
    return jsonify(LetterOut(
        username=employee.username,
        name=employee.name,
        status=services.letter_status(letter, get_clock()),
        contacts=[NextOfKinOut(name=c.name, relation=c.relation, phone=c.phone, phone_alt=c.phone_alt)
                  for c in (letter.contacts if letter else [])],
        important_info=letter.important_info if letter else "",
        updated_at=letter.updated_at if letter else None,
        reviewed_at=letter.reviewed_at if letter else None,
        review_due_at=services.review_due_at(letter) if letter else None,
    ).model_dump(mode="json"))


@endpoint(bp, "/contacts", "GET", "Who to call: the unit's leader(s) and AMR(s), the crisis line, the police "
          "(112 and 114) and colleagues trained in psychological first aid", response=ContactList)
def contacts():
    found = services.contacts_for(db.session, current_user)
    return jsonify([ContactOut(role=c.role, name=c.name, phone=c.phone).model_dump() for c in found])


@endpoint(bp, "/me/ambulance-letter", "GET", "My ambulance letter (next of kin); empty until written",
          response=LetterOut)
def my_letter():
    return _letter_json(current_user, services.letter_of(db.session, current_user.id))


@endpoint(bp, "/me/ambulance-letter", "PUT", "Write my ambulance letter (1-3 people); refuses CPR numbers",
          body=LetterIn, response=LetterOut)
def put_my_letter():
    body = parse_body(LetterIn)
    contacts = [services.ContactInput(**c.model_dump()) for c in body.contacts]
    try:
        letter = services.save_letter(db.session, get_clock(), current_user, contacts, body.important_info)
    except services.LetterError as exc:
        db.session.rollback()
        raise ApiError(400, exc.code, str(exc.message), field=exc.field.replace("-", ".")) from None
    db.session.commit()
    return _letter_json(current_user, letter)


@endpoint(bp, "/me/ambulance-letter/reviewed", "POST", "Confirm that my ambulance letter is still correct",
          response=LetterOut, errors=(404,))
def review_my_letter():
    letter = services.mark_reviewed(db.session, get_clock(), current_user)
    if letter is None:
        raise ApiError(404, "not_found", _("Write your ambulance letter first."))
    db.session.commit()
    return _letter_json(current_user, letter)


@endpoint(bp, "/users/<username>/ambulance-letter", "GET", "A colleague's ambulance letter: for the leaders of "
          "their unit and the responders of an open alert for them; every read is audited. A sign-in older than "
          "MAKKER_REAUTH_AFTER_S answers 401 reauthentication_required (sign in again at /reauth)",
          response=LetterOut, errors=(401,))
def user_letter(username: str):
    employee = find_user(db.session, username)
    if employee is None or not services.can_read_letter(db.session, current_user, employee):
        raise ApiError(404, "not_found", messages()[404])
    asked = reauth_challenge(f"/help/people/{employee.username}/ambulance-letter")
    if asked is not None:
        return asked  # 401 reauthentication_required: sign in again at /reauth first
    try:
        letter = services.read_letter(db.session, get_clock(), current_user, employee)
    except services.NotFound:
        raise ApiError(404, "not_found", messages()[404]) from None
    db.session.commit()
    return _letter_json(employee, letter)
