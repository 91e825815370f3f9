"""Absence and substitution (issue 12, points 5–7): record and end absences; while one is in force the
person's tasks go to their substitute ("acting for"), and move back when it ends.

An absence runs from `starts_on` to `ends_on`, Almaty dates, both included, for the processes it lists
(none = all). Routing (`holder_for`): a person absent today passes a task to their substitute, a substitute
absent in turn to their own, and so on; a loop, a disabled substitute or a chain with nobody present sends
the task to its role's queue (the absent person is kept in `acting_for`, so it comes back to them) and
every administrator is told. Nobody acts on their own submission through a substitution: a substitute who
submitted the case is skipped. A task of the submitter's own case (e.g. a revision) stays theirs.

Open tasks follow (`apply_moves`): when an absence starts (the worker's tick, or at once when it is recorded
already in force) and when it ends or is ended. A task moves back to the absent person at the end unless it
was completed or started (`started`: taken from the queue, or given to a colleague to prepare); each move is
audited as `task_reassigned` (from, to, acting_for, reason "absence") and both people are told.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select

from forms.validate import N_, Message
from processes.catalog import kinds
from processes.university_time import today_local
from processes.usecases import notifications, units
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound, denied
from storage import accounts, audit
from storage.models import Absence, InboxTask, Instance, TaskState, User, UserRole

ADMIN = "admin"
UNIT_HEAD = "unit_head"
REASON_MAX = 500
LIST_MAX = 200
QUEUE_LOOP, QUEUE_NOBODY, QUEUE_OWN = "loop", "nobody_present", "own_submission"


# --- who may record -------------------------------------------------------------------------------

def may_manage(actor: User, user: User) -> bool:
    """The person themself, an administrator, or the head of the person's unit."""
    if actor.id == user.id or ADMIN in actor.role_names:
        return True
    return user.unit_id is not None and user.unit_id in units.headed_unit_ids(actor, roles=(UNIT_HEAD,))


def manageable_users(ctx: Ctx) -> list[User]:
    """Whose absences the acting user may record: everyone (administrator), their unit (unit head), themself."""
    me = ctx.me
    query = select(User).where(User.is_active.is_(True)).order_by(User.full_name)
    if ADMIN in me.role_names:
        return list(ctx.session.execute(query).scalars())
    headed = units.headed_unit_ids(me, roles=(UNIT_HEAD,))
    if headed:
        return list(ctx.session.execute(query.where(or_(User.unit_id.in_(sorted(headed)), User.id == me.id)))
                    .scalars().unique())
    return [me]


def _person(ctx: Ctx, username: Any, operation: str) -> User:
    """The person an absence is of: the caller when not given; 404 unknown, 403 not theirs to manage."""
    if username in (None, ""):
        return ctx.me
    user = accounts.find_user(ctx.session, username) if isinstance(username, str) else None
    if user is None:
        raise NotFound(N_("No such user."))
    if not may_manage(ctx.me, user):
        raise denied(Forbidden(N_("You may record absences only for yourself, or as the head of their unit.")),
                     f"user:{user.username}", operation)
    return user


# --- record, list, end ----------------------------------------------------------------------------

def _date(value: Any, errors: dict[str, Message], key: str) -> date | None:
    if not isinstance(value, str) or not value:
        errors[key] = Message(N_("Give a date (YYYY-MM-DD)."))
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[key] = Message(N_("Give a date (YYYY-MM-DD)."))
        return None


def record(ctx: Ctx, user: Any, starts_on: Any, ends_on: Any, substitute: Any, processes: Any = None,
           reason: Any = "") -> Absence:
    """Record an absence (see the module's docstring); audited as `absence_recorded`; tasks move at once
    when it is already in force. 422 invalid, 409 overlapping another absence of the person."""
    person = _person(ctx, user, "record_absence")
    errors: dict[str, Message] = {}
    start, end = _date(starts_on, errors, "starts_on"), _date(ends_on, errors, "ends_on")
    today = today_local(ctx.now())
    if start and end and end < start:
        errors["ends_on"] = Message(N_("The last day cannot be before the first day."))
    elif end and end < today:
        errors["ends_on"] = Message(N_("The absence has to last at least until today."))
    sub = accounts.find_user(ctx.session, substitute) if isinstance(substitute, str) and substitute else None
    if sub is None or not sub.is_active:
        errors["substitute"] = Message(N_("Choose an active user as the substitute."))
    elif sub.id == person.id:
        errors["substitute"] = Message(N_("The substitute must be someone else."))
    keys = processes if processes is not None else []
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        errors["processes"] = Message(N_("Give a list of process keys."))
    elif set(keys) - set(kinds()):
        errors["processes"] = Message(N_("Unknown process: %(key)s."), {"key": sorted(set(keys) - set(kinds()))[0]})
    if reason is None:
        reason = ""
    if not isinstance(reason, str) or len(reason) > REASON_MAX:
        errors["reason"] = Message(N_("At most %(n)s characters."), {"n": REASON_MAX})
    if errors:
        raise Invalid(errors)
    assert start and end and sub is not None  # checked above
    # the person's row is locked (PostgreSQL) so two overlapping absences recorded at once cannot both pass
    ctx.session.execute(select(User.id).where(User.id == person.id).with_for_update())
    clash = _overlapping(ctx, person, start, end)
    if clash is not None:
        raise Conflict(N_("%(name)s is already absent from %(start)s to %(end)s: end that absence first, "
                          "or choose days outside it."), name=person.full_name,
                       start=clash.starts_on.strftime("%d.%m.%Y"), end=clash.ends_on.strftime("%d.%m.%Y"))
    row = Absence(user_id=person.id, starts_on=start, ends_on=end, substitute_id=sub.id,
                  processes=sorted(set(keys)), reason=reason.strip(), created_by_id=ctx.me.id, created_at=ctx.now())
    ctx.session.add(row)
    ctx.session.flush()
    audit.append(ctx.session, ctx.actor, "absence_recorded", object=f"user:{person.username}",
                 data={"absence": row.id, "user": person.username, "starts_on": start.isoformat(),
                       "ends_on": end.isoformat(), "substitute": sub.username, "processes": row.processes,
                       "reason": row.reason}, request_id=ctx.request_id)
    if start <= today:
        apply_moves(ctx)
    return row


