"""Hjælp: one-tap calls, the guideline at hand, and the ambulance letter."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app import get_clock
from app.admin.services import find_user
from app.extensions import db
from app.help import services
from app.help.forms import AmbulanceLetterForm, ConfirmForm, GuidelineCardForm
from app.help.guideline import BY_SLUG, LOCALES
from app.reauth.routes import challenge as reauth_challenge
from app.security import roles_required

bp = Blueprint("help", __name__, url_prefix="/help")


def _private_cacheable(response):
    """Help and the guideline must open without a network later (the service worker keeps them):
    let the user's own browser keep them, never a shared cache."""
    response = make_response(response)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = "Cookie"
    return response


SCREEN_ORDER = {"police": 0, "leader": 1, "amr": 2, "crisis": 3, "police_service": 4}


def _locale() -> str:
    return services.card_locale(str(get_locale() or "da"))


@bp.get("/")
@login_required
def index():
    contacts = services.contacts_for(db.session, current_user)
    # The emergency number first and biggest, then the people, then the lines.
    calls = sorted((c for c in contacts if c.role != "first_aid"), key=lambda c: SCREEN_ORDER.get(c.role, 9))
    first_aid = [c for c in contacts if c.role == "first_aid"]
    return _private_cacheable(render_template(
        "help/index.html",
        calls=calls,
        first_aid=first_aid,
        cards=services.guideline_cards(db.session, _locale()),
    ))


# --- The guideline -------------------------------------------------------------------------------

@bp.get("/guideline")
@login_required
def guideline():
    return _private_cacheable(render_template(
        "help/guideline.html", cards=services.guideline_cards(db.session, _locale())
    ))


@bp.get("/guideline/<slug>")
@login_required
def card(slug: str):
    view = services.guideline_card(db.session, slug, _locale())
    if view is None:
        abort(404)
    cards = services.guideline_cards(db.session, _locale())
    slugs = [c.slug for c in cards]
    index = slugs.index(slug)
    return _private_cacheable(render_template(
        "help/card.html",
        card=view,
        previous=cards[index - 1] if index > 0 else None,
        next=cards[index + 1] if index + 1 < len(cards) else None,
    ))


@bp.route("/guideline/<slug>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_card(slug: str):
    if slug not in BY_SLUG:
        abort(404)
    locale = request.args.get("locale", _locale())
    if locale not in LOCALES:
        abort(404)
    current = services.guideline_card(db.session, slug, locale)
    form = GuidelineCardForm(data={"title": current.title, "body_markdown": current.body_markdown})
    if form.validate_on_submit():
        services.save_guideline_card(
            db.session, get_clock(), slug, locale,
            title=form.title.data, body_markdown=form.body_markdown.data, actor=current_user,
        )
        db.session.commit()
        flash(_("The card is saved."), "ok")
        return redirect(url_for("help.edit_card", slug=slug, locale=locale))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "help/card_edit.html", form=form, card=current, slug=slug, locale=locale, locales=LOCALES,
        preview=services.render_markdown(form.body_markdown.data or ""),
    ), status


@bp.post("/guideline/<slug>/reset")
@roles_required("admin")
def reset_card(slug: str):
    locale = request.args.get("locale", "")
    if slug not in BY_SLUG or locale not in LOCALES:
        abort(404)
    if services.reset_guideline_card(db.session, get_clock(), slug, locale, actor=current_user):
        db.session.commit()
        flash(_("The card shows the original text again."), "ok")
    return redirect(url_for("help.edit_card", slug=slug, locale=locale))


# --- The ambulance letter ------------------------------------------------------------------------

@bp.get("/ambulance-letter")
@login_required
def letter():
    clock = get_clock()
    own = services.letter_of(db.session, current_user.id)
    return render_template(
        "help/letter.html",
        employee=current_user,
        letter=own,
        own=True,
        status=services.letter_status(own, clock),
        due_at=services.review_due_at(own) if own else None,
        reads=services.reads_of(db.session, current_user),
        review_soon=services.due_soon(own, clock),
        form=ConfirmForm(),
    )


