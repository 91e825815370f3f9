"""Exports of the audit trail for auditors: CSV that spreadsheets cannot execute (ASVS 1.2.10), and JSON;
both streamed a chunk at a time, and each export itself audited (`audit_exported`)."""
from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from processes.usecases import queries
from processes.usecases.context import Ctx
from storage import audit
from storage.audit import Entry

COLUMNS = ("seq", "at", "actor", "role", "action", "instance_id", "task", "object", "clause", "comment",
           "data", "request_id", "prev_hash", "hash", "damaged")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """Return the cell as text; one that a spreadsheet would read as a formula is prefixed with '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def audit_csv(events: Iterable[Entry]) -> str:
    """Render audit entries as CSV, one row per entry, in chain order. A damaged entry's row holds the raw
    stored text of each field, and its last column names the fields that could not be read."""
    return "".join(audit_csv_stream(events))


def audit_csv_stream(events: Iterable[Entry], rows_per_chunk: int = 500) -> Iterator[str]:
    """`audit_csv` a chunk of rows at a time, for an export of any length (nothing held whole)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for n, ev in enumerate(events, 1):
        if ev.damaged:
            row: dict[str, object] = {**ev.raw, "damaged": " ".join(ev.damaged)}
        else:
            assert ev.at is not None  # an undamaged entry has its time
            row = {c: getattr(ev, c) for c in COLUMNS if c not in {"at", "data", "damaged"}}
            row.update(at=ev.at.isoformat(), data=json.dumps(ev.data, ensure_ascii=False, sort_keys=True),
                       damaged="")
        writer.writerow([neutralise(row.get(c)) for c in COLUMNS])
        if n % rows_per_chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def entry_record(ev: Entry) -> dict[str, Any]:
    """An entry as the JSON export writes it: every stored field (enough to recompute its hash); a damaged
    one as its seq, the fields that could not be read and the raw stored text."""
    if ev.damaged:
        return {"seq": ev.seq, "damaged": True, "damaged_fields": list(ev.damaged), "raw": ev.raw}
    assert ev.at is not None  # an undamaged entry has its time
    acting_for = (ev.data or {}).get("acting_for")
    return {"seq": ev.seq, "at": ev.at.isoformat(), "actor": ev.actor, "role": ev.role, "action": ev.action,
            "instance_id": ev.instance_id, "task": ev.task, "object": ev.object, "data": ev.data,
            "comment": ev.comment, "clause": ev.clause, "request_id": ev.request_id, "prev_hash": ev.prev_hash,
            "hash": ev.hash, "acting_for": acting_for if isinstance(acting_for, str) else None, "damaged": False,
            # its canonical bytes, base64: the provable log's Merkle leaf hashes them (as the API gives them)
            "leaf": base64.b64encode(audit.leaf_bytes(ev)).decode("ascii")}


def audit_json_stream(events: Iterable[Entry], rows_per_chunk: int = 500) -> Iterator[str]:
    """The entries as one JSON array, a chunk of entries at a time (one entry per line inside it)."""
    out: list[str] = []
    first = True
    yield "["
    for n, ev in enumerate(events, 1):
        out.append(("\n" if first else ",\n") + json.dumps(entry_record(ev), ensure_ascii=False, sort_keys=True))
        first = False
        if n % rows_per_chunk == 0:
            yield "".join(out)
            out.clear()
    yield "".join(out) + ("\n]\n" if not first else "]\n")


def record_export(ctx: Ctx, fmt: str, filters: dict[str, Any]) -> tuple[int, int]:
    """Audit an export of the trail (`audit_exported`: its format, filters, the last entry it covers and
    how many entries it holds) and return (the last seq it covers, the count): the export then streams
    exactly the entries up to that seq, so what was recorded is what was handed out. Auditors only."""
    queries.require_auditor(ctx)
    up_to = queries.audit_last_seq(ctx)
    count = queries.audit_count(ctx, **filters, up_to=up_to)
    given = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in filters.items() if v is not None}
    audit.append(ctx.session, ctx.actor, "audit_exported", object="audit",
                 data={"format": fmt, "filters": given, "up_to_seq": up_to, "count": count},
                 request_id=ctx.request_id)
    return up_to, count
