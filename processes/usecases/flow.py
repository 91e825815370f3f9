"""The flow of work (issue 12, points 8–12): claim and release a queue task, reassign an open task, ask a
colleague to prepare it (delegate, draft, return), and cancel a running case.

Each action locks the instance row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write lock), then the
task row, then checks the task's state again, so of two concurrent claims exactly one wins and the other
gets 409. Each is audited in the same transaction, and tells the people it concerns (in-app; e-mail follows
the notification when mail is configured).

Who may reassign: an administrator, and the head of the unit that owns the task's role
(``access.QUEUE_UNITS``: the MCD specialists' queue belongs to MCD, whose head is `mcd.head`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from forms.validate import N_, Message, from_html
from processes.catalog import clerical_keys, kind_of
from processes.usecases import instances, notifications, withheld
from processes.usecases.access import ADMINISTRATOR, HEAD_ROLES, QUEUE_UNITS, heads_queue, holds_task
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound, denied
from processes.usecases.routing import holders
from storage import accounts, audit
from storage.models import AuditEvent, InboxTask, Instance, Status, TaskState, User

CANCELLED = "cancelled"  # the outcome (and status) of a case an administrator cancelled
TEXT_MAX = 2000


# --- reading -------------------------------------------------------------------------------------

def is_queue_task(task: InboxTask) -> bool:
    """A task of a role's queue: nobody took it yet, or someone claimed it (and may release it)."""
    return task.role is not None and (task.assignee_id is None or task.claimed_at is not None)


def may_claim(user: User, task: InboxTask) -> bool:
    return (task.state == TaskState.READY.value and task.assignee_id is None and task.role is not None
            and task.role in user.role_names and not _own_submission(user, task))


def may_release(user: User, task: InboxTask) -> bool:
    return (task.state == TaskState.READY.value and task.claimed_at is not None
            and task.assignee_id == user.id and task.delegated_to_id is None)


def may_reassign(user: User, task: InboxTask) -> bool:
    """An administrator, or the head of the unit that owns the task's role, while the task is open."""
    return task.state == TaskState.READY.value and (
        ADMINISTRATOR in user.role_names or (task.role is not None and heads_queue(user, task.role)))


def may_delegate(user: User, task: InboxTask) -> bool:
    """The holder (the person it is assigned to), while nobody is preparing it."""
    return (task.state == TaskState.READY.value and task.assignee_id == user.id
            and task.delegated_to_id is None)


def may_cancel(user: User) -> bool:
    return ADMINISTRATOR in user.role_names


def is_delegate(user: User, task: InboxTask) -> bool:
    return task.state == TaskState.READY.value and task.delegated_to_id == user.id


def eligible_assignees(ctx: Ctx, task: InboxTask) -> list[User]:
    """Who may receive the task: the active holders of its role (for a person's task, the role it was
    routed to), except the submitter (nobody acts on their own submission) and its current holder."""
    if not task.role:
        return []
    people = {u.id: u for u in holders(ctx.session, task.role)}
    unit = QUEUE_UNITS.get(task.role.partition(":")[0])
    if unit is not None:  # the head of the unit that owns the queue may take its tasks too (e.g. the head of MCD)
        for role in HEAD_ROLES:
            for user in holders(ctx.session, role):
                if heads_queue(user, task.role):
                    people.setdefault(user.id, user)
    clerical = task.process_key in clerical_keys()  # the office handles its own cases (media inquiries)
    return [u for u in people.values()
            if (clerical or u.id != task.instance.started_by_id) and u.id != task.assignee_id]


def delegate_candidates(ctx: Ctx, task: InboxTask) -> list[User]:
    """Whom the holder may ask to prepare the task: any active colleague but the submitter and the holder."""
    rows = ctx.session.execute(select(User).where(User.is_active.is_(True)).order_by(User.full_name)
                               .options(selectinload(User.roles)))  # roles load on use: here all at once
    return [u for u in rows.scalars().unique()
            if u.id not in (task.instance.started_by_id, task.assignee_id) and not _only_system(u)]


def _only_system(user: User) -> bool:
    """Accounts that take part in no case (the auditor, the administrator) are never asked to prepare one."""
    return not (user.role_names - {"auditor", ADMINISTRATOR})


