"""Read-side queries for the inbox, my submissions and the auditor's pages (no workflow JSON loaded)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select

from forms.validate import N_
from processes.catalog import clerical_keys
from processes.university_time import start_of_day_utc
from processes.usecases.access import reads_everything, visible_tasks_filter
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, denied
from storage import audit
from storage.models import (
    AuditEvent,
    ContentVersion,
    Document,
    InboxTask,
    Instance,
    Unit,
    User,
)


def inbox(ctx: Ctx) -> list[InboxTask]:
    """The user's ready tasks, the most urgent first."""
    me = ctx.me
    not_own = or_(InboxTask.assignee_id == me.id, Instance.started_by_id != me.id,
                  InboxTask.process_key.in_(clerical_keys()))
    # and the tasks a holder asked this user to prepare (marked "prepare for <holder>" on the page)
    to_prepare = (InboxTask.state == "ready") & (InboxTask.delegated_to_id == me.id)
    rows = ctx.session.execute(select(InboxTask).join(Instance, InboxTask.instance_id == Instance.id)
                               .where(or_(visible_tasks_filter(me) & not_own, to_prepare))
                               .order_by(InboxTask.due_at.is_(None), InboxTask.due_at, InboxTask.created_at))
    return list(rows.scalars().unique())


def my_submissions(ctx: Ctx) -> list[Instance]:
    rows = ctx.session.execute(select(Instance).where(Instance.started_by_id == ctx.me.id)
                               .order_by(Instance.created_at.desc()))
    return list(rows.scalars().unique())


@dataclass(frozen=True)
class InstanceFilter:
    process: str | None = None
    status: str | None = None
    outcome: str | None = None
    person: str | None = None
    since: date | None = None
    until: date | None = None


def all_instances(ctx: Ctx, flt: InstanceFilter, limit: int = 200) -> list[Instance]:
    """Every instance, filtered; auditors only."""
    require_auditor(ctx)
    query = select(Instance).join(User, Instance.started_by_id == User.id)
    if flt.process:
        query = query.where(Instance.process_key == flt.process)
    if flt.status:
        query = query.where(Instance.status == flt.status)
    if flt.outcome:
        query = query.where(Instance.outcome == flt.outcome)
    if flt.person:
        like = f"%{flt.person}%"
        query = query.where(or_(User.username.ilike(like), User.full_name.ilike(like)))
    if flt.since:
        query = query.where(Instance.created_at >= start_of_day_utc(flt.since))
    if flt.until:
        query = query.where(Instance.created_at < start_of_day_utc(flt.until + timedelta(days=1)))
    return list(ctx.session.execute(query.order_by(Instance.created_at.desc()).limit(limit)).scalars().unique())


def require_auditor(ctx: Ctx) -> None:
    if ctx.user is None or not reads_everything(ctx.user):
        raise denied(Forbidden(N_("Only auditors may see this.")), "audit", "read")


def verify_audit_trail(ctx: Ctx) -> audit.VerifyResult:
    """Recompute the whole audit chain and name the first entry that was altered; auditors only."""
    require_auditor(ctx)
    return audit.verify(ctx.session)


def timeline(ctx: Ctx, instance: Instance) -> list[audit.Entry]:
    """The instance's audit entries, oldest first; a damaged one is marked, not interpreted."""
    return audit.entries(ctx.session, AuditEvent.instance_id == instance.id)


def versions(ctx: Ctx, instance: Instance) -> list[ContentVersion]:
    return list(ctx.session.execute(select(ContentVersion).where(ContentVersion.instance_id == instance.id)
                                    .order_by(ContentVersion.number)).scalars())


def tasks_of(ctx: Ctx, instance: Instance) -> list[InboxTask]:
    return list(ctx.session.execute(select(InboxTask).where(InboxTask.instance_id == instance.id)
                                    .order_by(InboxTask.created_at)).scalars().unique())


