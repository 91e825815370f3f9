"""The university's time, in one place: stored UTC, shown and reasoned about in Asia/Almaty; the
Republic of Kazakhstan working-day calendar and due dates counted in working days (§11.2).

Pure: no database, no web framework. Every conversion between UTC and university time, the start
and end of a local day, and today's local date are here; no other module defines the zone.

The official calendar comes from the `holidays` package
(`holidays.country_holidays("KZ")`: public holidays, the days off that replace a holiday falling
on a weekend, and the transfers the package already knows); the administrator's table adds the
transfers the government announces every year (see processes.usecases.calendar).

A date is a working day by these rules, the first that applies deciding:

1. listed in `extra_working_days` (e.g. a Saturday the government made a working day) -> working;
2. listed in `extra_days_off` (e.g. the Monday that Saturday was moved to) -> day off;
3. a Saturday or Sunday -> day off, unless the `holidays` package itself lists it as a
   transferred working day (its `weekend_workdays`) -> working;
4. an official holiday in the `holidays` package (including observed and substituted days
   off) -> day off;
5. otherwise (Monday-Friday) -> working.

A date may not be in both override sets.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

UNIVERSITY_TZ = ZoneInfo("Asia/Almaty")
COUNTRY = "KZ"
ONE_DAY = timedelta(days=1)
SATURDAY = 5
# The dates this module reasons about: every real date, with a margin at both ends of Python's
# calendar (years 1..9999) so that a local day's start and end in UTC, and the day after, exist.
# Dates and date-times given from outside (query strings) are checked against it first.
FIRST_DAY = date(2, 1, 1)
LAST_DAY = date(9998, 12, 31)


# --- university time ---------------------------------------------------------------------------

def local(moment: datetime) -> datetime:
    """An aware moment as university (Asia/Almaty) time."""
    return moment.astimezone(UNIVERSITY_TZ)


def local_date(moment: datetime) -> date:
    """The Asia/Almaty calendar date of an aware moment."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime refused; use an aware datetime")
    return moment.astimezone(UNIVERSITY_TZ).date()


def today_local(now: datetime) -> date:
    """Today's date in university time, `now` being the current moment (e.g. `ctx.now()`)."""
    return now.astimezone(UNIVERSITY_TZ).date()


def utc_at(day: date, at: time) -> datetime:
    """The moment `at` o'clock on `day` in Asia/Almaty, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=UNIVERSITY_TZ).astimezone(UTC)


def start_of_day_utc(day: date) -> datetime:
    """Midnight at the start of `day` in Asia/Almaty, as an aware UTC datetime."""
    return utc_at(day, time(0, 0))


def end_of_day_utc(day: date) -> datetime:
    """The end of `day` in Asia/Almaty (the next local midnight), as an aware UTC datetime."""
    return utc_at(day + ONE_DAY, time(0, 0))


# --- how dates are written (docs/API.md "Dates and deadlines") ----------------------------------
# One date format and one date-time format, in every language, on pages and in documents alike:
# 02.12.2026 and 02.12.2026, 14:05 (four-digit year, Almaty time).

DATE_FORMAT = "%d.%m.%Y"  # as strftime writes it (date_text also writes years below 1000 with four digits)
DATETIME_FORMAT = "%d.%m.%Y, %H:%M"


def _shown(moment: datetime) -> datetime:
    """An aware moment in Almaty time; at the very ends of the calendar (year 1 or 9999), where Almaty
    time does not exist, the moment as it is."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime refused; use an aware datetime")
    try:
        return local(moment)
    except OverflowError:
        return moment


def date_text(value: date | datetime) -> str:
    """A date as 02.12.2026; an aware moment gives its Almaty date."""
    if isinstance(value, datetime):
        value = _shown(value).date()
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def datetime_text(value: date | datetime) -> str:
    """An aware moment as 02.12.2026, 14:05 in Almaty time (a plain date as date_text)."""
    if not isinstance(value, datetime):
        return date_text(value)
    moment = _shown(value)
    return f"{date_text(moment.date())}, {moment.hour:02d}:{moment.minute:02d}"


def deadline_day(due_at: datetime | date | None) -> date | None:
    """The last day of a deadline: a plain date is that day; an instant at a local midnight is the end of
    the day before it (the day's deadline is stored as the next midnight); None for None. An instant at
    another hour has no "last day" of its own: this gives its local date, and `ends_with_day` tells it
    apart."""
    if due_at is None:
        return None
    if not isinstance(due_at, datetime):
        return due_at
    moment = _shown(due_at) if due_at.utcoffset() is not None else due_at
    day = moment.date()
    return day - ONE_DAY if moment.time() == time(0, 0) else day