def _overlapping(ctx: Ctx, person: User, start: date, end: date) -> Absence | None:
    return ctx.session.execute(select(Absence).where(
        Absence.user_id == person.id, Absence.ended_at.is_(None), Absence.starts_on <= end,
        Absence.ends_on >= start).order_by(Absence.starts_on).limit(1)).scalars().first()


def list_absences(ctx: Ctx, user: Any = None, before: int | None = None, limit: int = LIST_MAX) -> list[Absence]:
    """A person's absences (the caller's when no user is given), the most recently recorded first: those
    recorded before the absence `before` (a cursor), at most `limit`."""
    person = _person(ctx, user, "list_absences")
    query = select(Absence).where(Absence.user_id == person.id)
    if before is not None:
        query = query.where(Absence.id < before)
    return list(ctx.session.execute(query.order_by(Absence.id.desc()).limit(limit)).scalars())


def end(ctx: Ctx, absence_id: int) -> Absence:
    """End an absence now (nothing is deleted: `ended_at` is set; one not begun yet is thereby called off);
    audited as `absence_ended`; tasks come back at once. 409 when it has ended already."""
    row = ctx.session.get(Absence, absence_id)
    if row is None or ctx.user is None:
        raise NotFound(N_("No such absence."))
    if not may_manage(ctx.me, row.user):
        raise denied(NotFound(N_("No such absence.")), f"absence:{absence_id}", "end")
    today = today_local(ctx.now())
    if row.ended_at is not None or row.ends_on < today:
        raise Conflict(N_("This absence has ended already."))
    row.ended_at, row.ended_by_id = ctx.now(), ctx.me.id
    audit.append(ctx.session, ctx.actor, "absence_ended", object=f"user:{row.user.username}",
                 data={"absence": row.id, "user": row.user.username, "before": {"ended_at": None},
                       "after": {"ended_at": row.ended_at.isoformat()}}, request_id=ctx.request_id)
    ctx.session.flush()
    apply_moves(ctx)
    return row


def in_force(row: Absence, today: date) -> bool:
    return row.ended_at is None and row.starts_on <= today <= row.ends_on


# --- routing --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Holder:
    """Who holds a task meant for `original`: `person` (None: the role's queue); `acting_for` is the absent
    person the holder acts for (None when the original is present); `failure` why nobody could take it."""

    person: User | None
    acting_for: User | None = None
    failure: str | None = None


def absences_today(ctx: Ctx, today: date | None = None) -> dict[int, list[Absence]]:
    """The absences in force today, by person."""
    today = today or today_local(ctx.now())
    found: dict[int, list[Absence]] = {}
    for row in ctx.session.execute(select(Absence).where(
            Absence.ended_at.is_(None), Absence.starts_on <= today, Absence.ends_on >= today)).scalars():
        found.setdefault(row.user_id, []).append(row)
    return found


def _away(absent: dict[int, list[Absence]], user: User, process_key: str) -> Absence | None:
    return next((a for a in absent.get(user.id, []) if a.covers(process_key)), None)


def holder_for(absent: dict[int, list[Absence]], original: User, instance: Instance) -> Holder:
    """Follow the chain of substitutes from `original` for a task of `instance` (see the module docstring)."""
    away = _away(absent, original, instance.process_key)
    if away is None or original.id == instance.started_by_id:
        return Holder(original)
    seen = {original.id}
    while True:
        sub = away.substitute
        if sub.id in seen:
            return Holder(None, original, QUEUE_LOOP)
        seen.add(sub.id)
        if not sub.is_active:
            return Holder(None, original, QUEUE_NOBODY)
        away = _away(absent, sub, instance.process_key)
        if away is None:
            return Holder(sub, original) if sub.id != instance.started_by_id else Holder(None, original, QUEUE_OWN)


