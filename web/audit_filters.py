"""The audit trail's filters from the query string, one reader for the events page, its exports and the API.

A value that cannot be a filter is refused with 400 and the reason (never silently dropped: that would
answer more than was asked for). The page and its exports take `since`/`until` as Almaty calendar days
(both days included); the API takes moments with a zone (`until` exclusive), as it always did."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, request
from flask_babel import gettext as _

from processes.university_time import start_of_day_utc
from processes.usecases import queries
from web.unit_of_work import date_arg, datetime_arg

ORDERS = ("newest", "chain")


def _text(name: str, longest: int) -> str | None:
    raw = (request.args.get(name) or "").strip()
    if len(raw) > longest:
        abort(400, description=_("%(name)s is longer than %(n)s characters.", name=name, n=longest))
    return raw or None


def _instance() -> int | None:
    raw = (request.args.get("instance") or "").strip().lstrip("#")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31):  # "²".isdigit() too
        abort(400, description=_("instance must be a number."))
    return int(raw)


def _clause() -> str | None:
    raw = _text("clause", 40)
    if raw is not None and queries.clause_number(raw) is None:
        abort(400, description=_("clause must be a clause number of the policy, such as §12 or §12.3."))
    return raw


def page_filters() -> dict[str, Any]:
    """The events page's filters (and its exports'): `actor` a username or part of a name, Almaty days."""
    since, until = date_arg("since"), date_arg("until")
    return {"instance": _instance(), "person": _text("actor", 200), "action": _text("action", 60),
            "object": _text("object", 100), "clause": _clause(),
            "since": start_of_day_utc(since) if since else None,
            "until": start_of_day_utc(until + timedelta(days=1)) if until else None}


def api_filters() -> dict[str, Any]:
    """The API's filters: `actor` a username exactly, `since`/`until` moments with a zone."""
    return {"instance": _instance(), "actor": _text("actor", 80), "action": _text("action", 60),
            "object": _text("object", 100), "clause": _clause(),
            "since": datetime_arg("since"), "until": datetime_arg("until")}


def order_arg() -> str:
    raw = request.args.get("order") or ORDERS[0]
    if raw not in ORDERS:
        abort(400, description=_("order must be one of: %(values)s.", values=", ".join(ORDERS)))
    return raw