def ends_with_day(due_at: datetime | date | None) -> bool:
    """True when a deadline ends with a day (a plain date, or an instant at a local midnight)."""
    if due_at is None:
        return False
    if not isinstance(due_at, datetime):
        return True
    moment = _shown(due_at) if due_at.utcoffset() is not None else due_at
    return moment.time() == time(0, 0)


# --- the working-day calendar ------------------------------------------------------------------

class WorkCalendar:
    """Working days on the Republic of Kazakhstan calendar, with the administrator's overrides."""

    def __init__(self, extra_days_off: Iterable[date] = (), extra_working_days: Iterable[date] = ()):
        self.extra_days_off: frozenset[date] = frozenset(_plain_date(d) for d in extra_days_off)
        self.extra_working_days: frozenset[date] = frozenset(_plain_date(d) for d in extra_working_days)
        both = self.extra_days_off & self.extra_working_days
        if both:
            raise ValueError(f"dates both working and off: {sorted(both)}")
        # expand=True: each year is populated on first use, so any year can be asked about
        self._official = holidays.country_holidays(COUNTRY, years=(), expand=True)

    # --- single days -------------------------------------------------------------------------

    def is_holiday(self, d: date) -> bool:
        """True when `d` is an official holiday or official day off in the `holidays` package
        (overrides not applied)."""
        return _plain_date(d) in self._official

    def holiday_name(self, d: date) -> str | None:
        """The official holiday's name on `d` (in Kazakh, the package's default), or None."""
        return self._official.get(_plain_date(d))

    def is_working_day(self, d: date) -> bool:
        """True when `d` is a working day; the rules are in this module's docstring."""
        d = _plain_date(d)
        if d in self.extra_working_days:
            return True
        if d in self.extra_days_off:
            return False
        official_holiday = d in self._official  # also populates d's year, weekend_workdays included
        if d.weekday() >= SATURDAY:
            return d in self._official.weekend_workdays
        return not official_holiday

    # --- counting ----------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day AFTER `start` (n >= 1); `start` itself never counts, whether or
        not it is a working day. Example: Friday 9 Jan 2026, n=1 -> Monday 12 Jan 2026.

        A negative n counts backwards: the |n|-th working day BEFORE `start`. n == 0 is refused
        (it would be ambiguous when `start` is a day off).
        """
        start = _plain_date(start)
        if n == 0:
            raise ValueError("n must not be 0")
        step = ONE_DAY if n > 0 else -ONE_DAY
        day, left = start, abs(n)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days d with a < d <= b (`a` excluded, `b` included), so that
        `working_days_between(a, add_working_days(a, n)) == n` for every n >= 1.
        Returns 0 when a == b and the negated count of (b, a] when b < a."""
        a, b = _plain_date(a), _plain_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        count, day = 0, a
        while day < b:
            day += ONE_DAY
            count += self.is_working_day(day)
        return count

    def working_days(self, first: date, last: date) -> list[date]:
        """All working days d with first <= d <= last, in order."""
        first, last = _plain_date(first), _plain_date(last)
        out, day = [], first
        while day <= last:
            if self.is_working_day(day):
                out.append(day)
            day += ONE_DAY
        return out

    # --- due dates ---------------------------------------------------------------------------

    def due_day(self, received_at: datetime, n: int = 10) -> date:
        """The local (Asia/Almaty) date of the n-th working day after the local date of receipt."""
        return self.add_working_days(local_date(received_at), n)

    def due_at(self, received_at: datetime, n: int = 10) -> datetime:
        """The deadline for something received at `received_at` with `n` working days to answer.

        Rule (§11.2, docs/API.md): take the LOCAL date of receipt in Asia/Almaty (UTC+5); the
        deadline is the END of the n-th working day after that date, i.e. the next local
        midnight (24:00 Asia/Almaty of that day = 19:00 UTC the same day). The day of receipt
        never counts, whatever the time of receipt and whether or not it is a working day; a
        request received on a weekend or holiday starts counting on the next working day.

        `received_at` must be timezone-aware; the result is an aware datetime in UTC.
        Example: received Friday 2 Oct 2026 18:00 Almaty -> the 10th working day after 2 Oct is
        Friday 16 Oct 2026 -> due 2026-10-16T19:00:00Z (= 17 Oct 00:00 Almaty).
        """
        if n < 1:
            raise ValueError("n must be at least 1")
        return end_of_day_utc(self.due_day(received_at, n))


def _plain_date(d: date) -> date:
    """Refuse datetimes (a datetime is a date subclass, and its time would be silently dropped)."""
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"a date is needed, not {type(d).__name__}")
    return d
