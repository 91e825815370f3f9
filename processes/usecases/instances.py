"""Start instances and complete their tasks: load → act → save, with inbox and audit, in one transaction."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from forms.validate import N_, Form, load_form, validate
from processes.catalog import kind_of
from processes.engine import EngineError, Run, ScriptError, TaskNotReady
from processes.university_time import today_local
from processes.usecases import deploy
from processes.usecases.access import can_view_instance, holds_task
from processes.usecases.context import Ctx
from processes.usecases.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    denied,
)
from storage import audit
from storage.models import InboxTask, Instance, InstanceState, Status, TaskState


def start_instance(ctx: Ctx, key: str) -> Instance:
    """Create an instance of the newest version of a process, parked at its first task."""
    definition = deploy.current(ctx.session, key)  # 404 for a key that was never deployed
    kind = kind_of(key)
    if ctx.user is None or not kind.may_start(ctx):
        raise denied(Forbidden(N_("You may not start this process.")), f"process:{key}", "start")
    instance = Instance(definition=definition, process_key=key, started_by=ctx.user,
                        status=Status.RUNNING.value, created_at=ctx.now(), updated_at=ctx.now())
    ctx.session.add(instance)
    ctx.session.flush()
    run = ctx.services.engine.start(definition.spec_json, {"submitter": ctx.user.username,
                                                           "instance_id": instance.id})
    ctx.session.add(InstanceState(instance_id=instance.id, state_json=run.dumps()))
    audit.append(ctx.session, ctx.actor, "instance_started", instance_id=instance.id,
                 object=f"process:{key}@{definition.version}", request_id=ctx.request_id)
    _sync_inbox(ctx, instance, run, completed=None)
    _save(ctx, instance, run)
    return instance


def first_form(ctx: Ctx, definition) -> Form:
    """The form a new instance of a process starts with (found by running its start in memory)."""
    first = ctx.services.engine.start(definition.spec_json, {}).ready_user_tasks()[0]
    return load_form(first.form, first.ui_form)


def task_for(ctx: Ctx, task_id: str) -> InboxTask:
    """Return a task the user may at least see; 404 when even its existence is private."""
    task = ctx.session.get(InboxTask, task_id)
    if task is None or ctx.user is None:
        raise NotFound(N_("No such task."))
    if not holds_task(ctx.user, task) and not can_view_instance(ctx.session, ctx.user, task.instance):
        raise denied(NotFound(N_("No such task.")), f"task:{task_id}", "view")
    return task


def form_of(task: InboxTask) -> Form:
    if not task.form:
        raise NotFound(N_("This task has no form."))
    return load_form(task.form, task.ui_form)


def prefill(ctx: Ctx, task: InboxTask) -> dict[str, Any]:
    """The values a ready task's form starts with: only fields of that form."""
    if task.state != TaskState.READY.value or not task.form:
        return {}
    fields = form_of(task).schema.get("properties", {})
    values = kind_of(task.process_key).prefill(ctx, task.instance, task)
    return {k: v for k, v in values.items() if k in fields}


def complete_task(ctx: Ctx, task_id: str, data: Any) -> Instance:
    """Validate the data against the task's form and complete the task as the current user."""
    task = task_for(ctx, task_id)
    instance = lock_instance(ctx, task.instance_id)
    ctx.session.refresh(task)
    if not holds_task(ctx.me, task):
        raise denied(Forbidden(N_("This task is not yours.")), f"task:{task_id}", "complete")
    if task.state != TaskState.READY.value or instance.status != Status.RUNNING.value:
        raise Conflict(N_("This task is already completed."))
    clean, errors = validate(form_of(task), data, today=today_local(ctx.now()))
    if errors:
        raise Invalid(errors)
    kind = kind_of(instance.process_key)
    engine_data = kind.prepare(ctx, instance, task, dict(clean))
    run = restore_run(ctx, instance)
    try:
        run.complete(task.id, engine_data)
    except TaskNotReady as exc:
        raise Conflict(N_("This task is no longer open.")) from exc
    except ScriptError as exc:
        raise DomainError(N_("The process could not continue: %(reason)s"), reason=str(exc)) from exc
    task.state, task.completed_at, task.completed_by_id = TaskState.COMPLETED.value, ctx.now(), ctx.me.id
    audit.append(ctx.session, ctx.actor, "task_completed", instance_id=instance.id, task=task.name,
                 object=f"task:{task.id}", data=kind.audit_view(task.name, clean),
                 comment=clean.get("comment"), clause=kind.clause(task.name),
                 request_id=ctx.request_id)
    title = kind.title_of(clean)
    if title:
        instance.title = title[:500]
    kind.after_complete(ctx, instance, task, engine_data, run)
    _sync_inbox(ctx, instance, run, completed=task.id)
    _finish_if_done(ctx, instance, run)
    _save(ctx, instance, run)
    return instance


