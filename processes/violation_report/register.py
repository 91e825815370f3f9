"""The register of violation reports (§13.1–13.3) for the head of MCD and auditors: counts by clause and by month,
and the list (paged, and as CSV). Reads only `violation_reports`; it holds no reporter, so neither does the
register."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, false, func, select

from forms.validate import N_
from processes.university_time import date_text, datetime_text, local, start_of_day_utc
from processes.usecases import paging
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, denied
from processes.usecases.exports import neutralise
from processes.violation_report import labels
from storage.models import ViolationReport

READERS = frozenset({"mcd_head", "auditor"})
STATUSES = ("open", "finished")
OUTCOMES = tuple(labels.OUTCOMES)


@dataclass(frozen=True)
class RegisterFilter:
    clause: str | None = None
    status: str | None = None
    outcome: str | None = None
    since: date | None = None  # reported on or after (Almaty date)
    until: date | None = None


def may_read(ctx: Ctx) -> bool:
    return ctx.user is not None and bool(ctx.user.role_names & READERS)


def require_reader(ctx: Ctx) -> None:
    if not may_read(ctx):
        raise denied(Forbidden(N_("Only the head of MCD and auditors may read the register of violation reports.")),
                     "register:violation_reports", "read")


def _finished() -> ColumnElement[bool]:
    return ViolationReport.outcome.is_not(None)


def _segments(status: str | None) -> list[paging.Segment]:
    """Open reports (the latest first), then the finished ones."""
    t = ViolationReport
    order = ((t.reported_at, True), (t.id, True))
    return [paging.Segment(order, false() if status == "finished" else ~_finished()),
            paging.Segment(order, false() if status == "open" else _finished())]


def _query(flt: RegisterFilter) -> Select[tuple[ViolationReport]]:
    t = ViolationReport
    query = select(t)
    if flt.clause:
        query = query.where(t.clause == flt.clause.strip().lstrip("§").strip())
    if flt.status == "open":
        query = query.where(~_finished())
    elif flt.status == "finished":
        query = query.where(_finished())
    if flt.outcome:
        query = query.where(t.outcome == flt.outcome)
    if flt.since:
        query = query.where(t.reported_at >= start_of_day_utc(flt.since))
    if flt.until:
        query = query.where(t.reported_at < start_of_day_utc(flt.until + timedelta(days=1)))
    return query


def search_page(ctx: Ctx, flt: RegisterFilter, *, after: paging.Key | None = None,
                before: paging.Key | None = None, limit: int = paging.DEFAULT_LIMIT) -> paging.Page[ViolationReport]:
    require_reader(ctx)
    return paging.fetch(ctx.session, _query(flt), _segments(flt.status), after=after, before=before, limit=limit)


def every_row(ctx: Ctx, flt: RegisterFilter, batch: int = 500) -> Iterator[ViolationReport]:
    require_reader(ctx)
    query, segments = _query(flt), _segments(flt.status)

    def rows() -> Iterator[ViolationReport]:
        after = None
        while True:
            page: paging.Page[ViolationReport] = paging.fetch(ctx.session, query, segments, after=after,
                                                              limit=batch, counted=False)
            yield from page.items
            if page.next is None:
                return
            after = page.next
    return rows()


@dataclass(frozen=True)
class Counts:
    by_clause: list[tuple[str, int]]  # most reported first
    by_month: list[tuple[str, int]]  # "YYYY-MM" (Almaty), the latest first
    total: int


def counts(ctx: Ctx, flt: RegisterFilter) -> Counts:
    """How many reports, by clause and by month of reporting (university time), under the filter."""
    require_reader(ctx)
    base = _query(flt).subquery()
    by_clause = ctx.session.execute(select(base.c.clause, func.count()).group_by(base.c.clause)).all()
    months: dict[str, int] = {}
    for (moment,) in ctx.session.execute(select(base.c.reported_at)):
        key = local(moment).strftime("%Y-%m")
        months[key] = months.get(key, 0) + 1
    ordered = sorted(((str(c), int(n)) for c, n in by_clause), key=lambda p: (-p[1], _clause_key(p[0])))
    return Counts(ordered, sorted(months.items(), reverse=True), sum(months.values()))


def _clause_key(number: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in number.split("."))


CSV_COLUMNS = (
    ("reg_number", N_("Registration number")), ("reported_at", N_("Reported")), ("clause", N_("Clause breached")),
    ("happened_on", N_("When it happened")), ("published_where", N_("Where it was published")),
    ("assessment", N_("Assessment")), ("measures", N_("Measures taken")), ("referred", N_("Referred to the rector")),
    ("rector_decision", N_("Rector's decision")), ("outcome", N_("Outcome")), ("closed_at", N_("Closed")),
)


def register_csv_stream(rows: Iterable[ViolationReport], gettext=lambda s: s, rows_per_chunk: int = 500
                        ) -> Iterator[str]:
    """The register as CSV (university time, codes as words in gettext's language); no reporter column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([gettext(label) for _, label in CSV_COLUMNS])
    values_of = labels.VALUES
    for n, r in enumerate(rows, 1):
        values = {
            "reg_number": r.reg_number, "reported_at": datetime_text(r.reported_at), "clause": f"§{r.clause}",
            "happened_on": date_text(r.happened_on), "published_where": r.published_where or "",
            "assessment": gettext(values_of["assessment"][r.assessment]) if r.assessment in values_of["assessment"]
            else "",
            "measures": ", ".join(gettext(values_of["measures"][m]) for m in r.measures or []
                                  if m in values_of["measures"]),
            "referred": gettext(N_("Yes")) if r.referred else gettext(N_("No")),
            "rector_decision": gettext(values_of["rector_decision"][r.rector_decision])
            if r.rector_decision in values_of["rector_decision"] else "",
            "outcome": gettext(labels.OUTCOMES[r.outcome]) if r.outcome in labels.OUTCOMES else "",
            "closed_at": datetime_text(r.closed_at) if r.closed_at else "",
        }
        writer.writerow([neutralise(values[c]) for c, _ in CSV_COLUMNS])
        if n % rows_per_chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
