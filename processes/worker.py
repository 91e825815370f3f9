"""The timer worker: each due instance in its own transaction, so one failure stops nothing else.

Due instances are found through the partial index on `instances.next_timer_at` (never by loading a
workflow; the batch query locks nothing) and each is claimed, fired and saved in one transaction.
On PostgreSQL the claim is `SELECT … FOR UPDATE SKIP LOCKED` of that one row, so several workers
share the work (one skips what another is firing) and never fire one timer twice; the firing then
re-checks the instance under the same lock as user actions.

When firing an instance fails, its transaction is rolled back and a fresh one marks the instance
(`error`, audited as `instance_error`); it then waits for an administrator's retry instead of
failing every tick. A lost race (a concurrent change, a deadlock, a lock timeout) marks nothing:
the instance is simply tried again on the next tick.
"""
from __future__ import annotations

import enum
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from processes.mailer import send_pending
from processes.rendering import has_pending, render_pending
from processes.usecases import absences, timers
from processes.usecases.context import Ctx, Services
from processes.usecases.errors import DomainError
from storage.db import transaction
from storage.models import utcnow

log = logging.getLogger("kelisim.worker")

BATCH = 100
# serialization failure, deadlock detected, lock not available: the transaction lost a race
TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}


class Result(enum.Enum):
    FIRED = "fired"        # timers fired (or the instance was saved with nothing left to fire)
    IDLE = "idle"          # claimed, but nothing was due any more
    SKIPPED = "skipped"    # not due any more, or another worker holds it
    DEFERRED = "deferred"  # lost a race: tried again next tick, nothing marked
    FAILED = "failed"      # marked with its error until an administrator retries it


@dataclass
class Report:
    """What one pass over the due instances did."""

    instances: int = 0  # instances whose timers fired
    timers: int = 0     # timers fired
    failed: int = 0     # instances marked in error
    deferred: int = 0   # instances left for the next tick after a lost race


def tick(factory: sessionmaker[Session], services: Services) -> int:
    """Fire every due timer once, then render pending PDFs and send mail; return how many instances
    were advanced."""
    report = fire_due(factory, services)
    apply_absences(factory, services)  # absences that began or ended since the last tick move tasks
    flag_reviews(factory, services)  # expert pool terms ending within a month, media contacts a year old
    render_pending(factory, services)  # the render queue, in case no renderer loop runs (`worker --once`)
    retimestamp(factory, services)  # files signed while the timestamp authority was down (issue 17)
    make_checkpoint(factory, services)  # the provable audit log: a signed checkpoint at least every minute
    send_pending(factory, services.settings.smtp, services.blobs)
    return report.instances


def make_checkpoint(factory: sessionmaker[Session], services: Services, now: datetime | None = None) -> bool:
    """Extend the audit log's Merkle tree, sign a checkpoint when due and queue it for the witnesses, in one
    transaction (processes/usecases/audit_checkpoints.py); a failure waits for the next tick. True when a
    checkpoint was made."""
    from processes.usecases.audit_checkpoints import checkpoint_step

    clock = (lambda: now) if now is not None else utcnow
    try:
        with transaction(factory) as session:
            return checkpoint_step(Ctx(session=session, services=services, clock=clock)) is not None
    except Exception as exc:  # noqa: BLE001 - the timers and the mail go on; the next tick tries again
        if lost_race(exc):
            log.info("audit checkpoint: left for the next tick (%s)", exc)
        else:
            log.exception("audit checkpoint: failed")
        return False


def retimestamp(factory: sessionmaker[Session], services: Services) -> int:
    """Timestamp the files signed while the timestamp authority was down; a failure waits for the next tick."""
    from processes.usecases import signatures

    try:
        return signatures.retimestamp_pending(factory, services)
    except Exception:  # noqa: BLE001 - the timers and the mail go on; the next tick tries again
        log.exception("re-timestamping signed documents failed")
        return 0


def apply_absences(factory: sessionmaker[Session], services: Services, now: datetime | None = None) -> int:
    """Move open tasks to substitutes of people absent today and back to those who returned (idempotent:
    nothing moves twice); a lost race waits for the next tick. Returns how many tasks moved."""
    clock = (lambda: now) if now is not None else utcnow
    try:
        with transaction(factory) as session:
            return absences.apply_moves(Ctx(session=session, services=services, clock=clock,
                                            request_id=f"absence-{uuid.uuid4().hex[:12]}"))
    except Exception as exc:  # noqa: BLE001 - the timers and the mail go on; the next tick tries again
        if lost_race(exc) or isinstance(exc, DomainError):
            log.info("absences: moves left for the next tick (%s)", exc)
        else:
            log.exception("absences: moving tasks failed")
        return 0


def flag_reviews(factory: sessionmaker[Session], services: Services, now: datetime | None = None) -> int:
    """Flag once, each in its own transaction: expert pool memberships whose term ends within a month (to
    MCD), units' media contacts unchanged for a year and units' website pages unreviewed for a year (to the unit
    head). Returns how many were flagged."""
    from processes.expert_pool import pool
    from processes.usecases import media_contacts
    from processes.website_change import register as website_changes

    clock = (lambda: now) if now is not None else utcnow
    flagged = 0
    for name, flag in (("expert pool terms", pool.flag_expiring), ("media contacts", media_contacts.flag_stale),
                       ("website pages", website_changes.flag_reviews)):
        try:
            with transaction(factory) as session:
                flagged += flag(Ctx(session=session, services=services, clock=clock,
                                    request_id=f"flag-{uuid.uuid4().hex[:12]}"))
        except Exception as exc:  # noqa: BLE001 - the timers and the mail go on; the next tick tries again
            if lost_race(exc) or isinstance(exc, DomainError):
                log.info("%s: flags left for the next tick (%s)", name, exc)
            else:
                log.exception("%s: flagging failed", name)
    return flagged


