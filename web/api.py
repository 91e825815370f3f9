"""JSON API v1 (docs/API.md): bearer tokens, processes, instances, tasks, files, documents, audit."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request

from processes.university_time import deadline_day
from processes.usecases import deploy, files, flow, instances, queries, sessions, withheld
from processes.usecases.errors import TooManyAttempts, Unauthenticated
from storage import audit
from storage.models import InboxTask, Instance
from web import downloads, paging, raw_body
from web.auth import anonymous_ctx, api_auth, throttle
from web.unit_of_work import ctx, db, keep_refusal

bp = Blueprint("api", __name__, url_prefix="/api")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _day(due_at: datetime | None) -> str | None:
    """`due_day`: the ISO date of a deadline's last day (due_at at the next midnight, Almaty, is the end of
    the day before; a deadline at another hour ends on its own Almaty date)."""
    day = deadline_day(due_at)
    return day.isoformat() if day else None


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="The body must be a JSON object (Content-Type: application/json).")
    return body


def _viewer():
    """Who is asking (the bearer token's user, or the signed-in one): a withheld starter is shown to them or not."""
    from flask import g
    from flask_login import current_user

    user = g.get("api_user")
    if user is None and getattr(current_user, "is_authenticated", False):
        user = current_user.user
    return user


def task_json(task: InboxTask) -> dict[str, Any]:
    viewer, inst = _viewer(), task.instance
    return {"id": task.id, "instance_id": task.instance_id, "process_key": task.process_key,
            "name": task.name, "title": task.title, "role": task.role,
            "assignee": withheld.person_username(viewer, inst, task.assignee), "due_at": _iso(task.due_at),
            "due_day": _day(task.due_at), "claimed_at": _iso(task.claimed_at),
            "delegated_to": withheld.person_username(viewer, inst, task.delegated_to),
            # the absent person whose task this is: held by their substitute, or by the role's queue
            "acting_for": withheld.person_username(viewer, inst, task.acting_for)}


def instance_json(c, inst: Instance) -> dict[str, Any]:
    return {
        "id": inst.id, "process_key": inst.process_key, "status": inst.status, "outcome": inst.outcome,
        "title": inst.title, "created_at": _iso(inst.created_at),
        "started_by": withheld.starter_username(_viewer(), inst),  # "~withheld" for a withheld reporter (§13.1)
        "due_at": _iso(inst.due_at), "due_day": _day(inst.due_at), "version": inst.definition.version,
        "routing": dict(inst.definition.decisions or {}),  # the routing tables' versions it follows (issue 12)
        "tasks": [task_json(t) for t in instances.ready_tasks(c, inst, mine_only=False)],
        "documents": [{"id": d.id, "kind": d.kind, "title": d.title, "reg_number": d.reg_number,
                       "verification_code": d.verification_code, "sha256": d.sha256,
                       "status": "pending" if d.sha256 is None else "ready"}
                      for d in files.instance_documents(c, inst.id)],
        "files": [file_json(f) for f in files.instance_files(c, inst.id)],
    }


def file_json(row) -> dict[str, Any]:
    """A file of an instance: which version of its document it is, who uploaded it (username) and when."""
    return {"id": row.id, "name": row.name, "size": row.size, "sha256": row.sha256,
            "content_type": row.content_type, "version": row.version,
            "uploaded_by": _uploader(row),
            "uploaded_at": _iso(row.created_at)}


def _uploader(row) -> str | None:
    inst = db().get(Instance, row.instance_id) if row.instance_id else None
    if inst is None:
        return row.uploaded_by.username if row.uploaded_by else None
    return withheld.person_username(_viewer(), inst, row.uploaded_by)


def event_json(ev: audit.Entry) -> dict[str, Any]:
    """An audit entry; a damaged one only as its seq, the fields that could not be read and the raw text."""
    if ev.damaged:
        return {"seq": ev.seq, "damaged": True, "damaged_fields": list(ev.damaged), "raw": ev.raw}
    return {"seq": ev.seq, "at": _iso(ev.at), "actor": ev.actor, "action": ev.action, "task": ev.task,
            "object": ev.object, "data": ev.data, "comment": ev.comment, "clause": ev.clause,
            "hash": ev.hash, "damaged": False, "acting_for": _acting_for(ev)}


def audit_event_json(ev: audit.Entry) -> dict[str, Any]:
    """An entry of the whole trail (auditors): an instance's event plus the roles the actor acted in and
    the instance it belongs to (null for log-ins, administration, mail …)."""
    found = event_json(ev)
    if not ev.damaged:
        # its canonical bytes, base64: the provable log's Merkle leaf hashes them (storage/audit_log.py)
        found.update(role=ev.role, instance_id=ev.instance_id,
                     leaf=base64.b64encode(audit.leaf_bytes(ev)).decode("ascii"))
    return found


def _acting_for(ev: audit.Entry) -> str | None:
    """The absent person a substitute acted for, as the entry recorded it in its data (hashed with it)."""
    value = (ev.data or {}).get("acting_for")
    return value if isinstance(value, str) else None


@bp.post("/v1/tokens")
def create_token():
    body = _json_body()
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        abort(400, description="username and password must be strings.")
    try:
        token, expires = sessions.issue_token(anonymous_ctx(), username, password, remote_addr=request.remote_addr,
                                              throttle=throttle(),
                                              lifetime=timedelta(hours=current_app.config["TOKEN_HOURS"]))
    except TooManyAttempts as exc:
        wait = exc.retry_after
        response = jsonify(error="Too many failed attempts.", retry_after=wait)
        return response, 429, {"Retry-After": str(wait)}
    except Unauthenticated:
        keep_refusal()  # the failure counts towards the throttle and is audited
        return jsonify(error="Wrong username or password."), 401
    # RFC 6749 §5.1: a token is never cached (Cache-Control: no-store is set on every API answer)
    return jsonify(token=token, expires_at=_iso(expires)), 201, {"Pragma": "no-cache"}


@bp.get("/v1/processes")
@api_auth
def list_processes():
    return jsonify([{"key": d.key, "name": d.name, "version": d.version}
                    for d in deploy.list_current(db())])


@bp.post("/v1/processes/<key>/instances")
@api_auth
def start(key: str):
    c = ctx()
    inst = instances.start_instance(c, key)
    return jsonify({"id": inst.id, "status": inst.status,
                    "tasks": [task_json(t) for t in instances.ready_tasks(c, inst)]}), 201


@bp.get("/v1/instances/<id:instance_id>")
@api_auth
def get_instance(instance_id: int):
    c = ctx()
    return jsonify(instance_json(c, instances.get_instance(c, instance_id)))


@bp.post("/v1/instances/<id:instance_id>/withdraw")
@api_auth
def withdraw(instance_id: int):
    """The submitter withdraws their case before it is decided: 200 with the instance (outcome `withdrawn`)."""
    body = _json_body()
    if set(body) - {"reason"} or not isinstance(body.get("reason", ""), str):
        abort(400, description="The body must be {\"reason\": \"…\"} and nothing else.")
    c = ctx()
    inst = instances.withdraw(c, instance_id, body.get("reason", ""))
    return jsonify(instance_json(c, inst))


@bp.get("/v1/instances/<id:instance_id>/events")
@api_auth
def instance_events(instance_id: int):
    c = ctx()
    inst = instances.get_instance(c, instance_id)
    return jsonify([event_json(e) for e in queries.timeline(c, inst)])


@bp.get("/v1/tasks")
@api_auth
def list_tasks():
    """The caller's tasks, the most urgent first, a page at a time (`limit`, `cursor`, `q`; the next page in
    `Link`)."""
    page = queries.inbox_page(ctx(), _q(), **paging.position("inbox"))
    return paging.link_header(jsonify([task_json(t) for t in page.items]), "inbox", page)


def _q() -> str | None:
    return (request.args.get("q") or "").strip()[:200] or None


STATUSES = ("running", "completed", "cancelled")


@bp.get("/v1/instances")
@api_auth
def list_instances():
    """The instances the caller may read, newest first, a page at a time: `process`, `status`, `q` (a title,
    a number, a person), `limit`, `cursor`; the next page in `Link`."""
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        abort(400, description=f"status must be one of: {', '.join(STATUSES)}.")
    flt = queries.InstanceFilter(process=request.args.get("process") or None, status=status,
                                 outcome=request.args.get("outcome") or None, text=_q())
    c = ctx()
    page = queries.readable_instances(c, flt, **paging.position("instances"))
    return paging.link_header(jsonify([instance_summary(i) for i in page.items]), "instances", page)


def instance_summary(inst: Instance) -> dict[str, Any]:
    """An instance in a list: what `GET /instances/<id>` gives but its tasks, documents and files."""
    return {"id": inst.id, "process_key": inst.process_key, "status": inst.status, "outcome": inst.outcome,
            "title": inst.title, "created_at": _iso(inst.created_at),
            "started_by": withheld.starter_username(_viewer(), inst),
            "due_at": _iso(inst.due_at), "due_day": _day(inst.due_at), "version": inst.definition.version}


@bp.get("/v1/tasks/<task_id>")
@api_auth
def get_task(task_id: str):
    c = ctx()
    task = instances.task_for(c, task_id)
    form = instances.form_of(task) if task.form else None
    prefill = instances.prefill(c, task)
    return jsonify({**task_json(task), "state": task.state, "form": form.schema if form else None,
                    "ui": form.ui if form else None, "data": prefill,
                    "delegation_comment": task.delegation_comment})


@bp.post("/v1/tasks/<task_id>/complete")
@api_auth
def complete(task_id: str):
    body = _json_body()
    extra = set(body) - {"data"}
    if "data" not in body or extra:
        abort(400, description="The body must be {\"data\": {...}} and nothing else.")
    c = ctx()
    inst = instances.complete_task(c, task_id, body["data"])
    return jsonify({"instance": {"id": inst.id, "status": inst.status, "outcome": inst.outcome},
                    "tasks": [task_json(t) for t in instances.ready_tasks(c, inst)]})


def _flow_body(allowed: set[str]) -> dict[str, Any]:
    """The body of a flow-of-work action: a JSON object with only these keys, their values strings."""
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict) or set(body) - allowed or any(
            not isinstance(body[k], str) for k in body if k != "data"):
        keys = ", ".join(f'"{k}"' for k in sorted(allowed))
        abort(400, description=f"The body must be a JSON object with at most {keys}, as strings.")
    return body


