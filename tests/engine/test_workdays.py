"""The Republic of Kazakhstan working-day calendar and the 10-working-day due date (§11.2).

Expected dates are worked out by hand in the comments. The official days off they rely on come
from the `holidays` package (KZ):
  2025-12-16 Tue Independence Day
  2026-01-01 Thu, 01-02 Fri New Year; 01-07 Wed Orthodox Christmas
  2026-03-21 Sat, 03-22 Sun, 03-23 Mon Nauryz; 03-24 Tue, 03-25 Wed days off in place of the
             Nauryz days that fell on Saturday and Sunday (Labour Code: the next working day)
  2026-10-25 Sun Republic Day -> 10-26 Mon day off
  2026-12-16 Wed Independence Day
  2027-01-01 Fri, 01-02 Sat New Year -> 01-04 Mon day off; 01-07 Thu Orthodox Christmas
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from processes.university_time import UNIVERSITY_TZ, WorkCalendar

CAL = WorkCalendar()


def almaty(*args) -> datetime:
    return datetime(*args, tzinfo=UNIVERSITY_TZ)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- single days -----------------------------------------------------------------------------

@pytest.mark.parametrize("day, working", [
    (date(2025, 12, 31), True),   # Wed
    (date(2026, 1, 1), False),    # Thu, New Year
    (date(2026, 1, 2), False),    # Fri, New Year (second day)
    (date(2026, 1, 3), False),    # Sat
    (date(2026, 1, 4), False),    # Sun
    (date(2026, 1, 5), True),     # Mon
    (date(2026, 1, 7), False),    # Wed, Orthodox Christmas
    (date(2026, 1, 8), True),     # Thu
    (date(2026, 3, 20), True),    # Fri before Nauryz
    (date(2026, 3, 21), False),   # Sat, Nauryz
    (date(2026, 3, 22), False),   # Sun, Nauryz
    (date(2026, 3, 23), False),   # Mon, Nauryz
    (date(2026, 3, 24), False),   # Tue, for the Nauryz Saturday
    (date(2026, 3, 25), False),   # Wed, for the Nauryz Sunday
    (date(2026, 3, 26), True),    # Thu
    (date(2027, 1, 4), False),    # Mon, for New Year's Saturday 2 Jan 2027
    (date(2027, 1, 7), False),    # Thu, Orthodox Christmas
])
def test_official_calendar(day, working):
    assert CAL.is_working_day(day) is working


def test_nauryz_2026_is_five_days_off_in_a_row():
    # Fri 20 Mar works; Sat 21 - Wed 25 are all off; Thu 26 works again.
    days = [date(2026, 3, 20) + timedelta(d) for d in range(7)]
    assert [CAL.is_working_day(d) for d in days] == [True, False, False, False, False, False, True]
    assert CAL.working_days(date(2026, 3, 20), date(2026, 3, 27)) == [
        date(2026, 3, 20), date(2026, 3, 26), date(2026, 3, 27)]


def test_a_date_is_required_not_a_datetime():
    with pytest.raises(TypeError):
        CAL.is_working_day(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))


# --- counting --------------------------------------------------------------------------------

def test_new_year_2026_and_the_weekend_after_it():
    # After Wed 31 Dec 2025: Thu 1 and Fri 2 Jan are New Year, Sat 3 and Sun 4 the weekend,
    # so the first working day is Mon 5 Jan; Tue 6 is the 2nd; Wed 7 is Orthodox Christmas;
    # Thu 8 is the 3rd, Fri 9 the 4th.
    start = date(2025, 12, 31)
    assert CAL.add_working_days(start, 1) == date(2026, 1, 5)
    assert CAL.add_working_days(start, 2) == date(2026, 1, 6)
    assert CAL.add_working_days(start, 3) == date(2026, 1, 8)
    assert CAL.add_working_days(start, 4) == date(2026, 1, 9)
    # then Mon 12 - Fri 16 are the 5th-9th and Mon 19 Jan the 10th
    assert CAL.add_working_days(start, 10) == date(2026, 1, 19)


def test_orthodox_christmas_is_skipped():
    # Tue 6 Jan 2026 -> the next working day skips Wed 7 (Christmas): Thu 8.
    assert CAL.add_working_days(date(2026, 1, 6), 1) == date(2026, 1, 8)


def test_nauryz_2026():
    # After Fri 20 Mar 2026: Sat 21 - Wed 25 off; Thu 26 (1), Fri 27 (2), Mon 30 (3), Tue 31 (4),
    # Wed 1 Apr (5), Thu 2 (6), Fri 3 (7), Mon 6 (8), Tue 7 (9), Wed 8 Apr (10).
    assert CAL.add_working_days(date(2026, 3, 20), 1) == date(2026, 3, 26)
    assert CAL.add_working_days(date(2026, 3, 20), 10) == date(2026, 4, 8)
    # received on a Nauryz day, the count starts after the holidays all the same
    assert CAL.add_working_days(date(2026, 3, 23), 1) == date(2026, 3, 26)


def test_the_start_day_never_counts():
    # Mon 5 Jan 2026 is a working day, yet the 1st working day after it is Tue 6 Jan.
    assert CAL.add_working_days(date(2026, 1, 5), 1) == date(2026, 1, 6)
    # and from a Saturday the 1st is the following Monday
    assert CAL.add_working_days(date(2026, 10, 3), 1) == date(2026, 10, 5)


def test_counting_backwards_and_zero():
    # Two working days before Mon 19 Jan 2026: Fri 16 (1), Thu 15 (2).
    assert CAL.add_working_days(date(2026, 1, 19), -2) == date(2026, 1, 15)
    # one before Thu 8 Jan 2026 skips Wed 7 (Christmas): Tue 6
    assert CAL.add_working_days(date(2026, 1, 8), -1) == date(2026, 1, 6)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 1, 8), 0)


def test_weekend_transfer():
    # The government makes Sat 10 Oct 2026 a working day and moves its day off to Mon 12 Oct.
    cal = WorkCalendar(extra_working_days={date(2026, 10, 10)}, extra_days_off={date(2026, 10, 12)})
    assert cal.is_working_day(date(2026, 10, 10)) and not cal.is_working_day(date(2026, 10, 12))
    assert not cal.is_working_day(date(2026, 10, 11))  # the Sunday between stays off
    # After Fri 9 Oct: Sat 10 (1), Sun 11 off, Mon 12 off, Tue 13 (2), ... Fri 16 (5),
    # Mon 19 - Fri 23 (6-10): the swap inside the window leaves the 10th at Fri 23 Oct.
    assert [cal.add_working_days(date(2026, 10, 9), n) for n in (1, 2, 5, 10)] == [
        date(2026, 10, 10), date(2026, 10, 13), date(2026, 10, 16), date(2026, 10, 23)]
    # Without the transfer the same count runs Mon 12 (1) ... Fri 23 (10).
    assert [CAL.add_working_days(date(2026, 10, 9), n) for n in (1, 2, 5, 10)] == [
        date(2026, 10, 12), date(2026, 10, 13), date(2026, 10, 16), date(2026, 10, 23)]
    # Received on the working Saturday itself, that day does not count: Sun 11 off, Mon 12 off,
    # Tue 13 (1) ... Fri 16 (4), Mon 19 - Fri 23 (5-9), Mon 26 is the day off for Republic Day
    # (Sun 25 Oct), so the 10th is Tue 27 Oct. Without the transfer it would be Fri 23 Oct.
    assert cal.add_working_days(date(2026, 10, 10), 10) == date(2026, 10, 27)
    assert CAL.add_working_days(date(2026, 10, 10), 10) == date(2026, 10, 23)


def test_overrides_win_over_the_official_calendar():
    # An extra working day beats an official holiday, an extra day off beats a plain Tuesday.
    cal = WorkCalendar(extra_working_days={date(2026, 1, 2)}, extra_days_off={date(2026, 1, 6)})
    assert cal.is_working_day(date(2026, 1, 2)) and not cal.is_working_day(date(2026, 1, 6))
    # After Wed 31 Dec 2025: Fri 2 Jan (1), Mon 5 (2), Tue 6 off, Wed 7 Christmas, Thu 8 (3)
    assert cal.add_working_days(date(2025, 12, 31), 3) == date(2026, 1, 8)
    with pytest.raises(ValueError):
        WorkCalendar(extra_working_days={date(2026, 1, 2)}, extra_days_off={date(2026, 1, 2)})


def test_the_packages_own_transfers_count():
    # The package records the 2025 transfer: Fri 3 Jan 2025 off, Sun 5 Jan 2025 worked.
    assert not CAL.is_working_day(date(2025, 1, 3))
    assert CAL.is_working_day(date(2025, 1, 5))
    # a fresh calendar asked about that Sunday first (its year not yet loaded) agrees
    assert WorkCalendar().is_working_day(date(2025, 1, 5))


@pytest.mark.parametrize("cal", [CAL, WorkCalendar(extra_working_days={date(2026, 10, 10)},
                                                   extra_days_off={date(2026, 10, 12)})])
@pytest.mark.parametrize("start", [date(2025, 12, 31), date(2026, 1, 1), date(2026, 3, 20),
                                   date(2026, 3, 21), date(2026, 10, 9), date(2026, 10, 10),
                                   date(2026, 12, 16), date(2026, 12, 21)])
def test_working_days_between_agrees_with_add_working_days(cal, start):
    for n in range(1, 31):
        end = cal.add_working_days(start, n)
        assert cal.working_days_between(start, end) == n
        assert cal.working_days_between(end, start) == -n
        # the day before the n-th working day is still short of n
        assert cal.working_days_between(start, end - timedelta(days=1)) == n - 1
        assert cal.add_working_days(end, -n) <= start
    assert cal.working_days_between(start, start) == 0


def test_working_days_between_known_spans():
    # (Wed 31 Dec 2025, Fri 9 Jan 2026]: Mon 5, Tue 6, Thu 8, Fri 9 -> 4
    assert CAL.working_days_between(date(2025, 12, 31), date(2026, 1, 9)) == 4
    # (Fri 20 Mar, Fri 27 Mar 2026]: only Thu 26 and Fri 27 -> 2
    assert CAL.working_days_between(date(2026, 3, 20), date(2026, 3, 27)) == 2


# --- due dates -------------------------------------------------------------------------------

def test_due_at_received_friday_evening():
    # Fri 2 Oct 2026 18:00 Almaty (13:00 UTC). The 10 working days after Fri 2 Oct are
    # Mon 5 - Fri 9 and Mon 12 - Fri 16 Oct, so the due date is the end of Fri 16 Oct:
    # 24:00 Almaty = Sat 17 Oct 00:00 +05:00 = Fri 16 Oct 19:00 UTC.
    due = CAL.due_at(almaty(2026, 10, 2, 18, 0))
    assert due == utc(2026, 10, 16, 19, 0)
    assert due.tzinfo == UTC
    assert due.astimezone(UNIVERSITY_TZ) == almaty(2026, 10, 17, 0, 0)


def test_due_at_uses_the_almaty_date_of_receipt():
    # Thu 1 Oct 2026 21:00 UTC is already Fri 2 Oct 02:00 in Almaty: the count starts from Fri 2 Oct
    # (due Fri 16 Oct), not from the UTC date Thu 1 Oct (which would give Thu 15 Oct).
    assert CAL.due_at(utc(2026, 10, 1, 21, 0)) == utc(2026, 10, 16, 19, 0)
    # 18:59 UTC is still Thu 1 Oct 23:59 in Almaty: Fri 2 Oct (1) ... Thu 15 Oct (10)
    assert CAL.due_at(utc(2026, 10, 1, 18, 59)) == utc(2026, 10, 15, 19, 0)


def test_due_at_received_on_a_holiday():
    # Wed 16 Dec 2026, Independence Day, 11:00 Almaty: Thu 17 (1), Fri 18 (2), Mon 21 - Fri 25 (3-7),
    # Mon 28 (8), Tue 29 (9), Wed 30 Dec (10).
    assert CAL.due_at(almaty(2026, 12, 16, 11, 0)) == utc(2026, 12, 30, 19, 0)


def test_due_at_crossing_into_the_next_year():
    # Mon 21 Dec 2026: Tue 22 - Fri 25 (1-4), Mon 28 - Thu 31 (5-8); Fri 1 and Sat 2 Jan 2027
    # New Year, Sun 3, Mon 4 the day off for the Saturday 2 Jan; Tue 5 (9), Wed 6 Jan 2027 (10).
    assert CAL.due_at(almaty(2026, 12, 21, 9, 30)) == utc(2027, 1, 6, 19, 0)


def test_due_at_received_on_new_years_day_2027():
    # Fri 1 Jan 2027 (received just after midnight Almaty = 31 Dec 2026 19:30 UTC):
    # Sat 2, Sun 3 off, Mon 4 off (for Sat 2), Tue 5 (1), Wed 6 (2), Thu 7 Christmas, Fri 8 (3),
    # Mon 11 - Fri 15 (4-8), Mon 18 (9), Tue 19 Jan 2027 (10).
    assert CAL.due_at(utc(2026, 12, 31, 19, 30)) == utc(2027, 1, 19, 19, 0)


def test_due_at_around_new_year_2026():
    # Wed 31 Dec 2025 10:00 Almaty -> the 10th working day is Mon 19 Jan 2026 (see above).
    assert CAL.due_at(almaty(2025, 12, 31, 10, 0)) == utc(2026, 1, 19, 19, 0)


def test_due_at_with_a_weekend_transfer():
    # Received on the transferred working Saturday 10 Oct 2026 (see test_weekend_transfer): Tue 27 Oct.
    cal = WorkCalendar(extra_working_days={date(2026, 10, 10)}, extra_days_off={date(2026, 10, 12)})
    assert cal.due_at(almaty(2026, 10, 10, 9, 0)) == utc(2026, 10, 27, 19, 0)


def test_due_at_refuses_a_naive_datetime_and_bad_n():
    with pytest.raises(ValueError):
        CAL.due_at(datetime(2026, 10, 2, 18, 0))
    with pytest.raises(ValueError):
        CAL.due_at(almaty(2026, 10, 2, 18, 0), 0)
