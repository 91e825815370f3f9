"""Start instances and complete their tasks: load → act → save, with inbox and audit, in one transaction."""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from forms.validate import N_, Form, Message, label_errors, load_form, validate
from processes.catalog import kind_of
from processes.engine import EngineError, Run, ScriptError, TaskNotReady
from processes.university_time import today_local
from processes.usecases import absences, deploy, notifications
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
from processes.usecases.routing import holders
from storage import audit
from storage.models import InboxTask, Instance, InstanceState, ProcessDefinition, Status, TaskState, User

if TYPE_CHECKING:
    from processes.usecases.kinds import ProcessKind


def start_instance(ctx: Ctx, key: str) -> Instance:
    """Create an instance of the newest version of a process, parked at its first task."""
    definition = startable(ctx, key)
    instance = Instance(definition=definition, process_key=key, started_by=ctx.me,
                        status=Status.RUNNING.value, created_at=ctx.now(), updated_at=ctx.now())
    ctx.session.add(instance)
    ctx.session.flush()
    run = ctx.services.engine.start(spec_of(definition), {"submitter": ctx.me.username,
                                                           "instance_id": instance.id})
    state = InstanceState(instance_id=instance.id, state_json=run.dumps())
    ctx.session.add(state)
    audit.append(ctx.session, ctx.actor, "instance_started", instance_id=instance.id,
                 object=f"process:{key}@{definition.version}", request_id=ctx.request_id)
    open_rows = _sync_inbox(ctx, instance, run, completed=None)  # reads the run, changes nothing in it
    _save(ctx, instance, run, state=state, open_rows=open_rows)  # the state just dumped: not serialised twice
    return instance


def startable(ctx: Ctx, key: str):
    """The current definition of a process the user may start: 404 for a key never deployed, 403 (audited)
    for someone who may not start it: its first form is not shown to them either."""
    definition = deploy.current(ctx.session, key)
    if ctx.user is None or not kind_of(key).may_start(ctx):
        raise denied(Forbidden(N_("You may not start this process.")), f"process:{key}", "start")
    return definition


def first_form(ctx: Ctx, definition) -> Form:
    """The form a new instance of a process starts with (found by running its start in memory)."""
    first = ctx.services.engine.start(spec_of(definition), {}).ready_user_tasks()[0]
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
    values = {**values, **(task.draft or {})}  # what a colleague prepared (processes/usecases/flow.py)
    return {k: v for k, v in values.items() if k in fields}


def complete_task(ctx: Ctx, task_id: str, data: Any, confirmed: bool = True,
                  found: Mapping[str, Message] | None = None) -> Instance:
    """Validate the data against the task's form and complete the task as the current user.

    Every error of the submission is reported at once, each at its field: ``found`` (what the caller
    found already, e.g. a refused file), the form's own checks, and the process's checks (its
    ``prepare``), which run even when something else failed, so nobody corrects a form in rounds.

    ``confirmed=False`` (a page form without `confirm=yes`): when the step does something final
    (``ProcessKind.confirmation``), refuse it with an `Invalid` at the field `confirm` naming what it
    would do, and save nothing; the page asks the person and sends the form again.
    """
    task = task_for(ctx, task_id)
    instance = lock_instance(ctx, task.instance_id)
    ctx.session.refresh(task)
    if not holds_task(ctx.me, task):
        raise denied(Forbidden(N_("This task is not yours.")), f"task:{task_id}", "complete")
    if task.state != TaskState.READY.value or instance.status != Status.RUNNING.value:
        raise Conflict(N_("This task is already completed."))
    form = form_of(task)
    clean, schema_errors = validate(form, data, today=today_local(ctx.now()))
    errors = {**(found or {}), **{k: m for k, m in schema_errors.items() if k not in (found or {})}}
    kind = kind_of(instance.process_key)
    if errors:
        more = _process_errors(ctx, kind, instance, task, clean)
        raise Invalid(label_errors(form, {**errors, **{k: m for k, m in more.items() if k not in errors}}))
    try:
        engine_data = kind.prepare(ctx, instance, task, dict(clean))
    except Invalid as error:
        raise Invalid(label_errors(form, error.errors), values=error.values) from error
    if not confirmed:
        final = kind.confirmation(ctx, instance, task, dict(clean))
        if final is not None:
            raise Invalid({"confirm": final})
    run = restore_run(ctx, instance)
    try:
        run.complete(task.id, engine_data)
    except TaskNotReady as exc:
        raise Conflict(N_("This task is no longer open.")) from exc
    except ScriptError as exc:
        raise DomainError(N_("The process could not continue: %(reason)s"), reason=str(exc)) from exc
    task.state, task.completed_at, task.completed_by_id = TaskState.COMPLETED.value, ctx.now(), ctx.me.id
    acting = acting_for(task)  # a substitute's completion names whom they acted for (the API's "acting_for")
    audit.append(ctx.session, ctx.actor, "task_completed", instance_id=instance.id, task=task.name,
                 object=f"task:{task.id}",
                 data={**kind.audit_view(task.name, clean), **({ACTING_FOR: acting.username} if acting else {})},
                 comment=clean.get("comment"), clause=kind.decision_clause(task.name, clean),
                 request_id=ctx.request_id)
    title = kind.title_of(clean)
    if title:
        instance.title = title[:500]
    kind.after_complete(ctx, instance, task, engine_data, run)
    open_rows = _sync_inbox(ctx, instance, run, completed=task.id)
    _finish_if_done(ctx, instance, run)
    _save(ctx, instance, run, open_rows=open_rows)
    return instance