@bp.post("/v1/tasks/<task_id>/claim")
@api_auth
def claim_task(task_id: str):
    """Take a task of one of your roles' queues: 200 with the task (now yours); 409 when someone was first."""
    _flow_body(set())
    return jsonify(task_json(flow.claim(ctx(), task_id)))


@bp.post("/v1/tasks/<task_id>/release")
@api_auth
def release_task(task_id: str):
    """Put a task you claimed back in its queue."""
    _flow_body(set())
    return jsonify(task_json(flow.release(ctx(), task_id)))


@bp.post("/v1/tasks/<task_id>/reassign")
@api_auth
def reassign_task(task_id: str):
    """Administrator or the head of the unit owning the queue: {"to": username, "reason": "…"}."""
    body = _flow_body({"to", "reason"})
    return jsonify(task_json(flow.reassign(ctx(), task_id, body.get("to"), body.get("reason"))))


@bp.post("/v1/tasks/<task_id>/delegate")
@api_auth
def delegate_task(task_id: str):
    """The holder asks a colleague to prepare the task: {"to": username, "comment": "…"}."""
    body = _flow_body({"to", "comment"})
    return jsonify(task_json(flow.delegate(ctx(), task_id, body.get("to"), body.get("comment"))))


@bp.post("/v1/tasks/<task_id>/return")
@api_auth
def return_task(task_id: str):
    """The colleague returns the task prepared: {"comment": "…"} and, optionally, "data" (the draft)."""
    body = _flow_body({"comment", "data"})
    if "data" in body and not isinstance(body["data"], dict):
        abort(400, description="\"data\" must be an object.")
    return jsonify(task_json(flow.return_task(ctx(), task_id, body.get("comment"), body.get("data"))))


