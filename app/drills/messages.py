"""What a drill's messages say, in the recipient's language. Every one says TEST ("ØVELSE" in
Danish) in its title, carries `drill: true`, and goes out as type "test" (the contract)."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from app.models import Alert, Drill, User


def what(drill: Drill) -> str:
    """What the drill rehearses, e.g. "alarm drill from Lene Holm"."""
    if drill.kind == "visit" and drill.worker is not None:
        return _("%(name)s has not checked out (drill)", name=drill.worker.name)
    return _("alarm drill from %(name)s", name=drill.started_by.name)


def heading(drill: Drill) -> str:
    """The same, as a heading: "Alarm drill from Lene Holm"."""
    text = what(drill)
    return text[:1].upper() + text[1:]


def _base(alert: Alert, drill: Drill) -> dict:
    return {"url": f"/alerts/{alert.id}", "alert_id": alert.id, "drill_id": drill.id, "drill": True,
            "reason": alert.reason, "level": alert.level}


def alarm(recipient: User, alert: Alert, drill: Drill) -> dict:
    """The drill's alarm, at the alert's level: urgent, through every channel, like a real alert."""
    with force_locale(recipient.locale):
        subject = what(drill)
        # A drill starts at level 1, so at level 2 nobody has taken it yet.
        title = (_("TEST, still not taken: %(what)s", what=subject) if alert.level >= 2
                 else _("TEST: %(what)s", what=subject))
        return {
            **_base(alert, drill),
            "title": title,
            "body": _("Nobody is in danger. Take the alarm in Makker as if it were real. Started by %(name)s.",
                      name=drill.started_by.name),
            "actions": ["ack"],
        }


def acknowledged(recipient: User, alert: Alert, drill: Drill, owner: User, seconds: int) -> dict:
    with force_locale(recipient.locale):
        return {
            **_base(alert, drill),
            "title": _("TEST: %(name)s took the drill", name=owner.name),
            "body": _("After %(seconds)s s. You do not need to do anything more.", seconds=seconds),
        }


def ended(recipient: User, alert: Alert, drill: Drill) -> dict:
    with force_locale(recipient.locale):
        return {
            **_base(alert, drill),
            "title": _("TEST over: %(what)s", what=what(drill)),
            "body": _("The drill is over and nobody took it in time. Check that Makker may notify you "
                      "on this phone (Settings)."),
        }


def stopped(recipient: User, alert: Alert, drill: Drill, *, real_alarm: bool) -> dict:
    with force_locale(recipient.locale):
        body = (_("The drill was stopped. Alarms you get from now on are real.") if real_alarm
                else _("%(name)s stopped the drill. You do not need to do anything.",
                       name=drill.stopped_by.name if drill.stopped_by else drill.started_by.name))
        return {**_base(alert, drill), "title": _("TEST stopped: %(what)s", what=what(drill)), "body": body}


def marked_real(recipient: User, payload: dict) -> dict:
    """A real alarm raised while a drill ran in the unit: it says, first of all, that it is no drill."""
    with force_locale(recipient.locale):
        return {**payload, "title": _("NOT A DRILL: %(title)s", title=payload.get("title", "")), "not_a_drill": True}