def _process_errors(ctx: Ctx, kind: ProcessKind, instance: Instance, task: InboxTask,
                    data: dict[str, Any]) -> dict[str, Message]:
    """The process's own checks (``prepare``) of a submission that failed elsewhere, to report them
    together: run in a savepoint that is always rolled back. Data too incomplete for them to run
    (a required field missing) gives none: they are reported once the field is there."""
    savepoint = ctx.session.begin_nested()
    try:
        kind.prepare(ctx, instance, task, copy.deepcopy(data))
    except Invalid as error:
        return dict(error.errors)
    except Exception:  # noqa: BLE001 - incomplete data: KeyError, ValueError, a refusal reported later
        return {}
    finally:
        savepoint.rollback()
    return {}


def advance(ctx: Ctx, instance: Instance, run: Run) -> None:
    """Bring inbox, outcome and saved state in line with the engine after timers fired."""
    open_rows = _sync_inbox(ctx, instance, run, completed=None)
    _finish_if_done(ctx, instance, run)
    _save(ctx, instance, run, open_rows=open_rows)


def get_instance(ctx: Ctx, instance_id: int) -> Instance:
    """Return an instance the current user may see; 404 otherwise."""
    instance = ctx.session.get(Instance, instance_id)
    if instance is None or ctx.user is None:
        raise NotFound(N_("No such instance."))
    if not can_view_instance(ctx.session, ctx.user, instance):
        raise denied(NotFound(N_("No such instance.")), f"instance:{instance_id}", "view")
    return instance


WITHDRAWN = "withdrawn"  # the outcome of a case its submitter withdrew
REASON_MAX = 2000


def may_withdraw(ctx: Ctx, instance: Instance) -> bool:
    """Whether the current user may withdraw the case now: they submitted it, and it is not decided."""
    return (ctx.user is not None and instance.started_by_id == ctx.user.id
            and instance.status == Status.RUNNING.value
            and not kind_of(instance.process_key).decided(ctx, instance))


def withdraw(ctx: Ctx, instance_id: int, reason: Any) -> Instance:
    """The submitter withdraws their case before it is decided (each process's ``decided``): its run is
    cancelled, its open tasks are closed, the outcome is `withdrawn`, the holders are told; with a reason,
    audited as `instance_withdrawn`. Nothing submitted is deleted."""
    instance = get_instance(ctx, instance_id)  # 404 for whoever may not even see it
    if ctx.user is None or instance.started_by_id != ctx.user.id:
        raise denied(Forbidden(N_("Only the person who submitted it may withdraw it.")),
                     f"instance:{instance_id}", "withdraw")
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid({"reason": Message(N_("Give the reason for withdrawing."))})
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise Invalid({"reason": Message(N_("At most %(n)s characters."), {"n": REASON_MAX})})
    instance = lock_instance(ctx, instance_id)
    kind = kind_of(instance.process_key)
    if instance.status != Status.RUNNING.value:
        raise Conflict(N_("The case has ended already: it can no longer be withdrawn."))
    if kind.decided(ctx, instance):
        raise Conflict(N_("The case has been decided: it can no longer be withdrawn."))
    open_rows = ready_tasks(ctx, instance, mine_only=False)
    told = {}
    for row in open_rows:
        for user in ([row.assignee] if row.assignee else holders(ctx.session, row.role or "")):
            if user is not None and user.is_active and user.id != ctx.me.id:
                told[user.id] = user
    run = restore_run(ctx, instance)
    run.cancel()
    _sync_inbox(ctx, instance, run, completed=None)  # no task is ready any more: every open row is cancelled
    instance.status, instance.outcome, instance.completed_at = Status.COMPLETED.value, WITHDRAWN, ctx.now()
    audit.append(ctx.session, ctx.actor, "instance_withdrawn", instance_id=instance.id,
                 object=f"instance:{instance.id}",
                 data={"outcome": WITHDRAWN, "reason": reason, "open_tasks": [r.name for r in open_rows],
                       "told": sorted(u.username for u in told.values())},
                 comment=reason, clause=kind.clause(""), request_id=ctx.request_id)
    kind.on_withdraw(ctx, instance)
    for user in told.values():
        notifications.notify(ctx, user.id, instance, "withdrawn", title=instance.title or "", reason=reason)
    _save(ctx, instance, run)
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


_SPECS: dict[str, str] = {}  # checksum -> spec_json: a deployed version never changes, and its checksum covers it
_SPECS_MAX = 256


