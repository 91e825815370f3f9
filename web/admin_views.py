"""Administration pages: accounts, the working-day calendar, instances the timer worker could not process."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required

from forms.validate import N_, Message
from processes.usecases import admin, calendar, deploy
from processes.usecases.errors import Invalid
from web.unit_of_work import ctx

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@login_required
def index():
    c = ctx()
    return render_template("admin.html", users=admin.list_users(c), days=calendar.list_days(c), errors={},
                           failed=admin.instances_in_error(c), mails=admin.mail_problems(c),
                           mail_on=c.services.settings.smtp is not None, start_roles=admin.start_roles(c),
                           roles=admin.known_roles(c), processes=deploy.list_current(c.session))


@bp.post("/users/<username>/disable")
@login_required
def disable(username: str):
    admin.disable_user(ctx(), username)
    return redirect(url_for("admin.index", done=1))


@bp.post("/instances/<id:instance_id>/retry")
@login_required
def retry_instance(instance_id: int):
    admin.retry_instance(ctx(), instance_id)
    return redirect(url_for("admin.index", done=1))


@bp.post("/mail/<id:mail_id>/requeue")
@login_required
def requeue_mail(mail_id: int):
    admin.requeue_mail(ctx(), mail_id)
    return redirect(url_for("admin.index", done=1))


@bp.post("/start-roles")
@login_required
def allow_start():
    admin.allow_start(ctx(), request.form.get("process", ""), request.form.get("role", ""))
    return redirect(url_for("admin.index", done=1))


@bp.post("/start-roles/<process_key>/<role>/remove")
@login_required
def disallow_start(process_key: str, role: str):
    admin.disallow_start(ctx(), process_key, role)
    return redirect(url_for("admin.index", done=1))


@bp.post("/calendar")
@login_required
def set_day():
    c = ctx()
    admin.require_admin(c)
    try:
        day = date.fromisoformat(request.form.get("day", "").strip())
    except ValueError as exc:
        raise Invalid({"day": Message(N_("Not a valid date."))}) from exc
    calendar.set_day(c, day, request.form.get("kind", ""), request.form.get("note", ""))
    return redirect(url_for("admin.index", done=1))


@bp.post("/calendar/<day>/clear")
@login_required
def clear_day(day: str):
    c = ctx()
    admin.require_admin(c)
    try:
        parsed = date.fromisoformat(day)
    except ValueError as exc:
        raise Invalid({"day": Message(N_("Not a valid date."))}) from exc
    calendar.clear_day(c, parsed)
    return redirect(url_for("admin.index", done=1))
