"""The university's time zone: stored UTC, shown and reasoned about in Asia/Almaty."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

UNIVERSITY_TZ = ZoneInfo("Asia/Almaty")


def today_local(now: datetime) -> date:
    return now.astimezone(UNIVERSITY_TZ).date()


def start_of_day_utc(day: date) -> datetime:
    """Midnight at the start of `day` in Asia/Almaty, as an aware UTC datetime."""
    return datetime.combine(day, time(0, 0), tzinfo=UNIVERSITY_TZ).astimezone(UTC)


def local(moment: datetime) -> datetime:
    return moment.astimezone(UNIVERSITY_TZ)
