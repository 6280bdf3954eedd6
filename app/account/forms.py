from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, ValidationError
from wtforms.validators import DataRequired, Length

from app.passwords import password_problem


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=[("da", "Dansk"), ("en", "English")])
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    """ASVS V2.1.5/V2.1.6: the person changes their own password, giving the current one."""

    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(_l("Fill in this field.")), Length(max=256)])
    new_password = PasswordField(_l("New password"),
                                 validators=[DataRequired(_l("Fill in this field.")), Length(max=256)])
    repeat_password = PasswordField(_l("New password again"),
                                    validators=[DataRequired(_l("Fill in this field.")), Length(max=256)])

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_new_password(self, field):
        problem = password_problem(field.data or "", self.user.username if self.user else "",
                                   self.user.name if self.user else "")
        if problem:
            raise ValidationError(str(problem))

    def validate_repeat_password(self, field):
        if field.data != self.new_password.data:
            raise ValidationError(_l("The two new passwords are not the same."))
