"""MCD's calendar of events (§7.4, §7.6) and a unit's own notices, by month.

MCD (the head of MCD and its specialists) and auditors see every accepted event (accepted, or covered
already) of the month, whichever unit holds it; anyone else with a unit sees their own unit's notices of the
month, whatever their state (a unit head and its members alike). Months are Almaty months: an event belongs to
the day it starts on in university time.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, select

from forms.validate import N_, Message
from processes.university_time import local_date, start_of_day_utc, today_local
from processes.usecases import paging
from processes.usecases.access import reads_everything
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, Invalid
from storage.models import EventNotice, Instance, Unit

MCD_ROLES = frozenset({"mcd_head", "mcd_specialist"})
ACCEPTED = ("accepted", "covered")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next(self) -> Month:
        return Month(self.year + (self.month == 12), self.month % 12 + 1)

    @property
    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Calendar:
    month: Month
    scope: str  # "mcd": every accepted event; "unit": the user's unit's notices
    unit: Unit | None
    days: list[tuple[date, list[EventNotice]]]  # the days of the month that have events, in order
    today: date
    openable: frozenset[int]  # the instances among them whose page the user may open

    def opens(self, row: EventNotice) -> bool:
        return self.scope == "mcd" or row.instance_id in self.openable

    @property
    def count(self) -> int:
        return sum(len(rows) for _, rows in self.days)


def parse_month(text: str | None, now: datetime) -> Month:
    """`YYYY-MM`, or the current Almaty month when absent."""
    if not text:
        today = today_local(now)
        return Month(today.year, today.month)
    found = _MONTH.match(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or not 2000 <= int(found.group(1)) <= 2200:
        raise Invalid({"month": Message(N_("Give the month as YYYY-MM."))})
    return Month(int(found.group(1)), int(found.group(2)))


def scope_of(ctx: Ctx) -> tuple[str, Unit | None]:
    me = ctx.me
    if me.role_names & MCD_ROLES or reads_everything(me):
        return "mcd", None
    if me.unit is None:
        raise Forbidden(N_("Only MCD and the members of a unit see event notices."))
    return "unit", me.unit


def _visible(ctx: Ctx, month: Month | None) -> tuple[str, Unit | None, Select[tuple[EventNotice]]]:
    """What the user sees (`scope_of`), of one month or of every month."""
    scope, unit = scope_of(ctx)
    query = select(EventNotice)
    if month is not None:
        query = query.where(EventNotice.starts_at >= start_of_day_utc(month.first),
                            EventNotice.starts_at < start_of_day_utc(month.next.first))
    if scope == "mcd":
        query = query.where(EventNotice.status.in_(ACCEPTED))
    else:
        assert unit is not None
        query = query.where(EventNotice.unit_id == unit.id)
    return scope, unit, query


ORDER = paging.Segment(order=((EventNotice.starts_at, False), (EventNotice.id, False)))


def notices_page(ctx: Ctx, month: Month | None, *, after: paging.Key | None = None,
                 before: paging.Key | None = None, limit: int = paging.DEFAULT_LIMIT) -> paging.Page[EventNotice]:
    """A page of the notices the user sees (the JSON API), by the time they start, of a month or of all."""
    _scope, _unit, query = _visible(ctx, month)
    return paging.fetch(ctx.session, query, [ORDER], after=after, before=before, limit=limit)


def month_calendar(ctx: Ctx, month: Month) -> Calendar:
    scope, unit, query = _visible(ctx, month)
    by_day: dict[date, list[EventNotice]] = defaultdict(list)
    for row in ctx.session.execute(query.order_by(EventNotice.starts_at, EventNotice.id)).scalars():
        by_day[local_date(row.starts_at)].append(row)
    ids = [row.instance_id for rows in by_day.values() for row in rows]
    openable: frozenset[int] = frozenset()
    if ids and scope == "unit":
        openable = frozenset(ctx.session.execute(select(Instance.id).where(
            Instance.id.in_(ids), Instance.started_by_id == ctx.me.id)).scalars())
    return Calendar(month=month, scope=scope, unit=unit, days=sorted(by_day.items()), today=today_local(ctx.now()),
                    openable=openable)
