"""Server-rendered pages: inbox, my submissions, task forms, instances, files, public verification."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from forms.validate import N_, Message
from processes.catalog import kind_of
from processes.usecases import deploy, files, flow, instances, notifications, queries, task_forms
from processes.usecases.errors import Invalid
from web import diagram_views, downloads, messages, paging
from web.unit_of_work import ctx

bp = Blueprint("pages", __name__)


@bp.get("/")
@login_required
def index():
    return redirect(url_for("pages.inbox"))


def search_arg() -> str | None:
    """The `q` of a list's search box (trimmed, at most 200 characters), or None."""
    return (request.args.get("q") or "").strip()[:200] or None


@bp.get("/inbox")
@login_required
def inbox():
    """The user's tasks, a page at a time (the most urgent first), searchable."""
    q = search_arg()
    page = queries.inbox_page(ctx(), q, **paging.position("inbox"))
    return render_template("inbox.html", tasks=page.items, page=page, links=paging.links("inbox", page), q=q)


@bp.get("/submissions")
@login_required
def submissions():
    """The user's own cases, a page at a time (the newest first), searchable."""
    c = ctx()
    q = search_arg()
    page = queries.submissions_page(c, q, **paging.position("submissions"))
    ids = [i.id for i in page.items]
    return render_template("submissions.html", instances=page.items, documents=queries.documents_by_instance(c, ids),
                           queues=queries.queue_roles(c, ids), page=page, q=q,
                           links=paging.links("submissions", page))


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
    definition = instances.startable(c, key)  # 403 before any form for whoever may not start it
    if request.method == "GET":
        return _render_new(c, definition, kind_of(key).start_prefill(c, request.args), {})
    try:
        instance = task_forms.start_and_submit(c, key, request.form.to_dict(flat=False), _uploads(),
                                               signing_key=_signing_key())
    except Invalid as error:  # refused, or a button that changes the form (no errors): every value kept
        return _render_new(c, definition, error.values or {}, _rendered(error), status=_form_status(error),
                           summary=messages.summary(error.errors))
    return redirect(url_for("pages.instance", instance_id=instance.id, done=1))


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: str):
    c = ctx()
    row = instances.task_for(c, task_id)
    if request.method == "GET":
        return _render_task(c, row, instances.prefill(c, row), {})
    if flow.is_delegate(c.me, row):  # the colleague asked to prepare it: "Save draft and return", never complete
        fields = request.form.to_dict(flat=False)
        comment = request.form.get("return_comment", "")
        draft = flow.draft_values(row, fields)
        try:
            flow.return_task(c, row.id, comment, draft)
        except Invalid as error:
            return _render_task(c, row, draft, {}, status=422, flow_errors=_rendered(error),
                                flow_values={"return_comment": comment[:2000]})
        return redirect(url_for("pages.inbox"), 303)
    try:
        task_forms.submit(c, row.id, request.form.to_dict(flat=False), _uploads(), signing_key=_signing_key())
    except Invalid as error:  # refused, or a button that changes the form (no errors): every value kept
        return _render_task(c, row, error.values or {}, _rendered(error), status=_form_status(error),
                            summary=messages.summary(error.errors))
    return redirect(url_for("pages.instance", instance_id=row.instance_id, done=1))


def _uploads() -> list[task_forms.Upload]:
    return [task_forms.Upload(u.filename, u.stream) for u in request.files.getlist("file") if u.filename]


def _rendered(error: Invalid) -> dict[str, str]:
    return messages.field_errors(error.errors)


def _form_status(error: Invalid) -> int:
    return 422 if error.errors else 200


def _signing_key() -> bytes:
    """The key that signs the tokens of files a refused form hands back (processes/usecases/staged.py)."""
    secret = current_app.secret_key
    return secret.encode() if isinstance(secret, str) else bytes(secret or b"")


