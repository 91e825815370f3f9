"""Read-side queries for the inbox, my submissions and the auditor's pages (no workflow JSON loaded)."""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, not_, or_, select, union

from forms.validate import N_
from processes.catalog import clerical_keys, kind_of
from processes.university_time import start_of_day_utc
from processes.usecases import paging, withheld
from processes.usecases.access import readable_filter, reads_everything, visible_tasks_filter
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


def _inbox_query(ctx: Ctx) -> Select[tuple[InboxTask]]:
    me = ctx.me
    not_own = or_(InboxTask.assignee_id == me.id, Instance.started_by_id != me.id,
                  InboxTask.process_key.in_(clerical_keys()))
    # and the tasks a holder asked this user to prepare (marked "prepare for <holder>" on the page)
    to_prepare = (InboxTask.state == "ready") & (InboxTask.delegated_to_id == me.id)
    # the candidates first, each way by its own index (a person's, a role's queue, asked to prepare): an OR
    # of them over the whole table would read every task
    ready = InboxTask.state == "ready"
    candidates = union(select(InboxTask.id).where(ready, InboxTask.assignee_id == me.id),
                       select(InboxTask.id).where(ready, InboxTask.assignee_id.is_(None),
                                                  InboxTask.role.in_(sorted(me.role_names))),
                       select(InboxTask.id).where(ready, InboxTask.delegated_to_id == me.id))
    return (select(InboxTask).join(Instance, InboxTask.instance_id == Instance.id)
            .where(InboxTask.id.in_(candidates), or_(visible_tasks_filter(me) & not_own, to_prepare)))


# the inbox's order: the nearest deadline first (none last), then the oldest; the id makes the key unique
INBOX_ORDER = paging.Segment(((case((InboxTask.due_at.is_(None), 1), else_=0), False),
                              (func.coalesce(InboxTask.due_at, InboxTask.created_at), False),
                              (InboxTask.created_at, False), (InboxTask.id, False)))


def inbox(ctx: Ctx) -> list[InboxTask]:
    """The user's ready tasks, the most urgent first (all of them: `inbox_page` pages them)."""
    query = _inbox_query(ctx).order_by(*(e for e, _ in INBOX_ORDER.order))
    return list(ctx.session.execute(query).scalars().unique())


def _text(q: str | None, *columns: Any, ids: Any = None) -> ColumnElement[bool] | None:
    """SQL: `q` occurs in one of `columns` (any letter case; % and _ are plain characters), or is the
    number (`ids`, e.g. "#123" or "123")."""
    if not q:
        return None
    number = q.strip().lstrip("#")
    if q.strip().startswith("#") and ids is not None and number.isascii() and number.isdigit():
        return ids == int(number) if 0 < int(number) < 2**31 else false()  # "#123": that case, nothing else
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    terms: list[ColumnElement[bool]] = [c.ilike(like, escape="\\") for c in columns]
    if ids is not None and number.isascii() and number.isdigit() and 0 < int(number) < 2**31:
        terms.append(ids == int(number))
    return or_(*terms)


def _person(q: str) -> Any:
    """SQL: ids of the users whose username or name (in any language) contains `q`."""
    if q.strip().startswith("#"):
        return select(User.id).where(false())
    return select(User.id).where(_text(q, User.username, User.full_name, User.full_name_ru,  # type: ignore[arg-type]
                                       User.full_name_en))


def _numbered(q: str) -> Any:
    """SQL: ids of the instances with a document (or a register entry) whose number contains `q`; only a
    `q` that can be part of a number (one word with a digit: "SC-2026-00042", "00042") is looked for."""
    from storage.models import InformationRequest

    word = q.strip()
    if word.startswith("#") or not any(ch.isdigit() for ch in word) or any(ch.isspace() for ch in word):
        return select(Document.instance_id).where(false())
    docs = select(Document.instance_id).where(_text(q, Document.reg_number))  # type: ignore[arg-type]
    requests = select(InformationRequest.instance_id).where(
        _text(q, InformationRequest.reg_number))  # type: ignore[arg-type]
    return docs.union(requests)


