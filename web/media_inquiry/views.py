"""The register of media inquiries (§7.10, §10.2, §3.8): page, CSV export and JSON, for MCD, the rector and
auditors."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, stream_with_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from forms.validate import N_
from processes.media_inquiry import register
from web import paging
from web.auth import api_auth
from web.process_pages import NavItem
from web.unit_of_work import ctx, date_arg, streamed

bp = Blueprint("media_inquiries", __name__)
NAV = [NavItem("media_inquiries.page", N_("Media inquiries"), register.READERS, order=31, group="media")]
LIST = "media_register"


def _filter() -> register.RegisterFilter:
    status = request.args.get("status") or None
    if status is not None and status not in register.STATUSES:
        abort(400, description=_("status must be one of: %(values)s.", values=", ".join(register.STATUSES)))
    outcome = request.args.get("outcome") or None
    if outcome is not None and outcome not in register.OUTCOMES:
        abort(400, description=_("Unknown outcome."))
    text = (request.args.get("q") or "").strip()[:200] or None
    return register.RegisterFilter(text=text, status=status, outcome=outcome,
                                   since=date_arg("since"), until=date_arg("until"))


def _lang() -> str:
    lang = str(get_locale() or "kk")
    return lang if lang in ("kk", "ru", "en") else "kk"


@bp.get("/media-inquiries")
@login_required
def page():
    flt = _filter()
    c = ctx()
    page_ = register.search_page(c, flt, **paging.position(LIST))
    return render_template("media_inquiry/register.html", rows=page_.items, page=page_,
                           links=paging.links(LIST, page_), flt=flt, now=c.now(),
                           timing=lambda line: register.timing_text(line, _))


@bp.get("/media-inquiries.csv")
@login_required
def csv_export():
    flt = _filter()
    register.require_reader(ctx())  # before the answer starts
    lang = _lang()
    chunks = streamed(lambda c: register.register_csv_stream(register.every_row(c, flt), _, lang))
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=kelisim-media-inquiries.csv",
                             "Cache-Control": "no-store"})


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def row_json(row: register.RegisterRow) -> dict[str, Any]:
    mi = row.inquiry
    return {"instance_id": mi.instance_id, "reg_number": mi.reg_number, "outlet": mi.outlet,
            "journalist": mi.journalist, "subject": mi.subject, "received_via": mi.received_via,
            "registered_at": _iso(mi.registered_at), "outlet_deadline": _iso(mi.outlet_deadline),
            "source": mi.source.username if mi.source else None,
            "source_name": mi.source.full_name if mi.source else None,
            "related_to": mi.related_to_id, "source_overridden": bool(mi.override_reason),
            "sent_at": _iso(mi.sent_at), "clearance": mi.clearance, "cleared_at": _iso(mi.cleared_at),
            "answer_sha256": mi.answer_sha256, "released_at": _iso(mi.released_at),
            "release_method": mi.release_method, "released_to": mi.released_to, "outcome": mi.outcome,
            "late": row.late,
            "units": [{"unit": line.ask.unit.code, "urgency": line.ask.urgency, "status": line.ask.status,
                       "sent_at": _iso(line.ask.sent_at), "due_at": _iso(line.ask.due_at),
                       "term": _iso(line.ask.term_at), "answered_at": _iso(line.ask.answered_at),
                       "late_seconds": line.late_seconds, "overdue": line.open_overdue,
                       "escalated_at": _iso(line.ask.escalated_at)} for line in row.asks]}


@bp.get("/api/v1/media-inquiries")
@api_auth
def api_list():
    """The register a page at a time (`limit`, `cursor`; the next page in `Link`)."""
    page_ = register.search_page(ctx(), _filter(), **paging.position(LIST))
    return paging.link_header(jsonify([row_json(r) for r in page_.items]), LIST, page_)
