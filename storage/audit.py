"""The insert-only, hash-chained audit trail: append in the caller's transaction, verify."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from storage.models import AuditEvent, AuditHead, utcnow

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who did something: a username and the roles they acted in (None for the system)."""

    username: str | None
    roles: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(username=None, roles="system")


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    head: str
    first_bad_seq: int | None = None
    reason: str | None = None


FIELDS = ("seq", "at", "actor", "role", "action", "instance_id", "task", "object", "data", "comment", "clause",
          "request_id", "prev_hash", "hash")
# What each stored value must be once read; a value that cannot be read or is of another type (or None where
# a value belongs) makes the entry damaged.
_REQUIRED: dict[str, type] = {"seq": int, "at": datetime, "action": str, "data": dict, "prev_hash": str,
                              "hash": str}
_OPTIONAL: dict[str, type] = {"actor": str, "role": str, "instance_id": int, "task": str, "object": str,
                              "comment": str, "clause": str, "request_id": str}
DAMAGED = "damaged entry"


@dataclass(frozen=True)
class Entry:
    """One audit entry as read back from the database.

    A damaged entry (a stored value that cannot be read, is of the wrong type, or is missing where one
    belongs) is not interpreted: only its ``seq`` (when that much is readable), the names of the damaged
    fields and the raw stored text of every field are kept; everything else is None."""

    seq: int | None
    at: datetime | None = None
    actor: str | None = None
    role: str | None = None
    action: str | None = None
    instance_id: int | None = None
    task: str | None = None
    object: str | None = None
    data: dict[str, Any] | None = None
    comment: str | None = None
    clause: str | None = None
    request_id: str | None = None
    prev_hash: str | None = None
    hash: str | None = None
    damaged: tuple[str, ...] = ()
    raw: dict[str, str | None] = field(default_factory=dict)


def canonical(payload: dict[str, Any]) -> bytes:
    """Serialise a payload deterministically for hashing."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def _payload(ev: AuditEvent | Entry) -> dict[str, Any]:
    return {
        "seq": ev.seq, "at": _iso(ev.at), "actor": ev.actor, "role": ev.role,
        "action": ev.action, "instance_id": ev.instance_id, "task": ev.task,
        "object": ev.object, "data": ev.data, "comment": ev.comment, "clause": ev.clause,
        "request_id": ev.request_id, "prev_hash": ev.prev_hash,
    }


def _iso(at: datetime | None) -> str:
    assert at is not None  # an entry without a time is damaged and never hashed
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def leaf_bytes(ev: AuditEvent | Entry) -> bytes:
    """The entry's canonical bytes: what its chain hash covers (with the previous hash) and what the provable
    log's Merkle leaf hashes (storage/audit_log.py); `GET /api/v1/audit/events` returns them as `leaf`."""
    return canonical(_payload(ev))


def compute_hash(ev: AuditEvent | Entry) -> str:
    """Return SHA-256 over the canonical entry followed by the previous hash."""
    assert ev.prev_hash is not None  # an entry without a previous hash is damaged and never hashed
    return hashlib.sha256(canonical(_payload(ev)) + ev.prev_hash.encode("ascii")).hexdigest()


# Filters every entry passes through before it is hashed: (session, actor, instance_id, object, data) ->
# (actor, object, data). Registered by the layers above (e.g. a violation report's reporter is written withheld,
# processes/usecases/withheld.py), so the chain never holds what must not be shown.
ENTRY_FILTERS: list[Callable[[Session, Actor, int | None, str | None, dict[str, Any] | None],
                             tuple[Actor, str | None, dict[str, Any] | None]]] = []


