"""The register of website change requests (§9.5, §9.8): MCD and auditors see every unit's, a unit head their own
unit's; as a page and as JSON, a page at a time."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from forms.validate import N_
from processes.usecases.units import headed_unit_ids
from processes.website_change import register
from processes.website_change.kind import KIND, unit_pages
from processes.website_change.sections import SECTIONS
from storage.models import Unit, WebsiteChange
from web import paging
from web.auth import api_auth
from web.process_pages import NavItem
from web.unit_of_work import ctx

bp = Blueprint("website_changes", __name__)
NAV = [NavItem("website_changes.page", N_("Website changes"),
               frozenset({"unit_head", "mcd_head", "mcd_specialist", "auditor"}), order=36, group="media")]
LIST = "website_changes"


def _filter() -> register.RegisterFilter:
    status = request.args.get("status") or None
    if status is not None and status not in register.STATUSES:
        abort(400, description=_("status must be one of: %(values)s.", values=", ".join(register.STATUSES)))
    section = request.args.get("section") or None
    if section is not None and section not in SECTIONS:
        abort(400, description=_("Unknown section of the site."))
    return register.RegisterFilter(status=status, section=section)


@bp.get("/website-changes")
@login_required
def page():
    flt = _filter()
    c = ctx()
    page_ = register.search_page(c, flt, **paging.position(LIST))
    may_start = KIND.may_start(c)
    own = [u for u in (c.session.get(Unit, i) for i in sorted(headed_unit_ids(c.me))) if u is not None] \
        if may_start else []
    return render_template("website_change/register.html", rows=page_.items, page=page_,
                           links=paging.links(LIST, page_), flt=flt, sections=SECTIONS, may_start=may_start,
                           reads_all=register.reads_all(c), own_pages=[(u, unit_pages(c, u)) for u in own])


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def row_json(r: WebsiteChange) -> dict[str, Any]:
    return {"instance_id": r.instance_id, "unit": r.unit.code, "title": r.title, "section": r.section,
            "change_kind": r.change_kind, "pages": list(r.pages), "texts": dict(r.texts or {}),
            "wanted_on": _iso(r.wanted_on), "area": r.area, "status": r.status,
            "submitted_at": _iso(r.submitted_at),
            "consented_by": r.consented_by.username if r.consented_by else None, "decided_at": _iso(r.decided_at),
            "published_texts": dict(r.published_texts or {}), "missing_reasons": dict(r.missing_reasons or {}),
            "published_url": r.published_url, "published_on": _iso(r.published_on)}


@bp.get("/api/v1/website-changes")
@api_auth
def api_list():
    """The requests the caller sees (MCD and auditors: all; a unit head: the unit's), open ones first; a page at a
    time (`limit`, `cursor`; the next in `Link`); `status=open|finished`, `section=<code>`."""
    page_ = register.search_page(ctx(), _filter(), **paging.position(LIST))
    return paging.link_header(jsonify([row_json(r) for r in page_.items]), LIST, page_)


CSRF_EXEMPT = (api_list,)
