"""MCD's calendar of accepted events (§7.4, §7.6) and, for a unit's head and members, their unit's notices, by
month (`?month=YYYY-MM`)."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import login_required

from forms.validate import N_
from processes.event_notice import calendar
from processes.usecases.errors import Invalid
from storage.models import EventNotice
from web import paging
from web.auth import api_auth
from web.process_pages import NavItem
from web.unit_of_work import ctx

bp = Blueprint("event_notices", __name__)
LIST = "event_notices"
NAV = [NavItem("event_notices.page", N_("Events calendar"),
               frozenset({"employee", "unit_head", "mcd_head", "mcd_specialist", "auditor"}), order=32, group="media")]


def month_title(month: calendar.Month) -> str:
    text = format_date(month.first, "LLLL y")
    return text[:1].upper() + text[1:]


def day_title(day: date) -> str:
    """"Сейсенбі, 15 желтоқсан": the weekday and the day of the month in the page language."""
    text = format_date(day, "EEEE, d MMMM")
    return text[:1].upper() + text[1:]


def _month(now, default_current: bool = True) -> calendar.Month | None:
    raw = request.args.get("month")
    if not raw and not default_current:
        return None
    try:
        return calendar.parse_month(raw, now)
    except Invalid:
        abort(400, description=_("Give the month as YYYY-MM."))


@bp.get("/event-notices")
@login_required
def page():
    c = ctx()
    month = _month(c.now())
    assert month is not None
    cal = calendar.month_calendar(c, month)
    return render_template("event_notice/calendar.html", cal=cal, title=month_title(month), day_title=day_title,
                           previous=str(month.previous), next=str(month.next),
                           previous_title=month_title(month.previous), next_title=month_title(month.next))


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def row_json(row: EventNotice) -> dict[str, Any]:
    return {"instance_id": row.instance_id, "unit": row.unit.code, "title": row.title, "event_kind": row.event_kind,
            "starts_at": _iso(row.starts_at), "ends_at": _iso(row.ends_at), "place": row.place,
            "organiser": row.organiser, "audiences": list(row.audiences), "requests": list(row.requests),
            "site_languages": list(row.site_languages), "late": row.late, "status": row.status,
            "submitted_at": _iso(row.submitted_at),
            "covered_by": row.covered_by.username if row.covered_by else None, "channels": list(row.channels),
            "publish_by": _iso(row.publish_by), "decided_at": _iso(row.decided_at),
            "recorded_at": _iso(row.recorded_at), "publications": list(row.publications)}


@bp.get("/api/v1/event-notices")
@api_auth
def api_list():
    """The notices the caller sees (MCD and auditors: the accepted ones; a unit's people: their unit's), by the
    time they start; `month=YYYY-MM` for one month; a page at a time (`limit`, `cursor`; next in `Link`)."""
    c = ctx()
    page_ = calendar.notices_page(c, _month(c.now(), default_current=False), **paging.position(LIST))
    return paging.link_header(jsonify([row_json(r) for r in page_.items]), LIST, page_)
