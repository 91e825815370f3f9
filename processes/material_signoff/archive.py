"""The archive of signed-off material (§3.2.3): findable by unit, type, channel and date."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, or_, select

from forms.validate import N_
from processes.usecases import paging
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, denied
from storage.models import SignedOffMaterial

READERS = frozenset({"mcd_specialist", "mcd_head", "rector", "vice_rector", "auditor"})  # §3.2.3

@dataclass(frozen=True)
class ArchiveFilter:
    text: str | None = None
    unit: str | None = None
    material_type: str | None = None
    channel: str | None = None
    since: date | None = None
    until: date | None = None


def require_reader(ctx: Ctx) -> None:
    """MCD staff, management and auditors may search the archive."""
    if ctx.user is None or not ctx.user.role_names & READERS:
        raise denied(Forbidden(N_("Only MCD staff, management and auditors may search the archive.")),
                     "archive", "read")


def search(ctx: Ctx, flt: ArchiveFilter, limit: int = 500) -> list[SignedOffMaterial]:
    """Signed-off materials matching the filter, the latest planned date first."""
    require_reader(ctx)
    order = (SignedOffMaterial.planned_date.desc(), SignedOffMaterial.id.desc())
    return list(ctx.session.execute(_query(flt).order_by(*order).limit(limit)).scalars())


# the latest planned date first; the id makes the key unique
ORDER = paging.Segment(((SignedOffMaterial.planned_date, True), (SignedOffMaterial.id, True)))


def search_page(ctx: Ctx, flt: ArchiveFilter, *, after: paging.Key | None = None, before: paging.Key | None = None,
                limit: int = paging.DEFAULT_LIMIT) -> paging.Page[SignedOffMaterial]:
    """A page of the archive, the latest planned date first."""
    require_reader(ctx)
    return paging.fetch(ctx.session, _query(flt), [ORDER], after=after, before=before, limit=limit)


def _query(flt: ArchiveFilter) -> Select[tuple[SignedOffMaterial]]:
    query = select(SignedOffMaterial)
    if flt.text:
        like = f"%{flt.text}%"
        query = query.where(or_(SignedOffMaterial.title.ilike(like), SignedOffMaterial.reg_number.ilike(like)))
    if flt.unit:
        query = query.where(SignedOffMaterial.unit_code == flt.unit)
    if flt.material_type:
        query = query.where(SignedOffMaterial.material_type == flt.material_type)
    if flt.channel:
        query = query.where(SignedOffMaterial.channel == flt.channel)
    if flt.since:
        query = query.where(SignedOffMaterial.planned_date >= flt.since)
    if flt.until:
        query = query.where(SignedOffMaterial.planned_date <= flt.until)
    return query
