"""The units' clocks of a media inquiry (§7.10.2), in clock hours and calendar days (never working days).

An urgent request is answered within 3 hours and one needing deeper preparation within 6 hours of receipt; a
current one within the term MCD states, else within 3 calendar days. Each clock runs from the moment MCD sent
the questions. Reminders go out at half the term and shortly before it (a sixth of the term, at most a day);
the deadline itself escalates. Everything here is aware UTC; weekends and holidays count (calendar time).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

URGENCIES = ("urgent", "deep", "current")
HOURS = {"urgent": 3, "deep": 6}  # §7.10.2
CURRENT_DAYS = 3  # §7.10.2: a current request without a stated term
SOON_AT_MOST = timedelta(days=1)


@dataclass(frozen=True)
class Clock:
    sent_at: datetime
    due_at: datetime
    remind_half_at: datetime
    remind_soon_at: datetime

    @property
    def term(self) -> timedelta:
        return self.due_at - self.sent_at

    def as_data(self) -> dict[str, str]:
        """The timer targets the BPMN reads (`ask["due_at"]`…), ISO-8601 with an explicit UTC offset."""
        return {"sent_at": self.sent_at.isoformat(), "due_at": self.due_at.isoformat(),
                "remind_half_at": self.remind_half_at.isoformat(), "remind_soon_at": self.remind_soon_at.isoformat()}


def due_at(sent_at: datetime, urgency: str, term: datetime | None = None) -> datetime:
    """When the unit's answer is due: + 3 h, + 6 h, the stated term, or + 3 calendar days."""
    if urgency in HOURS:
        return sent_at + timedelta(hours=HOURS[urgency])
    if urgency != "current":
        raise ValueError(f"unknown urgency {urgency!r}")
    return term if term is not None else sent_at + timedelta(days=CURRENT_DAYS)


def clock(sent_at: datetime, urgency: str, term: datetime | None = None) -> Clock:
    due = due_at(sent_at, urgency, term)
    length = due - sent_at
    return Clock(sent_at=sent_at, due_at=due, remind_half_at=sent_at + length / 2,
                 remind_soon_at=due - min(length / 6, SOON_AT_MOST))


def late_by(due: datetime, at: datetime) -> timedelta | None:
    """How late an answer given `at` is (None when on time)."""
    return at - due if at > due else None


def duration_text(delta: timedelta) -> tuple[int, int, int]:
    """(days, hours, minutes) of a duration, for "late by 1 d 2 h 5 min"."""
    minutes = int(delta.total_seconds() // 60)
    return minutes // 1440, (minutes % 1440) // 60, minutes % 60
