"""Incident pages: the quick draft, the author's and the leader's views, exports and statistics."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import click
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.cli import AppGroup
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import get_clock
from app.extensions import db, htmx
from app.incidents import labels, services
from app.incidents.forms import CheckForm, CommentForm, DraftForm, FollowupForm, PeriodForm, StatusForm
from app.incidents.services import LOCAL_TZ, IncidentError
from app.models import Incident
from app.models.incidents import CHECK_ITEMS, HELP_CHOICES, POLICE_REPORT_CHOICES

bp = Blueprint("incidents", __name__, url_prefix="/incidents")


def partial_wanted() -> bool:
    """An htmx request for a fragment (a boosted navigation wants the whole page)."""
    return bool(htmx) and not htmx.boosted


def _vary(response) -> Response:
    response = make_response(response)
    response.headers.add("Vary", "HX-Request")
    return response


def _load(incident_id: str, via: str | None = "page") -> Incident:
    try:
        return services.get_visible(db.session, get_clock(), current_user, incident_id, via=via)
    except IncidentError:
        abort(404)


def _local_input(value: datetime | None) -> datetime | None:
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value else None


def _template_context(**extra) -> dict:
    return {"labels": labels, "services": services, "LOCAL_TZ": LOCAL_TZ, **extra}


# --- The author's pages --------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    session = db.session
    return render_template(
        "incidents/index.html",
        mine=services.list_mine(session, current_user),
        waiting=services.waiting_count(session, current_user),
        reviewer=services.is_unit_reviewer(current_user),
        may_export=services.may_export(current_user),
        **_template_context(),
    )


@bp.get("/new")
@login_required
def new():
    """The quick draft. Nothing is stored until the first autosave (the id is made here)."""
    try:
        info = services.prefill(db.session, get_clock(), current_user,
                                alert_id=request.args.get("alert_id"), visit_id=request.args.get("visit_id"))
    except IncidentError:
        abort(404)
    form = DraftForm(
        formdata=None, occurred_at=_local_input(info["occurred_at"]), place=info["place"],
        context=info["context"] or None, visit_id=info["visit_id"] or "", alert_id=info["alert_id"] or "",
    )
    return _draft_page(form, str(uuid.uuid4()), None)


@bp.get("/<incident_id>/edit")
@login_required
def edit(incident_id: str):
    incident = _load(incident_id, via=None)
    if incident.author_id != current_user.id or incident.status != "draft":
        return redirect(url_for("incidents.detail", incident_id=incident.id))
    form = DraftForm(formdata=None, obj=incident)
    form.occurred_at.data = _local_input(incident.occurred_at)
    return _draft_page(form, incident.id, incident)


def _draft_page(form: DraftForm, incident_id: str, incident: Incident | None, status: int = 200,
                error: str | None = None):
    unit = current_user.unit
    return _vary(make_response(render_template(
        "incidents/draft.html", form=form, incident_id=incident_id, incident=incident, unit=unit,
        hints=_hints(form, unit), error=error, **_template_context(),
    ), status))


def _hints(form: DraftForm, unit) -> dict:
    """What the page says beside the draft: the guideline's advice, EASY and the police rule."""
    when = form.occurred_at.data
    occurred = when.replace(tzinfo=LOCAL_TZ) if when else get_clock().now()
    days = unit.easy_deadline_days if unit else 9
    return {
        "context": form.context.data or "",
        "advice": labels.ADVICE.get(form.context.data or "", ()),
        "easy": bool(form.absence_expected.data),
        "easy_deadline_text": format_date(occurred.astimezone(LOCAL_TZ).date() + timedelta(days=days), "d. MMMM y"),
        "easy_days": days,
        "police": form.police.data or "",
        "police_deadline": occurred + services.POLICE_REPORT_WINDOW,
        "police_service": unit.police_service if unit else "114",
        "crisis_line": unit.crisis_line if unit else "",
        "crisis_line_name": unit.crisis_line_name if unit else "",
    }


def _save_from_form(incident_id: str, form: DraftForm) -> tuple[Incident, bool]:
    return services.save_draft(
        db.session, get_clock(), current_user, incident_id, form.draft_data(LOCAL_TZ),
        visit_id=form.visit_id.data or None, alert_id=form.alert_id.data or None,
    )