def _render_new(c, definition, values, errors, status: int = 200, summary=None):
    page = render_template("new.html", definition=definition, form=instances.first_form(c, definition),
                           values=values, errors=errors, summary=summary or {}, units=queries.units(c),
                           unit_choices=kind_of(definition.key).unit_choices(c))
    return page, status


def _render_task(c, row, values, errors, status: int = 200, summary=None, flow_errors=None, flow_values=None):
    instance = row.instance
    form = instances.form_of(row) if row.form else None
    page = render_template("task.html", task=row, instance=instance, form=form, values=values, errors=errors,
                           versions=queries.versions(c, instance), files=files.instance_files(c, instance.id),
                           documents=files.instance_documents(c, instance.id),
                           events=queries.timeline(c, instance), can_act=_can_act(c, row),
                           actor_names=queries.actor_names(c, instance),
                           changes=kind_of(instance.process_key).file_changes(c, instance),
                           details=kind_of(instance.process_key).details(c, instance), units=queries.units(c),
                           summary=summary or {}, unit_choices=kind_of(instance.process_key).unit_choices(c),
                           flow=_flow_view(c, row), flow_errors=flow_errors or {}, flow_values=flow_values or {})
    return page, status


def _flow_view(c, row) -> dict:
    """What the task page offers of the flow of work (claim, release, reassign, delegate, prepare)."""
    me = c.me
    reassign = flow.may_reassign(me, row)
    delegating = flow.may_delegate(me, row)
    return {"claim": flow.may_claim(me, row), "release": flow.may_release(me, row),
            "reassign": reassign, "eligible": flow.eligible_assignees(c, row) if reassign else [],
            "delegate": delegating, "candidates": flow.delegate_candidates(c, row) if delegating else [],
            "preparing": flow.is_delegate(me, row), "recall": flow.may_recall(me, row),
            "prepared_by": flow.prepared_by(c, row) if row.draft is not None or row.delegation_comment else None}


def _flow_action(task_id: str, act, back: str = "task"):
    """Carry out a flow-of-work button of the task page; a refusal of its values shows the page again with
    the errors at the fields (422)."""
    c = ctx()
    row = instances.task_for(c, task_id)  # 404 first for whoever may not see it
    try:
        act(c, row)
    except Invalid as error:
        return _render_task(c, row, instances.prefill(c, row), {}, status=422, flow_errors=_rendered(error),
                            flow_values=request.form.to_dict())
    if back == "inbox":
        return redirect(url_for("pages.inbox"), 303)
    if back == "instance":
        return redirect(url_for("pages.instance", instance_id=row.instance_id), 303)
    return redirect(url_for("pages.task", task_id=task_id), 303)


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim_task(task_id: str):
    return _flow_action(task_id, lambda c, row: flow.claim(c, row.id))


@bp.post("/tasks/<task_id>/release")
@login_required
def release_task(task_id: str):
    return _flow_action(task_id, lambda c, row: flow.release(c, row.id), back="inbox")


@bp.post("/tasks/<task_id>/reassign")
@login_required
def reassign_task(task_id: str):
    form = request.form
    return _flow_action(task_id, lambda c, row: flow.reassign(c, row.id, form.get("to", ""), form.get("reason", "")),
                        back="instance")


@bp.post("/tasks/<task_id>/delegate")
@login_required
def delegate_task(task_id: str):
    form = request.form
    return _flow_action(task_id, lambda c, row: flow.delegate(c, row.id, form.get("to", ""),
                                                              form.get("comment", "")))


@bp.post("/tasks/<task_id>/recall")
@login_required
def recall_task(task_id: str):
    form = request.form
    return _flow_action(task_id, lambda c, row: flow.recall(c, row.id, form.get("recall_comment", "")))


def _can_act(c, row) -> bool:
    from processes.usecases.access import holds_task

    return row.state == "ready" and holds_task(c.user, row)


@bp.get("/instances/<id:instance_id>")
@login_required
def instance(instance_id: int):
    c = ctx()
    return render_instance(c, instances.get_instance(c, instance_id))


