"""Admin forms: users, passwords, units and a member's role. Every message is Danish through Babel."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.passwords import password_problem

REQUIRED = _l("Fill in this field.")
WHOLE_NUMBER = _l("Write a whole number.")
CHOOSE = _l("Choose one of the options.")
TIME = _l("Write a time like 08:00.")


def max_length(n: int) -> Length:
    return Length(max=n, message=_l("At most %(max)d characters."))


def role_labels() -> dict[str, str]:
    return {
        "staff": _l("Staff"),
        "leader": _l("Leader"),
        "amr": _l("AMR (health and safety representative)"),
        "admin": _l("Administrator"),
    }


def role_choices(*, include_admin: bool = True) -> list[tuple[str, str]]:
    return [(k, v) for k, v in role_labels().items() if include_admin or k != "admin"]


LOCALES = [("da", "Dansk"), ("en", "English")]


def weekday_names() -> list[tuple[str, str]]:
    return [
        ("1", _l("Monday")), ("2", _l("Tuesday")), ("3", _l("Wednesday")), ("4", _l("Thursday")),
        ("5", _l("Friday")), ("6", _l("Saturday")), ("7", _l("Sunday")),
    ]


USERNAME = Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use only letters a-z, digits, dot, dash and underscore."))
PHONE = Regexp(r"^\+?[0-9 ()-]{0,31}$", message=_l("Write the phone number with digits, e.g. +45 20 11 22 33."))
EMAIL = Regexp(r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("That is not an e-mail address."))


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), max_length(64), USERNAME])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), max_length(120)])
    phone = StringField(_l("Phone"), validators=[Optional(), max_length(32), PHONE])
    email = StringField(_l("E-mail"), validators=[Optional(), max_length(254), EMAIL])
    role = SelectField(_l("Role"), choices=[], invalid_choice_message=CHOOSE)
    unit_id = SelectField(_l("Unit"), choices=[], invalid_choice_message=CHOOSE)
    locale = SelectField(_l("Language"), choices=LOCALES, invalid_choice_message=CHOOSE)
    first_aid_trained = BooleanField(_l("First aid trained"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()
        self.unit_id.choices = [("", _l("No unit"))] + [(str(u.id), u.name) for u in units]

    def unit_value(self) -> int | None:
        return int(self.unit_id.data) if self.unit_id.data else None

    def values(self) -> dict:
        return {
            "username": self.username.data.strip().lower(),
            "name": self.name.data.strip(),
            "phone": (self.phone.data or "").strip(),
            "email": (self.email.data or "").strip(),
            "role": self.role.data,
            "unit_id": self.unit_value(),
            "locale": self.locale.data,
            "first_aid_trained": bool(self.first_aid_trained.data),
        }


def _check_password(form, field):
    username = form.username.data if hasattr(form, "username") else getattr(form, "for_username", "")
    name = form.name.data if hasattr(form, "name") else getattr(form, "for_name", "")
    problem = password_problem(field.data or "", username or "", name or "")
    if problem:
        raise ValidationError(str(problem))


class NewUserForm(UserForm):
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired(REQUIRED), max_length(256), _check_password]
    )


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(REQUIRED), max_length(256), _check_password]
    )

    def __init__(self, *args, for_username: str = "", for_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.for_username = for_username
        self.for_name = for_name


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


SECONDS = [Optional(), NumberRange(min=0, max=86400, message=_l("Between 0 and 86400 seconds."))]


class UnitForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), max_length(120)])
    opens_at = TimeField(_l("Opens at"), validators=[InputRequired(REQUIRED)], invalid_value_message=TIME)
    closes_at = TimeField(_l("Closes at"), validators=[InputRequired(REQUIRED)], invalid_value_message=TIME)
    open_weekdays = MultiCheckboxField(_l("Open on"), choices=[], invalid_choice_message=CHOOSE)
    reminder_before_s = IntegerField(_l("Reminder before the planned end (seconds)"), validators=SECONDS, invalid_value_message=WHOLE_NUMBER)
    grace_s = IntegerField(_l("Grace period after the planned end (seconds)"), validators=SECONDS, invalid_value_message=WHOLE_NUMBER)
    ack_timeout_s = IntegerField(_l("Escalate an unacknowledged alert after (seconds)"), validators=SECONDS,
                                 invalid_value_message=WHOLE_NUMBER)
    crisis_line = StringField(_l("Crisis line"), validators=[DataRequired(REQUIRED), max_length(32), PHONE])
    crisis_line_name = StringField(_l("Name of the crisis line"), validators=[DataRequired(REQUIRED), max_length(120)])
    police_emergency = StringField(_l("Police, emergency"), validators=[DataRequired(REQUIRED), max_length(16), PHONE])
    police_service = StringField(_l("Police, non-emergency"), validators=[DataRequired(REQUIRED), max_length(16), PHONE])
    sms_for_level2 = BooleanField(_l("Also send text messages at level 2"))
    easy_deadline_days = IntegerField(
        _l("Deadline for the report to the Working Environment Authority (days)"),
        validators=[InputRequired(REQUIRED), NumberRange(min=1, max=365, message=_l("Between 1 and 365 days."))],
        invalid_value_message=WHOLE_NUMBER,
    )
    follow_up_after_days = IntegerField(
        _l("Follow-up talk after (days)"),
        validators=[Optional(), NumberRange(min=0, max=365, message=_l("Between 0 and 365 days."))],
        invalid_value_message=WHOLE_NUMBER,
    )
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.open_weekdays.choices = weekday_names()

    def validate_closes_at(self, field):
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The unit must close after it opens."))

    def validate_open_weekdays(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one weekday."))

    def values(self) -> dict:
        return {
            "name": self.name.data.strip(),
            "opens_at": self.opens_at.data,
            "closes_at": self.closes_at.data,
            "open_weekdays": "".join(sorted(set(self.open_weekdays.data or []))),
            "reminder_before_s": self.reminder_before_s.data,
            "grace_s": self.grace_s.data,
            "ack_timeout_s": self.ack_timeout_s.data,
            "crisis_line": self.crisis_line.data.strip(),
            "crisis_line_name": self.crisis_line_name.data.strip(),
            "police_emergency": self.police_emergency.data.strip(),
            "police_service": self.police_service.data.strip(),
            "sms_for_level2": bool(self.sms_for_level2.data),
            "easy_deadline_days": self.easy_deadline_days.data,
            "follow_up_after_days": self.follow_up_after_days.data or 0,
            "active": bool(self.active.data),
        }


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[], invalid_choice_message=CHOOSE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices(include_admin=False)
