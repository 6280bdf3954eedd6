"""Help: who to call, the guideline cards, and the ambulance letter. Plain functions on a session,
a clock and users; no request objects."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import markdown
import nh3
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.admin.services import unit_people
from app.alerts.access import is_responder_for_open_alert_of
from app.clock import Clock
from app.help.guideline import BY_SLUG, DEFAULT_CARDS, LOCALES
from app.models import AmbulanceLetter, AuditEntry, GuidelineCard, NextOfKin, User
from app.models.org import DEFAULT_CRISIS_LINE
from app.textcheck import contains_cpr

# --- Who to call ---------------------------------------------------------------------------------

ROLES = ("leader", "amr", "crisis", "police", "police_service", "first_aid")
DEFAULT_CRISIS_NAME = "Human House (Trivselsordningen)"


@dataclass(frozen=True)
class Contact:
    role: str
    name: str
    phone: str


def contacts_for(session: Session, user: User) -> list[Contact]:
    """Everyone `user` may need at once: their unit's leader(s) and AMR(s), the crisis line, the police
    (112 and 114) and the unit's colleagues trained in psychological first aid. People without a phone
    number cannot be called and are left out."""
    unit = user.unit
    contacts: list[Contact] = []
    for role in ("leader", "amr"):
        contacts += [Contact(role, p.name, p.phone) for p in unit_people(session, user.unit_id, role) if p.phone]
    contacts.append(
        Contact(
            "crisis",
            (unit.crisis_line_name if unit else "") or DEFAULT_CRISIS_NAME,
            (unit.crisis_line if unit else "") or DEFAULT_CRISIS_LINE,
        )
    )
    contacts.append(Contact("police", _("Police"), (unit.police_emergency if unit else "") or "112"))
    contacts.append(Contact("police_service", _("Police"), (unit.police_service if unit else "") or "114"))
    if user.unit_id is not None:
        trained = session.execute(
            select(User)
            .where(User.unit_id == user.unit_id, User.active.is_(True), User.first_aid_trained.is_(True),
                   User.id != user.id)
            .order_by(User.name)
        ).scalars()
        contacts += [Contact("first_aid", p.name, p.phone) for p in trained if p.phone]
    return contacts


# --- The guideline cards -------------------------------------------------------------------------

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4", "blockquote", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_SCHEMES = {"https", "http", "mailto", "tel"}


class _DropRawHtml(markdown.postprocessors.Postprocessor):
    """Raw HTML in the Markdown is reduced to its text (scripts and styles vanish entirely)."""

    def run(self, text: str) -> str:
        stash = self.md.htmlStash
        stash.rawHtmlBlocks = [nh3.clean(str(block), tags=set()) for block in stash.rawHtmlBlocks]
        return text


_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>\n?")


def render_markdown(text: str) -> Markup:
    """The admin's Markdown as safe HTML: a small set of tags, no raw HTML, no scripts or event
    handlers, links only to http(s), mailto and tel."""
    md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    md.postprocessors.register(_DropRawHtml(md), "drop_raw_html", 40)  # before raw_html (30)
    html = md.convert(text or "")
    html = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return Markup(_EMPTY_PARAGRAPH.sub("", html))


@dataclass
class CardView:
    slug: str
    locale: str
    title: str
    body_markdown: str
    position: int
    edited: bool = False
    updated_at: datetime | None = None
    updated_by: str | None = None
    html: Markup = field(default_factory=Markup)


def card_locale(locale: str | None) -> str:
    locale = (locale or "da").split("_")[0].lower()
    return locale if locale in LOCALES else "da"


def _view(default, edit: GuidelineCard | None, locale: str) -> CardView:
    if edit is not None:
        view = CardView(edit.slug, locale, edit.title, edit.body_markdown, edit.position, True, edit.updated_at,
                        edit.updated_by.name if edit.updated_by else None)
    else:
        view = CardView(default.slug, locale, default.title[locale], default.body[locale], default.position)
    view.html = render_markdown(view.body_markdown)
    return view


def guideline_cards(session: Session, locale: str | None) -> list[CardView]:
    """Every card in `locale` (Danish when the locale has no cards), edits over defaults, in order."""
    locale = card_locale(locale)
    edits = {
        card.slug: card
        for card in session.execute(select(GuidelineCard).where(GuidelineCard.locale == locale)).scalars()
    }
    cards = [_view(default, edits.get(default.slug), locale) for default in DEFAULT_CARDS]
    return sorted(cards, key=lambda c: (c.position, c.slug))


def guideline_card(session: Session, slug: str, locale: str | None) -> CardView | None:
    default = BY_SLUG.get(slug)
    if default is None:
        return None
    locale = card_locale(locale)
    edit = session.execute(
        select(GuidelineCard).where(GuidelineCard.slug == slug, GuidelineCard.locale == locale)
    ).scalar_one_or_none()
    return _view(default, edit, locale)


def save_guideline_card(
    session: Session, clock: Clock, slug: str, locale: str, *, title: str, body_markdown: str, actor: User
) -> GuidelineCard:
    default = BY_SLUG[slug]
    locale = card_locale(locale)
    card = session.execute(
        select(GuidelineCard).where(GuidelineCard.slug == slug, GuidelineCard.locale == locale)
    ).scalar_one_or_none()
    if card is None:
        card = GuidelineCard(slug=slug, locale=locale, position=default.position)
        session.add(card)
    card.title = title.strip()
    card.body_markdown = body_markdown.replace("\r\n", "\n").strip() + "\n"
    card.updated_at = clock.now()
    card.updated_by_id = actor.id
    audit.record(session, "guideline.edit", actor_id=actor.id, object_type="guideline_card",
                 object_id=f"{slug}/{locale}", clock=clock)
    return card


def reset_guideline_card(session: Session, clock: Clock, slug: str, locale: str, *, actor: User) -> bool:
    """Forget the edit: the shipped default shows again."""
    card = session.execute(
        select(GuidelineCard).where(GuidelineCard.slug == slug, GuidelineCard.locale == card_locale(locale))
    ).scalar_one_or_none()
    if card is None:
        return False
    session.delete(card)
    audit.record(session, "guideline.reset", actor_id=actor.id, object_type="guideline_card",
                 object_id=f"{slug}/{card_locale(locale)}", clock=clock)
    return True


# --- The ambulance letter ------------------------------------------------------------------------

MAX_CONTACTS = 3
REVIEW_MONTHS = 12
READ_ACTION = "ambulance_letter.read"

# A Danish CPR number: ddmmyy-xxxx, or ten digits in a row (a phone number written +4520112233 is not one).
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()-]{2,30}$")


class LetterError(ValueError):
    """Input the letter cannot take; `field` names the form field, the message is for the person."""

    def __init__(self, field: str, message, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.field, self.message, self.code = field, message, code


CPR_MESSAGE = _l("Do not write CPR numbers (ddmmyy-xxxx or ten digits in a row) in the ambulance letter. "
                 "Remove the number and save again.")


@dataclass
class ContactInput:
    name: str = ""
    relation: str = ""
    phone: str = ""
    phone_alt: str = ""

    def is_blank(self) -> bool:
        return not any(v.strip() for v in (self.name, self.relation, self.phone, self.phone_alt))


def letter_of(session: Session, user_id: int) -> AmbulanceLetter | None:
    return session.execute(select(AmbulanceLetter).where(AmbulanceLetter.user_id == user_id)).scalar_one_or_none()


def _validate(contacts: list[ContactInput], important_info: str) -> list[ContactInput]:
    if contains_cpr(important_info):
        raise LetterError("important_info", CPR_MESSAGE, "cpr_number")
    kept: list[ContactInput] = []
    for index, contact in enumerate(contacts):
        if contact.is_blank():
            continue
        where = f"contacts-{index}"
        for attr in ("name", "relation", "phone", "phone_alt"):
            if contains_cpr(getattr(contact, attr)):
                raise LetterError(f"{where}-{attr}", CPR_MESSAGE, "cpr_number")
        if not contact.name.strip():
            raise LetterError(f"{where}-name", _l("Write the name of the person to call."))
        if not PHONE_RE.match(contact.phone.strip()):
            raise LetterError(f"{where}-phone", _l("Write a phone number with digits, e.g. +45 20 11 22 33."))
        if contact.phone_alt.strip() and not PHONE_RE.match(contact.phone_alt.strip()):
            raise LetterError(f"{where}-phone_alt", _l("Write a phone number with digits, e.g. +45 20 11 22 33."))
        kept.append(contact)
    if not kept:
        raise LetterError("contacts-0-name", _l("Write at least one person to call, with a phone number."))
    if len(kept) > MAX_CONTACTS:
        raise LetterError("contacts", _l("At most %(n)d people.", n=MAX_CONTACTS))
    return kept


def save_letter(
    session: Session, clock: Clock, user: User, contacts: list[ContactInput], important_info: str
) -> AmbulanceLetter:
    """Write the employee's own letter. Saving counts as reviewing it."""
    important_info = (important_info or "").replace("\r\n", "\n").strip()
    kept = _validate(contacts, important_info)
    now = clock.now()
    letter = letter_of(session, user.id)
    if letter is None:
        letter = AmbulanceLetter(user_id=user.id, created_at=now)
        session.add(letter)
    letter.important_info = important_info
    letter.updated_at = now
    letter.reviewed_at = now
    letter.contacts.clear()
    session.flush()
    for position, c in enumerate(kept):
        letter.contacts.append(NextOfKin(
            position=position, name=c.name.strip(), relation=c.relation.strip(), phone=c.phone.strip(),
            phone_alt=c.phone_alt.strip(),
        ))
    audit.record(session, "ambulance_letter.update", actor_id=user.id, object_type="ambulance_letter",
                 object_id=user.id, subject_user_id=user.id, clock=clock)
    return letter