def render_instance(c, inst, details_extra=None, form_errors=None, status: int = 200, withdraw_errors=None,
                    withdraw_reason: str = "", cancel_errors=None, cancel_reason: str = ""):
    """The instance page; shown again with ``form_errors`` (and the refused values in ``details_extra``)
    when a form of the process's details block was refused, or with ``withdraw_errors`` (and the reason
    given) when a withdrawal was refused."""
    details = kind_of(inst.process_key).details(c, inst)
    if details and details_extra:
        details = {**details, **details_extra}
    page = render_template("instance.html", instance=inst, tasks=queries.tasks_of(c, inst),
                           my_tasks=instances.ready_tasks(c, inst), versions=queries.versions(c, inst),
                           files=files.instance_files(c, inst.id),
                           documents=files.instance_documents(c, inst.id), events=queries.timeline(c, inst),
                           actor_names=queries.actor_names(c, inst), details=details,
                           form_errors=form_errors or {}, can_withdraw=instances.may_withdraw(c, inst),
                           queue_holders=queries.queue_holders(c, queries.tasks_of(c, inst))
                           if request.args.get("done") else {},
                           withdraw_errors=withdraw_errors or {}, withdraw_reason=withdraw_reason,
                           can_cancel=flow.may_cancel(c.me) and inst.status == "running",
                           path=diagram_views.page_path(c, inst),
                           cancel_errors=cancel_errors or {}, cancel_reason=cancel_reason)
    return page, status


@bp.post("/instances/<id:instance_id>/withdraw")
@login_required
def withdraw(instance_id: int):
    """The submitter withdraws their case before it is decided (reason and a ticked confirmation)."""
    c = ctx()
    reason = request.form.get("reason", "")
    try:
        if request.form.get("confirm") != "yes":
            instances.get_instance(c, instance_id)  # 404 first for whoever may not see it
            errors = {"confirm": Message(N_("Tick the box to confirm that you withdraw it."))}
            if not reason.strip():  # every error at once: the missing reason too
                errors["reason"] = Message(N_("Give the reason for withdrawing."))
            raise Invalid(errors)
        instances.withdraw(c, instance_id, reason)
    except Invalid as error:
        return render_instance(c, instances.get_instance(c, instance_id), withdraw_errors=_rendered(error),
                               withdraw_reason=reason[:2000], status=422)
    return redirect(url_for("pages.instance", instance_id=instance_id, done=1))


@bp.post("/instances/<id:instance_id>/cancel")
@login_required
def cancel(instance_id: int):
    """An administrator cancels a running case (a reason and a ticked confirmation)."""
    c = ctx()
    reason = request.form.get("reason", "")
    try:
        if request.form.get("confirm") != "yes":
            instances.get_instance(c, instance_id)  # 404 first for whoever may not see it
            flow.require_may_cancel(c, instance_id)  # 403 (audited) before anything else
            errors = {"confirm": Message(N_("Tick the box to confirm that you cancel the case."))}
            if not reason.strip():  # every error at once: the missing reason too
                errors["reason"] = Message(N_("Give the reason for cancelling the case."))
            raise Invalid(errors)
        flow.cancel(c, instance_id, reason)
    except Invalid as error:
        return render_instance(c, instances.get_instance(c, instance_id), cancel_errors=_rendered(error),
                               cancel_reason=reason[:2000], status=422)
    return redirect(url_for("pages.instance", instance_id=instance_id), 303)


@bp.get("/files/<id:file_id>")
@login_required
def download_file(file_id: int):
    c = ctx()
    row = files.get_file(c, file_id)
    return downloads.file_response(c, row)


@bp.get("/files/<id:file_id>/view")
@login_required
def view_file(file_id: int):
    """Open a file in the browser (PDF, PNG, JPEG; sandboxed), same access check as the download;
    any other type is downloaded."""
    c = ctx()
    row = files.get_file(c, file_id)
    return downloads.file_view_response(c, row)


