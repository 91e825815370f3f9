"""The register of website change requests (§9.5, §9.8): MCD and auditors read every unit's, a unit head their
own unit's; open requests first (the soonest wanted first), then the finished ones. And the yearly reminder to
each unit head to review the unit's pages (§9.6), which the worker runs (`flag_reviews`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, Select, false, func, select

from forms.validate import N_
from processes.university_time import today_local
from processes.usecases import notifications, paging
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, denied
from processes.usecases.units import head_of, headed_unit_ids
from processes.website_change.kind import KEY, READERS, unit_pages
from storage import audit
from storage.models import Unit, WebsiteChange, WebsitePage, WebsiteReview

OPEN = ("requested", "consented")
STATUSES = ("open", "finished")
REVIEW_AFTER = timedelta(days=365)
CLAUSE = "§9.6"


@dataclass(frozen=True)
class RegisterFilter:
    status: str | None = None  # open | finished
    section: str | None = None


def reads_all(ctx: Ctx) -> bool:
    return ctx.user is not None and bool(ctx.user.role_names & READERS)


def may_read(ctx: Ctx) -> bool:
    return reads_all(ctx) or (ctx.user is not None and bool(headed_unit_ids(ctx.user)))


def require_reader(ctx: Ctx) -> None:
    if not may_read(ctx):
        raise denied(Forbidden(N_("Only MCD, auditors and unit heads may read the website changes.")),
                     "register:website_changes", "read")


def _open() -> ColumnElement[bool]:
    return WebsiteChange.status.in_(OPEN)


def _segments(status: str | None) -> list[paging.Segment]:
    t = WebsiteChange
    return [paging.Segment(((t.wanted_on, False), (t.id, False)), false() if status == "finished" else _open()),
            paging.Segment(((t.submitted_at, True), (t.id, True)), false() if status == "open" else ~_open())]


def _query(ctx: Ctx, flt: RegisterFilter) -> Select[tuple[WebsiteChange]]:
    query = select(WebsiteChange)
    if not reads_all(ctx):
        assert ctx.user is not None
        query = query.where(WebsiteChange.unit_id.in_(headed_unit_ids(ctx.user)))
    if flt.section:
        query = query.where(WebsiteChange.section == flt.section)
    return query


def search_page(ctx: Ctx, flt: RegisterFilter, *, after: paging.Key | None = None, before: paging.Key | None = None,
                limit: int = paging.DEFAULT_LIMIT) -> paging.Page[WebsiteChange]:
    require_reader(ctx)
    return paging.fetch(ctx.session, _query(ctx, flt), _segments(flt.status), after=after, before=before,
                        limit=limit)


# --- the yearly review (§9.6) ----------------------------------------------------------------------

def flag_reviews(ctx: Ctx) -> int:
    """Remind each unit head once a year to review the unit's pages on the site (§9.6): a unit is due when it has
    pages, none of them was published through Kelisim for a year, and its head was not reminded for a year. The
    notice links to a new request pre-filled with the pages. Returns how many units were reminded."""
    now = ctx.now()
    last_change = today_local(now) - REVIEW_AFTER
    stale = select(WebsitePage.unit_id).group_by(WebsitePage.unit_id).having(
        func.max(WebsitePage.updated_on) <= last_change)
    recent = select(WebsiteReview.unit_id).where(WebsiteReview.flagged_at > now - REVIEW_AFTER)
    units = list(ctx.session.execute(select(Unit).where(Unit.id.in_(stale), Unit.id.not_in(recent))
                                     .order_by(Unit.id)).scalars())
    for unit in units:
        head = head_of(ctx, unit)
        pages = [p.address for p in unit_pages(ctx, unit)]
        ctx.session.add(WebsiteReview(unit_id=unit.id, head_id=head.id if head else None, flagged_at=now,
                                      pages=pages))
        if head is not None:
            notifications.notify(ctx, head.id, None, "website_review_due", process=KEY,
                                 title=unit.name_in(head.locale or "kk"), unit=unit.code)
        audit.append(ctx.session, ctx.actor, "website_review_flagged", object=f"unit:{unit.code}", clause=CLAUSE,
                     request_id=ctx.request_id,
                     data={"unit": unit.code, "pages": pages, "told": head.username if head else None})
    ctx.session.flush()
    return len(units)
