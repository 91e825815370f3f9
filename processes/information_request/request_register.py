"""The register of written information requests (§11) for the registry, the rector and auditors.

Reads only the `information_requests` table (one indexed query), never workflow state. Open requests
past their due date come first, then the other open ones by due date, then the answered ones.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, case, false, or_, select

from forms.validate import N_
from processes.information_request import labels
from processes.university_time import date_text, datetime_text, local_date, start_of_day_utc
from processes.usecases import paging
from processes.usecases.calendar import load_calendar
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, denied
from processes.usecases.exports import neutralise
from storage.models import InformationRequest

READERS = frozenset({"registry_clerk", "rector", "auditor"})
STATUSES = ("open", "overdue", "answered", "to_dispatch")
WITHDRAWN = "withdrawn"  # the outcome of a request its submitter withdrew (instances.WITHDRAWN)
MAX_ROWS = 1000


@dataclass(frozen=True)
class RegisterFilter:
    text: str | None = None
    status: str | None = None  # open | overdue | answered
    outcome: str | None = None
    since: date | None = None  # received on or after (Almaty date)
    until: date | None = None  # received on or before


@dataclass(frozen=True)
class RegisterRow:
    """One line of the register, with what is computed at reading time."""

    request: InformationRequest
    days: int  # working days taken (answered) or elapsed so far (open)
    late: bool  # past the due date: answered late, or open and overdue now
    waiting_for_payment: timedelta | None  # how long the printed copy has waited for payment

    @property
    def due_day(self) -> date:
        """The last day of the term (the deadline is the end of this day, Asia/Almaty)."""
        return due_day_of(self.request)


def due_day_of(req: InformationRequest) -> date:
    return local_date(req.due_at - timedelta(seconds=1))


def may_read(ctx: Ctx) -> bool:
    return ctx.user is not None and bool(ctx.user.role_names & READERS)


def require_reader(ctx: Ctx) -> None:
    if not may_read(ctx):
        raise denied(Forbidden(N_("Only the registry, the rector and auditors may read the register.")),
                     "register:information_requests", "read")


def search(ctx: Ctx, flt: RegisterFilter, limit: int = MAX_ROWS) -> list[RegisterRow]:
    """The register, overdue open requests first."""
    require_reader(ctx)
    now = ctx.now()
    t = InformationRequest
    query = _query(flt, now)
    pending = _pending()
    bucket = case((pending & (t.due_at <= now), 0), (pending, 1), else_=2)
    query = query.order_by(bucket, case((pending, t.due_at), else_=None),
                           t.received_at.desc(), t.id.desc()).limit(limit)
    calendar = load_calendar(ctx)
    return [_row(req, calendar, now) for req in ctx.session.execute(query).scalars()]


def _pending() -> ColumnElement[bool]:
    """SQL: a request still waiting for its answer: not answered, and not withdrawn (those are closed)."""
    t = InformationRequest
    return t.answered_at.is_(None) & or_(t.outcome.is_(None), t.outcome != WITHDRAWN)


def _segments(now: datetime, status: str | None = None) -> list[paging.Segment]:
    """The register's order as three segments read one after another, each by its own index: open requests
    past their due date (the most overdue first), the other open ones (the nearest due date first), then
    the answered and withdrawn ones (the latest received first). A status filter that no row of a segment
    can pass empties it (`false()`: not read at all, instead of walking its index for nothing)."""
    t = InformationRequest
    by_due = ((t.due_at, False), (t.id, False))
    answered_only = status in ("answered", "to_dispatch")
    return [paging.Segment(by_due, false() if answered_only else _pending() & (t.due_at <= now)),
            paging.Segment(by_due, false() if answered_only else _pending() & (t.due_at > now)),
            paging.Segment(((t.received_at, True), (t.id, True)), false() if status == "open" else ~_pending())]


def search_page(ctx: Ctx, flt: RegisterFilter, *, after: paging.Key | None = None,
                before: paging.Key | None = None, limit: int = paging.DEFAULT_LIMIT) -> paging.Page[RegisterRow]:
    """A page of the register in its order (`_segments`), filtered."""
    require_reader(ctx)
    now = ctx.now()
    page: paging.Page[InformationRequest] = paging.fetch(ctx.session, _query(flt, now), _segments(now, flt.status),
                                                         after=after, before=before, limit=limit)
    calendar = load_calendar(ctx)
    return paging.Page([_row(req, calendar, now) for req in page.items], page.next, page.prev, page.count, page.more)


def every_row(ctx: Ctx, flt: RegisterFilter, batch: int = 500) -> Iterator[RegisterRow]:
    """The whole register in its order, filtered, read a page at a time (the CSV export: no row limit);
    the reader is checked at the call."""
    require_reader(ctx)
    now = ctx.now()
    calendar = load_calendar(ctx)
    query, segments = _query(flt, now), _segments(now, flt.status)

    def rows() -> Iterator[RegisterRow]:
        after = None
        while True:
            page: paging.Page[InformationRequest] = paging.fetch(ctx.session, query, segments, after=after,
                                                                 limit=batch, counted=False)
            yield from (_row(req, calendar, now) for req in page.items)
            if page.next is None:
                return
            after = page.next
    return rows()


def _query(flt: RegisterFilter, now: datetime) -> Select[tuple[InformationRequest]]:
    t = InformationRequest
    query = select(t)
    if flt.text:
        like = f"%{flt.text.lower()}%"
        query = query.where(or_(t.reg_number.ilike(like), t.requester_name.ilike(like), t.subject.ilike(like)))
    pending = _pending()
    if flt.status == "open":
        query = query.where(pending)
    elif flt.status == "overdue":
        query = query.where(or_(t.overdue.is_(True), pending & (t.due_at <= now)))
    elif flt.status == "answered":
        query = query.where(t.answered_at.is_not(None))
    elif flt.status == "to_dispatch":
        query = query.where(t.answered_at.is_not(None), t.dispatched_at.is_(None))
    if flt.outcome:
        query = query.where(t.outcome == flt.outcome)
    if flt.since:
        query = query.where(t.received_at >= start_of_day_utc(flt.since))
    if flt.until:
        query = query.where(t.received_at < start_of_day_utc(flt.until + timedelta(days=1)))
    return query


def entry(ctx: Ctx, req: InformationRequest) -> RegisterRow:
    """One request's line of the register, as the register shows it now."""
    return _row(req, load_calendar(ctx), ctx.now())