@bp.post("/<incident_id>/save")
@login_required
def save(incident_id: str):
    """Autosave (htmx, answers the status line) and the plain "save draft" button (redirects)."""
    try:
        uuid.UUID(incident_id)
    except ValueError:
        abort(404)
    form = DraftForm()
    incident = None
    created = False
    error = None
    if form.validate():
        try:
            incident, created = _save_from_form(incident_id, form)
            db.session.commit()
        except IncidentError as exc:
            db.session.rollback()
            if exc.status == 404:
                abort(404)
            if exc.status == 409:
                if partial_wanted():
                    return _vary(make_response(render_template(
                        "incidents/_save_status.html", form=form, saved_at=None, submitted=True,
                        hints=_hints(form, current_user.unit), **_template_context()), 409))
                return redirect(url_for("incidents.detail", incident_id=incident_id))
            error = exc.message
            if exc.field and hasattr(form, exc.field):
                getattr(form, exc.field).errors = [exc.message]
    else:
        error = _("Nothing was saved. Check the fields marked in red.")
    if partial_wanted():
        response = _vary(make_response(render_template(
            "incidents/_save_status.html", form=form, saved_at=incident.updated_at if incident else None,
            error=error, hints=_hints(form, current_user.unit), **_template_context(),
        ), 200 if incident else 422))
        if created:  # a reload now opens this draft, not a new one
            response.headers["HX-Replace-Url"] = url_for("incidents.edit", incident_id=incident.id)
        return response
    if incident is None:
        return _draft_page(form, incident_id, db.session.get(Incident, incident_id), 422, error)
    flash(_("The draft is saved. You can finish it later."), "ok")
    return redirect(url_for("incidents.edit", incident_id=incident.id))


@bp.post("/<incident_id>/submit")
@login_required
def submit(incident_id: str):
    """Save what the form carries, then send it to the unit's leader and AMR."""
    form = DraftForm()
    has_fields = "kind" in request.form or "description" in request.form
    if has_fields and not form.validate():
        return _draft_page(form, incident_id, db.session.get(Incident, incident_id), 422,
                           _("Nothing was saved. Check the fields marked in red."))
    try:
        if has_fields:
            try:
                uuid.UUID(incident_id)
            except ValueError:
                abort(404)
            incident = _save_from_form(incident_id, form)[0]
            db.session.commit()  # the draft is kept even if it cannot be submitted yet
        else:
            incident = services.get_visible(db.session, get_clock(), current_user, incident_id, via=None)
        services.submit(db.session, get_clock(), current_user, incident)
        db.session.commit()
    except IncidentError as exc:
        db.session.rollback()
        if exc.status in (403, 404):  # e.g. a reviewer: they see it, but only the author submits
            abort(exc.status)
        if exc.status == 409:
            flash(exc.message, "error")
            return redirect(url_for("incidents.detail", incident_id=incident_id))
        if exc.field and hasattr(form, exc.field):
            getattr(form, exc.field).errors = [exc.message]
        if not has_fields:
            incident = db.session.get(Incident, incident_id)
            form = DraftForm(formdata=None, obj=incident)
            form.occurred_at.data = _local_input(incident.occurred_at)
        return _draft_page(form, incident_id, db.session.get(Incident, incident_id), 422, exc.message)
    flash(_("Sent to your leader and AMR. Thank you for reporting it."), "ok")
    return redirect(url_for("incidents.detail", incident_id=incident_id))


@bp.post("/<incident_id>/delete")
@login_required
def delete(incident_id: str):
    incident = _load(incident_id, via=None)
    if not StatusForm().validate():
        abort(400)
    try:
        services.delete_draft(db.session, get_clock(), current_user, incident)
        db.session.commit()
    except IncidentError as exc:
        db.session.rollback()
        if exc.status == 404:  # a reviewer may see the incident, but it is not theirs to delete
            abort(404)
        flash(exc.message, "error")
        return redirect(url_for("incidents.detail", incident_id=incident_id))
    flash(_("The draft is deleted."), "ok")
    return redirect(url_for("incidents.index"))


# --- One incident: author and reviewers ----------------------------------------------------------

@bp.get("/<incident_id>")
@login_required
def detail(incident_id: str):
    incident = _load(incident_id)
    db.session.commit()  # the audit entry of the read
    return _vary(render_template("incidents/detail.html", **_detail_context(incident)))


def _detail_context(incident: Incident, **extra) -> dict:
    session = db.session
    reviewer = services.is_reviewer(current_user, incident)
    unit = incident.unit
    context = _template_context(
        incident=incident, reviewer=reviewer, is_author=incident.author_id == current_user.id,
        facts=services.safetynet_facts(incident), easy_deadline=services.easy_deadline(incident),
        police_deadline=services.police_deadline(incident), unit=unit,
        comment_form=CommentForm(formdata=None),
        readers=services.readers(session, incident) if incident.author_id == current_user.id else [],
        advice=labels.ADVICE.get(incident.context, ()),
    )
    if reviewer:
        context.update(_panel_context(incident))
    context.update(extra)
    return context