@bp.post("/v1/tasks/<task_id>/recall")
@api_auth
def recall_task(task_id: str):
    """The holder takes back a task a colleague is preparing: {"comment": "…"} (optional)."""
    body = _flow_body({"comment"})
    return jsonify(task_json(flow.recall(ctx(), task_id, body.get("comment"))))


@bp.post("/v1/instances/<id:instance_id>/cancel")
@api_auth
def cancel_instance(instance_id: int):
    """Administrator: cancel a running case with {"reason": "…"}: 200 with the instance (outcome `cancelled`)."""
    body = _flow_body({"reason"})
    c = ctx()
    inst = flow.cancel(c, instance_id, body.get("reason"))
    return jsonify(instance_json(c, inst))


@bp.post("/v1/instances/<id:instance_id>/files")
@api_auth
def upload(instance_id: int):
    upload = request.files.get("file")
    if upload is None:
        abort(400, description="Send the file as multipart/form-data in the field 'file'.")
    c = ctx()
    row = files.upload(c, instance_id, upload.filename or "", upload.stream)
    return jsonify(file_json(row)), 201


raw_body.add_name_converter(bp)


@bp.put("/v1/instances/<id:instance_id>/files/<filename:name>", merge_slashes=False)
@api_auth
def upload_raw(instance_id: int, name: str):
    """The file's bytes as the body, its name in the path (docs/API.md): streamed into the blob store."""
    return jsonify(file_json(raw_body.upload(instance_id, name))), 201


@bp.put("/v1/instances/<id:instance_id>/files/", strict_slashes=False)
@api_auth
def upload_raw_unnamed(instance_id: int):
    """A raw upload without a name: refused (422) as the upload of an empty name is."""
    return jsonify(file_json(raw_body.upload(instance_id, ""))), 201


@bp.get("/v1/files/<id:file_id>")
@api_auth
def download_file(file_id: int):
    c = ctx()
    row = files.get_file(c, file_id)
    return downloads.file_response(c, row)


@bp.get("/v1/documents/<id:document_id>")
@api_auth
def download_document(document_id: int):
    c = ctx()
    row = files.get_document(c, document_id)
    return downloads.document_response(c, row)



@bp.get("/v1/audit/events")
@api_auth
def audit_events():
    """The audit trail in chain order, filtered (`instance`, `actor`, `action`, `object` a prefix, `clause`
    with its sub-clauses, `since`/`until`), a page at a time; auditors only (web/audit_filters.py)."""
    from web.audit_filters import api_filters

    page = queries.audit_page(ctx(), **api_filters(), **paging.position("audit_events"))
    return paging.link_header(jsonify([audit_event_json(e) for e in page.items]), "audit_events", page)


@bp.get("/v1/audit/verify")
@api_auth
def audit_verify():
    result = queries.verify_audit_trail(ctx())
    body = {"ok": result.ok, "events": result.events, "head": result.head}
    if not result.ok:
        body.update(first_bad_seq=result.first_bad_seq, reason=result.reason)
    return jsonify(body)


@bp.get("/openapi.json")
def openapi():
    from web.openapi import document

    return jsonify(document())