def _own_submission(user: User, task: InboxTask) -> bool:
    return task.instance.started_by_id == user.id and task.process_key not in clerical_keys()


# --- queues --------------------------------------------------------------------------------------

def claim(ctx: Ctx, task_id: str) -> InboxTask:
    """Take a task of one of the user's roles' queues: it becomes theirs and leaves the others' queue."""
    task = _locked(ctx, task_id, "claim")
    me = ctx.me
    if task.role is None or task.role not in me.role_names:
        raise denied(Forbidden(N_("Only a holder of the queue's role may take this task.")),
                     f"task:{task_id}", "claim")
    if _own_submission(me, task):
        raise denied(Forbidden(N_("Nobody acts on their own submission.")), f"task:{task_id}", "claim")
    if task.assignee_id is not None:
        if task.assignee_id == me.id:
            raise Conflict(N_("You have already taken this task."))
        raise Conflict(N_("Someone else has already taken this task."))
    task.assignee_id, task.claimed_at = me.id, ctx.now()
    audit.append(ctx.session, ctx.actor, "task_claimed", instance_id=task.instance_id, task=task.name,
                 object=f"task:{task.id}", data={"role": task.role, "assignee": me.username},
                 request_id=ctx.request_id)
    _tell_queue(ctx, task, "task_claimed", by=me.full_name)  # it left their queue
    _touch(ctx, task)
    return task


def release(ctx: Ctx, task_id: str) -> InboxTask:
    """Put a claimed task back in its role's queue."""
    task = _locked(ctx, task_id, "release")
    me = ctx.me
    if task.assignee_id is None and task.role in me.role_names:
        raise Conflict(N_("Nobody has taken this task: it is in the queue already."))
    if task.assignee_id != me.id:
        raise denied(Forbidden(N_("Only the person who took this task may release it.")),
                     f"task:{task_id}", "release")
    if task.claimed_at is None or task.role is None:
        raise Conflict(N_("This task was assigned to you in person: it has no queue to go back to."))
    if task.delegated_to_id is not None:
        raise Conflict(N_("A colleague is preparing this task: wait until it is returned."))
    task.assignee_id, task.claimed_at = None, None
    audit.append(ctx.session, ctx.actor, "task_released", instance_id=task.instance_id, task=task.name,
                 object=f"task:{task.id}", data={"role": task.role, "assignee": None, "released_by": me.username},
                 request_id=ctx.request_id)
    _tell_queue(ctx, task, "task_released", by=me.full_name)  # it is back in their queue
    _touch(ctx, task)
    return task


# --- reassign ------------------------------------------------------------------------------------

def reassign(ctx: Ctx, task_id: str, to: Any, reason: Any) -> InboxTask:
    """Give an open task to another active holder of its role, with a reason (administrator, or the head
    of the unit that owns the role). Audited `task_reassigned` (from, to, reason); both people are told."""
    task = _locked(ctx, task_id, "reassign")
    me = ctx.me
    if not may_reassign(me, task):
        raise denied(Forbidden(N_("Only an administrator or the head of the unit that owns this queue may "
                                  "reassign the task.")), f"task:{task_id}", "reassign")
    if task.assignee_id == task.instance.started_by_id and withheld.withholds(task.instance):
        raise denied(Forbidden(N_("A report whose reporter is withheld is prepared by the reporter alone.")),
                     f"task:{task_id}", "reassign")  # §13.1
    reason = _text(reason, "reason", N_("Give the reason for the reassignment."))
    target = _person(ctx, to, "to")
    if target.id == task.instance.started_by_id and task.process_key not in clerical_keys():
        raise Invalid({"to": Message(N_("Nobody acts on their own submission: choose someone else."))})
    if target.id == task.assignee_id:
        raise Invalid({"to": Message(N_("The task is already with this person."))})
    if target.id not in {u.id for u in eligible_assignees(ctx, task)}:
        raise Invalid({"to": Message(N_("This person does not hold the role the task needs."))})
    before = task.assignee
    if task.delegated_to_id is not None:
        _tell(ctx, task.delegated_to_id, task, "delegation_ended", by=me.full_name)
    task.assignee_id = target.id
    task.claimed_at = ctx.now() if is_queue_task(task) else None
    task.delegated_to_id, task.delegated_at, task.delegation_comment = None, None, None
    task.acting_for_id = None
    audit.append(ctx.session, ctx.actor, "task_reassigned", instance_id=task.instance_id, task=task.name,
                 object=f"task:{task.id}", comment=reason,
                 data={"role": task.role, "from": before.username if before else None, "to": target.username,
                       "reason": reason}, request_id=ctx.request_id)
    _tell(ctx, target.id, task, "task_assigned", reason=reason)
    if before is not None and before.id != target.id:
        _tell(ctx, before.id, task, "task_reassigned", to=target.full_name, reason=reason)
    _touch(ctx, task)
    return task