def _panel_context(incident: Incident, **extra) -> dict:
    amrs = services.unit_people(db.session, incident.unit_id, ("amr",))
    followup_form = FollowupForm(formdata=None, due_at=_local_input(incident.followup_due_at))
    return {
        "incident": incident, "status_form": StatusForm(formdata=None), "followup_form": followup_form,
        "check_items": CHECK_ITEMS, "help_choices": HELP_CHOICES, "police_report_choices": POLICE_REPORT_CHOICES,
        "amrs": amrs, "today": get_clock().now().astimezone(LOCAL_TZ).date(),
        "may_close": services.may_close(db.session, current_user, incident),
        "close_blockers": services.close_blockers(incident), "panel_error": None, "panel_error_item": None,
        "unit": incident.unit, "labels": labels, "services": services, **extra,
    }


def _panel_response(incident: Incident, *, error: IncidentError | None = None, item: str | None = None):
    if error is None:
        db.session.commit()
    else:
        db.session.rollback()
        incident = db.session.get(Incident, incident.id)
    if partial_wanted():
        context = _panel_context(incident, panel_error=error.message if error else None, panel_error_item=item,
                                 oob_status=True)
        return _vary(make_response(render_template("incidents/_review_panel.html", **context),
                                   422 if error else 200))
    if error is not None:
        flash(error.message, "error")
    return redirect(url_for("incidents.detail", incident_id=incident.id) + "#review-panel")


@bp.post("/<incident_id>/status")
@login_required
def change_status(incident_id: str):
    incident = _load(incident_id, via=None)
    form = StatusForm()
    if not form.validate():
        abort(400)
    try:
        services.transition(db.session, get_clock(), current_user, incident, form.to.data or "")
    except IncidentError as exc:
        if exc.status == 403:
            abort(403)
        return _panel_response(incident, error=exc)
    return _panel_response(incident)


@bp.post("/<incident_id>/checks/<item>")
@login_required
def set_check(incident_id: str, item: str):
    incident = _load(incident_id, via=None)
    if item not in CHECK_ITEMS:
        abort(404)
    form = CheckForm()
    if not form.validate():
        error = IncidentError(400, "invalid", " ".join(e for errs in form.errors.values() for e in errs))
        return _panel_response(incident, error=error, item=item)
    with_user = form.with_user.data
    try:
        services.set_check(
            db.session, get_clock(), current_user, incident, item, choice=form.choice.data or "",
            note=form.note.data or "", reference=form.reference.data or "", on_date=form.on_date.data,
            with_user_id=int(with_user) if with_user and str(with_user).isdigit() else None,
        )
    except IncidentError as exc:
        if exc.status == 403:
            abort(403)
        return _panel_response(incident, error=exc, item=item)
    return _panel_response(incident)


@bp.post("/<incident_id>/followup")
@login_required
def followup(incident_id: str):
    incident = _load(incident_id, via=None)
    form = FollowupForm()
    action = request.form.get("action", "plan")
    if not form.validate():
        return _panel_response(incident, error=IncidentError(400, "invalid", _("Give a date and time.")),
                               item="followup")
    try:
        if action in ("held", "declined"):
            services.mark_followup_held(db.session, get_clock(), current_user, incident,
                                        declined=action == "declined")
        elif form.due_at.data is not None:
            services.plan_followup(db.session, get_clock(), current_user, incident,
                                   form.due_at.data.replace(tzinfo=LOCAL_TZ))
        else:
            raise IncidentError(400, "invalid", _("Give a date and time."))
    except IncidentError as exc:
        if exc.status == 403:
            abort(403)
        return _panel_response(incident, error=exc, item="followup")
    return _panel_response(incident)


@bp.post("/<incident_id>/comments")
@login_required
def comment(incident_id: str):
    incident = _load(incident_id, via=None)
    form = CommentForm()
    error = None
    if form.validate():
        try:
            services.add_comment(db.session, get_clock(), current_user, incident, form.body.data)
            db.session.commit()
            form = CommentForm(formdata=None)
        except IncidentError as exc:
            db.session.rollback()
            incident = db.session.get(Incident, incident_id)
            error = exc.message
    else:
        error = " ".join(e for errs in form.errors.values() for e in errs)
    if partial_wanted():
        return _vary(make_response(render_template(
            "incidents/_comments.html", incident=incident, comment_form=form, comment_error=error,
            **_template_context()), 422 if error else 200))
    if error:
        flash(error, "error")
    return redirect(url_for("incidents.detail", incident_id=incident.id) + "#comments")


# --- Exports -------------------------------------------------------------------------------------

def _export_sections(incident: Incident) -> list[tuple[str, list[tuple[str, str]]]]:
    facts = {f.key: f for f in services.safetynet_facts(incident)}
    groups = (
        (_("The incident"), ("kind", "context", "occurred_at", "place", "unit", "employee")),
        (_("Course of events"), ("before", "description", "after", "involved", "witnesses")),
        (_("Consequences"), ("injury", "absence_expected", "easy_deadline", "police", "police_report", "alarm_used")),
        (_("SafetyNet"), ("amr", "safetynet_ref", "safetynet_date", "status", "submitted_at", "id")),
    )
    return [(title, [(facts[k].label, facts[k].value) for k in keys]) for title, keys in groups]