def mark_reviewed(session: Session, clock: Clock, user: User) -> AmbulanceLetter | None:
    """"Reviewed, still correct": only for an existing letter."""
    letter = letter_of(session, user.id)
    if letter is None:
        return None
    letter.reviewed_at = clock.now()
    audit.record(session, "ambulance_letter.reviewed", actor_id=user.id, object_type="ambulance_letter",
                 object_id=user.id, subject_user_id=user.id, clock=clock)
    return letter


def _add_months(when: datetime, months: int) -> datetime:
    year, month = divmod(when.month - 1 + months, 12)
    year, month = when.year + year, month + 1
    day = when.day
    while True:
        try:
            return when.replace(year=year, month=month, day=day)
        except ValueError:  # 29-31 in a shorter month
            day -= 1


def review_due_at(letter: AmbulanceLetter) -> datetime:
    return _add_months(letter.reviewed_at, REVIEW_MONTHS)


def letter_status(letter: AmbulanceLetter | None, clock: Clock) -> str:
    """`missing`, `due` (not reviewed for 12 months) or `ok`."""
    if letter is None or not letter.contacts:
        return "missing"
    return "due" if clock.now() >= review_due_at(letter) else "ok"


def needs_attention(session: Session, clock: Clock, user: User) -> bool:
    return letter_status(letter_of(session, user.id), clock) != "ok"


