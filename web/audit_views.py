"""Auditor pages: every instance with filters, and the chain's verification."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from processes.usecases import exports, queries
from web import paging
from web.unit_of_work import ctx, date_arg, streamed

bp = Blueprint("audit", __name__, url_prefix="/audit")



@bp.get("/instances")
@login_required
def instances():
    flt = queries.InstanceFilter(
        process=request.args.get("process") or None, status=request.args.get("status") or None,
        outcome=request.args.get("outcome") or None, person=(request.args.get("person") or "").strip() or None,
        since=date_arg("since"), until=date_arg("until"), text=(request.args.get("q") or "").strip()[:200] or None)
    page = queries.all_instances(ctx(), flt, **paging.position("audit_instances"))
    return render_template("audit_instances.html", instances=page.items, flt=flt, page=page,
                           links=paging.links("audit_instances", page))


@bp.get("/events.csv")
@login_required
def events_csv():
    """The audit trail (or one instance's) as CSV, formula cells neutralised."""
    raw = request.args.get("instance", "")
    if raw and not (raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31):  # "²".isdigit() too
        abort(400, description=_("instance must be a number."))
    queries.require_auditor(ctx())  # before the answer starts
    instance = int(raw) if raw else None
    chunks = streamed(lambda c: exports.audit_csv_stream(queries.audit_stream(c, instance=instance)))
    name = f"kelisim-audit-{raw or 'all'}.csv"
    return Response(chunks, mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}",
                             "Cache-Control": "no-store"})


@bp.get("/verify")
@login_required
def verify():
    return render_template("audit_verify.html", result=queries.verify_audit_trail(ctx()))