def advance(ctx: Ctx, instance: Instance, run: Run) -> None:
    """Bring inbox, outcome and saved state in line with the engine after timers fired."""
    _sync_inbox(ctx, instance, run, completed=None)
    _finish_if_done(ctx, instance, run)
    _save(ctx, instance, run)


def get_instance(ctx: Ctx, instance_id: int) -> Instance:
    """Return an instance the current user may see; 404 otherwise."""
    instance = ctx.session.get(Instance, instance_id)
    if instance is None or ctx.user is None:
        raise NotFound(N_("No such instance."))
    if not can_view_instance(ctx.session, ctx.user, instance):
        raise denied(NotFound(N_("No such instance.")), f"instance:{instance_id}", "view")
    return instance


def ready_tasks(ctx: Ctx, instance: Instance, mine_only: bool = True) -> list[InboxTask]:
    rows = ctx.session.execute(select(InboxTask).where(
        InboxTask.instance_id == instance.id, InboxTask.state == TaskState.READY.value)
        .order_by(InboxTask.created_at)).scalars().all()
    return [t for t in rows if not mine_only or (ctx.user and holds_task(ctx.user, t))]


# --- internals -----------------------------------------------------------------------------

def lock_instance(ctx: Ctx, instance_id: int) -> Instance:
    """Lock the instance row (PostgreSQL) and reload it; SQLite is already serialised."""
    instance = ctx.session.execute(select(Instance).where(Instance.id == instance_id)
                                   .with_for_update(of=Instance).execution_options(populate_existing=True)
                                   ).unique().scalar_one()
    return instance


def restore_run(ctx: Ctx, instance: Instance) -> Run:
    state = ctx.session.get_one(InstanceState, instance.id)  # written with the instance
    try:
        return ctx.services.engine.restore(instance.definition.spec_json, state.state_json)
    except EngineError as exc:  # pragma: no cover - a corrupt state is an operator problem
        raise Conflict(N_("The instance state could not be loaded.")) from exc


def _sync_inbox(ctx: Ctx, instance: Instance, run: Run, completed: str | None) -> None:
    """Insert rows for newly ready tasks; cancel rows whose task is gone (timer, expiry)."""
    kind = kind_of(instance.process_key)
    ready = {t.id: t for t in run.ready_user_tasks()}
    open_rows = ctx.session.execute(select(InboxTask).where(
        InboxTask.instance_id == instance.id, InboxTask.state == TaskState.READY.value)).scalars().all()
    for row in open_rows:
        if row.id not in ready and row.id != completed:
            row.state, row.completed_at = TaskState.CANCELLED.value, ctx.now()
    known = {r.id for r in open_rows}
    for task in ready.values():
        if task.id in known:
            continue
        role, assignee, due = kind.assign(ctx, instance, task)
        row = InboxTask(id=task.id, instance_id=instance.id, process_key=instance.process_key,
                        name=task.name, title=task.title, form=task.form, ui_form=task.ui_form,
                        role=role, assignee_id=assignee.id if assignee else None, due_at=due,
                        created_at=ctx.now())
        ctx.session.add(row)
        ctx.session.flush()
        audit.append(ctx.session, ctx.actor, "task_assigned", instance_id=instance.id, task=task.name,
                     object=f"task:{task.id}", data={"role": role,
                                                     "assignee": assignee.username if assignee else None},
                     request_id=ctx.request_id)


def _finish_if_done(ctx: Ctx, instance: Instance, run: Run) -> None:
    if not run.is_completed() or instance.status != Status.RUNNING.value:
        return
    instance.status = Status.COMPLETED.value
    instance.outcome = run.data.get("outcome")
    instance.completed_at = ctx.now()
    audit.append(ctx.session, ctx.actor, "instance_completed", instance_id=instance.id,
                 data={"outcome": instance.outcome}, clause=kind_of(instance.process_key).clause(""),
                 request_id=ctx.request_id)
    kind_of(instance.process_key).on_finish(ctx, instance, run)


def _save(ctx: Ctx, instance: Instance, run: Run) -> None:
    state = ctx.session.get_one(InstanceState, instance.id)  # written with the instance
    state.state_json = run.dumps()
    instance.next_timer_at = None if run.is_completed() else run.next_timer_at()
    instance.updated_at = ctx.now()
    names = sorted({t.assignee.full_name for t in ready_tasks(ctx, instance, mine_only=False) if t.assignee})
    instance.holder = ", ".join(names)[:200] or None
    try:
        ctx.session.flush()
    except StaleDataError as exc:
        raise Conflict(N_("The instance was changed at the same time; reload and try again.")) from exc