def audit_events(ctx: Ctx, instance: int | None = None, actor: str | None = None, action: str | None = None,
                 since: datetime | None = None, until: datetime | None = None,
                 limit: int = 1000) -> list[audit.Entry]:
    """Audit entries in chain order, filtered; a damaged one is marked, not interpreted. Auditors only."""
    require_auditor(ctx)
    where = []
    if instance is not None:
        where.append(AuditEvent.instance_id == instance)
    if actor:
        where.append(AuditEvent.actor == actor)
    if action:
        where.append(AuditEvent.action == action)
    if since:
        where.append(AuditEvent.at >= since)
    if until:
        where.append(AuditEvent.at < until)
    return audit.entries(ctx.session, *where, limit=limit)


def actor_names(ctx: Ctx, instance: Instance) -> dict[str, str]:
    """Full names of everyone who appears in an instance's timeline (its actors, and the people its tasks
    were assigned to, whom the entries name), by username."""
    users = select(AuditEvent.actor).where(AuditEvent.instance_id == instance.id).distinct()
    assignees = select(InboxTask.assignee_id).where(InboxTask.instance_id == instance.id,
                                                     InboxTask.assignee_id.is_not(None))
    absent = select(InboxTask.acting_for_id).where(InboxTask.instance_id == instance.id,
                                                   InboxTask.acting_for_id.is_not(None))
    delegates = select(InboxTask.delegated_to_id).where(InboxTask.instance_id == instance.id,
                                                        InboxTask.delegated_to_id.is_not(None))
    rows = ctx.session.execute(select(User.username, User.full_name).where(
        or_(User.username.in_(users), User.id.in_(assignees), User.id.in_(absent),
            User.id.in_(delegates)))).all()
    return {username: name for username, name in rows}


def documents_by_instance(ctx: Ctx, instance_ids: list[int]) -> dict[int, list[Document]]:
    """Issued documents of the given instances, grouped by instance (one query)."""
    grouped: dict[int, list[Document]] = {}
    if instance_ids:
        for doc in ctx.session.execute(select(Document).where(Document.instance_id.in_(instance_ids))
                                       .order_by(Document.id)).scalars():
            assert doc.instance_id is not None  # selected by its instance id
            grouped.setdefault(doc.instance_id, []).append(doc)
    return grouped


def last_completion(ctx: Ctx, instance: Instance, task_name: str) -> dict:
    """The data of a task's latest completion, as the audit trail recorded it ({} when never completed, or
    when that entry is damaged: its data is not interpreted)."""
    latest = audit.entries(ctx.session, AuditEvent.instance_id == instance.id,
                           AuditEvent.action == "task_completed", AuditEvent.task == task_name,
                           newest_first=True, limit=1)
    return dict(latest[0].data) if latest and latest[0].data is not None else {}


def completions(ctx: Ctx, instance: Instance, task_names: Iterable[str]) -> list[dict]:
    """The data of every completion of these tasks, as the audit trail recorded it (a damaged entry as {})."""
    names = sorted(task_names)
    if not names:
        return []
    rows = audit.entries(ctx.session, AuditEvent.instance_id == instance.id,
                         AuditEvent.action == "task_completed", AuditEvent.task.in_(names))
    return [dict(e.data) if e.data is not None else {} for e in rows]


def units(ctx: Ctx) -> list[Unit]:
    return list(ctx.session.execute(select(Unit).order_by(Unit.code)).scalars())


def queue_holders(ctx: Ctx, tasks: list[InboxTask]) -> dict[str, list[User]]:
    """Who may take each open queue task (a task for a role, not yet for a person), by task id: the
    page names them ("Sent to: …") rather than only the role."""
    from processes.usecases.routing import holders

    return {t.id: holders(ctx.session, t.role) for t in tasks
            if t.state == "ready" and t.assignee_id is None and t.role}


def queue_roles(ctx: Ctx, instance_ids: list[int]) -> dict[int, list[str]]:
    """The roles whose queue holds an open task of each instance (no person holds it yet), one query."""
    grouped: dict[int, list[str]] = {}
    if instance_ids:
        rows = ctx.session.execute(select(InboxTask.instance_id, InboxTask.role).where(
            InboxTask.instance_id.in_(instance_ids), InboxTask.state == "ready", InboxTask.assignee_id.is_(None),
            InboxTask.role.is_not(None)).order_by(InboxTask.created_at))
        for instance_id, role in rows:
            if role not in grouped.setdefault(instance_id, []):
                grouped[instance_id].append(role)
    return grouped
