"""The working-day calendar's overrides: transferred working days and extra days off.

The government moves days off every year; the administrator records each move here (one row per
date). `load_calendar` builds the WorkCalendar from the official `holidays` data plus these rows.
A due date is computed once, when an incoming request is recorded, and stored: a change made here
applies to requests recorded afterwards and never moves the due date of one already recorded.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from forms.validate import N_, Message
from processes.university_time import WorkCalendar
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, Invalid, denied
from storage import audit
from storage.models import CalendarDay

ADMIN = "admin"
WORKING = "working"
DAY_OFF = "day_off"
KINDS = (WORKING, DAY_OFF)
NOTE_MAX = 300


def load_calendar(ctx: Ctx) -> WorkCalendar:
    """The Republic of Kazakhstan calendar with the administrator's overrides, as of now.

    Anyone (and the system) may load it: the calendar is public information."""
    rows = ctx.session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
    return WorkCalendar(extra_days_off={d for d, kind in rows if kind == DAY_OFF},
                        extra_working_days={d for d, kind in rows if kind == WORKING})


def list_days(ctx: Ctx) -> list[CalendarDay]:
    """All overrides, the earliest date first (public information, like the calendar itself)."""
    return list(ctx.session.execute(select(CalendarDay).order_by(CalendarDay.day)).scalars())


def set_day(ctx: Ctx, day: date, kind: str, note: str = "") -> CalendarDay:
    """Record that `day` is a working day ('working', e.g. a transferred Saturday) or a day off
    ('day_off'), replacing any earlier override of that date. Administrators only; audited as
    `calendar_day_set` with {day, kind, note} in the same transaction."""
    _require_admin(ctx, "write")
    note = (note or "").strip()
    errors: dict[str, Message] = {}
    if isinstance(day, datetime) or not isinstance(day, date):
        errors["day"] = Message(N_("Not a valid date."))
    if kind not in KINDS:
        errors["kind"] = Message(N_("Invalid value."))
    if len(note) > NOTE_MAX:
        errors["note"] = Message(N_("Invalid value."))
    if errors:
        raise Invalid(errors)
    # The audit append locks the chain head first, which also serialises concurrent changes of
    # the calendar: the row is read only once this transaction holds that lock.
    audit.append(ctx.session, ctx.actor, "calendar_day_set", object=f"calendar:{day.isoformat()}",
                 data={"day": day.isoformat(), "kind": kind, "note": note}, request_id=ctx.request_id)
    row = ctx.session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day)
        ctx.session.add(row)
    row.kind, row.note = kind, note
    row.created_by, row.created_at = ctx.me.username, ctx.now()
    ctx.session.flush()
    return row


def clear_day(ctx: Ctx, day: date) -> bool:
    """Remove the override of `day`, so the official calendar applies again; False when there was
    none. Administrators only; audited as `calendar_day_cleared` with the removed {day, kind, note}."""
    _require_admin(ctx, "write")
    row = ctx.session.get(CalendarDay, day) if isinstance(day, date) else None
    if row is None:
        return False
    audit.append(ctx.session, ctx.actor, "calendar_day_cleared", object=f"calendar:{day.isoformat()}",
                 data={"day": day.isoformat(), "kind": row.kind, "note": row.note},
                 request_id=ctx.request_id)
    ctx.session.delete(row)
    ctx.session.flush()
    return True


def _require_admin(ctx: Ctx, operation: str) -> None:
    if ctx.user is None or ADMIN not in ctx.user.role_names:
        raise denied(Forbidden(N_("You may not do this.")), "calendar", operation)
