"""Forms of the incident screens. The services validate again (the JSON API uses them too)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.incidents import labels
from app.incidents.services import MAX_TEXT, cpr_message, has_cpr

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def no_cpr(form, field) -> None:
    if has_cpr(field.data):
        raise ValidationError(cpr_message())


def _choices(mapping: dict) -> list[tuple[str, str]]:
    return list(mapping.items())


class DraftForm(FlaskForm):
    kind = RadioField(_l("What happened?"), choices=_choices(labels.KIND_LABELS), validate_choice=False)
    context = RadioField(_l("How?"), choices=_choices(labels.CONTEXT_LABELS), validate_choice=False)
    occurred_at = DateTimeLocalField(_l("When"), format=DATETIME_LOCAL, validators=[Optional()])
    place = StringField(_l("Where"), validators=[Optional(), Length(max=500), no_cpr])
    before = TextAreaField(_l("Before: what led up to it?"), validators=[Optional(), Length(max=MAX_TEXT), no_cpr])
    description = TextAreaField(_l("During: what happened?"),
                                validators=[Optional(), Length(max=MAX_TEXT), no_cpr])
    after = TextAreaField(_l("After: what happened next?"), validators=[Optional(), Length(max=MAX_TEXT), no_cpr])
    involved = TextAreaField(_l("Who was involved"), validators=[Optional(), Length(max=MAX_TEXT), no_cpr])
    witnesses = TextAreaField(_l("Witnesses"), validators=[Optional(), Length(max=MAX_TEXT), no_cpr])
    injury = RadioField(_l("Injury"), choices=_choices(labels.INJURY_LABELS), validate_choice=False)
    absence_expected = BooleanField(_l("I expect to be absent for a day or more"))
    police = RadioField(_l("Police"), choices=_choices(labels.POLICE_LABELS), validate_choice=False)
    alarm_used = BooleanField(_l("The assault alarm was used"))
    visit_id = HiddenField()
    alert_id = HiddenField()

    TEXT = ("place", "before", "description", "after", "involved", "witnesses")

    def draft_data(self, tz) -> dict:
        data = {name: getattr(self, name).data or "" for name in self.TEXT}
        for name in ("kind", "context", "injury", "police"):
            data[name] = getattr(self, name).data or ""
        data["absence_expected"] = bool(self.absence_expected.data)
        data["alarm_used"] = bool(self.alarm_used.data)
        if self.occurred_at.data is not None:
            data["occurred_at"] = self.occurred_at.data.replace(tzinfo=tz)
        return data


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=4000), no_cpr])


class CheckForm(FlaskForm):
    choice = RadioField(_l("Choose"), choices=[], validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000), no_cpr])
    reference = StringField(_l("SafetyNet reference"), validators=[Optional(), Length(max=64), no_cpr])
    on_date = DateField(_l("Date"), validators=[Optional()])
    with_user = SelectField(_l("Together with the AMR"), choices=[], validate_choice=False)


class FollowupForm(FlaskForm):
    due_at = DateTimeLocalField(_l("Planned for"), format=DATETIME_LOCAL, validators=[Optional()])


class StatusForm(FlaskForm):
    to = HiddenField()


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
