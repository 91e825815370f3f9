"""Server-rendered pages: inbox, my submissions, task forms, instances, files, public verification."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from forms.validate import from_html
from processes.catalog import kind_of
from processes.usecases import deploy, files, instances, notifications, queries
from processes.usecases.errors import Invalid
from web import downloads
from web.unit_of_work import commit, ctx, render_documents

bp = Blueprint("pages", __name__)
IGNORED_FIELDS = ("csrf_token", "file")


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
    """Show the first form of a process; on POST start it, attach the file and submit, atomically."""
    c = ctx()
    definition = deploy.current(c.session, key)
    if request.method == "GET":
        form = instances.first_form(c, definition)
        return render_template("new.html", definition=definition, form=form,
                               values=kind_of(key).start_prefill(c, request.args), errors={},
                               units=queries.units(c))
    instance = instances.start_instance(c, key)
    task = instances.ready_tasks(c, instance)[0]
    return _submit(c, task, template="new.html", definition=definition)


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: str):
    c = ctx()
    row = instances.task_for(c, task_id)
    if request.method == "GET":
        return _render_task(c, row, instances.prefill(c, row), {})
    return _submit(c, row)


def _submit(c, row, template: str = "task.html", definition=None):
    form = instances.form_of(row)
    data = from_html(form, request.form.to_dict(flat=False), ignore=IGNORED_FIELDS)
    field = _file_field(form)
    single = form.schema["properties"].get(field, {}).get("type") == "integer"
    kept_files = [] if single else list(data.get("file_ids", []))
    uploads = [u for u in request.files.getlist("file") if u.filename]
    try:
        if uploads and single:
            data[field] = _attach(c, row, form, [], uploads[:1])[-1]
        elif uploads:
            data["file_ids"] = _attach(c, row, form, kept_files, uploads)
        instances.complete_task(c, row.id, data)
    except Invalid as error:
        errors = {k: m.render(_) for k, m in error.errors.items()}
        if "file" in errors:
            errors.setdefault(field, errors.pop("file"))
        if uploads:
            # nothing of this request is saved, the uploaded files included: ask for them again
            if single:
                data.pop(field, None)
            else:
                data["file_ids"] = kept_files if definition is None else []
            errors.setdefault(field, _("Nothing was saved: attach the file again."))
        if definition is not None:
            return render_template(template, definition=definition, form=form, values=data,
                                   errors=errors, units=queries.units(c)), 422
        return _render_task(c, row, data, errors, status=422)
    commit()
    render_documents(row.instance_id)
    return redirect(url_for("pages.instance", instance_id=row.instance_id, done=1))


def _file_field(form) -> str:
    """The form's file field: `file_ids` (a list), or a single-file field such as `minutes_file_id`."""
    for name in form.fields:
        if form.ui.get(name, {}).get("ui:widget") == "file":
            return name
    return "file_ids"


def _attach(c, row, form, kept: list[int], uploads) -> list[int]:
    """Store the uploaded files; a file named like a kept one becomes its new version and replaces it."""
    if form.schema["properties"].get("file_ids", {}).get("maxItems") == 1:
        kept = []
    ids = list(kept)
    for upload in uploads:
        stored = files.upload(c, row.instance_id, upload.filename, upload.stream)
        ids = [i for i in ids if not files.same_document(c, i, stored)] + [stored.id]
    return ids


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


def render_instance(c, inst, dispatch_values=None, dispatch_errors=None, status: int = 200):
    """The instance page (also shown again, with the errors, when a form on it was refused)."""
    details = kind_of(inst.process_key).details(c, inst)
    if details and dispatch_values is not None:
        details = {**details, "dispatch_values": dispatch_values}
    page = render_template("instance.html", instance=inst, tasks=queries.tasks_of(c, inst),
                           my_tasks=instances.ready_tasks(c, inst), versions=queries.versions(c, inst),
                           files=files.instance_files(c, inst.id),
                           documents=files.instance_documents(c, inst.id), events=queries.timeline(c, inst),
                           actor_names=queries.actor_names(c, inst), details=details,
                           dispatch_errors=dispatch_errors or {})
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
    c = ctx()
    items = notifications.for_user(c)
    unread_ids = {n.id for n in items if n.read_at is None}
    notifications.mark_all_read(c)
    return render_template("notifications.html", items=items, unread_ids=unread_ids)


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
