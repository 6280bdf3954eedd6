"""Choosing another buddy for a running visit (its buddy lost access, or the worker changes their
mind): the worker, a leader of the unit or an administrator."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import DataRequired

from app import get_clock
from app.extensions import db
from app.handover import services

bp = Blueprint("handover", __name__)


class BuddyForm(FlaskForm):
    buddy = RadioField(validators=[DataRequired()], choices=[])


@bp.route("/visits/<visit_id>/buddy", methods=["GET", "POST"])
@login_required
def change_buddy(visit_id: str):
    try:
        visit = services.visit_for_buddy_change(db.session, current_user, visit_id, lock=request.method == "POST")
    except services.HandoverError:
        abort(404)
    choices = services.buddy_choices(db.session, visit)
    form = BuddyForm()
    form.buddy.choices = [(u.username, u.name) for u in choices]
    status = 200
    if request.method == "POST":
        chosen = next((u for u in choices if u.username == form.buddy.data), None)
        if form.validate_on_submit():
            try:
                services.change_buddy(db.session, get_clock(), current_user, visit, chosen)
            except services.HandoverError as exc:
                db.session.rollback()
                form.buddy.errors = [exc.message]
            else:
                db.session.commit()
                flash(_("%(name)s is now the buddy.", name=chosen.name), "ok")
                own = visit.worker_id == current_user.id
                return redirect(url_for("visits.show", visit_id=visit.id) if own else url_for("main.home"), 303)
        elif not form.buddy.errors or chosen is None:
            form.buddy.errors = [_("Choose a colleague from the unit as buddy.")]
        status = 422
    return render_template("handover/buddy.html", visit=visit, form=form, own=visit.worker_id == current_user.id,
                           buddy_left=services.buddy_has_left(visit)), status


def buddy_left(visit) -> bool:
    return services.buddy_has_left(visit)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["buddy_has_left"] = buddy_left
