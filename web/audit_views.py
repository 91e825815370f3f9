"""Auditor pages: every instance with filters, every audit entry with filters and exports, and the chain's
verification."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale
from flask_login import login_required

from processes.usecases import exports, queries
from processes.usecases.context import Ctx
from storage.db import writing
from web import audit_filters, paging
from web.unit_of_work import commit, ctx, date_arg, db, streamed

bp = Blueprint("audit", __name__, url_prefix="/audit")
FORMATS = {"csv": "text/csv", "json": "application/json"}


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


@bp.get("/events")
@login_required
def events():
    """Every audit entry (log-ins, denials, administration, mail, the cases' steps), filtered, a page at a
    time, newest first or in chain order; auditors only."""
    c = ctx()
    queries.require_auditor(c)  # before anything else is read or refused
    filters, order = audit_filters.page_filters(), audit_filters.order_arg()
    name = f"audit_events_{order}"
    page = queries.audit_page(c, newest_first=order == "newest", **filters, **paging.position(name))
    query = {k: v for k, v in request.args.items() if k not in ("cursor", "limit") and v}
    exports_query = {k: v for k, v in query.items() if k != "order"}
    users = queries.users_by_username(c, _people_named(page.items))
    language = str(get_locale())
    return render_template("audit_events.html", page=page, entries=page.items, args=request.args, order=order,
                           filtered=any(v is not None for v in filters.values()), users=users,
                           actor_names={name: u.name_in(language) for name, u in users.items()},
                           actions=queries.audit_actions(c), links=paging.links(name, page),
                           exports_query=exports_query)


PERSON_KEYS = ("assignee", "told", "to_user", "by", "acting_for", "from", "to", "holder")


def _people_named(entries: list[Any]) -> set[str]:
    """The usernames a page of entries names: their actors, and the people in their data (assignee …)."""
    names: set[str] = set()
    for e in entries:
        if e.actor:
            names.add(e.actor)
        for key in PERSON_KEYS:
            value = (e.data or {}).get(key)
            values = value if isinstance(value, list) else [value]
            names.update(v for v in values if isinstance(v, str) and len(v) <= 80)
    return names


def export(fmt: str, filters: dict[str, Any]) -> Response:
    """The filtered audit trail as CSV (formula cells neutralised) or as one JSON array, in chain order,
    streamed; the export is audited first (`audit_exported`) and covers the entries up to that moment."""
    queries.require_auditor(ctx())  # before the answer starts (a refusal is audited as a denial)
    db().rollback()  # a read so far: the entry is written in a transaction that takes the write lock first
    with writing():
        up_to, count = exports.record_export(ctx(), fmt, filters)
        commit()

    def chunks(c: Ctx) -> Iterator[str]:
        entries = queries.audit_stream(c, **filters, up_to=up_to)
        return exports.audit_csv_stream(entries) if fmt == "csv" else exports.audit_json_stream(entries)

    instance = filters.get("instance")
    name = f"kelisim-audit-{instance or 'all'}-{up_to}.{fmt}"
    return Response(streamed(chunks), mimetype=FORMATS[fmt],
                    headers={"Content-Disposition": f"attachment; filename={name}", "Cache-Control": "no-store",
                             "X-Total-Count": str(count)})


@bp.get("/events.csv")
@login_required
def events_csv():
    """The audit trail (filtered as the events page is) as CSV, formula cells neutralised."""
    queries.require_auditor(ctx())
    return export("csv", audit_filters.page_filters())


@bp.get("/events.json")
@login_required
def events_json():
    """The audit trail (filtered as the events page is) as one JSON array."""
    queries.require_auditor(ctx())
    return export("json", audit_filters.page_filters())


@bp.get("/verify")
@login_required
def verify():
    return render_template("audit_verify.html", result=queries.verify_audit_trail(ctx()))
