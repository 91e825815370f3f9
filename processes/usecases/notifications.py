"""In-app notifications (e-mail joins them once mail exists)."""
from __future__ import annotations

from typing import cast

from sqlalchemy import CursorResult, select, update

from processes.usecases import mail
from processes.usecases.context import Ctx
from storage import audit
from storage.models import Instance, Notification, User


def notify(ctx: Ctx, user_id: int, instance: Instance | None, kind: str, **params) -> None:
    """Queue a notification in the caller's transaction."""
    if instance is not None:
        params.setdefault("process", instance.process_key)
    note = Notification(user_id=user_id, instance_id=instance.id if instance else None,
                        kind=kind, params=params, created_at=ctx.now())
    ctx.session.add(note)
    if ctx.services.settings.smtp is not None:
        ctx.session.flush()
        user = ctx.session.get(User, user_id)
        if user is None:  # the notification's foreign key: flushed above, so the user exists
            raise LookupError(f"notification for unknown user {user_id}")
        mail.enqueue(ctx, user, note)


def for_user(ctx: Ctx, limit: int = 50) -> list[Notification]:
    return list(ctx.session.execute(select(Notification).where(Notification.user_id == ctx.me.id)
                                    .order_by(Notification.id.desc()).limit(limit)).scalars())


def unread_count(ctx: Ctx) -> int:
    return len(ctx.session.execute(select(Notification.id).where(
        Notification.user_id == ctx.me.id, Notification.read_at.is_(None))).all())


def mark_all_read(ctx: Ctx, up_to: int | None = None) -> int:
    """Mark the acting user's unread notifications read (a POST of theirs; reading the list never does),
    only those up to the id `up_to` when given (the newest the page showed: one that arrived since stays
    unread). Audited as `notifications_read` with the count. Returns the count: 0, and nothing recorded,
    when none was unread."""
    user = ctx.me
    query = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if up_to is not None:
        query = query.where(Notification.id <= up_to)
    result = cast(CursorResult, ctx.session.execute(query.values(read_at=ctx.now())))
    count = result.rowcount
    if count:
        audit.append(ctx.session, ctx.actor, "notifications_read", object=f"user:{user.username}",
                     data={"count": count}, request_id=ctx.request_id)
    return count