def _row(req: InformationRequest, calendar, now: datetime) -> RegisterRow:
    if req.answered_at is not None:
        days, late = req.days_taken or 0, bool(req.overdue)
    elif req.outcome == WITHDRAWN:  # closed by its submitter: its clock stopped, it is not late
        days, late = req.days_taken or 0, False
    else:
        days, late = calendar.working_days_between(local_date(req.received_at), local_date(now)), req.due_at <= now
    waiting = None
    if req.payment_requested_at is not None:
        waiting = (req.payment_settled_at or now) - req.payment_requested_at
    return RegisterRow(req, days, late, waiting)


CSV_COLUMNS = (
    ("reg_number", N_("Registration number")), ("requester_name", N_("Requester")),
    ("requester_kind", N_("Kind of requester")), ("email", N_("E-mail")), ("postal_address", N_("Postal address")),
    ("subject", N_("Subject")), ("form", N_("Wanted form")), ("language", N_("Language")),
    ("received_at", N_("Received")), ("due_at", N_("Due date")), ("answered_at", N_("Answered")),
    ("outcome", N_("Outcome")), ("ground", N_("Ground for refusal")), ("days", N_("Working days taken")),
    ("late", N_("Overdue")), ("overdue_hours", N_("Breach, hours")), ("cost", N_("Cost, tenge")),
    ("payment_status", N_("Payment")), ("dispatched_at", N_("Dispatched")), ("dispatch_method", N_("Sent by")),
    ("tracking_number", N_("Tracking number")),
)


# the coded columns and their labels (the process's own, processes/information_request/labels.py)
CSV_LABELS = {
    "requester_kind": labels.VALUES["requester_kind"], "form": labels.VALUES["form"],
    "language": labels.VALUES["language"], "outcome": labels.OUTCOMES, "ground": labels.VALUES["ground"],
    "payment_status": labels.VALUES["status"], "dispatch_method": labels.VALUES["method"],
}


def register_csv(rows: Iterable[RegisterRow], gettext=lambda s: s) -> str:
    """The register as CSV (university time), cells a spreadsheet would run as formulas neutralised."""
    return "".join(register_csv_stream(rows, gettext))


def register_csv_stream(rows: Iterable[RegisterRow], gettext=lambda s: s, rows_per_chunk: int = 500) -> Iterator[str]:
    """`register_csv` a chunk of rows at a time, for a register of any length."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([gettext(label) for _, label in CSV_COLUMNS])
    for n, row in enumerate(rows, 1):
        req = row.request
        values = {c: getattr(req, c, None) for c, _ in CSV_COLUMNS}
        for name in ("received_at", "answered_at", "dispatched_at"):
            moment = getattr(req, name)
            values[name] = _local_text(moment) if moment else ""
        values["due_at"] = date_text(row.due_day)  # the last day of the term
        values["days"] = row.days
        values["late"] = gettext(N_("yes") if row.late else N_("no"))
        for column, table in CSV_LABELS.items():  # codes become labels in the CSV's language
            code = values[column]
            values[column] = gettext(table[code]) if isinstance(code, str) and code in table else code
        values["overdue_hours"] = round(req.overdue_seconds / 3600, 1) if req.overdue_seconds else ""
        values["cost"] = f"{req.cost:.2f}" if req.cost is not None else ""
        writer.writerow([neutralise(values[c]) for c, _ in CSV_COLUMNS])
        if n % rows_per_chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _local_text(moment: datetime) -> str:
    return datetime_text(moment)
