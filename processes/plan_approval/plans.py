"""Plans and regulations the rector approves (§7.1): the PR plan (the programme of information occasions) and
the website regulation. Here: checking MCD's draft, making the version in force when the rector approves it
(the one before superseded, every version kept), comparing two versions item by item (a regulation word by
word), which plan items happened (a linked event notice or media inquiry completed, or MCD's mark), and MCD's
mark."""
from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forms.validate import N_, Message
from processes.textdiff import word_diff
from processes.university_time import today_local
from processes.usecases import paging
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, Invalid, NotFound, denied
from storage import audit
from storage.models import Instance, MediaInquiry, PlanItemMark, PlanVersion, Unit

KEY = "plan_approval"
CLAUSE = "§7.1"
PLAN = "pr_plan"
REGULATION = "website_regulation"
KINDS = (PLAN, REGULATION)
CHANNELS = ("website", "social", "press", "tv", "radio", "event", "other")
MCD_ROLES = frozenset({"mcd_specialist", "mcd_head"})
READERS = MCD_ROLES | {"rector", "vice_rector", "auditor"}
# the outcome of a linked case that means the occasion happened
HAPPENED = {"event_notice": "covered", "media_inquiry": "released"}


def _error(field: str, msgid: str, **params: Any) -> dict[str, Message]:
    return {field: Message(msgid, params)}


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def parse_date(value: Any) -> date | None:
    """An ISO date as the draft holds it, or None."""
    return _date(value)


def item_key(occasion: str) -> str:
    """An item's identity across versions: its occasion's wording, spaces and case aside."""
    normal = " ".join(str(occasion).split()).casefold()
    return hashlib.sha256(normal.encode()).hexdigest()[:16]


def month_bounds(month: str) -> tuple[date, date]:
    year, number = (int(p) for p in month.split("-"))
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


# --- reading ---------------------------------------------------------------------------------------------

def may_read(ctx: Ctx) -> bool:
    return ctx.user is not None and bool(ctx.user.role_names & (READERS | {"admin"}))


def require_reader(ctx: Ctx) -> None:
    if not may_read(ctx):
        raise denied(Forbidden(N_("Only MCD, management and auditors see the plans.")), "plans", "read")


def may_mark(ctx: Ctx) -> bool:
    return ctx.user is not None and bool(ctx.user.role_names & MCD_ROLES)


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(N_("No such kind of plan."))
    return kind


def in_force(session: Session, kind: str) -> PlanVersion | None:
    """The version of a kind in force: the latest approved one, or None before the first."""
    return session.execute(select(PlanVersion).where(PlanVersion.kind == kind)
                           .order_by(PlanVersion.number.desc()).limit(1)).scalar_one_or_none()


def version(ctx: Ctx, kind: str, number: int) -> PlanVersion:
    require_reader(ctx)
    if not 0 < number < 2**31:
        raise NotFound(N_("No version %(n)s of this plan."), n=number)
    found = ctx.session.execute(select(PlanVersion).where(PlanVersion.kind == check_kind(kind),
                                                          PlanVersion.number == number)).scalar_one_or_none()
    if found is None:
        raise NotFound(N_("No version %(n)s of this plan."), n=number)
    return found


def version_page(ctx: Ctx, kind: str, *, after=None, before=None,
                 limit: int = paging.DEFAULT_LIMIT) -> paging.Page[PlanVersion]:
    """Every version of a kind, newest first."""
    require_reader(ctx)
    segments = (paging.Segment(order=((PlanVersion.number, True),), where=PlanVersion.kind == check_kind(kind)),)
    return paging.fetch(ctx.session, select(PlanVersion), segments, after=after, before=before, limit=limit)


# --- the draft ---------------------------------------------------------------------------------------------