def diverted(ctx: Ctx, user_id: int, instance: Instance) -> bool:
    """Whether a task of `instance` meant for the user goes elsewhere today (they are absent)."""
    absent = absences_today(ctx)
    if user_id not in absent:
        return False
    user = ctx.session.get(User, user_id)
    return user is not None and holder_for(absent, user, instance).acting_for is not None


def route_new_task(ctx: Ctx, instance: Instance, assignee: User | None, title: str) -> Holder:
    """Where a task the process assigned to `assignee` goes today; tells the substitute, or every
    administrator when it falls to the queue (the caller audits the assignment)."""
    if assignee is None:
        return Holder(None)
    holder = holder_for(absences_today(ctx), assignee, instance)
    if holder.acting_for is None:
        return holder
    if holder.person is not None:
        notifications.notify(ctx, holder.person.id, instance, "task_assigned", title=title,
                             acting_for=holder.acting_for.full_name)
    else:
        _tell_admins(ctx, instance, title, holder)
    return holder


def _tell_admins(ctx: Ctx, instance: Instance, title: str, holder: Holder) -> None:
    assert holder.acting_for is not None
    admins = ctx.session.execute(select(User).join(UserRole).where(
        UserRole.role == ADMIN, User.is_active.is_(True))).scalars().unique()
    for admin in admins:
        notifications.notify(ctx, admin.id, instance, "substitution_failed", title=title,
                             absent=holder.acting_for.full_name, failure=holder.failure or "")


# --- moving open tasks ----------------------------------------------------------------------------

def apply_moves(ctx: Ctx) -> int:
    """Move every open task to where absences in force today send it (there and back): idempotent, run by
    the worker's tick and when an absence is recorded or ended. Returns how many tasks moved."""
    absent = absences_today(ctx)
    rows = ctx.session.execute(select(InboxTask).where(
        InboxTask.state == TaskState.READY.value,
        or_(InboxTask.acting_for_id.is_not(None), InboxTask.assignee_id.in_(sorted(absent))))
        .order_by(InboxTask.instance_id, InboxTask.created_at)).scalars().unique().all()
    moved = 0
    for row in rows:
        original = row.acting_for or row.assignee
        if original is None or (row.acting_for_id is not None and started(row)):
            continue  # a substitute's (or the queue's) task once someone started on it stays where it is
        holder = holder_for(absent, original, row.instance)
        if _same(row, holder):
            continue
        moved += _move(ctx, row, holder)
    return moved


def started(row: InboxTask) -> bool:
    """Someone started on the task where it is: took it from the queue, or asked a colleague to prepare it
    (a draft); such a task no longer moves back (processes/usecases/flow.py)."""
    return row.claimed_at is not None or row.delegated_to_id is not None or row.draft is not None


def _same(row: InboxTask, holder: Holder) -> bool:
    return (row.assignee_id == (holder.person.id if holder.person else None)
            and row.acting_for_id == (holder.acting_for.id if holder.acting_for else None))


def _move(ctx: Ctx, row: InboxTask, holder: Holder) -> int:
    """Move one open task under its instance's lock; a task completed meanwhile stays where it is."""
    from processes.usecases import instances

    instance = instances.lock_instance(ctx, row.instance_id)
    ctx.session.refresh(row)
    if row.state != TaskState.READY.value or _same(row, holder) or (row.acting_for_id and started(row)):
        return 0
    before = row.assignee
    row.assignee_id = holder.person.id if holder.person else None
    row.acting_for_id = holder.acting_for.id if holder.acting_for else None
    ctx.session.flush()
    ctx.session.refresh(row)
    audit.append(ctx.session, ctx.actor, "task_reassigned", instance_id=instance.id, task=row.name,
                 object=f"task:{row.id}",
                 data={"from": before.username if before else None,
                       "to": holder.person.username if holder.person else None,
                       "acting_for": holder.acting_for.username if holder.acting_for else None,
                       "role": row.role, "reason": "absence",
                       **({"queue": holder.failure} if holder.failure else {})},
                 request_id=ctx.request_id)
    title = instance.title or ""
    if before is not None:
        notifications.notify(ctx, before.id, instance, "task_moved", title=title,
                             to=holder.person.full_name if holder.person else "")
    if holder.person is not None:
        extra = {"acting_for": holder.acting_for.full_name} if holder.acting_for else {}
        notifications.notify(ctx, holder.person.id, instance, "task_assigned", title=title, **extra)
    elif holder.failure:
        _tell_admins(ctx, instance, title, holder)
    instances.refresh_holder(ctx, instance)
    return 1



def substitute_choices(ctx: Ctx) -> list[User]:
    """Everyone who may be chosen as a substitute: the active accounts, by name."""
    if ctx.user is None:
        return []
    return list(ctx.session.execute(select(User).where(User.is_active.is_(True)).order_by(User.full_name)).scalars())
