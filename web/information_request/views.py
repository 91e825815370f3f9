"""The register of written information requests (§11): page, CSV export and JSON, for the registry,
the rector and auditors; and each request's letter."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import login_required

from forms.validate import N_
from processes.information_request import kind as ir
from processes.information_request import request_register as register
from processes.university_time import deadline_day
from processes.usecases import instances
from processes.usecases.errors import Invalid
from web import paging
from web.auth import api_auth
from web.process_pages import NavItem
from web.unit_of_work import ctx, date_arg, streamed

bp = Blueprint("requests", __name__)
NAV = [NavItem("requests.page", N_("Requests register"), register.READERS, order=11, group="registers")]


def _filter() -> register.RegisterFilter:
    status = request.args.get("status") or None
    if status is not None and status not in register.STATUSES:
        abort(400, description=_("status must be one of: %(values)s.", values=", ".join(register.STATUSES)))
    outcome = request.args.get("outcome") or None
    if outcome is not None and outcome not in (*ir.OUTCOME_OF.values(), register.WITHDRAWN):
        abort(400, description=_("Unknown outcome."))
    text = (request.args.get("q") or "").strip()[:200] or None
    return register.RegisterFilter(text=text, status=status, outcome=outcome,
                                   since=date_arg("since"), until=date_arg("until"))


@bp.get("/requests")
@login_required
def page():
    flt = _filter()
    c = ctx()
    page_ = register.search_page(c, flt, **paging.position("register"))
    return render_template("information_request/register.html", rows=page_.items, page=page_,
                           links=paging.links("register", page_), flt=flt, now=c.now())


@bp.get("/requests.csv")
@login_required
def csv_export():
    flt = _filter()
    register.require_reader(ctx())  # before the answer starts
    chunks = streamed(lambda c: register.register_csv_stream(register.every_row(c, flt), _))
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=kelisim-information-requests.csv",
                             "Cache-Control": "no-store"})


@bp.post("/instances/<id:instance_id>/dispatch")
@login_required
def dispatch(instance_id: int):
    """The registry records how the letter was sent (the e-mail itself goes out through the worker)."""
    from forms.validate import from_html, load_form
    from web import pages

    c = ctx()
    data = from_html(load_form(*ir.DISPATCH_FORM), request.form.to_dict(flat=False),
                     ignore=("csrf_token", "confirm"))
    try:  # the page asks to confirm what will be recorded (confirm=yes); the JSON API does not
        ir.record_dispatch(c, instance_id, data, confirmed=request.form.get("confirm") == "yes")
    except Invalid as error:
        from web import messages

        errors = messages.field_errors(error.errors)  # counts in the reader's numbers
        return pages.render_instance(c, instances.get_instance(c, instance_id),
                                     details_extra={"dispatch_values": data}, form_errors=errors, status=422)
    return redirect(url_for("pages.instance", instance_id=instance_id, done=1))


@bp.post("/api/v1/instances/<id:instance_id>/dispatch")
@api_auth
def api_dispatch(instance_id: int):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or set(body) != {"data"}:
        abort(400, description="The body must be {\"data\": {...}} and nothing else.")
    c = ctx()
    req = ir.record_dispatch(c, instance_id, body["data"])
    return jsonify(row_json(register.entry(c, req)))


@bp.get("/instances/<id:instance_id>/letter")
@login_required
def letter(instance_id: int):
    """The request's letter (409 while there is none yet)."""
    c = ctx()
    doc = ir.letter_of(c, instances.get_instance(c, instance_id))
    return redirect(url_for("pages.download_document", document_id=doc.id), code=303)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def row_json(row: register.RegisterRow) -> dict[str, Any]:
    req = row.request
    iso = _iso
    return {"instance_id": req.instance_id, "reg_number": req.reg_number, "requester_name": req.requester_name,
            "requester_kind": req.requester_kind, "subject": req.subject, "form": req.form,
            "language": req.language, "received_at": iso(req.received_at), "due_at": iso(req.due_at),
            "due_day": iso(deadline_day(req.due_at)),
            "decision": req.decision, "ground": req.ground, "answered_at": iso(req.answered_at),
            "outcome": req.outcome, "working_days": row.days, "overdue": row.late,
            "overdue_seconds": req.overdue_seconds, "payment_status": req.payment_status,
            "cost": float(req.cost) if req.cost is not None else None,
            "waiting_for_payment_seconds": int(row.waiting_for_payment.total_seconds())
            if row.waiting_for_payment is not None else None,
            "dispatch_method": req.dispatch_method, "tracking_number": req.tracking_number,
            "dispatched_at": iso(req.dispatched_at)}


@bp.get("/api/v1/information-requests")
@api_auth
def api_list():
    """The register a page at a time (`limit`, `cursor`; the next page in `Link`)."""
    page_ = register.search_page(ctx(), _filter(), **paging.position("register"))
    return paging.link_header(jsonify([row_json(r) for r in page_.items]), "register", page_)


@bp.get("/api/v1/instances/<id:instance_id>/letter")
@api_auth
def api_letter(instance_id: int):
    c = ctx()
    doc = ir.letter_of(c, instances.get_instance(c, instance_id))
    return redirect(url_for("api.download_document", document_id=doc.id), code=303)


CSRF_EXEMPT = [api_dispatch]  # bearer-token API: cookies never authenticate it