def _checklist_rows(incident: Incident) -> list[tuple[str, str]]:
    rows = []
    for item in CHECK_ITEMS:
        check = incident.check(item)
        if check is None:
            rows.append((str(labels.CHECK_LABELS[item]), _("Not done")))
            continue
        detail = [services._fmt(check.done_at), check.done_by.name if check.done_by else ""]
        choice = labels.label(labels.HELP_LABELS, check.choice) or labels.label(labels.POLICE_REPORT_LABELS,
                                                                                  check.choice)
        detail += [x for x in (choice, check.reference, check.note) if x]
        rows.append((str(labels.CHECK_LABELS[item]), " · ".join(x for x in detail if x)))
    return rows


@bp.get("/<incident_id>/print")
@login_required
def print_view(incident_id: str):
    incident = _load(incident_id, via="print")
    db.session.commit()
    return render_template("incidents/print.html", incident=incident, sections=_export_sections(incident),
                           checklist=_checklist_rows(incident), comments=incident.comments, **_template_context())


@bp.get("/<incident_id>/pdf")
@login_required
def pdf(incident_id: str):
    from app.incidents.export import incident_pdf

    incident = _load(incident_id, via="pdf")
    db.session.commit()
    sections = _export_sections(incident) + [(_("Leader's checklist"), _checklist_rows(incident))]
    title = _("Incident: %(kind)s", kind=labels.label(labels.KIND_LABELS, incident.kind) or _("Incident"))
    subtitle = _("For entry in SafetyNet, in its order. Printed %(when)s.",
                 when=services._fmt(get_clock().now()))
    footer = _("Confidential. Contains personal data about the employee; keep it only as long as needed.")
    body = incident_pdf(title, subtitle, sections, footer)
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="incident-{incident.id[:8]}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _period() -> tuple[date, date, PeriodForm]:
    form = PeriodForm(request.args)
    start, end = services.default_period(get_clock())
    if form.validate():
        start = form.start.data or start
        end = form.end.data or end
    if end < start:
        start, end = end, start
    form.start.data, form.end.data = start, end
    return start, end, form


@bp.get("/export.csv")
@login_required
def export_csv():
    if not services.may_export(current_user):
        abort(404)
    start, end, _form = _period()
    body = services.export_csv(db.session, get_clock(), current_user, start, end)
    db.session.commit()
    response = make_response("\ufeff" + body)  # a BOM: spreadsheet programs then read UTF-8 (æøå)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="incidents-{start}-{end}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/statistics")
@login_required
def statistics():
    if not services.may_export(current_user):
        abort(404)
    from app.incidents.export import month_chart

    start, end, form = _period()
    stats = services.statistics(db.session, current_user, start, end)
    month_labels = {m: format_date(date(int(m[:4]), int(m[5:]), 1), "MMM yy") for m, _c in stats["by_month"]}
    chart = month_chart(stats["by_month"], month_labels, _("Incidents per month"))
    return render_template("incidents/statistics.html", stats=stats, chart=chart, form=form,
                           month_labels=month_labels, start=start, end=end,
                           scope=_("All units") if current_user.role == "admin" else
                           (current_user.unit.name if current_user.unit else ""), **_template_context())


@bp.get("/review")
@login_required
def review():
    """ "Til gennemsyn": the unit's incidents for its leaders and AMRs, by status and age."""
    if not services.is_unit_reviewer(current_user):
        abort(404)
    incidents = services.review_list(db.session, current_user)
    groups = [(status, [i for i in incidents if i.status == status])
              for status in ("submitted", "in_review", "registered", "closed")]
    groups[-1] = ("closed", sorted(groups[-1][1], key=lambda i: i.closed_at, reverse=True)[:20])
    return render_template("incidents/review.html", groups=groups, now=get_clock().now(), **_template_context())


# --- Wiring ---------------------------------------------------------------------------------------

incidents_cli = AppGroup("incidents", help="Incident follow-up.")


@incidents_cli.command("remind")
def remind_command():
    """Send due follow-up reminders and one-week messages (the watchdog does this too)."""
    count = services.run_due_followups(db.session, get_clock())
    click.echo(f"{count} notification(s) written")


def init_app(app: Flask) -> None:
    app.extensions.setdefault("makker.nav_badges", {})["incidents"] = lambda user: services.waiting_count(
        db.session, user)
    app.cli.add_command(incidents_cli)
    from app.watchdog.engine import register_periodic

    register_periodic(app, services.run_due_followups)
