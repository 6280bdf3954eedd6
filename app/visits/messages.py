"""What each notification says, in the recipient's language."""

from __future__ import annotations

from flask_babel import force_locale, format_time
from flask_babel import gettext as _

from app.models import Alert, User, Visit


def _reason_text(reason: str) -> str:
    return {
        "overdue": _("has not checked out"),
        "sos": _("pressed SOS"),
        "duress": _("may be in danger (silent alarm)"),
    }.get(reason, reason)


def reminder(recipient: User, visit: Visit) -> dict:
    with force_locale(recipient.locale):
        return {
            "title": _("Your visit ends at %(time)s", time=format_time(visit.planned_end, "HH:mm")),
            "body": _("Check out or extend, so %(buddy)s is not alerted.", buddy=visit.buddy.first_name),
            "url": f"/visits/{visit.id}",
            "visit_id": visit.id,
            "actions": ["checkout", "extend15"],
        }


def interrupt(recipient: User, visit: Visit) -> dict:
    worker = visit.worker
    with force_locale(recipient.locale):
        return {
            "title": _("Call %(name)s now (agreed interruption)", name=worker.first_name),
            "body": _("%(name)s asked you to interrupt the meeting now. Phone: %(phone)s",
                      name=worker.name, phone=worker.phone or "–"),
            "url": f"tel:{worker.phone}" if worker.phone else "/",
            "visit_id": visit.id,
            "phone": worker.phone,
        }


def alert(recipient: User, alert: Alert, *, repeat: int = 0) -> dict:
    worker = alert.worker
    with force_locale(recipient.locale):
        title = _("ALERT: %(name)s %(reason)s", name=worker.name, reason=_reason_text(alert.reason))
        if repeat:
            title = _("Still nobody has taken it: %(title)s", title=title)
        body = _("Open Makker, take the alert and call %(name)s.", name=worker.first_name)
        if alert.visit is not None and alert.visit.place:
            body = _("Place: %(place)s. ", place=alert.visit.place) + body
        return {
            "title": title,
            "body": body,
            "url": f"/alerts/{alert.id}",
            "alert_id": alert.id,
            "visit_id": alert.visit_id,
            "reason": alert.reason,
            "level": alert.level,
            "phone": worker.phone,
            "actions": ["ack", "call"],
        }


def acknowledged(recipient: User, alert: Alert) -> dict:
    owner = alert.owner
    with force_locale(recipient.locale):
        if recipient.id == alert.worker_id:
            title = _("%(name)s has seen your alert", name=owner.name)
            body = _("%(name)s is taking care of it.", name=owner.first_name)
            url = f"/visits/{alert.visit_id}" if alert.visit_id else "/"
        else:
            title = _("%(owner)s took the alert for %(name)s", owner=owner.name, name=alert.worker.name)
            body = _("You do not need to do anything more.")
            url = f"/alerts/{alert.id}"
        return {"title": title, "body": body, "url": url, "alert_id": alert.id, "visit_id": alert.visit_id,
                "reason": alert.reason, "level": alert.level}


def resolved(recipient: User, alert: Alert) -> dict:
    by = alert.resolved_by
    with force_locale(recipient.locale):
        outcome = {"safe": _("safe"), "false_alarm": _("false alarm"), "incident": _("incident")}.get(
            alert.outcome or "", alert.outcome or ""
        )
        return {
            "title": _("The alert for %(name)s is resolved", name=alert.worker.name),
            "body": _("%(by)s: %(outcome)s", by=by.name if by else "Makker", outcome=outcome),
            "url": f"/alerts/{alert.id}" if recipient.id != alert.worker_id else "/",
            "alert_id": alert.id,
            "visit_id": alert.visit_id,
            "reason": alert.reason,
            "level": alert.level,
        }