# --- delegate and return -------------------------------------------------------------------------

def delegate(ctx: Ctx, task_id: str, to: Any, comment: Any) -> InboxTask:
    """The holder asks a colleague to prepare the task: the colleague sees it, fills the form as a draft and
    returns it; the decision stays the holder's. Audited `task_delegated`; the colleague is told."""
    task = _locked(ctx, task_id, "delegate")
    me = ctx.me
    if task.assignee_id != me.id:
        if task.assignee_id is None and holds_task(me, task):
            raise Conflict(N_("Take the task from the queue before you ask a colleague to prepare it."))
        raise denied(Forbidden(N_("Only the holder of this task may ask a colleague to prepare it.")),
                     f"task:{task_id}", "delegate")
    if task.delegated_to_id is not None:
        raise Conflict(N_("A colleague is already preparing this task."))
    if task.assignee_id == task.instance.started_by_id and withheld.withholds(task.instance):
        raise denied(Forbidden(N_("A report whose reporter is withheld is prepared by the reporter alone.")),
                     f"task:{task_id}", "delegate")  # §13.1: the colleague would learn who reports
    comment = _text(comment, "comment", None)
    target = _person(ctx, to, "to")
    if target.id == me.id:
        raise Invalid({"to": Message(N_("Choose a colleague, not yourself."))})
    if target.id == task.instance.started_by_id:
        raise Invalid({"to": Message(N_("Nobody acts on their own submission: choose someone else."))})
    if _only_system(target):
        raise Invalid({"to": Message(N_("This account takes part in no case: choose a colleague."))})
    task.delegated_to_id, task.delegated_at, task.delegation_comment = target.id, ctx.now(), comment or None
    audit.append(ctx.session, ctx.actor, "task_delegated", instance_id=task.instance_id, task=task.name,
                 object=f"task:{task.id}", comment=comment or None,
                 data={"holder": me.username, "to": target.username, "comment": comment},
                 request_id=ctx.request_id)
    _tell(ctx, target.id, task, "task_delegated", holder=me.full_name, comment=comment)
    _touch(ctx, task)
    return task


def may_recall(user: User, task: InboxTask) -> bool:
    """The holder, while the colleague they asked has not returned the task."""
    return (task.state == TaskState.READY.value and task.assignee_id == user.id
            and task.delegated_to_id is not None)


def recall(ctx: Ctx, task_id: str, comment: Any) -> InboxTask:
    """The holder takes back a task before the colleague they asked returns it: the colleague can no longer
    prepare it and is told; what was prepared before stays (the task's draft and the audit trail keep it).
    Audited `task_recalled`. Not the holder → 403; not delegated (or returned already) or completed → 409."""
    task = _locked(ctx, task_id, "recall")
    me = ctx.me
    if task.assignee_id != me.id:
        raise denied(Forbidden(N_("Only the holder of this task may take it back.")), f"task:{task_id}", "recall")
    if task.delegated_to_id is None:
        raise Conflict(N_("Nobody is preparing this task: there is nothing to take back."))
    comment = _text(comment, "comment", None)
    colleague = task.delegated_to
    task.delegated_to_id, task.delegated_at, task.delegation_comment = None, None, None
    audit.append(ctx.session, ctx.actor, "task_recalled", instance_id=task.instance_id, task=task.name,
                 object=f"task:{task.id}", comment=comment or None,
                 data={"holder": me.username, "from": colleague.username if colleague else None,
                       "comment": comment, "draft": task.draft or {}}, request_id=ctx.request_id)
    if colleague is not None:
        _tell(ctx, colleague.id, task, "task_recalled", by=me.full_name, comment=comment)
    _touch(ctx, task)
    return task


