"""In-app notifications (e-mail joins them once mail exists)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, exists, func, select, update
from sqlalchemy.orm import aliased

from forms.validate import N_
from processes.usecases import mail, paging
from processes.usecases.access import visible_tasks_filter
from processes.usecases.context import Ctx
from processes.usecases.errors import NotFound
from storage import audit
from storage.models import InboxTask, Instance, Notification, Status, User


def notify(ctx: Ctx, user_id: int, instance: Instance | None, kind: str, **params) -> None:
    """Queue a notification in the caller's transaction (a new task is not announced to someone absent: it
    went to their substitute, who is told instead)."""
    if kind == "task_assigned" and instance is not None and "acting_for" not in params:
        from processes.usecases import absences

        if absences.diverted(ctx, user_id, instance):
            return
    if instance is not None:
        params.setdefault("process", instance.process_key)
    note = Notification(user_id=user_id, instance_id=instance.id if instance else None,
                        kind=kind, params=params, created_at=ctx.now())
    ctx.session.add(note)
    if ctx.services.settings.smtp is not None and not _withheld_starter(instance, user_id):
        ctx.session.flush()
        user = ctx.session.get(User, user_id)
        if user is None:  # the notification's foreign key: flushed above, so the user exists
            raise LookupError(f"notification for unknown user {user_id}")
        mail.enqueue(ctx, user, note)


def _withheld_starter(instance: Instance | None, user_id: int) -> bool:
    """The withheld starter of a case (a violation report's reporter, §13.1) is told in Kelisim only: the mail log
    (audit `mail_sent`, with its address and time) would tie them to the case's steps."""
    from processes.usecases import withheld

    return instance is not None and instance.started_by_id == user_id and withheld.withholds(instance)


# Notices about a task the recipient holds: settled once the task is no longer open for them.
TASK_KINDS = ("task_assigned", "reminder")
# Notices about a case that is late (to someone who does not hold its task): settled once it has ended.
CASE_KINDS = ("escalation", "overdue")
PAGE_SIZE = 50


@dataclass(frozen=True)
class Notice:
    """A notification as its recipient sees it now: `resolved` when what it asked for is done."""

    note: Notification
    resolved: bool

    @property
    def unread(self) -> bool:
        """Counted as unread: not marked read, and still asking for something."""
        return self.note.read_at is None and not self.resolved


@dataclass(frozen=True)
class Page:
    notices: list[Notice]  # newest first; the first page also carries every older unread one
    older: int | None  # the cursor of the next (older) page, None on the last
    count: int | None = None  # all the user's notifications, counted up to paging.COUNT_CAP
    more: bool = False  # more than that


def _resolved(user: User):
    """SQL: the notification is settled, decided by the state of its task or case now (nothing is written).

    A task notice is settled when its instance has no ready task this user holds, or when a newer notice of
    the same kind about the same instance exists (the task of an earlier round, e.g. before a revision, was
    done); a notice of a late case when the instance no longer runs."""
    newer = aliased(Notification)
    holds = exists().where(InboxTask.instance_id == Notification.instance_id, visible_tasks_filter(user))
    superseded = exists().where(newer.user_id == Notification.user_id, newer.instance_id == Notification.instance_id,
                                newer.kind == Notification.kind, newer.id > Notification.id)
    ended = exists().where(Instance.id == Notification.instance_id, Instance.status != Status.RUNNING.value)
    about_task = Notification.kind.in_(TASK_KINDS) & Notification.instance_id.is_not(None) & (
        ~holds | ((Notification.kind == "task_assigned") & superseded))
    about_case = Notification.kind.in_(CASE_KINDS) & ended
    return about_task | about_case


def page(ctx: Ctx, cursor: int | None = None, limit: int = PAGE_SIZE) -> Page:
    """One page of the acting user's notifications, newest first: those older than `cursor` (a notification
    id), or the newest. The first page also lists every older unread one, so none is ever hidden."""
    user = ctx.me
    resolved = _resolved(user).label("resolved")
    base = select(Notification, resolved).where(Notification.user_id == user.id)
    query = base.where(Notification.id < cursor) if cursor is not None else base
    rows = ctx.session.execute(query.order_by(Notification.id.desc()).limit(limit + 1)).all()
    notices = [Notice(note, bool(flag)) for note, flag in rows[:limit]]
    older = notices[-1].note.id if len(rows) > limit else None
    if cursor is None and older is not None:
        rest = ctx.session.execute(base.where(Notification.id < older, Notification.read_at.is_(None),
                                              ~_resolved(user)).order_by(Notification.id.desc())).all()
        notices += [Notice(note, bool(flag)) for note, flag in rest]
    total, more = paging.count(ctx.session, select(Notification).where(Notification.user_id == user.id))
    return Page(notices, older, total, more)


def for_user(ctx: Ctx, limit: int = PAGE_SIZE) -> list[Notification]:
    return list(ctx.session.execute(select(Notification).where(Notification.user_id == ctx.me.id)
                                    .order_by(Notification.id.desc()).limit(limit)).scalars())


def unread_count(ctx: Ctx) -> int:
    """How many notifications still ask for something: not marked read and not settled (see `_resolved`)."""
    user = ctx.me
    return ctx.session.execute(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None), ~_resolved(user))).scalar_one()


def mark_read(ctx: Ctx, notification_id: int) -> Notification:
    """Mark one of the acting user's notifications read; audited as `notification_read`. Someone else's, or
    none, is NotFound (never telling which); one already read stays as it was, nothing recorded."""
    note = ctx.session.get(Notification, notification_id)
    if note is None or note.user_id != ctx.me.id:
        raise NotFound(N_("There is no such notification."))
    if note.read_at is None:
        note.read_at = ctx.now()
        audit.append(ctx.session, ctx.actor, "notification_read", object=f"user:{ctx.me.username}",
                     data={"notification": note.id, "kind": note.kind, "instance": note.instance_id},
                     request_id=ctx.request_id)
    return note


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
