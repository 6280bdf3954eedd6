from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField


class ChannelsForm(FlaskForm):
    push = BooleanField()
    sms = BooleanField()
    email = BooleanField()


class ConfirmForm(FlaskForm):
    """Only the CSRF token: confirming a phone number or e-mail address is one tap."""
