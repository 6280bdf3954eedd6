"""Retention: the admin page (/admin/retention), `flask purge` and the watchdog's daily purge."""

from __future__ import annotations

import click
from flask import Blueprint, Flask, current_app, render_template
from flask.cli import with_appcontext
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app import get_clock
from app.extensions import db
from app.retention import services
from app.security import roles_required

bp = Blueprint("retention", __name__)

KIND_LABELS = {
    "incidents": _l("Incidents"),
    "incident_drafts": _l("Incident drafts"),
    "incident_comments": _l("Incident comments"),
    "incident_checks": _l("Checklist items of incidents"),
    "incident_audit_entries": _l("Audit entries about incidents"),
    "alerts": _l("Alarms"),
    "visits": _l("Visits"),
    "timeline_events": _l("Timeline events"),
    "notifications": _l("Notifications"),
    "outbox_entries": _l("Outbox entries"),
    "delivery_attempts": _l("Delivery attempts"),
    "visit_places": _l("Visits with address or position erased"),
    "notification_texts": _l("Notification texts erased"),
    "alert_positions": _l("Alarm positions erased"),
    "mail_sink": _l("Local e-mail copies"),
    "client_actions": _l("Replay records from phones"),
    "sessions": _l("Expired sign-ins"),
    "push_subscriptions": _l("Push subscriptions of deactivated users"),
    "ambulance_letters": _l("Ambulance letters of deactivated users"),
    "next_of_kin": _l("Next of kin in those letters"),
    "audit_entries": _l("Audit log entries"),
    "drills": _l("Drills"),
    "drill_people": _l("People listed in those drills"),
}


def days_text(days: int) -> str:
    text = ngettext("%(num)d day", "%(num)d days", days)
    if days >= 365 and days % 365 == 0:
        text += " (" + ngettext("%(num)d year", "%(num)d years", days // 365) + ")"
    return text


def policy_lines(policy: services.Policy) -> list[str]:
    d = days_text
    return [
        _l("Addresses and positions are erased %(days)s after the visit.", days=d(policy.places_days)),
        _l("Visits are deleted %(days)s after they ended, unless an alarm or an incident refers to them.",
           days=d(policy.visits_days)),
        _l("Resolved alarms are deleted %(days)s after they were resolved, with their notifications and "
           "delivery log; an alarm an incident refers to is kept. Open alarms are never deleted.",
           days=d(policy.alerts_days)),
        _l("Incidents are deleted %(days)s after they were closed (or registered, if still open), with "
           "comments, checklist and the log of who read them.", days=d(policy.incidents_days)),
        _l("Incident drafts that were never submitted are deleted %(days)s after they were last changed.",
           days=d(policy.drafts_days)),
        _l("Reminders and other messages that are not about an alarm, local e-mail copies and replay "
           "records from phones are deleted after %(days)s.", days=d(policy.places_days)),
        _l("Sign-ins are deleted %(days)s after they expired or were signed out.", days=d(policy.sessions_days)),
        _l("When a user has been deactivated for %(days)s, their phones' push subscriptions and their "
           "ambulance letter with next of kin are deleted.", days=d(policy.sessions_days)),
        _l("The audit log is kept for %(days)s.", days=d(policy.audit_days)),
    ]


@bp.get("/admin/retention")
@roles_required("admin")
def admin_page():
    policy = services.Policy.from_config(current_app.config)
    return render_template(
        "retention/admin.html", lines=policy_lines(policy), runs=services.last_runs(db.session),
        kinds=KIND_LABELS, run_after=services.RUN_AFTER.strftime("%H:%M"),
    )


# --- `flask --app wsgi purge` -------------------------------------------------------------------------

@click.command("purge")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; change nothing.")
@click.option("--places-days", type=click.IntRange(min=1), help="Override MAKKER_RETAIN_PLACES_DAYS.")
@click.option("--visits-days", type=click.IntRange(min=1), help="Override MAKKER_RETAIN_VISITS_DAYS.")
@click.option("--alerts-days", type=click.IntRange(min=1), help="Override MAKKER_RETAIN_ALERTS_DAYS.")
@click.option("--incidents-days", type=click.IntRange(min=1), help="Override MAKKER_RETAIN_INCIDENTS_DAYS.")
@click.option("--audit-days", type=click.IntRange(min=1), help="Override MAKKER_RETAIN_AUDIT_DAYS.")
def purge_command(dry_run, **overrides):
    """Delete what the retention policy says is due now (the watchdog does this once a day)."""
    try:
        policy = services.Policy.from_config(current_app.config, **overrides)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("policy: " + ", ".join(f"{k} {v}" for k, v in policy.as_dict().items()))
    if dry_run:
        report = services.purge(db.session, get_clock(), policy, dry_run=True)
        verb = "would delete or erase"
    else:
        run, report = services.run_now(db.session, get_clock(), policy, trigger="command")
        verb = f"run {run.id}: deleted or erased"
    for kind, n in report.counts.items():
        click.echo(f"{kind:24} {n}")
    click.echo(f"{verb} {report.total} row(s)" + (" (dry run: nothing was changed)" if dry_run else ""))


def init_app(app: Flask) -> None:
    # A bad MAKKER_RETAIN_* stops the start (deploy time), not the first purge at 03:00.
    for key in ("RETAIN_PLACES_DAYS", "RETAIN_VISITS_DAYS", "RETAIN_ALERTS_DAYS", "RETAIN_INCIDENTS_DAYS",
                "RETAIN_AUDIT_DAYS"):
        if not isinstance(app.config[key], int) or app.config[key] < 1:
            raise RuntimeError(f"MAKKER_{key} must be a whole number of days, at least 1 (got {app.config[key]!r})")
    app.cli.add_command(purge_command)
    from app.watchdog.engine import register_periodic

    register_periodic(app, services.daily_job)
