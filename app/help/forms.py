"""Forms: the ambulance letter and the admin's editor of a guideline card."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.help.services import MAX_CONTACTS


def at_most(n: int) -> Length:
    return Length(max=n, message=_l("At most %(max)d characters."))


class NextOfKinForm(Form):
    """One person to call; a sub-form (the letter's form carries the CSRF token)."""

    name = StringField(_l("Name"), validators=[at_most(120)])
    relation = StringField(_l("Relation to you"), validators=[at_most(60)])
    phone = StringField(_l("Phone"), validators=[at_most(32)])
    phone_alt = StringField(_l("Other phone (optional)"), validators=[at_most(32)])


class AmbulanceLetterForm(FlaskForm):
    contacts = FieldList(FormField(NextOfKinForm), min_entries=MAX_CONTACTS, max_entries=MAX_CONTACTS)
    important_info = TextAreaField(_l("Important information"), validators=[at_most(2000)])


class GuidelineCardForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Fill in this field.")), at_most(200)])
    body_markdown = TextAreaField(
        _l("Text (Markdown)"), validators=[DataRequired(_l("Fill in this field.")), at_most(20000)]
    )


class ConfirmForm(FlaskForm):
    """A button that changes state: only the CSRF token."""