def append(
    session: Session,
    actor: Actor,
    action: str,
    *,
    instance_id: int | None = None,
    task: str | None = None,
    object: str | None = None,  # noqa: A002 - the audit vocabulary's word
    data: dict[str, Any] | None = None,
    comment: str | None = None,
    clause: str | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Append one entry to the chain; the caller's transaction commits it with the change."""
    for entry_filter in ENTRY_FILTERS:
        actor, object, data = entry_filter(session, actor, instance_id, object, data)
    head = _locked_head(session)
    at = utcnow()
    ev = AuditEvent(
        seq=head.seq + 1, at=at, actor=actor.username, role=actor.roles, action=action,
        instance_id=instance_id, task=task, object=object,
        data=json.loads(json.dumps(data or {}, default=str)), comment=comment, clause=clause,
        request_id=request_id, prev_hash=head.hash,
    )
    ev.hash = compute_hash(ev)
    session.add(ev)
    # The entry first: the database moves the head only onto an entry of the chain. The head's move onto this
    # entry is written by the next flush (the next entry's, or the commit's), after the entry is in.
    session.flush()
    head.seq, head.hash = ev.seq, ev.hash
    return ev


_HEAD = "kelisim.audit_head"  # session.info: (transaction, savepoint, head) of the head locked last


def _locked_head(session: Session) -> AuditHead:
    """The chain's head, locked (`FOR UPDATE`) once per transaction and savepoint: an action appending
    several entries reads it once, and the session keeps it (it holds unchanged rows only weakly)."""
    where = (session.get_transaction(), session.get_nested_transaction())
    held = session.info.get(_HEAD)
    if held is not None and held[:2] == where and held[2] in session:
        return held[2]
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    session.info[_HEAD] = (*where, head)
    return head


def verify(session: Session, batch: int = 2000) -> VerifyResult:
    """Recompute the whole chain; name the first entry that was edited, damaged, removed or moved."""
    prev, expected, count = GENESIS, 1, 0
    for ev in _iter_entries(session, batch):
        if "seq" in ev.damaged:
            return VerifyResult(False, count, prev, expected, DAMAGED)
        if ev.seq != expected:
            return VerifyResult(False, count, prev, expected, "missing or reordered entry")
        if ev.damaged:
            return VerifyResult(False, count, prev, ev.seq, DAMAGED)
        if ev.prev_hash != prev or compute_hash(ev) != ev.hash:
            return VerifyResult(False, count, prev, ev.seq, "entry does not match its hash")
        assert ev.hash is not None  # an undamaged entry has its hash
        prev, expected, count = ev.hash, expected + 1, count + 1
    head = session.get(AuditHead, 1)
    if head is None or head.seq != count or head.hash != prev:
        return VerifyResult(False, count, prev, count + 1, "entries missing at the end of the chain")
    return VerifyResult(True, count, prev)


def entries(session: Session, *where: ColumnElement[bool], newest_first: bool = False,
            limit: int | None = None) -> list[Entry]:
    """Read audit entries in chain order (or newest first); a damaged one comes back marked, never raising."""
    order = AuditEvent.seq.desc() if newest_first else AuditEvent.seq
    query = select(*_raw_columns()).where(*where).order_by(order)
    if limit is not None:
        query = query.limit(limit)
    readers = _readers(session)
    return [_decode(row._mapping, readers) for row in session.execute(query)]


def entries_query(*where: ColumnElement[bool]) -> Select[Any]:
    """The select of audit entries' raw columns (for a paged list); `row_decoder` reads its rows."""
    return select(*_raw_columns()).where(*where)


def row_decoder(session: Session) -> Callable[[Any], Entry]:
    """Read one row of `entries_query` (extra columns after the entry's are ignored) as an Entry."""
    readers = _readers(session)
    return lambda row: _decode(row._mapping, readers)


def _iter_entries(session: Session, batch: int) -> Iterable[Entry]:
    last = 0
    while True:
        rows = entries(session, AuditEvent.seq > last, limit=batch)
        yield from rows
        if not rows or rows[-1].seq is None:  # the end, or a seq that cannot be read: nothing to page on
            return
        last = rows[-1].seq


def _raw_columns() -> list[ColumnElement[Any]]:
    # Untyped: SQLAlchemy hands back what the driver read; each value is converted in _decode, on its own.
    return [type_coerce(AuditEvent.__table__.c[name], NullType()).label(name) for name in FIELDS]


def _readers(session: Session) -> dict[str, Callable[[Any], Any] | None]:
    """Each column's own conversion from the driver's value (as the ORM would apply it), per dialect."""
    dialect = session.get_bind().dialect
    table = AuditEvent.__table__
    return {name: table.c[name].type.dialect_impl(dialect).result_processor(dialect, None) for name in FIELDS}


def _decode(row: Any, readers: dict[str, Callable[[Any], Any] | None]) -> Entry:
    values: dict[str, Any] = {}
    damaged: list[str] = []
    for name in FIELDS:
        raw, reader = row[name], readers[name]
        try:
            value = reader(raw) if reader is not None and raw is not None else raw
        except Exception:  # whatever is stored there: the entry is damaged, the reader goes on
            damaged.append(name)
            continue
        kind = _REQUIRED.get(name) or _OPTIONAL[name]
        if value is None and name in _OPTIONAL:
            values[name] = None
        elif isinstance(value, kind) and not isinstance(value, bool):
            values[name] = value
        else:
            damaged.append(name)
    if not damaged:
        return Entry(**values)
    seq = values.get("seq") if "seq" not in damaged else None
    return Entry(seq=seq, damaged=tuple(damaged), raw={name: _raw_text(row[name]) for name in FIELDS})


def _raw_text(value: Any) -> str | None:
    """The stored value as text, not interpreted: strings as they are, bytes in hex, anything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, datetime):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@dataclass(frozen=True)
class ChainCheck:
    """The verification of the chain up to one entry (a case file's last): `full` when the chain was recomputed
    from its first entry up to `up_to`; `case` when, the chain being too long for that, each entry of one case
    was recomputed and its link to the entry before it checked (what a case file says it did)."""

    ok: bool
    mode: str  # "full" | "case"
    up_to: int
    count: int  # entries recomputed
    first_bad_seq: int | None = None
    reason: str | None = None


def verify_up_to(session: Session, seq: int, full_limit: int = 200_000, *, instance_id: int | None = None,
                 batch: int = 2000) -> ChainCheck:
    """Verify the chain up to entry `seq`. Up to `full_limit` entries (or with no case given): recompute it from
    the start to `seq` (every entry present, in order, matching its hash and linked to the one before). Beyond:
    recompute each entry of case `instance_id` up to `seq` and check that its `prev_hash` is the stored hash of
    the entry before it (seq − 1); the entries between them are not recomputed."""
    if seq <= full_limit or instance_id is None:
        return _verify_from_start(session, seq, batch)
    return _verify_case(session, seq, instance_id)


def _verify_from_start(session: Session, up_to: int, batch: int) -> ChainCheck:
    prev, expected, count = GENESIS, 1, 0
    last = 0
    while last < up_to:
        rows = entries(session, AuditEvent.seq > last, AuditEvent.seq <= up_to, limit=batch)
        for ev in rows:
            if "seq" in ev.damaged:
                return ChainCheck(False, "full", up_to, count, expected, DAMAGED)
            if ev.seq != expected:
                return ChainCheck(False, "full", up_to, count, expected, "missing or reordered entry")
            if ev.damaged:
                return ChainCheck(False, "full", up_to, count, ev.seq, DAMAGED)
            if ev.prev_hash != prev or compute_hash(ev) != ev.hash:
                return ChainCheck(False, "full", up_to, count, ev.seq, "entry does not match its hash")
            assert ev.hash is not None  # an undamaged entry has its hash
            prev, expected, count = ev.hash, expected + 1, count + 1
        if not rows or rows[-1].seq is None:
            break
        last = rows[-1].seq
    if count != up_to:
        return ChainCheck(False, "full", up_to, count, count + 1, "missing or reordered entry")
    return ChainCheck(True, "full", up_to, count)


def _verify_case(session: Session, up_to: int, instance_id: int) -> ChainCheck:
    own = entries(session, AuditEvent.instance_id == instance_id, AuditEvent.seq <= up_to)
    wanted = sorted({ev.seq - 1 for ev in own if ev.seq is not None and ev.seq > 1})
    stored: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        part = wanted[start:start + 500]
        stored.update({s: h for s, h in session.execute(
            select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq.in_(part))).tuples()})
    count = 0
    for ev in own:
        if ev.seq is None or ev.damaged:
            return ChainCheck(False, "case", up_to, count, ev.seq, DAMAGED)
        before = GENESIS if ev.seq == 1 else stored.get(ev.seq - 1)
        if before is None:
            return ChainCheck(False, "case", up_to, count, ev.seq - 1, "missing or reordered entry")
        if ev.prev_hash != before or compute_hash(ev) != ev.hash:
            return ChainCheck(False, "case", up_to, count, ev.seq, "entry does not match its hash")
        count += 1
    return ChainCheck(True, "case", up_to, count)
