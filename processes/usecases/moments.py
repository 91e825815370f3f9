"""A date and time a person typed into a form: ISO 8601, university time (Asia/Almaty) when it carries no zone,
returned as aware UTC; anything else is the field's error, said once for every process."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from forms.validate import N_, Message
from processes.university_time import UNIVERSITY_TZ

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # before it, and after the year 9000: a typing mistake, not a moment
LATEST_YEAR = 9000


def parse_moment(value: Any, field: str, errors: dict[str, Message]) -> datetime | None:
    """The moment in `value` (aware UTC), or None with `errors[field]` set."""
    try:
        moment = datetime.fromisoformat(str(value).strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UNIVERSITY_TZ)
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):  # not ISO; or year 1 / 9999 pushed out of range by the zone
        errors[field] = Message(N_("Not a valid date and time."))
        return None
    if moment < EARLIEST or moment.year > LATEST_YEAR:
        errors[field] = Message(N_("Not a valid date and time."))
        return None
    return moment
