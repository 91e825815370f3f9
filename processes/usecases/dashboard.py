"""Deadlines at a glance (issue 14, part 7): for MCD, the rector's office and auditors, as of now,

1. the open cases of each process on the working-day clock: overdue (the deadline passed), due soon (due by
   the end of the second working day after today, university calendar), on time (due later) and without a
   deadline — one grouped query over the running instances, never their rows;
2. the breaches of the last 12 months (Almaty months, the current one included), per process: a case is a
   breach in the month of its deadline's last day when it was completed after its deadline or is still
   running past it — one grouped query;
3. the median time of each step (a human task), per process and task, over the tasks completed in the last
   90 days: elapsed (calendar) hours from the task's creation to its completion, with the number of tasks.

Nobody else may read it (Forbidden, audited as a denial like every refusal). No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, extract, func, select

from forms.validate import N_, Message
from processes import catalog
from processes.university_time import end_of_day_utc, start_of_day_utc, today_local
from processes.usecases.access import reads_everything
from processes.usecases.calendar import load_calendar
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, Invalid, denied
from storage.models import InboxTask, Instance, Status, TaskState

READERS = frozenset({"mcd_head", "mcd_specialist", "rector"})  # and whoever reads everything (auditors)
SOON_WORKING_DAYS = 2
MONTHS = 12
STEP_DAYS = 90


@dataclass(frozen=True)
class OpenCases:
    """The running cases of one process by where they stand against their deadline."""

    process: str
    overdue: int = 0
    due_soon: int = 0
    on_time: int = 0
    no_deadline: int = 0

    @property
    def total(self) -> int:
        return self.overdue + self.due_soon + self.on_time + self.no_deadline


@dataclass(frozen=True)
class StepTime:
    process: str
    task: str  # inbox_tasks.name, the BPMN task's id
    median_hours: float  # elapsed hours, creation to completion
    count: int


@dataclass
class Dashboard:
    as_of: datetime
    soon_until: datetime  # due soon: the deadline falls after `as_of` and at or before this moment
    processes: list[str]  # the processes shown, in the catalog's order
    open: list[OpenCases]
    months: list[date]  # the first day of each of the last 12 months, oldest first
    breaches: dict[str, list[int]] = field(default_factory=dict)  # process -> a count per month of `months`
    steps: list[StepTime] = field(default_factory=list)
    step_since: datetime | None = None

    def breaches_per_month(self) -> list[int]:
        return [sum(counts[k] for counts in self.breaches.values()) for k in range(len(self.months))]


def may_read(ctx: Ctx) -> bool:
    user = ctx.user
    return user is not None and user.is_active and (bool(user.role_names & READERS) or reads_everything(user))


def require_reader(ctx: Ctx) -> None:
    if not may_read(ctx):
        raise denied(Forbidden(N_("Only MCD, the rector's office and auditors may see the deadlines dashboard.")),
                     "dashboard", "read")


def figures(ctx: Ctx, process: str | None = None) -> Dashboard:
    """Every figure of the dashboard as of `ctx.now()`, of one process or of all."""
    require_reader(ctx)
    known = sorted(catalog.kinds(), key=lambda k: (catalog.kinds()[k].order, k))
    if process is not None and process not in known:
        raise Invalid({"process": Message(N_("Unknown process: %(key)s."), {"key": process})})
    shown = [process] if process else known
    now = ctx.now()
    today = today_local(now)
    soon_until = end_of_day_utc(load_calendar(ctx).add_working_days(today, SOON_WORKING_DAYS))
    months = last_months(today)
    since = now - timedelta(days=STEP_DAYS)
    return Dashboard(as_of=now, soon_until=soon_until, processes=shown, months=months,
                     open=open_cases(ctx, shown, now, soon_until), breaches=breaches(ctx, shown, months, now),
                     steps=step_times(ctx, shown, since, now), step_since=since)


def last_months(today: date, n: int = MONTHS) -> list[date]:
    """The first days of the `n` months up to and including today's, oldest first."""
    year, month = today.year, today.month
    out = []
    for _ in range(n):
        out.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def open_cases(ctx: Ctx, processes: list[str], now: datetime, soon_until: datetime) -> list[OpenCases]:
    """One grouped query over the running instances (ix_instances_running_due, migration 0019: on
    PostgreSQL an index-only scan of the running cases' (process, due_at), no table rows read)."""
    i = Instance

    def count_when(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (select(i.process_key, count_when(i.due_at.is_(None)), count_when(i.due_at < now),
                    count_when(and_(i.due_at >= now, i.due_at <= soon_until)), func.count())
             .where(i.status == Status.RUNNING.value, i.process_key.in_(processes))
             .group_by(i.process_key))
    found = {key: OpenCases(key, overdue=int(late), due_soon=int(soon), no_deadline=int(none),
                            on_time=int(total) - int(late) - int(soon) - int(none))
             for key, none, late, soon, total in ctx.session.execute(query)}
    return [found.get(key, OpenCases(key)) for key in processes]


def breaches(ctx: Ctx, processes: list[str], months: list[date], now: datetime) -> dict[str, list[int]]:
    """Breaches per process and month, counted in SQL (grouped by process and month; no case row is read).

    The month is that of the deadline's last day in Almaty (processes.university_time.deadline_day): a
    deadline is stored as the instant the last day ends, the next local midnight, so month k holds the
    deadlines d with start(k) < d <= start(k+1), start(k) being the first local midnight of month k as an
    exact UTC instant from the zone database (processes.university_time). A CASE over those 13 instants
    numbers the month; no dialect's month or time-zone function is needed (the zone's offset history stays
    in Python, and SQLite and PostgreSQL count alike). The window and the breach condition read only the
    partial index ix_instances_late (migration 0019) on PostgreSQL."""
    bounds = [start_of_day_utc(m) for m in months] + [start_of_day_utc(_next_month(months[-1]))]
    i = Instance
    month = case(*((i.due_at <= bounds[k + 1], k) for k in range(len(months))), else_=-1).label("month")
    late = (select(i.process_key.label("process"), month)
            .where(i.due_at.is_not(None), i.completed_at.is_(None) | (i.completed_at > i.due_at),  # the index's
                   i.due_at > bounds[0], i.due_at <= bounds[-1],
                   i.due_at < func.coalesce(i.completed_at, now), i.process_key.in_(processes))
            .subquery())
    out = {key: [0] * len(months) for key in processes}
    for key, k, n in ctx.session.execute(select(late.c.process, late.c.month, func.count())
                                         .group_by(late.c.process, late.c.month)):
        if key in out and 0 <= k < len(months):
            out[key][k] = int(n)
    return out


def step_times(ctx: Ctx, processes: list[str], since: datetime, now: datetime) -> list[StepTime]:
    """The median elapsed time of each step completed since `since`, per process and task, with the count,
    computed in SQL: percentile_cont on PostgreSQL; on SQLite (no percentile function) the middle row(s) of
    each group picked with window functions."""
    t = InboxTask
    where = (t.state == TaskState.COMPLETED.value, t.completed_at.is_not(None), t.completed_at >= since,
             t.completed_at <= now, t.process_key.in_(processes))
    if ctx.session.get_bind().dialect.name == "postgresql":
        epoch = extract("epoch", t.completed_at - t.created_at)
        query = (select(t.process_key, t.name, func.percentile_cont(0.5).within_group(epoch), func.count())
                 .where(*where).group_by(t.process_key, t.name))
        rows = list(ctx.session.execute(query))
    else:
        seconds = (func.julianday(t.completed_at) - func.julianday(t.created_at)) * 86400.0
        ranked = (select(t.process_key.label("process"), t.name.label("name"), seconds.label("s"),
                         func.row_number().over(partition_by=(t.process_key, t.name), order_by=seconds).label("k"),
                         func.count().over(partition_by=(t.process_key, t.name)).label("n"))
                  .where(*where).subquery())
        # the middle row of an odd count, the mean of the two middle rows of an even one
        middle = ranked.c.k.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
        rows = list(ctx.session.execute(select(ranked.c.process, ranked.c.name, func.avg(ranked.c.s),
                                               func.max(ranked.c.n))
                                        .where(middle).group_by(ranked.c.process, ranked.c.name)))
    order = {key: k for k, key in enumerate(processes)}
    steps = [StepTime(key, name, max(float(median or 0), 0.0) / 3600, int(n)) for key, name, median, n in rows]
    return sorted(steps, key=lambda s: (order.get(s.process, len(order)), -s.median_hours, s.task))