@bp.get("/documents/<id:document_id>")
@login_required
def download_document(document_id: int):
    c = ctx()
    row = files.get_document(c, document_id)
    return downloads.document_response(c, row)



@bp.get("/verify")
def verify_form():
    """Public: the form where the code printed on a paper copy is typed; with ``?code=`` it goes to the
    check of that code (spaces, dashes and letter case do not matter)."""
    raw = request.args.get("code")
    if raw is None:
        return render_template("verify.html", document=None, code="", form_only=True)
    code = files.normalise_code(raw)
    if not code:
        return render_template("verify.html", document=None, code="", form_only=True,
                               form_error=_("Type the verification code printed on the document.")), 400
    return redirect(url_for("pages.verify", code=code), 303)


@bp.get("/verify/<code>")
def verify(code: str):
    """Public: is this certificate genuine? Shows only what the certificate itself shows; a wrong code says
    so (404) and offers the form again."""
    normal = files.normalise_code(code)
    if normal and normal != code:
        return redirect(url_for("pages.verify", code=normal), 301)
    doc = files.verify_document(ctx(), normal)
    status = 200 if doc else 404
    from web.signing_views import signature_status  # issue 17: the signature of the stored PDF

    return render_template("verify.html", document=doc, code=normal[:32],
                           signature=signature_status(ctx(), doc) if doc else None), status


@bp.get("/notifications")
@login_required
def notification_list():
    """The user's notifications, a page at a time (newest first, `cursor` = the oldest id of the page before;
    the first page also lists every older unread one); reading them changes nothing: the unread stay marked
    until a POST, and a notice whose task is done no longer counts."""
    cursor = _notification_id(request.args.get("cursor", ""))
    shown = notifications.page(ctx(), cursor)
    return render_template("notifications.html", items=shown.notices, older=shown.older, cursor=cursor, page=shown,
                           unread_count_here=sum(1 for n in shown.notices if n.unread),  # as marked "New"
                           up_to=max((n.note.id for n in shown.notices), default=None))


def _notification_id(raw: str) -> int | None:
    """A notification id or cursor from a form or query (empty: None); anything else is a 400."""
    raw = raw.strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31):
        abort(400, description=_("The request is malformed."))
    return int(raw)


@bp.post("/notifications/<id:notification_id>/read")
@login_required
def notification_mark_read(notification_id: int):
    """Mark one notice read (CSRF-checked form); back to the page of the list it was on."""
    notifications.mark_read(ctx(), notification_id)
    cursor = _notification_id(request.form.get("cursor", ""))
    return redirect(url_for("pages.notification_list", cursor=cursor, _anchor=f"notice-{notification_id}"), 303)


@bp.post("/notifications/<id:notification_id>/open")
@login_required
def notification_open(notification_id: int):
    """Open a notice's instance, marking the notice read (a POST: no state changes through GET)."""
    note = notifications.mark_read(ctx(), notification_id)
    if note.instance_id is None:
        return redirect(url_for("pages.notification_list"), 303)
    return redirect(url_for("pages.instance", instance_id=note.instance_id,
                            _anchor=NOTICE_ANCHORS.get(note.kind)), 303)


# notices that point at one section of the instance page (its heading's id)
NOTICE_ANCHORS = {"letter_issued": "ir-answer-title"}


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
            "languages": current_app.config["LANGUAGES"], "unit_name": _unit_name}


def _unit_name(code):
    """A unit's name in the page's language, by its code (the code itself when no unit has it); the units
    are read once per request."""
    from flask import g
    from flask_babel import get_locale

    if not isinstance(code, str) or not code:
        return code
    if "unit_names" not in g:
        g.unit_names = {u.code: u for u in queries.units(ctx())}
    unit = g.unit_names.get(code)
    if unit is None:
        return code
    language = str(get_locale())
    return getattr(unit, f"name_{language}", None) or unit.name_kk


@bp.get("/healthz")
def healthz():
    return {"ok": True}