def can_read_letter(session: Session, viewer: User, employee: User) -> bool:
    """The employee, the leaders of the employee's unit, and responders of an open alert for the employee."""
    if not viewer.active:
        return False
    if viewer.id == employee.id:
        return True
    if viewer.role == "leader" and viewer.unit_id is not None and viewer.unit_id == employee.unit_id:
        return True
    return is_responder_for_open_alert_of(session, viewer, employee.id)


class NotFound(LookupError):
    """The letter does not exist for this viewer (answer 404, never 403: do not reveal it)."""


def read_letter(session: Session, clock: Clock, viewer: User, employee: User | None) -> AmbulanceLetter | None:
    """The employee's letter (None when not written yet) for `viewer`; every read by someone other than
    the employee is audited. Raises NotFound when the viewer may not see it."""
    if employee is None or not can_read_letter(session, viewer, employee):
        raise NotFound
    letter = letter_of(session, employee.id)
    if viewer.id != employee.id:
        audit.record(session, READ_ACTION, actor_id=viewer.id, object_type="ambulance_letter",
                     object_id=employee.id, subject_user_id=employee.id, clock=clock)
    return letter


def reads_of(session: Session, employee: User, limit: int = 50) -> list[AuditEntry]:
    """Who read the employee's letter, newest first (shown to the employee)."""
    return list(session.execute(
        select(AuditEntry)
        .where(AuditEntry.action == READ_ACTION, AuditEntry.subject_user_id == employee.id,
               AuditEntry.actor_id != employee.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).scalars())


@dataclass
class UnitLetter:
    user: User
    letter: AmbulanceLetter | None
    status: str
    due_at: datetime | None


def unit_letters(session: Session, clock: Clock, leader: User) -> list[UnitLetter]:
    """For a leader: every active member of their unit with the state of their letter (no contents,
    so nothing is audited); missing and overdue first."""
    if leader.unit_id is None:
        return []
    users = session.execute(
        select(User).where(User.unit_id == leader.unit_id, User.active.is_(True)).order_by(User.name)
    ).scalars().all()
    letters = {
        letter.user_id: letter
        for letter in session.execute(
            select(AmbulanceLetter).where(AmbulanceLetter.user_id.in_([u.id for u in users]))
        ).scalars()
    }
    rows = []
    for user in users:
        letter = letters.get(user.id)
        status = letter_status(letter, clock)
        rows.append(UnitLetter(user, letter, status, review_due_at(letter) if letter else None))
    order = {"missing": 0, "due": 1, "ok": 2}
    return sorted(rows, key=lambda r: (order[r.status], r.user.name))


def due_soon(letter: AmbulanceLetter | None, clock: Clock, days: int = 30) -> bool:
    return letter is not None and clock.now() + timedelta(days=days) >= review_due_at(letter)
