"""Administration pages: accounts, the working-day calendar, instances the timer worker could not process."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required

from forms.validate import N_, Message
from processes.usecases import admin, calendar, cases, deploy, people, units
from processes.usecases.errors import Invalid
from web import messages, paging
from web.admin_api import password_link
from web.unit_of_work import ctx

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@login_required
def index():
    """The overview: instances stopped by an error, e-mail delivery."""
    c = ctx()
    return render_template("admin.html", failed=admin.instances_in_error(c), mails=admin.mail_problems(c),
                           mail_on=c.services.settings.smtp is not None)



@bp.get("/people", endpoint="people")
@login_required
def people_list():
    """Accounts: searched by name or username, active or disabled ones, a page at a time."""
    c = ctx()
    q, status = request.args.get("q", "")[:200], request.args.get("status", "")
    status = status if status in ("active", "disabled") else ""
    page = people.search_users(c, q=q, status=status, **paging.position("admin_people"))
    return render_template("admin_people.html", users=page.items, page=page, links=paging.links("admin_people", page),
                           q=q, status=status)


@bp.get("/cases", endpoint="cases")
@login_required
def cases_list():
    """Every case, newest first, filtered by process, status and text, a page at a time."""
    c = ctx()
    flt = cases.CaseFilter(process=request.args.get("process", "")[:64],
                           status=request.args.get("status", "")[:16], q=request.args.get("q", "")[:200])
    page = cases.search(c, flt, **paging.position("admin_cases"))
    return render_template("admin_cases.html", cases=page.items, page=page, links=paging.links("admin_cases", page),
                           flt=flt, statuses=cases.STATUSES, processes=deploy.list_current(c.session))


@bp.get("/settings")
@login_required
def settings():
    """Who may start a process, and the working-day calendar."""
    c = ctx()
    admin.require_admin(c)
    return render_template("admin_settings.html", days=calendar.list_days(c), start_roles=admin.start_roles(c),
                           role_choices=admin.known_roles(c), processes=deploy.list_current(c.session))


@bp.post("/users/<username>/disable")
@login_required
def disable(username: str):
    """Disable an account: a reason and a ticked confirmation, else the account's page again with both asked."""
    c = ctx()
    reason = request.form.get("reason", "")
    try:
        if request.form.get("confirm") != "yes":
            people.get_user(c, username)  # 403/404 first
            errors = {"confirm": people.field_error("confirm",
                                                    N_("Tick the box to confirm that you disable the account."))}
            if not reason.strip():  # every error at once
                errors["reason"] = people.field_error("reason", N_("Give the reason for disabling the account."))
            raise Invalid(errors)
        people.disable_user(c, username, reason)
    except Invalid as error:
        return _user_page(c, people.get_user(c, username), disable_errors=error, reason=reason[:2000], status=422)
    return redirect(url_for("admin.user", username=username, done=1))


@bp.post("/users/<username>/enable")
@login_required
def enable(username: str):
    people.enable_user(ctx(), username)
    return redirect(url_for("admin.user", username=username, done=1))


def _form_body(*, creating: bool) -> dict:
    """The account page's fields in the JSON API's shape (people.validate checks them)."""
    form = request.form
    body = {"full_name": {lang: form.get(f"full_name_{lang}", "") for lang in people.LANGS},
            "position": {lang: form.get(f"position_{lang}", "") for lang in people.LANGS},
            "email": form.get("email", ""), "unit": form.get("unit", ""), "roles": form.getlist("roles"),
            "area": form.get("area", "")}
    if creating:
        body["username"] = form.get("username", "")
    return body


def _form_values(user=None) -> dict:
    """What the account form shows: what was typed (kept on a refusal), the account's values, or a new one's."""
    if user is None and request.method == "POST":
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        return {**values, "roles": request.form.getlist("roles")}
    if user is None:
        return {"roles": ["employee"]}
    return {**{f"full_name_{lang}": text for lang, text in user.full_names.items()},
            **{f"position_{lang}": text for lang, text in user.positions.items()},
            "email": user.email or "", "unit": user.unit.code if user.unit else "", "roles": sorted(user.role_names),
            "area": user.area or ""}


def _user_page(c, user, *, errors=None, disable_errors=None, reason: str = "", link: str | None = None,
               status: int = 200):
    """The account page (`user` None: a new account); a refused edit shows what was typed."""
    return render_template(
        "admin_user.html", person=user, values=_form_values(None if errors else user),
        errors=messages.field_errors(errors.errors) if errors else {},
        summary=messages.summary(errors.errors) if errors else {}, role_choices=people.assignable_roles(c),
        areas=people.AREAS, units=people.units(c), password_link=link, reason=reason,
        disable_errors=messages.field_errors(disable_errors.errors) if disable_errors else {},
        disabled=people.disabling(c, user) if user is not None else None,
        unit_history=units.person_memberships(c, user) if user is not None else []), status


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def new_user():
    """Create an account; the page then shows its one-time password link, once."""
    c = ctx()
    admin.require_admin(c)
    if request.method == "GET":
        return _user_page(c, None)
    try:
        user, token = people.create_user(c, _form_body(creating=True))
    except Invalid as error:
        return _user_page(c, None, errors=error, status=422)
    assert token is not None  # only the operator's CLI sets a password instead
    return _user_page(c, user, link=password_link(token), status=201)


@bp.route("/users/<username>", methods=["GET", "POST"])
@login_required
def user(username: str):
    """An account: edit it, issue a password link, disable or enable it."""
    c = ctx()
    person = people.get_user(c, username)
    if request.method == "GET":
        return _user_page(c, person)
    try:
        people.update_user(c, username, _form_body(creating=False))
    except Invalid as error:
        return _user_page(c, person, errors=error, status=422)
    return redirect(url_for("admin.user", username=username, done=1))


@bp.post("/users/<username>/password-link")
@login_required
def user_password_link(username: str):
    """A new one-time password link for the account (older ones stop working), shown once."""
    c = ctx()
    token = people.issue_password_link(c, username)
    return _user_page(c, people.get_user(c, username), link=password_link(token))


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
    return redirect(url_for("admin.settings", done=1))


@bp.post("/start-roles/<process_key>/<role>/remove")
@login_required
def disallow_start(process_key: str, role: str):
    admin.disallow_start(ctx(), process_key, role)
    return redirect(url_for("admin.settings", done=1))


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
    return redirect(url_for("admin.settings", done=1))


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
    return redirect(url_for("admin.settings", done=1))