def spec_of(definition: ProcessDefinition) -> str:
    """A process version's serialized spec, read from the database once per server process (the column is
    deferred: lists never load it, and an action need not read it every time)."""
    spec = _SPECS.get(definition.checksum)
    if spec is None:
        spec = definition.spec_json
        if len(_SPECS) >= _SPECS_MAX:
            _SPECS.clear()
        _SPECS[definition.checksum] = spec
    return spec


LAST_STATE = "kelisim.last_state"  # session.info: the state row restore_run read last


def restore_run(ctx: Ctx, instance: Instance) -> Run:
    state = ctx.session.get_one(InstanceState, instance.id)  # written with the instance
    # held, so that _save finds it in the session (which holds unchanged rows only weakly) instead of
    # reading the whole state again
    ctx.session.info[LAST_STATE] = state
    try:
        return ctx.services.engine.restore(spec_of(instance.definition), state.state_json)
    except EngineError as exc:  # pragma: no cover - a corrupt state is an operator problem
        raise Conflict(N_("The instance state could not be loaded.")) from exc


def _sync_inbox(ctx: Ctx, instance: Instance, run: Run, completed: str | None) -> list[InboxTask]:
    """Insert rows for newly ready tasks; cancel rows whose task is gone (timer, expiry). Returns the rows open
    now (for `_save`, which names who holds the case)."""
    kind = kind_of(instance.process_key)
    ready = {t.id: t for t in run.ready_user_tasks()}
    open_rows = ctx.session.execute(select(InboxTask).where(
        InboxTask.instance_id == instance.id, InboxTask.state == TaskState.READY.value)).scalars().all()
    for row in open_rows:
        if row.id not in ready and row.id != completed:
            row.state, row.completed_at = TaskState.CANCELLED.value, ctx.now()
    known = {r.id for r in open_rows}
    still_open = [r for r in open_rows if r.state == TaskState.READY.value]
    for task in ready.values():
        if task.id in known:
            continue
        role, assignee, due = kind.assign(ctx, instance, task)
        held = absences.route_new_task(ctx, instance, assignee, instance.title or "")  # substitutes
        assignee = held.person
        row = InboxTask(id=task.id, instance_id=instance.id, process_key=instance.process_key,
                        name=task.name, title=task.title, form=task.form, ui_form=task.ui_form,
                        role=role, assignee_id=assignee.id if assignee else None, due_at=due,
                        acting_for_id=held.acting_for.id if held.acting_for else None, created_at=ctx.now())
        ctx.session.add(row)
        ctx.session.flush()
        still_open.append(row)
        substitution = {"acting_for": held.acting_for.username} if held.acting_for else {}
        if held.failure:
            substitution["queue"] = held.failure
        audit.append(ctx.session, ctx.actor, "task_assigned", instance_id=instance.id, task=task.name,
                     object=f"task:{task.id}", data={"role": role,
                                                     "assignee": assignee.username if assignee else None,
                                                     **substitution},
                     request_id=ctx.request_id)
    return still_open


ACTING_FOR = "acting_for"  # the key of a substitute's task_completed entry naming the absent person


def acting_for(task: InboxTask) -> User | None:
    """The absent person a task's holder acts for: set while a substitute holds it (not in a queue)."""
    return task.acting_for if task.acting_for_id is not None and task.assignee_id is not None else None


def refresh_holder(ctx: Ctx, instance: Instance) -> None:
    """Recompute who holds the case now (`Instance.holder`) after its tasks moved; 409 on a lost race."""
    names = sorted({t.assignee.full_name for t in ready_tasks(ctx, instance, mine_only=False) if t.assignee})
    instance.holder = ", ".join(names)[:200] or None
    instance.updated_at = ctx.now()
    try:
        ctx.session.flush()
    except StaleDataError as exc:
        raise Conflict(N_("The instance was changed at the same time; reload and try again.")) from exc


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


def _save(ctx: Ctx, instance: Instance, run: Run, state: InstanceState | None = None,
          open_rows: list[InboxTask] | None = None) -> None:
    """Write the run's state and the instance's timer, time and holder in one UPDATE of the instance.
    ``state``: the row start_instance has just written with this run's dumps(); ``open_rows``: the open tasks
    `_sync_inbox` has just left (not read again)."""
    # the open tasks first: their query flushes what is pending, and the instance is changed once after it
    if open_rows is None:
        open_rows = ready_tasks(ctx, instance, mine_only=False)
    else:
        ctx.session.flush()
    names = sorted({t.assignee.full_name for t in open_rows if t.state == TaskState.READY.value and t.assignee})
    if state is None:
        state = ctx.session.get_one(InstanceState, instance.id)  # written with the instance
        state.state_json = run.dumps()
    instance.next_timer_at = None if run.is_completed() else run.next_timer_at()
    instance.updated_at = ctx.now()
    instance.holder = ", ".join(names)[:200] or None
    try:
        ctx.session.flush()
    except StaleDataError as exc:
        raise Conflict(N_("The instance was changed at the same time; reload and try again.")) from exc
