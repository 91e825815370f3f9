"""The register of media inquiries (§7.10, §10.2, §3.8) for MCD, the rector and auditors.

Reads only the `media_inquiries` and `media_asks` tables (one indexed query a page, and one for the page's
units), never workflow state. Open inquiries come first (the latest registered first), then the finished
ones. Each line carries the units asked with their urgency and answer time: on time, late by how much,
or, while still open, overdue by how much.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select

from forms.validate import N_
from processes.media_inquiry import labels
from processes.media_inquiry.release import late_text
from processes.university_time import datetime_text, start_of_day_utc
from processes.usecases import paging
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, denied
from processes.usecases.exports import neutralise
from storage.models import MediaAsk, MediaInquiry, User

READERS = frozenset({"mcd_head", "mcd_specialist", "rector", "auditor"})
STATUSES = ("open", "overdue", "finished")
OUTCOMES = tuple(labels.OUTCOMES)


@dataclass(frozen=True)
class RegisterFilter:
    text: str | None = None
    status: str | None = None  # open | overdue (a unit late now or answered late) | finished
    outcome: str | None = None
    since: date | None = None  # registered on or after (Almaty date)
    until: date | None = None  # registered on or before


@dataclass(frozen=True)
class AskLine:
    """One unit asked, as the register shows it."""

    ask: MediaAsk
    late_seconds: int | None  # answered late by, or (still open) overdue by now; None: on time so far

    @property
    def open_overdue(self) -> bool:
        return self.ask.status == "open" and bool(self.late_seconds)


@dataclass(frozen=True)
class RegisterRow:
    inquiry: MediaInquiry
    asks: list[AskLine] = field(default_factory=list)

    @property
    def late(self) -> bool:
        """A unit answered late, or is overdue now."""
        return any(a.late_seconds for a in self.asks)


def may_read(ctx: Ctx) -> bool:
    return ctx.user is not None and bool(ctx.user.role_names & READERS)


def require_reader(ctx: Ctx) -> None:
    if not may_read(ctx):
        raise denied(Forbidden(N_("Only MCD, the rector and auditors may read the register of media inquiries.")),
                     "register:media_inquiries", "read")


def _finished() -> ColumnElement[bool]:
    return MediaInquiry.outcome.is_not(None)


def _segments(status: str | None) -> list[paging.Segment]:
    """Open inquiries (the latest registered first), then the finished ones; a status no row of a segment can
    pass empties it."""
    t = MediaInquiry
    order = ((t.registered_at, True), (t.id, True))
    return [paging.Segment(order, false() if status == "finished" else ~_finished()),
            paging.Segment(order, false() if status == "open" else _finished())]


def _late_ask(now: datetime) -> ColumnElement[bool]:
    a = MediaAsk
    return exists().where(a.inquiry_id == MediaInquiry.id, or_(
        a.late_seconds > 0, a.overdue.is_(True), and_(a.status == "open", a.due_at <= now)))


def _query(flt: RegisterFilter, now: datetime) -> Select[tuple[MediaInquiry]]:
    t = MediaInquiry
    query = select(t)
    if flt.text:
        like = f"%{flt.text.lower()}%"
        named = select(User.id).where(or_(User.full_name.ilike(like), User.full_name_ru.ilike(like),
                                          User.username.ilike(like)))
        query = query.where(or_(t.reg_number.ilike(like), t.outlet.ilike(like), t.journalist.ilike(like),
                                t.subject.ilike(like), t.search_text.contains(flt.text.lower(), autoescape=True),
                                t.source_id.in_(named)))
    if flt.status == "open":
        query = query.where(~_finished())
    elif flt.status == "finished":
        query = query.where(_finished())
    elif flt.status == "overdue":
        query = query.where(_late_ask(now))
    if flt.outcome:
        query = query.where(t.outcome == flt.outcome)
    if flt.since:
        query = query.where(t.registered_at >= start_of_day_utc(flt.since))
    if flt.until:
        query = query.where(t.registered_at < start_of_day_utc(flt.until + timedelta(days=1)))
    return query


def search_page(ctx: Ctx, flt: RegisterFilter, *, after: paging.Key | None = None,
                before: paging.Key | None = None, limit: int = paging.DEFAULT_LIMIT) -> paging.Page[RegisterRow]:
    """A page of the register in its order (`_segments`), filtered."""
    require_reader(ctx)
    now = ctx.now()
    page: paging.Page[MediaInquiry] = paging.fetch(ctx.session, _query(flt, now), _segments(flt.status),
                                                   after=after, before=before, limit=limit)
    return paging.Page(_rows(ctx, page.items, now), page.next, page.prev, page.count, page.more)


def every_row(ctx: Ctx, flt: RegisterFilter, batch: int = 500) -> Iterator[RegisterRow]:
    """The whole register in its order, filtered, a page at a time (the CSV export); the reader is checked at
    the call."""
    require_reader(ctx)
    now = ctx.now()
    query, segments = _query(flt, now), _segments(flt.status)

    def rows() -> Iterator[RegisterRow]:
        after = None
        while True:
            page: paging.Page[MediaInquiry] = paging.fetch(ctx.session, query, segments, after=after, limit=batch,
                                                           counted=False)
            yield from _rows(ctx, page.items, now)
            if page.next is None:
                return
            after = page.next
    return rows()


def entry(ctx: Ctx, inquiry: MediaInquiry) -> RegisterRow:
    return _rows(ctx, [inquiry], ctx.now())[0]


def _rows(ctx: Ctx, inquiries: list[MediaInquiry], now: datetime) -> list[RegisterRow]:
    by_inquiry: dict[int, list[AskLine]] = {i.id: [] for i in inquiries}
    if inquiries:
        asks = ctx.session.execute(select(MediaAsk).where(MediaAsk.inquiry_id.in_(list(by_inquiry)))
                                   .order_by(MediaAsk.id)).scalars()
        for ask in asks:
            by_inquiry[ask.inquiry_id].append(AskLine(ask, late_of(ask, now)))
    return [RegisterRow(i, by_inquiry[i.id]) for i in inquiries]


def late_of(ask: MediaAsk, now: datetime) -> int | None:
    """How late the unit is: answered late by (its recorded breach), or, still open, overdue by now."""
    if ask.late_seconds:
        return ask.late_seconds
    if ask.status == "open" and now > ask.due_at:
        return int((now - ask.due_at).total_seconds())
    return None


def timing_text(line: AskLine, gettext=lambda s: s) -> str:
    """ "on time", "late by 2 h 15 min", "overdue by …" (still open), or the ask's status, in gettext's language."""
    ask = line.ask
    if ask.status in ("answered", "not_competent"):
        return late_text(line.late_seconds, gettext) if line.late_seconds else gettext(N_("on time"))
    if ask.status == "open" and line.late_seconds:
        from processes.media_inquiry.release import duration_text

        return gettext(N_("overdue by %(time)s")) % {"time": duration_text(line.late_seconds, gettext)}
    return gettext(labels.VALUES["status"].get(ask.status, ask.status))


CSV_COLUMNS = (
    ("reg_number", N_("Registration number")), ("registered_at", N_("Registered")), ("outlet", N_("Outlet")),
    ("journalist", N_("Journalist")), ("subject", N_("Subject (the event or matter)")),
    ("questions", N_("Questions")), ("source", N_("Single source")), ("outlet_deadline", N_("Outlet's deadline")),
    ("units", N_("Units asked")), ("released_at", N_("Released")), ("release_method", N_("How it was given")),
    ("outcome", N_("Outcome")), ("answer_sha256", N_("SHA-256 of the answer")),
)


def register_csv(rows: Iterable[RegisterRow], gettext=lambda s: s, lang: str = "kk") -> str:
    return "".join(register_csv_stream(rows, gettext, lang))


def register_csv_stream(rows: Iterable[RegisterRow], gettext=lambda s: s, lang: str = "kk",
                        rows_per_chunk: int = 500) -> Iterator[str]:
    """The register as CSV (university time; codes as words in gettext's language), a chunk of rows at a time;
    cells a spreadsheet would run as formulas neutralised. Units: "unit — urgency — answered … — on time"
    joined by "; "."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([gettext(label) for _, label in CSV_COLUMNS])
    for n, row in enumerate(rows, 1):
        mi = row.inquiry
        units = []
        for line in row.asks:
            ask = line.ask
            answered = datetime_text(ask.answered_at) if ask.answered_at else "—"
            units.append(" — ".join([ask.unit.name_in(lang), gettext(labels.VALUES["urgency"][ask.urgency]),
                                     f"{gettext(N_('Due'))} {datetime_text(ask.due_at)}",
                                     f"{gettext(N_('Answered'))} {answered}", timing_text(line, gettext)]))
        values = {
            "reg_number": mi.reg_number, "registered_at": datetime_text(mi.registered_at), "outlet": mi.outlet,
            "journalist": mi.journalist, "subject": mi.subject, "questions": "\n".join(
                f"{i}. {q}" for i, q in enumerate(mi.questions or [], 1)),
            "source": mi.source.name_in(lang) if mi.source else "",
            "outlet_deadline": datetime_text(mi.outlet_deadline) if mi.outlet_deadline else "",
            "units": "; ".join(units), "released_at": datetime_text(mi.released_at) if mi.released_at else "",
            "release_method": gettext(labels.VALUES["method"][mi.release_method])
            if mi.release_method in labels.VALUES["method"] else "",
            "outcome": gettext(labels.OUTCOMES[mi.outcome]) if mi.outcome in labels.OUTCOMES else "",
            "answer_sha256": mi.answer_sha256 or "",
        }
        writer.writerow([neutralise(values[c]) for c, _ in CSV_COLUMNS])
        if n % rows_per_chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
