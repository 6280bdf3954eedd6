"""Admin area: users, units (with their leaders and AMRs) and the audit log. Role `admin` only."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from app import get_clock
from app.admin import forms, services
from app.extensions import db, htmx
from app.models import Unit, User
from app.security import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@roles_required("admin")
def _admins_only():
    """Every admin view is for administrators only (each view is decorated too, belt and braces)."""
    return None


def _partial_wanted() -> bool:
    # A boosted navigation swaps the whole body, so it needs the full page; other htmx requests a fragment.
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _render(page: str, partial: str, status: int = 200, **context):
    template = partial if _partial_wanted() else page
    return render_template(template, role_labels=forms.role_labels(), **context), status


def _get_user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _get_unit(unit_id: int) -> Unit:
    return db.session.get(Unit, unit_id) or abort(404)


@bp.get("/")
@roles_required("admin")
def index():
    from app.ops.routes import admin_status

    return render_template("admin/index.html", ops_status=admin_status())


# --- Users ---------------------------------------------------------------------------------------

@bp.get("/users")
@roles_required("admin")
def users():
    units = services.list_units(db.session)
    chosen = request.args.get("unit", "")
    if chosen == "none":
        rows = services.list_users(db.session, without_unit=True)
    elif chosen.isdigit():
        rows = services.list_users(db.session, unit_id=int(chosen))
    else:
        chosen, rows = "", services.list_users(db.session)
    return _render("admin/users.html", "admin/_user_list.html", users=rows, units=units, chosen=chosen)


def _username_taken(form: forms.UserForm, user: User | None = None) -> bool:
    other = services.find_user(db.session, form.username.data or "")
    if other is not None and (user is None or other.id != user.id):
        form.username.errors.append(_("That username is taken."))
        return True
    return False


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def new_user():
    units = services.list_units(db.session)
    form = forms.NewUserForm(units=units)
    if request.method == "GET":
        form.unit_id.data = request.args.get("unit", "")
    if form.validate_on_submit() and not _username_taken(form):
        values = form.values()
        unit_id = values.pop("unit_id")
        first_aid = values.pop("first_aid_trained")
        user = services.create_user(
            db.session, get_clock(), password=form.password.data, actor_id=current_user.id,
            unit=db.session.get(Unit, unit_id) if unit_id else None, **values,
        )
        user.first_aid_trained = first_aid
        db.session.commit()
        flash(_("%(name)s can now sign in as %(username)s.", name=user.name, username=user.username), "ok")
        return redirect(url_for("admin.edit_user", user_id=user.id), 303)
    status = 422 if request.method == "POST" else 200
    return _render("admin/user_new.html", "admin/_user_new.html", status, form=form)


def _user_page(user: User, form=None, password_form=None, status: int = 200):
    units = services.list_units(db.session)
    if form is None:
        form = forms.UserForm(units=units, data={
            "username": user.username, "name": user.name, "phone": user.phone, "email": user.email,
            "role": user.role, "unit_id": str(user.unit_id or ""), "locale": user.locale,
            "first_aid_trained": user.first_aid_trained,
        })
    from app.auth import sessions

    return _render(
        "admin/user.html", "admin/_user.html", status, user=user, form=form,
        password_form=password_form or forms.PasswordForm(for_username=user.username, for_name=user.name),
        devices=sessions.active_for(db.session, user.id, get_clock()),
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_user(user_id: int):
    user = _get_user(user_id)
    if request.method == "GET":
        return _user_page(user)
    form = forms.UserForm(units=services.list_units(db.session))
    if form.validate_on_submit() and not _username_taken(form, user):
        try:
            changed = services.update_user(db.session, get_clock(), user, form.values(), actor_id=current_user.id)
        except services.UserError as exc:
            db.session.rollback()
            form.role.errors.append(str(exc))
            return _user_page(_get_user(user_id), form=form, status=422)
        db.session.commit()
        flash(_("Saved.") if changed else _("Nothing was changed."), "ok")
        return redirect(url_for("admin.edit_user", user_id=user.id), 303)
    return _user_page(user, form=form, status=422)


@bp.post("/users/<int:user_id>/password")
@roles_required("admin")
def set_password(user_id: int):
    user = _get_user(user_id)
    form = forms.PasswordForm(for_username=user.username, for_name=user.name)
    if not form.validate_on_submit():
        return _user_page(user, password_form=form, status=422)
    services.set_password(db.session, get_clock(), user, form.password.data, actor_id=current_user.id)
    db.session.commit()
    flash(_("The new password is set and %(name)s is signed out on every device.", name=user.name), "ok")
    return redirect(url_for("admin.edit_user", user_id=user.id), 303)


@bp.post("/users/<int:user_id>/deactivate")
@roles_required("admin")
def deactivate_user(user_id: int):
    user = _get_user(user_id)
    try:
        handover = services.admin_deactivate(db.session, get_clock(), user, actor_id=current_user.id)
    except services.UserError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.edit_user", user_id=user_id), 303)
    db.session.commit()
    flash(_("%(name)s is deactivated and signed out.", name=user.name), "ok")
    if handover.told:
        flash(_("Handed over: %(alerts)d open alerts sent again, %(visits)d running visits need another buddy; "
                "%(people)d people were told.", alerts=len(handover.alerts_reopened) + len(handover.alerts_escalated),
                visits=len(handover.visits_without_buddy), people=len(handover.told)), "ok")
    return redirect(url_for("admin.edit_user", user_id=user.id), 303)


@bp.post("/users/<int:user_id>/reactivate")
@roles_required("admin")
def reactivate_user(user_id: int):
    user = _get_user(user_id)
    services.reactivate(db.session, get_clock(), user, actor_id=current_user.id)
    db.session.commit()
    flash(_("%(name)s can sign in again.", name=user.name), "ok")
    return redirect(url_for("admin.edit_user", user_id=user.id), 303)


@bp.post("/users/<int:user_id>/sign-out")
@roles_required("admin")
def sign_out_user(user_id: int):
    user = _get_user(user_id)
    count = services.sign_out_everywhere(db.session, get_clock(), user, actor_id=current_user.id)
    db.session.commit()
    flash(_("%(name)s is signed out on %(count)d devices.", name=user.name, count=count), "ok")
    return redirect(url_for("admin.edit_user", user_id=user.id), 303)


# --- Units ---------------------------------------------------------------------------------------

def _defaults() -> dict:
    cfg = current_app.config
    return {"reminder_before_s": cfg["REMINDER_BEFORE_S"], "grace_s": cfg["GRACE_S"],
            "ack_timeout_s": cfg["ACK_TIMEOUT_S"]}


@bp.get("/units")
@roles_required("admin")
def units():
    return _render("admin/units.html", "admin/_unit_list.html", units=services.list_units(db.session))


def _new_unit_data() -> dict:
    """The model's column defaults, to fill in a new unit's form."""
    data = {
        column.name: column.default.arg
        for column in Unit.__table__.columns
        if column.default is not None and not callable(column.default.arg)
    }
    data["open_weekdays"] = list(data.get("open_weekdays", "12345"))
    return data


@bp.route("/units/new", methods=["GET", "POST"])
@roles_required("admin")
def new_unit():
    form = forms.UnitForm(data=_new_unit_data() if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            unit = services.create_unit(db.session, get_clock(), form.values(), actor_id=current_user.id)
        except services.UserError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("The unit %(name)s is created.", name=unit.name), "ok")
            return redirect(url_for("admin.edit_unit", unit_id=unit.id), 303)
    status = 422 if request.method == "POST" else 200
    return _render("admin/unit_new.html", "admin/_unit_form.html", status, form=form, unit=None,
                   defaults=_defaults())


def _unit_page(unit: Unit, form=None, status: int = 200):
    if form is None:
        form = forms.UnitForm(obj=unit)
    members = [u for u in unit.users]
    return _render(
        "admin/unit.html", "admin/_unit.html", status, unit=unit, form=form, defaults=_defaults(),
        members=members, role_form=forms.RoleForm(),
        leaders=services.unit_people(db.session, unit.id, "leader"),
        amrs=services.unit_people(db.session, unit.id, "amr"),
    )


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_unit(unit_id: int):
    unit = _get_unit(unit_id)
    if request.method == "GET":
        return _unit_page(unit)
    form = forms.UnitForm()
    if form.validate_on_submit():
        try:
            changed = services.update_unit(db.session, get_clock(), unit, form.values(), actor_id=current_user.id)
        except services.UserError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
            return _unit_page(_get_unit(unit_id), form=form, status=422)
        db.session.commit()
        flash(_("Saved.") if changed else _("Nothing was changed."), "ok")
        return redirect(url_for("admin.edit_unit", unit_id=unit.id), 303)
    return _unit_page(unit, form=form, status=422)


@bp.post("/units/<int:unit_id>/members/<int:user_id>/role")
@roles_required("admin")
def set_member_role(unit_id: int, user_id: int):
    unit = _get_unit(unit_id)
    user = _get_user(user_id)
    if user.unit_id != unit.id:
        abort(404)
    form = forms.RoleForm()
    error = None
    if not form.validate_on_submit():
        error = " ".join(str(e) for e in form.role.errors) or _("Choose one of the options.")
    else:
        try:
            services.set_role(db.session, get_clock(), user, form.role.data, actor_id=current_user.id)
            db.session.commit()
        except services.UserError as exc:
            db.session.rollback()
            error = str(exc)
    if _partial_wanted():
        unit = _get_unit(unit_id)
        return render_template(
            "admin/_unit_members.html", unit=unit, members=list(unit.users), role_form=forms.RoleForm(),
            role_labels=forms.role_labels(), error=error, changed=None if error else user.id,
            leaders=services.unit_people(db.session, unit.id, "leader"),
            amrs=services.unit_people(db.session, unit.id, "amr"),
        ), (422 if error else 200)
    if error:
        flash(error, "error")
    else:
        flash(_("%(name)s is now %(role)s.", name=user.name, role=forms.role_labels()[user.role]), "ok")
    return redirect(url_for("admin.edit_unit", unit_id=unit_id) + "#members", 303)


# --- Audit log -----------------------------------------------------------------------------------

@bp.get("/audit")
@roles_required("admin")
def audit_log():
    actions = services.audit_actions(db.session)
    chosen = request.args.get("action", "")
    if chosen not in actions:
        chosen = ""
    entries = services.audit_entries(db.session, action=chosen or None)
    return _render("admin/audit.html", "admin/_audit_list.html", entries=entries, actions=actions,
                   chosen=chosen, limit=services.AUDIT_LIMIT)


# --- The card on /settings -----------------------------------------------------------------------

def settings_card() -> Markup | None:
    if not current_user.is_authenticated or not current_user.has_role("admin"):
        return None
    return Markup(render_template("admin/_settings_card.html"))


def init_app(app: Flask) -> None:
    app.extensions.setdefault("makker.settings_cards", []).append(settings_card)