def fire_due(factory: sessionmaker[Session], services: Services, now: datetime | None = None,
             batch: int = BATCH) -> Report:
    """Claim and fire due instances, a batch at a time, until none is left that this pass can take."""
    now = now or utcnow()
    report = Report()
    passed: set[int] = set()  # deferred, or claimed with nothing fired: not taken again in this pass
    while True:
        with transaction(factory) as session:
            ids = timers.due_instance_ids(session, now, batch, exclude=passed)
        if not ids:
            break
        claimed = 0
        for instance_id in ids:
            result, fired = fire_one(factory, services, instance_id, now)
            if result is Result.SKIPPED:
                continue
            claimed += 1
            if result is Result.FIRED:
                report.instances += 1
                report.timers += fired
            elif result is Result.FAILED:
                report.failed += 1
            elif result is Result.DEFERRED:
                report.deferred += 1
            if result in (Result.DEFERRED, Result.IDLE):
                passed.add(instance_id)
        if not claimed:
            break  # all taken by other workers meanwhile
    return report


def fire_one(factory: sessionmaker[Session], services: Services, instance_id: int,
             now: datetime) -> tuple[Result, int]:
    """Claim one instance and fire its due timers in one transaction; on failure mark it in another."""
    request_id = f"timer-{uuid.uuid4().hex[:12]}"
    try:
        with transaction(factory) as session:
            if not timers.claim(session, instance_id, now):
                return Result.SKIPPED, 0
            fired = timers.fire_timers(Ctx(session=session, services=services, request_id=request_id),
                                       instance_id)
        return (Result.FIRED if fired else Result.IDLE), len(fired)
    except Exception as exc:  # noqa: BLE001 - one instance must never stop the others
        if lost_race(exc):
            log.info("instance %s: changed concurrently, tried again next tick (%s)", instance_id, exc)
            return Result.DEFERRED, 0
        if isinstance(exc, DomainError):
            log.warning("instance %s: timers not fired: %s", instance_id, exc)
        else:
            log.exception("instance %s: timer processing failed", instance_id)
        message = describe(exc)
    try:
        with transaction(factory) as session:
            timers.mark_error(Ctx(session=session, services=services, request_id=request_id),
                              instance_id, message)
    except Exception:  # noqa: BLE001 - e.g. the database went away: the next tick tries again
        log.exception("instance %s: the error could not be recorded", instance_id)
        return Result.DEFERRED, 0
    return Result.FAILED, 0


def lost_race(exc: BaseException) -> bool:
    """True when the failure is a concurrency or connection problem, not the instance's own."""
    current: BaseException | None = exc
    for _ in range(10):  # the chain of `raise ... from ...`
        if current is None:
            return False
        if isinstance(current, StaleDataError | OperationalError | DisconnectionError):
            return True
        if isinstance(current, DBAPIError) and (
                getattr(current.orig, "sqlstate", None) in TRANSIENT_SQLSTATES or current.connection_invalidated):
            return True
        current = current.__cause__
    return False


def describe(exc: BaseException) -> str:
    """The message stored with the instance (English; the domain message with its parameters)."""
    if isinstance(exc, DomainError):
        return str(exc)[:timers.ERROR_MAX]
    text = str(exc).strip()
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:timers.ERROR_MAX]


RENDER_RETRY_S = 60.0  # a document whose rendering failed is tried again after this long


def lower_priority(nice: int) -> None:
    """Add ``nice`` to the calling thread's nice value (Linux: per thread); elsewhere, or when the
    system refuses, log it and run at the usual priority."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError as exc:  # pragma: no cover - e.g. a sandbox without setpriority
        log.warning("could not lower the renderer's priority: %s", exc)


def run_renderer(factory: sessionmaker[Session], services: Services, interval: float,
                 stop: threading.Event, nice: int = 0) -> None:
    """Drain the render queue until `stop` is set: look every `interval` seconds whether a document
    is pending (one indexed query that locks nothing) and render what is. Several renderers, in this
    or other processes, share the queue (see ``processes.rendering.render_next``).

    ``nice`` lowers this thread's CPU priority (Linux keeps a nice value per thread): when the
    machine is busy, the requests people wait for run first and the PDFs use what they leave over,
    so a burst of decisions stays fast and its documents follow a little later."""
    lower_priority(nice)
    log.info("renderer started (looks every %.2f s, nice %+d)", interval, nice)
    failed_at: dict[int, float] = {}  # documents whose rendering failed: left alone for a while
    while not stop.is_set():
        stored = 0
        try:
            now = time.monotonic()
            for doc_id in [d for d, at in failed_at.items() if now - at >= RENDER_RETRY_S]:
                del failed_at[doc_id]
            if has_pending(factory):
                failed = set(failed_at)
                stored = render_pending(factory, services, limit=BATCH, failed=failed)
                failed_at.update({doc_id: now for doc_id in failed - failed_at.keys()})
        except Exception:  # noqa: BLE001 - e.g. the database went away: look again later
            log.exception("rendering pending documents failed")
        if not stored:
            stop.wait(interval)


def run_forever(factory: sessionmaker[Session], services: Services, interval: float,
                stop: threading.Event) -> None:
    """Tick every `interval` seconds until `stop` is set."""
    log.info("timer worker started (every %.0f s)", interval)
    while not stop.is_set():
        try:
            tick(factory, services)
        except Exception:
            log.exception("timer tick failed")
        stop.wait(interval)