def check_draft(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """MCD's draft checked and normalised: a plan keeps its period and items, a regulation its text and files;
    422 with a message per field otherwise."""
    from processes.usecases import files

    kind = data.get("kind")
    base = {"kind": kind, "title": " ".join(str(data.get("title") or "").split()),
            "note": str(data.get("note") or "").strip()}
    if kind == REGULATION:
        text = str(data.get("text") or "").strip()
        file_ids = [i for i in data.get("file_ids") or [] if isinstance(i, int)]
        errors: dict[str, Message] = {}
        if not text:
            errors |= _error("text", N_("Give the text of the regulation."))
        if not file_ids:
            errors |= _error("file_ids", N_("Attach the regulation's document file."))
        bad = files.unknown_file(ctx, instance.id, file_ids)
        if bad is not None:
            errors |= _error("file_ids", N_("Unknown file: %(id)s."), id=bad)
        if errors:
            raise Invalid(errors)
        return {**base, "text": text, "file_ids": file_ids, "items": [], "period_start": None, "period_end": None}
    start, end = _date(data.get("period_start")), _date(data.get("period_end"))
    errors = {}
    if start is None:
        errors |= _error("period_start", N_("Give the first day of the plan's period."))
    if end is None:
        errors |= _error("period_end", N_("Give the last day of the plan's period."))
    if start and end and end < start:
        errors |= _error("period_end", N_("The period ends before it starts."))
    rows = data.get("items") or []
    if not rows:
        errors |= _error("items", N_("A plan needs at least one item."))
    if errors:
        raise Invalid(errors)
    assert start is not None and end is not None
    items = [_check_item(ctx, n, row, start, end, errors) for n, row in enumerate(rows)]
    seen: dict[str, int] = {}
    for n, item in enumerate(items):
        if item["key"] in seen:
            errors |= _error(f"items.{n}.occasion", N_("The same occasion is item %(n)s already."),
                             n=seen[item["key"]] + 1)
        seen.setdefault(item["key"], n)
    if errors:
        raise Invalid(errors)
    items.sort(key=lambda i: (i["month"], i["date"] or "9999", i["occasion"].casefold()))
    return {**base, "period_start": start.isoformat(), "period_end": end.isoformat(), "items": items,
            "text": "", "file_ids": []}


def _check_item(ctx: Ctx, n: int, row: dict[str, Any], start: date, end: date,
                errors: dict[str, Message]) -> dict[str, Any]:
    from processes import catalog

    at = f"items.{n}."
    occasion = " ".join(str(row.get("occasion") or "").split())
    day = _date(row.get("date"))
    month = str(row.get("month") or "").strip()
    if day is not None:
        if not start <= day <= end:
            errors |= _error(at + "date", N_("The date is outside the plan's period."))
        if month and month != day.isoformat()[:7]:
            errors |= _error(at + "month", N_("The month differs from the date's."))
        month = day.isoformat()[:7]
    elif month:
        first, last = month_bounds(month)
        if last < start or first > end:
            errors |= _error(at + "month", N_("The month is outside the plan's period."))
    else:
        errors |= _error(at + "date", N_("Give a date or a month."))
    unit = ctx.session.execute(select(Unit).where(Unit.code == str(row.get("unit") or ""))).scalar_one_or_none()
    if unit is None:
        errors |= _error(at + "unit", N_("No such unit."))
    links: dict[str, int | None] = {}
    for field in ("event_notice", "media_inquiry"):
        value = row.get(field)
        case = value if isinstance(value, int) and not isinstance(value, bool) else None
        links[field] = case
        if case is None or (field == "event_notice" and field not in catalog.kinds()):
            continue  # no link, or the event notice is not installed: the link is kept as given
        if _linked(ctx.session, field, case) is None:
            errors |= _error(at + field, N_("No such case: %(id)s."), id=case)
    return {"key": item_key(occasion), "occasion": occasion, "date": day.isoformat() if day else None,
            "month": month, "channel": row.get("channel"), "unit": unit.code if unit else row.get("unit"),
            **links}


def _linked(session: Session, field: str, instance_id: int) -> Instance | None:
    found = session.get(Instance, instance_id)
    if found is None or found.process_key != field:
        return None
    if field == "media_inquiry" and session.execute(select(MediaInquiry.id).where(
            MediaInquiry.instance_id == instance_id)).first() is None:
        return None
    return found


def start_prefill(session: Session, kind: str) -> dict[str, Any]:
    """A new version starts from the one in force (its files are the old case's: attached anew)."""
    current = in_force(session, kind)
    if current is None:
        return {"kind": kind}
    data: dict[str, Any] = {"kind": kind, "title": current.title}
    if kind == PLAN:
        data |= {"period_start": current.period_start.isoformat() if current.period_start else None,
                 "period_end": current.period_end.isoformat() if current.period_end else None,
                 "items": [{k: v for k, v in i.items() if k != "key" and v is not None} for i in current.items]}
    else:
        data["text"] = current.text
    return data


# --- approval -----------------------------------------------------------------------------------------------

def approve(ctx: Ctx, instance: Instance, draft: dict[str, Any]) -> PlanVersion:
    """The rector approved the draft: the next version of its kind, in force now; the one before superseded
    (kept), its marks carried to the same items."""
    kind = draft["kind"]
    current = in_force(ctx.session, kind)
    number = (ctx.session.execute(select(func.max(PlanVersion.number)).where(PlanVersion.kind == kind))
              .scalar_one() or 0) + 1
    made = PlanVersion(kind=kind, number=number, instance_id=instance.id, title=draft.get("title") or "",
                       period_start=_date(draft.get("period_start")), period_end=_date(draft.get("period_end")),
                       items=list(draft.get("items") or []), text=draft.get("text") or "",
                       file_ids=list(draft.get("file_ids") or []), drafted_by_id=instance.started_by_id,
                       approved_by_id=ctx.me.id, approved_at=ctx.now())
    ctx.session.add(made)
    ctx.session.flush()
    carried = 0
    if current is not None:
        current.superseded_at = ctx.now()
        current.superseded_by_id = made.id
        keys = {i["key"] for i in made.items}
        for key, mark in latest_marks(ctx.session, current).items():
            if key in keys:
                ctx.session.add(PlanItemMark(version_id=made.id, item=key, done_on=mark.done_on, note=mark.note,
                                             marked_by_id=mark.marked_by_id, marked_at=mark.marked_at))
                carried += 1
    ctx.session.flush()
    audit.append(ctx.session, ctx.actor, "plan_version_approved", instance_id=instance.id,
                 object=f"plan:{kind}:{number}", clause=CLAUSE, request_id=ctx.request_id,
                 data={"kind": kind, "version": number, "supersedes": current.number if current else None,
                       "items": len(made.items), "marks_carried": carried})
    return made


def seed_demo(ctx: Ctx) -> str | None:
    """The demo's PR plan for the current half-year, version 1, approved by the rector (no instance); nothing when
    a plan exists."""
    from datetime import timedelta

    from storage.models import User

    if in_force(ctx.session, PLAN) is not None:
        return None
    today = today_local(ctx.now())
    start = date(today.year, 1 if today.month <= 6 else 7, 1)
    end = date(today.year, 6, 30) if today.month <= 6 else date(today.year, 12, 31)
    people = {u.username: u for u in ctx.session.execute(select(User).where(
        User.username.in_(["rector", "mcd.specialist"]))).scalars()}
    rows = [("Жаңа оқу жылының басталуы (Начало учебного года)", start.isoformat(), "", "website", "MCD"),
            ("Ашық есік күні (День открытых дверей)", "", start.isoformat()[:7], "event", "FE"),
            ("Ректордың БАҚ-қа сұхбаты (Интервью ректора СМИ)", "", (start + timedelta(days=95)).isoformat()[:7],
             "press", "RECTORATE"),
            ("Ғылым апталығы (Неделя науки)", "", (start + timedelta(days=125)).isoformat()[:7], "social", "FE-IS"),
            ("Түлектер кеші (Вечер выпускников)", (end - timedelta(days=10)).isoformat(), "", "tv", "MCD")]
    items = [{"key": item_key(o), "occasion": o, "date": d or None, "month": m or d[:7], "channel": c, "unit": u,
              "event_notice": None, "media_inquiry": None} for o, d, m, c, u in rows]
    rector, drafter = people.get("rector"), people.get("mcd.specialist")
    made = PlanVersion(kind=PLAN, number=1, instance_id=None, title=f"PR жоспары / PR-план {start.isoformat()[:7]}",
                       period_start=start, period_end=end, items=items, text="", file_ids=[],
                       drafted_by_id=drafter.id if drafter else None, approved_by_id=rector.id if rector else None,
                       approved_at=ctx.now())
    ctx.session.add(made)
    ctx.session.flush()
    if start <= today:  # the first occasion happened: MCD marked it
        ctx.session.add(PlanItemMark(version_id=made.id, item=items[0]["key"], done_on=start, note="",
                                     marked_by_id=drafter.id if drafter else None, marked_at=ctx.now()))
    audit.append(ctx.session, ctx.actor, "plan_version_approved", object=f"plan:{PLAN}:1", clause=CLAUSE,
                 request_id=ctx.request_id, data={"kind": PLAN, "version": 1, "supersedes": None,
                                                  "items": len(items), "marks_carried": 0, "demo": True})
    return f"PR plan: version 1 with {len(items)} items"


# --- what happened --------------------------------------------------------------------------------------------

def latest_marks(session: Session, plan: PlanVersion) -> dict[str, PlanItemMark]:
    rows = session.execute(select(PlanItemMark).where(PlanItemMark.version_id == plan.id)
                           .order_by(PlanItemMark.id)).scalars()
    return {m.item: m for m in rows}


@dataclass
class ItemState:
    item: dict[str, Any]
    status: str  # done | planned | missed
    done_on: date | None = None
    how: str | None = None  # mark | event_notice | media_inquiry
    mark: PlanItemMark | None = None
    unit: Unit | None = None


def states(ctx: Ctx, plan: PlanVersion) -> list[ItemState]:
    """Each item of a plan version with whether it happened: a linked event notice covered or media inquiry
    released, else MCD's mark; otherwise planned, or missed once its day (month) is past."""
    today = today_local(ctx.now())
    marks = latest_marks(ctx.session, plan)
    codes = {str(i.get("unit")) for i in plan.items}
    units = {u.code: u for u in ctx.session.execute(select(Unit).where(Unit.code.in_(codes))).scalars()}
    out = []
    for item in plan.items:
        state = ItemState(item=item, status="planned", unit=units.get(str(item.get("unit"))))
        for field, outcome in HAPPENED.items():
            linked = _linked(ctx.session, field, item[field]) if item.get(field) else None
            if linked is not None and linked.status == "completed" and linked.outcome == outcome:
                state.status, state.how = "done", field
                state.done_on = today_local(linked.completed_at) if linked.completed_at else None
                break
        mark = marks.get(item["key"])
        if state.status != "done" and mark is not None:
            state.status, state.how, state.done_on, state.mark = "done", "mark", mark.done_on, mark
        if state.status != "done":
            last = _date(item.get("date")) or month_bounds(item["month"])[1]
            state.status = "missed" if last < today else "planned"
        out.append(state)
    return out


def by_month(rows: list[ItemState]) -> list[tuple[str, list[ItemState]]]:
    months: dict[str, list[ItemState]] = {}
    for row in rows:
        months.setdefault(row.item["month"], []).append(row)
    return sorted(months.items())


def mark_done(ctx: Ctx, kind: str, number: int, key: str, body: dict[str, Any]) -> PlanItemMark:
    """MCD records that an item of a plan version happened, on a date (not in the future)."""
    if not may_mark(ctx):
        raise denied(Forbidden(N_("Only MCD marks plan items done.")), f"plan:{kind}:{number}", "mark")
    plan = version(ctx, kind, number)
    item = next((i for i in plan.items if i.get("key") == key), None)
    if item is None:
        raise NotFound(N_("No such item in this plan."))
    done_on = _date(body.get("done_on"))
    note = str(body.get("note") or "").strip()
    if done_on is None:
        raise Invalid(_error("done_on", N_("Give the date it happened.")))
    if done_on > today_local(ctx.now()):
        raise Invalid(_error("done_on", N_("The date is in the future.")))
    if len(note) > 2000:
        raise Invalid(_error("note", N_("At most %(n)s characters."), n=2000))
    mark = PlanItemMark(version_id=plan.id, item=key, done_on=done_on, note=note, marked_by_id=ctx.me.id,
                        marked_at=ctx.now())
    ctx.session.add(mark)
    ctx.session.flush()
    audit.append(ctx.session, ctx.actor, "plan_item_marked_done", instance_id=plan.instance_id,
                 object=f"plan:{kind}:{number}", clause=CLAUSE, request_id=ctx.request_id,
                 data={"item": key, "occasion": item["occasion"], "done_on": done_on.isoformat(), "note": note})
    return mark


# --- comparing ------------------------------------------------------------------------------------------------

FIELDS_COMPARED = ("date", "month", "channel", "unit", "event_notice", "media_inquiry")


def compare(old: PlanVersion | None, new: PlanVersion) -> dict[str, Any]:
    """Two versions item by item (the same occasion is the same item): added, changed (which fields, from and
    to), removed, unchanged; a regulation's text word by word."""
    before = {i["key"]: i for i in (old.items if old else [])}
    after = {i["key"]: i for i in new.items}
    added = [i for k, i in after.items() if k not in before]
    removed = [i for k, i in before.items() if k not in after]
    changed, same = [], 0
    for k, i in after.items():
        if k not in before:
            continue
        fields = [f for f in FIELDS_COMPARED if before[k].get(f) != i.get(f)]
        if fields:
            changed.append({"item": i, "before": before[k], "fields": fields})
        else:
            same += 1
    return {"from": old.number if old else None, "to": new.number, "added": added, "changed": changed,
            "removed": removed, "unchanged": same,
            "text": word_diff(old.text if old else "", new.text) if new.kind == REGULATION else [],
            "period": (None if old is None or (old.period_start, old.period_end) == (new.period_start, new.period_end)
                       else {"before": [_iso(old.period_start), _iso(old.period_end)],
                             "after": [_iso(new.period_start), _iso(new.period_end)]})}


def comparison(ctx: Ctx, kind: str, old: int | None, new: int | None) -> dict[str, Any] | None:
    """The comparison the page and the API show: `new` (default: in force) against `old` (default: the one
    before it); None when there is no version."""
    require_reader(ctx)
    check_kind(kind)
    newer = version(ctx, kind, new) if new else in_force(ctx.session, kind)
    if newer is None:
        return None
    number = old if old else newer.number - 1
    older = version(ctx, kind, number) if number >= 1 else None
    return compare(older, newer)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def version_json(v: PlanVersion) -> dict[str, Any]:
    return {"kind": v.kind, "number": v.number, "title": v.title, "instance_id": v.instance_id,
            "period_start": _iso(v.period_start), "period_end": _iso(v.period_end),
            "drafted_by": v.drafted_by.username if v.drafted_by else None,
            "approved_by": v.approved_by.username if v.approved_by else None,
            "approved_at": v.approved_at.isoformat(), "in_force": v.superseded_at is None,
            "superseded_at": v.superseded_at.isoformat() if v.superseded_at else None,
            "items": len(v.items), "file_ids": list(v.file_ids)}


def state_json(s: ItemState) -> dict[str, Any]:
    return {**s.item, "status": s.status, "done_on": _iso(s.done_on), "done_by": s.how}
