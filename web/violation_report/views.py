"""The register of violation reports (§13.1–13.3): page, CSV export and JSON, for the head of MCD and auditors.
Counts by clause and by month; no reporter anywhere (the register holds none)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import login_required

from forms.validate import N_
from processes.violation_report import register
from web import paging
from web.auth import api_auth
from web.process_pages import NavItem
from web.unit_of_work import ctx, date_arg, streamed

bp = Blueprint("violation_reports", __name__)
NAV = [NavItem("violation_reports.page", N_("Violation reports"), register.READERS, order=13,
               group="registers")]
LIST = "violation_register"


def _filter() -> register.RegisterFilter:
    status = request.args.get("status") or None
    if status is not None and status not in register.STATUSES:
        abort(400, description=_("status must be one of: %(values)s.", values=", ".join(register.STATUSES)))
    outcome = request.args.get("outcome") or None
    if outcome is not None and outcome not in register.OUTCOMES:
        abort(400, description=_("Unknown outcome."))
    clause = (request.args.get("clause") or "").strip()[:32] or None
    return register.RegisterFilter(clause=clause, status=status, outcome=outcome,
                                   since=date_arg("since"), until=date_arg("until"))


@bp.get("/violation-reports")
@login_required
def page():
    flt = _filter()
    c = ctx()
    page_ = register.search_page(c, flt, **paging.position(LIST))
    return render_template("violation_report/register.html", rows=page_.items, page=page_,
                           links=paging.links(LIST, page_), flt=flt, counts=register.counts(c, flt))


@bp.get("/violation-reports.csv")
@login_required
def csv_export():
    flt = _filter()
    register.require_reader(ctx())  # before the answer starts
    chunks = streamed(lambda c: register.register_csv_stream(register.every_row(c, flt), _))
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=kelisim-violation-reports.csv",
                             "Cache-Control": "no-store"})


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def row_json(r) -> dict[str, Any]:
    return {"instance_id": r.instance_id, "reg_number": r.reg_number, "clause": r.clause,
            "happened_on": _iso(r.happened_on), "reported_at": _iso(r.reported_at),
            "published_where": r.published_where, "assessment": r.assessment, "measures": list(r.measures or []),
            "referred": r.referred, "rector_decision": r.rector_decision, "outcome": r.outcome,
            "closed_at": _iso(r.closed_at),
            "units": [{"unit": a.get("unit"), "due_at": a.get("due_at"), "status": a.get("status")}
                      for a in r.asks or []]}


@bp.get("/api/v1/violation-reports")
@api_auth
def api_list():
    """The register a page at a time (`limit`, `cursor`; the next page in `Link`)."""
    page_ = register.search_page(ctx(), _filter(), **paging.position(LIST))
    return paging.link_header(jsonify([row_json(r) for r in page_.items]), LIST, page_)


@bp.get("/api/v1/violation-reports/counts")
@api_auth
def api_counts():
    """How many reports by clause and by month (university time)."""
    counts = register.counts(ctx(), _filter())
    return jsonify({"total": counts.total, "by_clause": [{"clause": c, "count": n} for c, n in counts.by_clause],
                    "by_month": [{"month": m, "count": n} for m, n in counts.by_month]})


CSRF_EXEMPT = (api_list, api_counts)
