from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from app.textcheck import contains_cpr

DURATIONS = ("30", "45", "60", "90", "120")


def no_cpr(form, field):
    if contains_cpr(field.data):
        raise ValidationError(_l("Do not write CPR numbers in Makker."))


class PlanVisitForm(FlaskForm):
    id = HiddenField()
    unsure = BooleanField(_l("Something about the citizen makes me unsure"))
    told_colleague = BooleanField(_l("I have told a colleague (and a guard, if there is one)"))
    alarm_taken = BooleanField(_l("I have the assault alarm with me"))
    two_person = BooleanField(_l("Two of us should go"))
    second_colleague = StringField(_l("Second colleague"), validators=[Optional(), Length(max=120), no_cpr])
    interrupt = BooleanField(_l("My buddy interrupts the meeting at an agreed time"))
    interrupt_at = StringField(_l("Interrupt at"), validators=[Optional(), Regexp(r"^\d{1,2}:\d{2}$")])
    duration = RadioField(_l("How long?"), choices=[(d, d) for d in DURATIONS] + [("custom", "")], default="60")
    end_time = StringField(_l("Ends at"), validators=[Optional(), Regexp(r"^\d{1,2}:\d{2}$")])
    buddy = SelectField(_l("Buddy"), validators=[DataRequired()])
    place = StringField(_l("Where?"), validators=[DataRequired(), Length(max=500), no_cpr])
    share_location = BooleanField(_l("Share my location at the start and if an alarm is raised"))
    lat = HiddenField()
    lon = HiddenField()
    accuracy = HiddenField()


class CheckoutForm(FlaskForm):
    pin = PasswordField(_l("PIN"), validators=[Optional(), Regexp(r"^\d{4,8}$")])
    action_id = HiddenField()


class ExtendForm(FlaskForm):
    minutes = SelectField(_l("Extend by"), choices=[("15", "15"), ("30", "30"), ("60", "60"), ("5", "5"),
                                                   ("10", "10"), ("90", "90"), ("120", "120")], default="15")
    action_id = HiddenField()


class PinsForm(FlaskForm):
    checkout_pin = PasswordField(_l("Check-out PIN"), validators=[DataRequired(), Regexp(r"^\d{4,8}$",
                                 message=_l("4 to 8 digits."))])
    duress_pin = PasswordField(_l("Duress PIN"), validators=[DataRequired(), Regexp(r"^\d{4,8}$",
                               message=_l("4 to 8 digits."))])

    def validate_duress_pin(self, field):
        if field.data == self.checkout_pin.data:
            raise ValidationError(_l("The two PINs must be different."))
