"""What the push, SMS and e-mail channels write, in the recipient's language.

Kept in the push feature (not in app/notify/channels) so the strings live in this feature's catalogue."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import force_locale
from flask_babel import gettext as _


@lru_cache(maxsize=16)
def _action_titles(locale: str) -> tuple:
    with force_locale(locale):
        return tuple({
            "ack": _("I'll take it"),
            "call": _("Call"),
            "checkout": _("Check out"),
            "extend15": _("+15 min"),
            "checkout_done": _("You are checked out"),
            "extended": _("Extended by 15 min"),
        }.items())


def action_titles(locale: str) -> dict[str, str]:
    """Button labels for the service worker's notification actions (translated once per locale)."""
    return dict(_action_titles(locale or "da"))


@lru_cache(maxsize=16)
def _push_delivered(locale: str) -> str:
    with force_locale(locale):
        return _("push delivered to %(device)s")  # formatted below: sent once per push, kept cheap


def push_delivered(locale: str, device: str) -> str:
    return _push_delivered(locale or "da") % {"device": device}


def push_failed(locale: str, device: str, status) -> str:
    with force_locale(locale or "da"):
        return _("push to %(device)s failed (%(status)s)", device=device, status=status)


def push_gone(locale: str, device: str) -> str:
    with force_locale(locale or "da"):
        return _("push to %(device)s: the device has unsubscribed; removed", device=device)


def push_not_allowed(locale: str, device: str) -> str:
    with force_locale(locale or "da"):
        return _("push to %(device)s refused: the push service is not on the allow-list", device=device)


def sms_text(locale: str, type_: str, title: str, link: str | None, confirm_link: str | None = None) -> str:
    """A short SMS: the alert's title and a link to it."""
    with force_locale(locale or "da"):
        if type_ == "test":
            text = _("Makker test: this number receives alerts by SMS.")
            if confirm_link:
                text += " " + _("Confirm: %(link)s", link=confirm_link)
            return text
        text = f"Makker: {title}"
        if link:
            text += " " + _("Open: %(link)s", link=link)
        return text


def sms_sent(locale: str, number: str) -> str:
    with force_locale(locale or "da"):
        return _("SMS sent to %(number)s", number=number)


def sms_not_needed(locale: str) -> str:
    with force_locale(locale or "da"):
        return _("SMS not needed: the push was delivered")


def email_subject(locale: str, type_: str, title: str) -> str:
    with force_locale(locale or "da"):
        if type_ == "test":
            return _("Makker test message")
        return f"Makker: {title}"


def email_body(locale: str, type_: str, title: str, body: str, link: str | None,
               confirm_link: str | None = None) -> str:
    with force_locale(locale or "da"):
        if type_ == "test":
            lines = [_("This is a test message from Makker. Your e-mail address receives alerts.")]
            if confirm_link:
                lines += ["", _("Confirm the address by opening this link:"), confirm_link]
        else:
            lines = [title, "", body]
            if link:
                lines += ["", _("Open in Makker: %(link)s", link=link)]
        lines += ["", "-- ", _("Sent by Makker. You can choose your channels under Settings.")]
        return "\n".join(lines)


def email_sent(locale: str, address: str) -> str:
    with force_locale(locale or "da"):
        return _("e-mail sent to %(address)s", address=address)


def email_kept(locale: str, address: str) -> str:
    with force_locale(locale or "da"):
        return _("e-mail to %(address)s kept in the local mail sink (no SMTP server)", address=address)


def test_title(locale: str) -> str:
    with force_locale(locale or "da"):
        return _("Makker test")


def test_body(locale: str) -> str:
    with force_locale(locale or "da"):
        return _("Notifications work on this device.")