def draft_values(task: InboxTask, fields: Mapping[str, list[str]]) -> dict[str, Any]:
    """A page form's values as a draft, read leniently: only the form's own fields (no files: the holder
    attaches them), as typed as they can be, nothing required."""
    form = instances.form_of(task)
    props = form.schema.get("properties", {})
    files = {n for n in form.fields if form.ui.get(n, {}).get("ui:widget") == "file"}
    try:
        values = from_html(form, {k: v for k, v in fields.items() if k in props and k not in files})
    except (ValueError, TypeError, KeyError):
        values = {k: v[-1] for k, v in fields.items() if k in props and k not in files and v}
    return {k: v for k, v in values.items() if k in props and k not in files and v not in ("", [], None)}


def return_task(ctx: Ctx, task_id: str, comment: Any, draft: Mapping[str, Any] | None = None) -> InboxTask:
    """The colleague returns the task they prepared, with the values they prepared (``draft``, kept as the
    holder's prefilled form) and a comment. Audited `task_returned` (with the draft); the holder is told."""
    task = _locked(ctx, task_id, "return")
    me = ctx.me
    if task.delegated_to_id != me.id:
        raise denied(Forbidden(N_("Only the colleague asked to prepare this task may return it.")),
                     f"task:{task_id}", "return")
    comment = _text(comment, "comment", None)
    if draft is not None:
        if not isinstance(draft, Mapping):
            raise Invalid({"data": Message(N_("The prepared values must be an object."))})
        fields = instances.form_of(task).schema.get("properties", {}) if task.form else {}
        unknown = sorted(k for k in draft if k not in fields)
        if unknown:
            raise Invalid({"data": Message(N_("This form has no field %(name)s."), {"name": unknown[0][:100]})})
        task.draft = dict(draft)
    task.delegated_to_id, task.delegated_at, task.delegation_comment = None, None, comment or None
    audit.append(ctx.session, ctx.actor, "task_returned", instance_id=task.instance_id, task=task.name,
                 object=f"task:{task.id}", comment=comment or None,
                 data={"holder": task.assignee.username if task.assignee else None, "draft": task.draft or {},
                       "comment": comment}, request_id=ctx.request_id)
    if task.assignee_id is not None:
        _tell(ctx, task.assignee_id, task, "task_returned", by=me.full_name, comment=comment)
    _touch(ctx, task)
    return task


def prepared_by(ctx: Ctx, task: InboxTask) -> str | None:
    """The full name of the colleague who last returned the task prepared (None when nobody did)."""
    entries = audit.entries(ctx.session, AuditEvent.object == f"task:{task.id}",
                            AuditEvent.action == "task_returned", newest_first=True, limit=1)
    if not entries or not entries[0].actor:
        return None
    user = accounts.find_user(ctx.session, entries[0].actor)
    return user.full_name if user else entries[0].actor


# --- cancel --------------------------------------------------------------------------------------

