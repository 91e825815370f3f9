"""The administrator's list of cases: every instance, filtered by process, status and text, newest first,
one page at a time (keyset paging on the instance id, which grows with every new case)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select

from processes.usecases.admin import require_admin
from processes.usecases.context import Ctx
from storage.models import Instance, Status, User

STATUSES = (Status.RUNNING.value, Status.COMPLETED.value, Status.CANCELLED.value)
PAGE_SIZE = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class CaseFilter:
    process: str = ""
    status: str = ""
    q: str = ""  # in the title, the submitter's username or name, or the case's number


@dataclass(frozen=True)
class CasePage:
    cases: list[Instance]
    next_before: int | None  # the id to continue before (older cases), None on the last page


def search(ctx: Ctx, flt: CaseFilter, *, before: int | None = None, limit: int = PAGE_SIZE) -> CasePage:
    """One page of every case, newest first (those older than the case `before`); administrators only. An
    unknown process or status simply matches nothing."""
    require_admin(ctx)
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(Instance).join(User, Instance.started_by_id == User.id)
    if flt.process:
        query = query.where(Instance.process_key == flt.process)
    if flt.status:
        query = query.where(Instance.status == flt.status)
    text = " ".join(flt.q.split())[:200]
    if text:
        like = f"%{text}%"
        matches: list[ColumnElement[bool]] = [
            Instance.title.ilike(like), User.username.ilike(like), User.full_name.ilike(like),
            User.full_name_ru.ilike(like), User.full_name_en.ilike(like)]
        number = text.removeprefix("№").removeprefix("No.").strip()
        if number.isdigit() and len(number) < 10:
            matches.append(Instance.id == int(number))
        query = query.where(or_(*matches))
    if before is not None:
        query = query.where(Instance.id < before)
    rows = list(ctx.session.execute(query.order_by(Instance.id.desc()).limit(limit + 1)).scalars().unique())
    return CasePage(rows[:limit], rows[limit - 1].id if len(rows) > limit else None)
