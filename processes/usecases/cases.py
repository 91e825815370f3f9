"""The administrator's list of cases: every instance, filtered by process, status and text, newest first,
one page at a time (the shared keyset paging on the instance id, which grows with every new case)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, not_, or_, select

from processes.catalog import kinds
from processes.usecases import paging, withheld
from processes.usecases.admin import require_admin
from processes.usecases.context import Ctx
from storage.models import Instance, Status, User

STATUSES = (Status.RUNNING.value, Status.COMPLETED.value, Status.CANCELLED.value)
PAGE_SIZE = paging.DEFAULT_LIMIT


@dataclass(frozen=True)
class CaseFilter:
    process: str = ""
    status: str = ""
    q: str = ""  # in the title, the submitter's username or name, or the case's number


NEWEST = paging.Segment(((Instance.id, True),))  # the id grows with every new case: newest first


def search(ctx: Ctx, flt: CaseFilter, *, after: paging.Key | None = None, before: paging.Key | None = None,
           limit: int = PAGE_SIZE) -> paging.Page[Instance]:
    """One page of every case, newest first (the shared keyset paging, with its count); administrators only.
    An unknown process or status simply matches nothing."""
    require_admin(ctx)
    query = select(Instance).join(User, Instance.started_by_id == User.id)
    if flt.process:
        query = query.where(Instance.process_key == flt.process)
    if flt.status:
        query = query.where(Instance.status == flt.status)
    text = " ".join(flt.q.split())[:200]
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches: list[ColumnElement[bool]] = [
            column.ilike(like, escape="\\") for column in (Instance.title, User.username, User.full_name,
                                                           User.full_name_ru, User.full_name_en)]
        number = text.removeprefix("№").removeprefix("No.").strip()
        if number.isdigit() and len(number) < 10:
            matches.append(Instance.id == int(number))
        query = query.where(or_(*matches))
        if any(k for k, kind in kinds().items() if kind.withholds_starter):
            # a withheld reporter (§13.1) is found by the title or number of the case, never by their name
            person = or_(*matches[1:5])
            query = query.where(or_(not_(person), not_(withheld.hidden_where(ctx.user)),
                                    or_(matches[0], *matches[5:])))
    return paging.fetch(ctx.session, query, [NEWEST], after=after, before=before, limit=limit)