def cancel(ctx: Ctx, instance_id: int, reason: Any) -> Instance:
    """An administrator cancels a running case, with a reason: its run is cancelled, its open tasks closed,
    status and outcome `cancelled`; the submitter and the holders are told; audited `instance_cancelled`."""
    me = ctx.me
    require_may_cancel(ctx, instance_id)
    if ctx.session.get(Instance, instance_id) is None:
        raise NotFound(N_("No such instance."))
    reason = _text(reason, "reason", N_("Give the reason for cancelling the case."))
    instance = instances.lock_instance(ctx, instance_id)
    if instance.status != Status.RUNNING.value:
        raise Conflict(N_("The case has ended already: it can no longer be cancelled."))
    kind = kind_of(instance.process_key)
    open_rows = instances.ready_tasks(ctx, instance, mine_only=False)
    told: dict[int, User] = {instance.started_by_id: instance.started_by}
    for row in open_rows:
        for user in ([row.assignee] if row.assignee else holders(ctx.session, row.role or "")):
            if user is not None:
                told[user.id] = user
        if row.delegated_to is not None:
            told[row.delegated_to.id] = row.delegated_to
    run = instances.restore_run(ctx, instance)
    run.cancel()
    instances._sync_inbox(ctx, instance, run, completed=None)  # nothing is ready: every open row is cancelled
    instance.status, instance.outcome, instance.completed_at = Status.CANCELLED.value, CANCELLED, ctx.now()
    recipients = sorted((u for u in told.values() if u.is_active and u.id != me.id), key=lambda u: u.username)
    audit.append(ctx.session, ctx.actor, "instance_cancelled", instance_id=instance.id,
                 object=f"instance:{instance.id}", comment=reason, clause=kind.clause(""),
                 data={"outcome": CANCELLED, "reason": reason, "open_tasks": [r.name for r in open_rows],
                       "told": [u.username for u in recipients]}, request_id=ctx.request_id)
    kind.on_withdraw(ctx, instance)  # the process's own records close as they do for a withdrawal
    for user in recipients:
        notifications.notify(ctx, user.id, instance, "cancelled", title=instance.title or "", reason=reason)
    instances._save(ctx, instance, run)
    return instance


def require_may_cancel(ctx: Ctx, instance_id: int) -> None:
    """403 (audited) for anyone but an administrator."""
    if not may_cancel(ctx.me):
        raise denied(Forbidden(N_("Only administrators may cancel a case.")), f"instance:{instance_id}", "cancel")


# --- internals -----------------------------------------------------------------------------------

def _locked(ctx: Ctx, task_id: str, operation: str) -> InboxTask:
    """The task (404 for whoever may not see it), re-read under the instance's and its own row lock;
    409 when it is no longer open."""
    seen = instances.task_for(ctx, task_id)
    instance = instances.lock_instance(ctx, seen.instance_id)
    task = ctx.session.execute(select(InboxTask).where(InboxTask.id == task_id).with_for_update(of=InboxTask)
                               .execution_options(populate_existing=True)).unique().scalar_one()
    if task.state != TaskState.READY.value or instance.status != Status.RUNNING.value:
        raise Conflict(N_("This task is already completed."))
    return task


def _touch(ctx: Ctx, task: InboxTask) -> None:
    """Write the task now, and the instance's holder line (who holds the case) with it."""
    ctx.session.flush()
    instance = task.instance
    ctx.session.refresh(task, ["assignee", "delegated_to"])
    names = sorted({t.assignee.full_name for t in instances.ready_tasks(ctx, instance, mine_only=False)
                    if t.assignee})
    instance.holder = ", ".join(names)[:200] or None
    instance.updated_at = ctx.now()
    ctx.session.flush()


def _text(value: Any, field: str, required: str | None) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid({field: Message(N_("This must be text."))})
    value = value.strip()
    if required and not value:
        raise Invalid({field: Message(required)})
    if len(value) > TEXT_MAX:
        raise Invalid({field: Message(N_("At most %(n)s characters."), {"n": TEXT_MAX})})
    return value


def _person(ctx: Ctx, username: Any, field: str) -> User:
    if not isinstance(username, str) or not username.strip():
        raise Invalid({field: Message(N_("Choose the person."))})
    user = accounts.find_user(ctx.session, username.strip())
    if user is None:
        raise Invalid({field: Message(N_("No such user."))})
    if not user.is_active:
        raise Invalid({field: Message(N_("This person's account is disabled: choose someone else."))})
    return user


def _tell(ctx: Ctx, user_id: int, task: InboxTask, kind: str, **params: Any) -> None:
    notifications.notify(ctx, user_id, task.instance, kind, title=task.instance.title or "", **params)


def _tell_queue(ctx: Ctx, task: InboxTask, kind: str, **params: Any) -> None:
    """Tell the other active holders of the task's queue role (not the one acting, nor the submitter, who
    never acts on their own submission) that the task left their queue or came back to it."""
    me = ctx.me
    for user in holders(ctx.session, task.role or ""):
        if user.id != me.id and not _own_submission(user, task):
            _tell(ctx, user.id, task, kind, **params)