def _fill_form(form: AmbulanceLetterForm, letter) -> None:
    if letter is None:
        return
    for entry, contact in zip(form.contacts.entries, letter.contacts, strict=False):
        entry.form.process(None, obj=contact)
    form.important_info.data = letter.important_info


def _field_for(form: AmbulanceLetterForm, name: str):
    """The form field that a LetterError's `field` names (e.g. contacts-1-phone)."""
    parts = name.split("-")
    if parts[0] == "contacts" and len(parts) == 3:
        return getattr(form.contacts.entries[int(parts[1])].form, parts[2])
    return getattr(form, parts[0], form.important_info)


@bp.route("/ambulance-letter/edit", methods=["GET", "POST"])
@login_required
def edit_letter():
    form = AmbulanceLetterForm()
    if request.method == "GET":
        _fill_form(form, services.letter_of(db.session, current_user.id))
    elif form.validate_on_submit():
        contacts = [services.ContactInput(**{k: (v or "") for k, v in e.data.items()}) for e in form.contacts.entries]
        try:
            services.save_letter(db.session, get_clock(), current_user, contacts, form.important_info.data or "")
        except services.LetterError as exc:
            db.session.rollback()
            _field_for(form, exc.field).errors = [str(exc.message)]
        else:
            db.session.commit()
            flash(_("Your ambulance letter is saved."), "ok")
            return redirect(url_for("help.letter"))
    status = 422 if request.method == "POST" else 200
    return render_template("help/letter_edit.html", form=form), status


@bp.post("/ambulance-letter/reviewed")
@login_required
def letter_reviewed():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if services.mark_reviewed(db.session, get_clock(), current_user) is None:
        return redirect(url_for("help.edit_letter"))
    db.session.commit()
    flash(_("Thank you. We will ask you again in 12 months."), "ok")
    return redirect(url_for("main.home") if request.form.get("next") == "home" else url_for("help.letter"))


@bp.get("/people/<username>/ambulance-letter")
@login_required
def person_letter(username: str):
    employee = find_user(db.session, username)
    if employee is not None and employee.id == current_user.id:
        return redirect(url_for("help.letter"))
    clock = get_clock()
    if employee is None or not services.can_read_letter(db.session, current_user, employee):
        abort(404)
    # Next of kin: the most sensitive read there is. A sign-in older than MAKKER_REAUTH_AFTER_S first.
    asked = reauth_challenge()
    if asked is not None:
        return asked
    try:
        other = services.read_letter(db.session, clock, current_user, employee)
    except services.NotFound:
        abort(404)
    db.session.commit()  # the audit entry
    return render_template(
        "help/letter.html",
        employee=employee,
        letter=other,
        own=False,
        status=services.letter_status(other, clock),
        due_at=services.review_due_at(other) if other else None,
        reads=[],
    )


@bp.get("/ambulance-letters")
@roles_required("leader")
def unit_letters():
    return render_template(
        "help/unit_letters.html", rows=services.unit_letters(db.session, get_clock(), current_user)
    )


# --- Panels on other screens ---------------------------------------------------------------------

def _home_panel() -> Markup | None:
    """Ask for the ambulance letter at first sign-in, and again when its yearly review is due."""
    if not current_user.is_authenticated:
        return None
    own = services.letter_of(db.session, current_user.id)
    status = services.letter_status(own, get_clock())
    if status == "ok":
        return None
    return Markup(render_template("help/_letter_prompt.html", status=status, form=ConfirmForm()))


def _settings_card() -> Markup | None:
    if not current_user.is_authenticated:
        return None
    clock = get_clock()
    own = services.letter_of(db.session, current_user.id)
    return Markup(render_template(
        "help/_settings_card.html",
        status=services.letter_status(own, clock),
        due_at=services.review_due_at(own) if own else None,
    ))


def init_app(app: Flask) -> None:
    app.extensions.setdefault("makker.home_panels", []).append(_home_panel)
    app.extensions.setdefault("makker.settings_cards", []).append(_settings_card)
