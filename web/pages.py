"""Server-rendered pages: inbox, my submissions, task forms, instances, files, public verification."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from processes.catalog import kind_of
from processes.usecases import deploy, files, instances, notifications, queries, task_forms
from processes.usecases.errors import Invalid
from web import downloads
from web.unit_of_work import ctx

bp = Blueprint("pages", __name__)


@bp.get("/")
@login_required
def index():
    return redirect(url_for("pages.inbox"))


@bp.get("/inbox")
@login_required
def inbox():
    return render_template("inbox.html", tasks=queries.inbox(ctx()))


@bp.get("/submissions")
@login_required
def submissions():
    c = ctx()
    mine = queries.my_submissions(c)
    return render_template("submissions.html", instances=mine,
                           documents=queries.documents_by_instance(c, [i.id for i in mine]))


@bp.get("/processes")
@login_required
def processes():
    c = ctx()
    startable = [d for d in deploy.list_current(c.session) if kind_of(d.key).may_start(c)]
    return render_template("processes.html", definitions=startable)


@bp.route("/processes/<key>/new", methods=["GET", "POST"])
@login_required
def new_instance(key: str):
    """Show the first form of a process; on POST start it, attach the files and submit, atomically."""
    c = ctx()
    definition = deploy.current(c.session, key)
    if request.method == "GET":
        return _render_new(c, definition, kind_of(key).start_prefill(c, request.args), {})
    try:
        instance = task_forms.start_and_submit(c, key, request.form.to_dict(flat=False), _uploads())
    except Invalid as error:
        return _render_new(c, definition, error.values or {}, _rendered(error), status=422)
    return redirect(url_for("pages.instance", instance_id=instance.id, done=1))


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: str):
    c = ctx()
    row = instances.task_for(c, task_id)
    if request.method == "GET":
        return _render_task(c, row, instances.prefill(c, row), {})
    try:
        task_forms.submit(c, row.id, request.form.to_dict(flat=False), _uploads())
    except Invalid as error:
        return _render_task(c, row, error.values or {}, _rendered(error), status=422)
    return redirect(url_for("pages.instance", instance_id=row.instance_id, done=1))


def _uploads() -> list[task_forms.Upload]:
    return [task_forms.Upload(u.filename, u.stream) for u in request.files.getlist("file") if u.filename]


def _rendered(error: Invalid) -> dict[str, str]:
    return {k: m.render(_) for k, m in error.errors.items()}


def _render_new(c, definition, values, errors, status: int = 200):
    page = render_template("new.html", definition=definition, form=instances.first_form(c, definition),
                           values=values, errors=errors, units=queries.units(c))
    return page, status


def _render_task(c, row, values, errors, status: int = 200):
    instance = row.instance
    form = instances.form_of(row) if row.form else None
    page = render_template("task.html", task=row, instance=instance, form=form, values=values, errors=errors,
                           versions=queries.versions(c, instance), files=files.instance_files(c, instance.id),
                           documents=files.instance_documents(c, instance.id),
                           events=queries.timeline(c, instance), can_act=_can_act(c, row),
                           actor_names=queries.actor_names(c, instance),
                           changes=kind_of(instance.process_key).file_changes(c, instance),
                           details=kind_of(instance.process_key).details(c, instance), units=queries.units(c))
    return page, status


def _can_act(c, row) -> bool:
    from processes.usecases.access import holds_task

    return row.state == "ready" and holds_task(c.user, row)


@bp.get("/instances/<id:instance_id>")
@login_required
def instance(instance_id: int):
    c = ctx()
    return render_instance(c, instances.get_instance(c, instance_id))


def render_instance(c, inst, details_extra=None, form_errors=None, status: int = 200):
    """The instance page; shown again with ``form_errors`` (and the refused values in ``details_extra``)
    when a form of the process's details block was refused."""
    details = kind_of(inst.process_key).details(c, inst)
    if details and details_extra:
        details = {**details, **details_extra}
    page = render_template("instance.html", instance=inst, tasks=queries.tasks_of(c, inst),
                           my_tasks=instances.ready_tasks(c, inst), versions=queries.versions(c, inst),
                           files=files.instance_files(c, inst.id),
                           documents=files.instance_documents(c, inst.id), events=queries.timeline(c, inst),
                           actor_names=queries.actor_names(c, inst), details=details,
                           form_errors=form_errors or {})
    return page, status


@bp.get("/files/<id:file_id>")
@login_required
def download_file(file_id: int):
    c = ctx()
    row = files.get_file(c, file_id)
    return downloads.file_response(c, row)


@bp.get("/documents/<id:document_id>")
@login_required
def download_document(document_id: int):
    c = ctx()
    row = files.get_document(c, document_id)
    return downloads.document_response(c, row)



@bp.get("/verify/<code>")
def verify(code: str):
    """Public: is this certificate genuine? Shows only what the certificate itself shows."""
    doc = files.verify_document(ctx(), code)
    status = 200 if doc else 404
    return render_template("verify.html", document=doc, code=code[:32]), status


@bp.get("/notifications")
@login_required
def notification_list():
    """The user's notifications; reading them changes nothing (the unread stay marked until a POST)."""
    items = notifications.for_user(ctx())
    return render_template("notifications.html", items=items,
                           unread_count_here=sum(1 for n in items if n.read_at is None),
                           up_to=max((n.id for n in items), default=None))


@bp.post("/notifications/read")
@login_required
def notifications_mark_read():
    """Mark all as read (CSRF-checked form): those up to the newest the page showed."""
    raw = request.form.get("up_to", "").strip()
    if raw and not (raw.isascii() and raw.isdigit() and int(raw) < 2**31):
        abort(400, description=_("The request is malformed."))
    notifications.mark_all_read(ctx(), up_to=int(raw) if raw else None)
    return redirect(url_for("pages.notification_list"))


@bp.app_context_processor
def _globals():
    from flask_babel import get_locale
    from flask_login import current_user

    unread = 0
    if getattr(current_user, "is_authenticated", False) and request.blueprint != "api":
        unread = notifications.unread_count(ctx())
    from storage.models import utcnow

    return {"unread_count": unread, "current_locale": str(get_locale()), "now": utcnow(),
            "languages": current_app.config["LANGUAGES"]}


@bp.get("/healthz")
def healthz():
    return {"ok": True}