def _case_search(q: str, *columns: Any, person: bool = True, viewer: User | None = None) -> ColumnElement[bool]:
    """SQL over Instance (and `columns`): "#123" is that case alone (its primary key); other text is found in
    the titles, the case's number, a document's or register number, or (with `person`) the submitter."""
    word = q.strip()
    number = word.lstrip("#")
    if word.startswith("#") and number.isascii() and number.isdigit():
        return Instance.id == int(number) if 0 < int(number) < 2**31 else false()
    terms: list[Any] = [_text(q, *columns, ids=Instance.id)]
    if person:  # never the withheld starter of a case (§13.1): a search by name would tell who reported
        terms.append(and_(Instance.started_by_id.in_(_person(q)), not_(withheld.hidden_where(viewer))))
    if any(ch.isdigit() for ch in word) and not any(ch.isspace() for ch in word):
        terms.append(Instance.id.in_(_numbered(q)))
    return or_(*terms)


def inbox_page(ctx: Ctx, q: str | None = None, *, after: paging.Key | None = None,
               before: paging.Key | None = None, limit: int = paging.DEFAULT_LIMIT) -> paging.Page[InboxTask]:
    """A page of the user's ready tasks, the most urgent first; `q` finds a task by its title, its case's
    title or number, or the submitter's name."""
    query = _inbox_query(ctx)
    if q:
        query = query.where(_case_search(q, InboxTask.title, Instance.title, viewer=ctx.user))
    return paging.fetch(ctx.session, query, [INBOX_ORDER], after=after, before=before, limit=limit)


# newest first: submissions, all instances, the instances a caller may read
NEWEST = paging.Segment(((Instance.created_at, True), (Instance.id, True)))


def my_submissions(ctx: Ctx) -> list[Instance]:
    rows = ctx.session.execute(select(Instance).where(Instance.started_by_id == ctx.me.id)
                               .order_by(Instance.created_at.desc(), Instance.id.desc()))
    return list(rows.scalars().unique())


def submissions_page(ctx: Ctx, q: str | None = None, *, after: paging.Key | None = None,
                     before: paging.Key | None = None,
                     limit: int = paging.DEFAULT_LIMIT) -> paging.Page[Instance]:
    """A page of the user's own cases, newest first; `q` finds one by its title or number."""
    query = select(Instance).where(Instance.started_by_id == ctx.me.id)
    if q:
        query = query.where(_case_search(q, Instance.title, person=False))
    return paging.fetch(ctx.session, query, [NEWEST], after=after, before=before, limit=limit)


@dataclass(frozen=True)
class InstanceFilter:
    process: str | None = None
    status: str | None = None
    outcome: str | None = None
    person: str | None = None
    since: date | None = None
    until: date | None = None
    text: str | None = None  # a title, a number (the case's, or its documents'), a person


def _instances_query(flt: InstanceFilter, viewer: User | None = None) -> Select[tuple[Instance]]:
    query = select(Instance)
    if flt.process:
        query = query.where(Instance.process_key == flt.process)
    if flt.status:
        query = query.where(Instance.status == flt.status)
    if flt.outcome:
        query = query.where(Instance.outcome == flt.outcome)
    if flt.person:
        query = query.where(Instance.started_by_id.in_(_person(flt.person)), not_(withheld.hidden_where(viewer)))
    if flt.since:
        query = query.where(Instance.created_at >= start_of_day_utc(flt.since))
    if flt.until:
        query = query.where(Instance.created_at < start_of_day_utc(flt.until + timedelta(days=1)))
    if flt.text:
        query = query.where(_case_search(flt.text, Instance.title, viewer=viewer))
    return query


