"""Plans and regulations the rector approves (§7.1): the plan page for MCD, management and auditors (the version in
force, its items by month with whether they happened, every version, two versions compared), MCD's mark that an
item happened, and the same as JSON."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from forms.validate import N_
from processes.plan_approval import plans as pa
from processes.university_time import today_local
from processes.usecases.errors import NotFound
from storage.models import Unit
from web import paging
from web.auth import api_auth
from web.process_pages import NavItem
from web.unit_of_work import ctx

bp = Blueprint("plan_approval", __name__)
NAV = [NavItem("plan_approval.plans", N_("Plans"), frozenset(pa.READERS), order=14, group="registers")]


def _number(name: str) -> int | None:
    raw = request.args.get(name) or ""
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


@bp.app_template_filter("month_name")
def _month(month: str) -> str:
    """"2027-03" as the page's language names the month ("наурыз 2027", "март 2027"); anything else as it is."""
    from flask_babel import format_date

    try:
        return format_date(pa.month_bounds(str(month))[0], "LLLL yyyy")
    except (ValueError, TypeError):
        return str(month or "")


def _units(c) -> dict[str, Unit]:
    return {u.code: u for u in c.session.execute(select(Unit)).scalars()}


def _may_draft(c) -> bool:
    from processes.catalog import kinds

    return kinds()[pa.KEY].may_start(c)


@bp.get("/plans")
@login_required
def plans():
    c = ctx()
    pa.require_reader(c)
    kind = request.args.get("kind") or pa.PLAN
    pa.check_kind(kind)
    current = pa.in_force(c.session, kind)
    page_ = pa.version_page(c, kind, **paging.position("plan_versions"))
    try:
        cmp = pa.comparison(c, kind, _number("from"), _number("to"))
    except NotFound:  # an unknown version number in the query: compare the defaults
        cmp = pa.comparison(c, kind, None, None)
    rows = pa.states(c, current) if current is not None and kind == pa.PLAN else []
    counts = {s: sum(1 for r in rows if r.status == s) for s in ("done", "planned", "missed")}
    return render_template("plan_approval/plans.html", kind=kind, current=current,
                           versions=page_.items,
                           page=page_, links=paging.links("plan_versions", page_), comparison=cmp,
                           months=[(_month(m), r) for m, r in pa.by_month(rows)], counts=counts, units=_units(c),
                           may_mark=pa.may_mark(c), may_draft=_may_draft(c), today=today_local(c.now()),
                           files=_files(c, current))


def _files(c, current) -> list[Any]:
    from processes.usecases import files

    if current is None or current.instance_id is None:
        return []
    return files.files_by_ids(c, current.instance_id, current.file_ids)


@bp.post("/plans/<kind>/<int:number>/items/<key>/done")
@login_required
def mark(kind: str, number: int, key: str):
    c = ctx()
    pa.mark_done(c, kind, number, key, {"done_on": request.form.get("done_on"),
                                           "note": request.form.get("note")})
    flash(_("The item is marked as happened."), "success")
    return redirect(url_for("plan_approval.plans", kind=kind) + f"#item-{key}", 303)


# --- JSON API ------------------------------------------------------------------------------------------------

@bp.get("/api/v1/plans/<kind>/versions")
@api_auth
def api_versions(kind: str):
    """Every version of a kind, newest first (`limit`, `cursor`; next page in `Link`)."""
    c = ctx()
    page_ = pa.version_page(c, kind, **paging.position("plan_versions"))
    return paging.link_header(jsonify([pa.version_json(v) for v in page_.items]), "plan_versions", page_)


@bp.get("/api/v1/plans/<kind>/versions/<int:number>")
@api_auth
def api_version(kind: str, number: int):
    """One version with its items and whether each happened, or a regulation's text."""
    c = ctx()
    v = pa.version(c, kind, number)
    return jsonify({**pa.version_json(v), "text": v.text,
                    "items": [pa.state_json(s) for s in pa.states(c, v)]})


@bp.get("/api/v1/plans/<kind>/current")
@api_auth
def api_current(kind: str):
    c = ctx()
    pa.require_reader(c)
    current = pa.in_force(c.session, pa.check_kind(kind))
    if current is None:
        return jsonify(error=_("Nothing of this kind was approved yet.")), 404
    return api_version(kind, current.number)


@bp.get("/api/v1/plans/<kind>/compare")
@api_auth
def api_compare(kind: str):
    """`to` (default: in force) against `from` (default: the version before it), item by item."""
    c = ctx()
    cmp = pa.comparison(c, kind, _number("from"), _number("to"))
    if cmp is None:
        return jsonify(error=_("Nothing of this kind was approved yet.")), 404
    return jsonify({**cmp, "text": [list(s) for s in cmp["text"]]})


@bp.post("/api/v1/plans/<kind>/versions/<int:number>/items/<key>/done")
@api_auth
def api_mark(kind: str, number: int, key: str):
    """MCD: `{"done_on", "note"}` records that the item happened."""
    c = ctx()
    body = request.get_json(silent=True)
    made = pa.mark_done(c, kind, number, key, body if isinstance(body, dict) else {})
    return jsonify({"item": made.item, "done_on": made.done_on.isoformat(), "note": made.note}), 201


CSRF_EXEMPT = [api_versions, api_version, api_current, api_compare, api_mark]
