"""Fire due timers: reminders, escalations and expiry, under the same lock as user actions.

An instance whose timer processing failed is marked (`error`, `error_at`) and left out of the due
query until an administrator retries it (`admin.retry_instance`), so it does not fail every tick.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnClause, bindparam, literal_column, select, text
from sqlalchemy.orm import Session, lazyload

from forms.validate import N_
from processes.catalog import kind_of
from processes.engine import EngineError
from processes.usecases import instances
from processes.usecases.context import Ctx
from processes.usecases.errors import DomainError
from storage import audit
from storage.models import Instance, Status, UTCDateTime

ERROR_MAX = 1000  # the length of instances.error
# the instance row alone, without the definition (its whole spec) and the submitter joined to it
LIGHT = (lazyload(Instance.definition), lazyload(Instance.started_by))


# The status is written into the SQL, not bound: the planners of PostgreSQL (generic plans of
# prepared statements) and SQLite use a partial index only when the query states its predicate.
RUNNING: ColumnClause[str] = literal_column(f"'{Status.RUNNING.value}'")
DUE_INDEX = "ix_instances_due_timer"


def _due(now: datetime):
    """The due condition: the predicate of the partial index `ix_instances_due_timer` and a range on it."""
    return (Instance.status == RUNNING, Instance.error.is_(None), Instance.next_timer_at <= now)


def due_instance_ids(session: Session, now: datetime, limit: int = 100,
                     exclude: frozenset[int] | set[int] = frozenset()) -> list[int]:
    """Ids of running instances, not in error, whose next timer is due, oldest first.

    Reads the partial index only, never a workflow, and locks nothing: `claim` takes each instance
    (FOR UPDATE SKIP LOCKED on PostgreSQL) in the transaction that fires it. Locking the whole batch
    here would write a row lock into up to `limit` rows each tick, and hold users' actions on them,
    for nothing: the lock ends with this transaction, before any timer fires.
    """
    query = _SQLITE_DUE if session.get_bind().dialect.name == "sqlite" else _DUE
    return list(session.execute(query, {"now": now, "limit": limit, "exclude": sorted(exclude)}).scalars())


# Built once (the worker runs it every tick). For SQLite the query names its index: without ANALYZE
# statistics SQLite's planner prefers the index on status (every running instance, then a sort), and
# SQLAlchemy renders no table hints for SQLite.
_COLUMNS = Instance.__table__.c
_DUE = (select(_COLUMNS.id)
        .where(_COLUMNS.status == RUNNING, _COLUMNS.error.is_(None), _COLUMNS.next_timer_at <= bindparam("now"),
               _COLUMNS.id.not_in(bindparam("exclude", expanding=True)))
        .order_by(_COLUMNS.next_timer_at).limit(bindparam("limit")))
_SQLITE_DUE = text(
    f"SELECT id FROM instances INDEXED BY {DUE_INDEX}"
    f" WHERE status = '{Status.RUNNING.value}' AND error IS NULL AND next_timer_at <= :now"
    " AND id NOT IN :exclude ORDER BY next_timer_at LIMIT :limit"
).bindparams(bindparam("now", type_=UTCDateTime()), bindparam("exclude", expanding=True))


def claim(session: Session, instance_id: int, now: datetime) -> bool:
    """Lock one instance for firing if it is still due; False when it is not, or (PostgreSQL) when
    another transaction holds it: that one fires it. SQLite's BEGIN IMMEDIATE already serialises."""
    query = select(Instance.id).where(Instance.id == instance_id, *_due(now))
    if _is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    return session.execute(query).scalar_one_or_none() is not None


def fire_timers(ctx: Ctx, instance_id: int) -> list[str]:
    """Fire whatever is due on one instance; return the names of the timers that fired."""
    instance = instances.lock_instance(ctx, instance_id)
    if instance.status != Status.RUNNING.value or instance.error is not None \
            or instance.next_timer_at is None or instance.next_timer_at > ctx.now():
        return []  # someone else got here first, or it waits for an administrator's retry
    run = instances.restore_run(ctx, instance)
    try:
        fired = run.fire_timers()
    except EngineError as exc:  # a ScriptError of a script the timer's path runs, or a broken state
        raise DomainError(N_("The process could not continue: %(reason)s"), reason=str(exc)) from exc
    kind = kind_of(instance.process_key)
    for timer in fired:
        audit.append(ctx.session, ctx.actor, "timer_fired", instance_id=instance.id, task=timer.name,
                     object=f"task:{timer.task_id}", request_id=ctx.request_id)
        kind.on_timer(ctx, instance, timer, run)
    instances.advance(ctx, instance, run)
    return [t.name for t in fired]


def mark_error(ctx: Ctx, instance_id: int, message: str) -> bool:
    """Record that processing an instance failed (audited as `instance_error`), in a transaction of
    its own after the failed one was rolled back. False when there is nothing to mark: the instance
    is gone, no longer running, or already marked."""
    instance = ctx.session.execute(select(Instance).where(Instance.id == instance_id).options(*LIGHT)
                                   .with_for_update(of=Instance)
                                   .execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if instance is None or instance.status != Status.RUNNING.value or instance.error is not None:
        return False
    message = (message or "error")[:ERROR_MAX]
    instance.error, instance.error_at = message, ctx.now()
    audit.append(ctx.session, ctx.actor, "instance_error", instance_id=instance.id,
                 object=f"instance:{instance.id}", data={"error": message}, request_id=ctx.request_id)
    ctx.session.flush()
    return True


def instances_in_error(session: Session, limit: int = 500) -> list[Instance]:
    """Instances waiting for an administrator's retry, the oldest failure first."""
    return list(session.execute(select(Instance).where(Instance.error.is_not(None)).options(*LIGHT)
                                .order_by(Instance.error_at, Instance.id).limit(limit)).scalars())


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