def all_instances(ctx: Ctx, flt: InstanceFilter, *, after: paging.Key | None = None,
                  before: paging.Key | None = None, limit: int = paging.DEFAULT_LIMIT) -> paging.Page[Instance]:
    """A page of every instance, filtered, newest first; auditors only."""
    require_auditor(ctx)
    return paging.fetch(ctx.session, _instances_query(flt, ctx.user), [NEWEST], after=after, before=before,
                        limit=limit)


def readable_instances(ctx: Ctx, flt: InstanceFilter, *, after: paging.Key | None = None,
                       before: paging.Key | None = None,
                       limit: int = paging.DEFAULT_LIMIT) -> paging.Page[Instance]:
    """A page of the instances the user may read (as the instance page decides), filtered, newest first."""
    query = _instances_query(flt, ctx.user)
    readable = readable_filter(ctx.me)
    if readable is not None:
        query = query.where(readable)
    return paging.fetch(ctx.session, query, [NEWEST], after=after, before=before, limit=limit)


def require_auditor(ctx: Ctx) -> None:
    if ctx.user is None or not reads_everything(ctx.user):
        raise denied(Forbidden(N_("Only auditors may see this.")), "audit", "read")


def verify_audit_trail(ctx: Ctx) -> audit.VerifyResult:
    """Recompute the whole audit chain and name the first entry that was altered; auditors only."""
    require_auditor(ctx)
    return audit.verify(ctx.session)


def timeline(ctx: Ctx, instance: Instance) -> list[audit.Entry]:
    """The instance's audit entries, oldest first; a damaged one is marked, not interpreted.

    The starter of a case whose kind withholds them (a violation report's reporter, §13.1) follows its steps
    and their times, but reads only what they wrote themselves: what others wrote (a unit's explanation, the
    findings) is left out of their timeline, as the case's details leave it out."""
    entries = audit.entries(ctx.session, AuditEvent.instance_id == instance.id)
    user = ctx.user
    if user is None or user.id != instance.started_by_id or not withheld.withholds(instance):
        return entries
    kind = kind_of(instance.process_key)
    if user.role_names & withheld.seers(kind):
        return entries
    return [e if e.actor == withheld.WITHHELD else replace(e, data={}, comment=None) for e in entries]


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


# a clause of the policy as a filter: "§12", "12", "§ 12.3.2" (up to six levels of at most three digits)
_CLAUSE = re.compile(r"^§?\s*([0-9]{1,3}(?:\.[0-9]{1,3}){0,5})$")


def clause_number(text: str) -> str | None:
    """The clause number a filter names ("§12.3" → "12.3"), or None when the text is not a clause number."""
    found = _CLAUSE.match(text.strip())
    return found.group(1) if found else None


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def audit_where(instance: int | None = None, actor: str | None = None, action: str | None = None,
                since: datetime | None = None, until: datetime | None = None, *, object: str | None = None,  # noqa: A002
                clause: str | None = None, person: str | None = None,
                up_to: int | None = None) -> list[ColumnElement[bool]]:
    """SQL over AuditEvent for the audit trail's filters: `actor` a username exactly, `person` a username or
    part of a name (the page's field), `object` a prefix ("user:", "instance:12"), `clause` a clause number
    with its sub-clauses ("12" is §12, §12.1, §12.3.2, not §120), `since`/`until` moments (until exclusive),
    `up_to` the last seq included (an export's snapshot)."""
    where: list[ColumnElement[bool]] = []
    if instance is not None:
        where.append(AuditEvent.instance_id == instance)
    if actor:
        where.append(AuditEvent.actor == actor)
    if person:
        names = select(User.username).where(
            _text(person, User.username, User.full_name, User.full_name_ru, User.full_name_en))  # type: ignore[arg-type]
        where.append(or_(AuditEvent.actor == person.strip(), AuditEvent.actor.in_(names)))
    if action:
        where.append(AuditEvent.action == action)
    if object:
        where.append(AuditEvent.object.like(_like_prefix(object), escape="\\"))
    if clause:
        number = clause_number(clause)
        if number is None:
            where.append(false())
        else:  # the clause itself, or one below it: "§12" and "§12.…", never "§120"
            where.append(or_(AuditEvent.clause.in_((f"§{number}", number)),
                             AuditEvent.clause.like(f"§{number}.%"), AuditEvent.clause.like(f"{number}.%")))
    if since:
        where.append(AuditEvent.at >= since)
    if until:
        where.append(AuditEvent.at < until)
    if up_to is not None:
        where.append(AuditEvent.seq <= up_to)
    return where


