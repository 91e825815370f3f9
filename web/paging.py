"""Paging in the web layer: `limit` and `cursor` from the query string, the signed cursors, the API's
`Link: <…>; rel="next"` header (RFC 8288) and the pages' First / Previous / Next links.

A cursor is opaque: the position of a row in one list (`processes/usecases/paging.py`), signed with the
application's secret key (itsdangerous) together with the list's name, so an altered cursor, or one of
another list, is refused with 400 and a reason, never read.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, current_app, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from processes.usecases import paging

SALT = "kelisim.list-cursor"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=SALT)


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if value is None or isinstance(value, int | str | float) and not isinstance(value, bool):
        return value
    raise TypeError(f"a key value of type {type(value).__name__}")


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str):
        return datetime.fromisoformat(value["t"])
    if isinstance(value, dict) and set(value) == {"d"} and isinstance(value["d"], str):
        return date.fromisoformat(value["d"])
    if value is None or isinstance(value, int | str | float) and not isinstance(value, bool):
        return value
    raise ValueError("not a key value")


def encode(name: str, key: paging.Key, backward: bool = False) -> str:
    """The cursor of a position in the list `name`: after `key`, or before it when `backward`."""
    return _serializer().dumps({"l": name, "b": int(backward), "k": [_encode_value(v) for v in key]})


def decode(name: str, raw: str) -> tuple[paging.Key | None, paging.Key | None]:
    """(after, before) from a cursor of the list `name`; 400 with the reason for any other."""
    try:
        body = _serializer().loads(raw)
    except BadSignature:
        abort(400, description=_("The cursor is not valid: it was altered or does not come from this server. "
                                 "Start again from the first page."))
    if not isinstance(body, dict) or not isinstance(body.get("k"), list) or body.get("b") not in (0, 1):
        abort(400, description=_("The cursor is not valid. Start again from the first page."))
    if body.get("l") != name:
        abort(400, description=_("The cursor belongs to another list. Start again from the first page of "
                                 "this one."))
    try:
        key = tuple(_decode_value(v) for v in body["k"])
    except ValueError:
        abort(400, description=_("The cursor is not valid. Start again from the first page."))
    return (None, key) if body["b"] else (key, None)


def limit_arg(default: int = paging.DEFAULT_LIMIT) -> int:
    """`limit` from the query string: 1 … paging.MAX_LIMIT (default 50); anything else is a 400."""
    raw = request.args.get("limit", "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= paging.MAX_LIMIT):
        abort(400, description=_("limit must be an integer from 1 to %(max)s.", max=paging.MAX_LIMIT))
    return int(raw)


def position(name: str) -> dict[str, Any]:
    """`after`, `before` and `limit` for a list's use case, from the request's `cursor` and `limit`."""
    raw = request.args.get("cursor", "").strip()
    after, before = decode(name, raw) if raw else (None, None)
    return {"after": after, "before": before, "limit": limit_arg()}


def _url(**changes: Any) -> str:
    """This request's URL with its query string changed (None removes a parameter)."""
    args = {k: v for k, v in request.args.items(multi=False)}
    for k, v in changes.items():
        if v is None:
            args.pop(k, None)
        else:
            args[k] = v
    query = urlencode(args)
    return request.base_url + (f"?{query}" if query else "")


def links(name: str, page: paging.Page[Any]) -> dict[str, str | None]:
    """The URLs of the first, previous and next pages of a list page (None where there is none)."""
    return {"first": _url(cursor=None) if page.prev is not None else None,
            "prev": _url(cursor=encode(name, page.prev, backward=True)) if page.prev is not None else None,
            "next": _url(cursor=encode(name, page.next)) if page.next is not None else None}


def link_header(response: Response, name: str, page: paging.Page[Any]) -> Response:
    """The API's next page in `Link: <url>; rel="next"`, absent on the last page; the count (capped) in
    `X-Total-Count` (with `X-Total-Count-More: true` beyond it)."""
    if page.next is not None:
        response.headers["Link"] = f'<{_url(cursor=encode(name, page.next))}>; rel="next"'
    if page.count is not None:
        response.headers["X-Total-Count"] = str(page.count)
        if page.more:
            response.headers["X-Total-Count-More"] = "true"
    return response
