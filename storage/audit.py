"""The insert-only, hash-chained audit trail: append in the caller's transaction, verify."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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


def canonical(payload: dict[str, Any]) -> bytes:
    """Serialise a payload deterministically for hashing."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def _payload(ev: AuditEvent) -> dict[str, Any]:
    return {
        "seq": ev.seq, "at": _iso(ev.at), "actor": ev.actor, "role": ev.role,
        "action": ev.action, "instance_id": ev.instance_id, "task": ev.task,
        "object": ev.object, "data": ev.data, "comment": ev.comment, "clause": ev.clause,
        "request_id": ev.request_id, "prev_hash": ev.prev_hash,
    }


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(ev: AuditEvent) -> str:
    """Return SHA-256 over the canonical entry followed by the previous hash."""
    return hashlib.sha256(canonical(_payload(ev)) + ev.prev_hash.encode("ascii")).hexdigest()


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
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    at = utcnow()
    ev = AuditEvent(
        seq=head.seq + 1, at=at, actor=actor.username, role=actor.roles, action=action,
        instance_id=instance_id, task=task, object=object,
        data=json.loads(json.dumps(data or {}, default=str)), comment=comment, clause=clause,
        request_id=request_id, prev_hash=head.hash,
    )
    ev.hash = compute_hash(ev)
    session.add(ev)
    head.seq, head.hash = ev.seq, ev.hash
    session.flush()
    return ev


def verify(session: Session, batch: int = 2000) -> VerifyResult:
    """Recompute the whole chain; name the first entry that was edited, removed or moved."""
    prev, expected, count = GENESIS, 1, 0
    for ev in _iter_events(session, batch):
        if ev.seq != expected:
            return VerifyResult(False, count, prev, expected, "missing or reordered entry")
        if ev.prev_hash != prev or compute_hash(ev) != ev.hash:
            return VerifyResult(False, count, prev, ev.seq, "entry does not match its hash")
        prev, expected, count = ev.hash, expected + 1, count + 1
    head = session.get(AuditHead, 1)
    if head is None or head.seq != count or head.hash != prev:
        return VerifyResult(False, count, prev, count + 1, "entries missing at the end of the chain")
    return VerifyResult(True, count, prev)


def _iter_events(session: Session, batch: int) -> Iterable[AuditEvent]:
    last = 0
    while True:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