CHAIN_ORDER = paging.Segment(((AuditEvent.seq, False),))
NEWEST_ENTRIES = paging.Segment(((AuditEvent.seq, True),))


def audit_page(ctx: Ctx, *, after: paging.Key | None = None, before: paging.Key | None = None,
               limit: int = paging.DEFAULT_LIMIT, newest_first: bool = False,
               **filters: Any) -> paging.Page[audit.Entry]:
    """A page of the audit trail in chain order (or newest first), filtered (`audit_where`); auditors only."""
    require_auditor(ctx)
    query = audit.entries_query(*audit_where(**filters))
    return paging.fetch(ctx.session, query, [NEWEST_ENTRIES if newest_first else CHAIN_ORDER], after=after,
                        before=before, limit=limit, row=audit.row_decoder(ctx.session))


def audit_actions(ctx: Ctx) -> list[str]:
    """The actions the audit trail holds (the events page offers them as a filter); auditors only."""
    require_auditor(ctx)
    return list(ctx.session.execute(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).scalars())


def audit_last_seq(ctx: Ctx) -> int:
    """The seq of the newest entry (0 for an empty trail): an export's snapshot ends there."""
    return int(ctx.session.execute(select(func.coalesce(func.max(AuditEvent.seq), 0))).scalar_one())


def audit_count(ctx: Ctx, **filters: Any) -> int:
    """How many entries match the filters (exactly); auditors only."""
    require_auditor(ctx)
    return int(ctx.session.execute(select(func.count()).select_from(AuditEvent)
                                   .where(*audit_where(**filters))).scalar_one())


def users_by_username(ctx: Ctx, usernames: Iterable[str | None]) -> dict[str, User]:
    """The accounts of these usernames (a page of audit entries names its actors by their full names)."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    return {u.username: u for u in ctx.session.execute(select(User).where(User.username.in_(wanted))).scalars()}


def audit_stream(ctx: Ctx, batch: int = 2000, **filters: Any) -> Iterator[audit.Entry]:
    """Every audit entry matching the filters, in chain order, read a batch at a time by seq (an export
    never stops at a row limit); auditors only (checked at the call, before anything is read)."""
    require_auditor(ctx)
    return _audit_batches(ctx, batch, audit_where(**filters))


def _audit_batches(ctx: Ctx, batch: int, where: list[ColumnElement[bool]]) -> Iterator[audit.Entry]:
    last = 0
    while True:
        rows = audit.entries(ctx.session, AuditEvent.seq > last, *where, limit=batch)
        yield from rows
        if len(rows) < batch or rows[-1].seq is None:
            return
        last = rows[-1].seq


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
    secret = withheld.hidden(ctx.user, instance) and instance.started_by.username  # §13.1
    return {username: name for username, name in rows if username != secret}


def documents_by_instance(ctx: Ctx, instance_ids: list[int]) -> dict[int, list[Document]]:
    """Issued documents of the given instances, grouped by instance (one query)."""
    grouped: dict[int, list[Document]] = {}
    if instance_ids:
        for doc in ctx.session.execute(select(Document).where(Document.instance_id.in_(instance_ids),
                                                              Document.kind != "case_file")  # auditors' only
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
