"""What the hand-over of a leaver's duties says, in each recipient's language."""

from __future__ import annotations

from flask_babel import force_locale, format_time
from flask_babel import gettext as _

from app.models import Alert, User, Visit
from app.visits import messages as visit_messages


def _end(visit: Visit) -> str:
    return format_time(visit.planned_end, "HH:mm")


def alert_again(recipient: User, alert: Alert, leaver: User) -> dict:
    """The alert once more to the other responders: the person who had taken it is gone."""
    payload = visit_messages.alert(recipient, alert)
    with force_locale(recipient.locale):
        payload["title"] = _("ALERT again: %(leaver)s can no longer take the alert for %(name)s",
                             leaver=leaver.name, name=alert.worker.name)
    return payload


def alert_owner_left(recipient: User, alert: Alert, leaver: User, others: list[User]) -> dict:
    """To the worker, who had been told that the leaver was taking care of their alert."""
    with force_locale(recipient.locale):
        names = ", ".join(p.name for p in others) or _("your leader")
        return {
            "title": _("%(leaver)s can no longer follow your alert", leaver=leaver.name),
            "body": _("It has been sent again to %(names)s.", names=names),
            "url": f"/visits/{alert.visit_id}" if alert.visit_id else "/",
            "alert_id": alert.id, "visit_id": alert.visit_id,
        }


def buddy_left_worker(recipient: User, visit: Visit, leaver: User) -> dict:
    with force_locale(recipient.locale):
        return {
            "title": _("Your buddy %(leaver)s no longer has access to Makker", leaver=leaver.name),
            "body": _("Choose another buddy for your visit (ends %(time)s). Until then an alert goes "
                      "straight to your leader.", time=_end(visit)),
            "url": f"/visits/{visit.id}/buddy", "visit_id": visit.id,
        }


def buddy_left_leader(recipient: User, visit: Visit, leaver: User) -> dict:
    with force_locale(recipient.locale):
        return {
            "title": _("%(leaver)s no longer has access: %(name)s is on a visit without a buddy",
                       leaver=leaver.name, name=visit.worker.name),
            "body": _("The visit ends %(time)s. %(name)s has been asked to choose another buddy; you can "
                      "choose one too.", time=_end(visit), name=visit.worker.first_name),
            "url": f"/visits/{visit.id}/buddy", "visit_id": visit.id,
        }


def worker_left(recipient: User, visit: Visit, leaver: User) -> dict:
    """To the buddy and the leaders: the worker lost access while out on a visit (still watched)."""
    with force_locale(recipient.locale):
        return {
            "title": _("%(name)s no longer has access to Makker but is on a visit", name=leaver.name),
            "body": _("Makker still watches the visit (ends %(time)s), but %(name)s cannot check out. "
                      "Call %(name)s. Phone: %(phone)s", time=_end(visit), name=leaver.first_name,
                      phone=leaver.phone or "–"),
            "url": f"tel:{leaver.phone}" if leaver.phone else "/", "visit_id": visit.id,
            "phone": leaver.phone,
        }


def new_buddy(recipient: User, visit: Visit, actor: User) -> dict:
    with force_locale(recipient.locale):
        return {
            "title": _("You are now %(name)s's buddy", name=visit.worker.name),
            "body": _("%(actor)s chose you. The visit ends %(time)s; you are alerted if %(name)s does not "
                      "check out.", actor=actor.name, time=_end(visit), name=visit.worker.first_name),
            "url": "/", "visit_id": visit.id,
        }


def buddy_chosen_for_you(recipient: User, visit: Visit, actor: User) -> dict:
    with force_locale(recipient.locale):
        return {
            "title": _("%(buddy)s is now your buddy", buddy=visit.buddy.name),
            "body": _("%(actor)s chose %(buddy)s as buddy for your visit.", actor=actor.name,
                      buddy=visit.buddy.first_name),
            "url": f"/visits/{visit.id}", "visit_id": visit.id,
        }
