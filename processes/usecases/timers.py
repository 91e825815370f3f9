"""Fire due timers: reminders, escalations and expiry, under the same lock as user actions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from processes.usecases import instances
from processes.usecases.context import Ctx
from processes.usecases.kinds import kind_of
from storage import audit
from storage.models import Instance, Status


def due_instance_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Ids of running instances whose next timer is due (claimed with SKIP LOCKED on PostgreSQL)."""
    query = (select(Instance.id).where(Instance.status == Status.RUNNING.value,
                                       Instance.next_timer_at <= now)
             .order_by(Instance.next_timer_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.execute(query).scalars())


def fire_timers(ctx: Ctx, instance_id: int) -> list[str]:
    """Fire whatever is due on one instance; return the names of the timers that fired."""
    instance = instances.lock_instance(ctx, instance_id)
    if instance.status != Status.RUNNING.value or instance.next_timer_at is None \
            or instance.next_timer_at > ctx.now():
        return []  # someone else got here first
    run = instances.restore_run(ctx, instance)
    fired = run.fire_timers()
    kind = kind_of(instance.process_key)
    for timer in fired:
        audit.append(ctx.session, ctx.actor, "timer_fired", instance_id=instance.id, task=timer.name,
                     object=f"task:{timer.task_id}", request_id=ctx.request_id)
        kind.on_timer(ctx, instance, timer, run)
    instances.advance(ctx, instance, run)
    return [t.name for t in fired]
