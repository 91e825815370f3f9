"""Exports of the audit trail for auditors: CSV that spreadsheets cannot execute (ASVS 1.2.10)."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

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
