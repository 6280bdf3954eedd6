"""The start forms of a drill (one per kind). The services check everything again (the JSON API uses
them too)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import AnyOf, DataRequired

KINDS = ("unit", "person", "visit")


def kind_labels() -> dict[str, str]:
    return {"unit": _l("The whole unit"), "person": _l("One person"), "visit": _l("A visit pattern")}


class StartForm(FlaskForm):
    kind = HiddenField(validators=[DataRequired(), AnyOf(KINDS)])
    person = SelectField(_l("Person"), choices=[], validate_choice=False)
    worker = SelectField(_l("Worker (on the pretend visit)"), choices=[], validate_choice=False)
    buddy = SelectField(_l("Buddy"), choices=[], validate_choice=False)

    def set_people(self, people, *, without=None) -> None:
        choices = [("", _l("Choose…"))] + [(p.username, p.name) for p in people]
        self.worker.choices = self.buddy.choices = choices
        self.person.choices = [c for c in choices if without is None or c[0] != without.username]

    def plan_arguments(self) -> dict:
        kind = self.kind.data
        if kind == "unit":
            return {"unit": True}
        if kind == "person":
            return {"username": self.person.data or None}
        return {"worker": self.worker.data or None, "buddy": self.buddy.data or None}
