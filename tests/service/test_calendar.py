"""The administrator's overrides of the working-day calendar, on the real database."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from processes.university_time import UNIVERSITY_TZ
from processes.usecases import calendar
from processes.usecases.errors import Forbidden, Invalid
from storage import audit
from storage.models import AuditEvent, CalendarDay

SATURDAY = date(2026, 10, 10)
MONDAY = date(2026, 10, 12)


def _events(factory, action: str) -> list[AuditEvent]:
    with factory() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.seq)).scalars())


def test_admin_sets_a_transfer_and_the_calendar_reflects_it(act, factory):
    before = act(None, calendar.load_calendar)
    assert not before.is_working_day(SATURDAY) and before.is_working_day(MONDAY)

    act("admin", calendar.set_day, SATURDAY, "working", "Decree: Saturday 10 Oct worked for Monday 12 Oct")
    act("admin", calendar.set_day, MONDAY, "day_off", "Decree: day off moved from Saturday 10 Oct")

    after = act("registry", calendar.load_calendar)
    assert after.is_working_day(SATURDAY) and not after.is_working_day(MONDAY)
    # received on that Saturday: Tue 13 (1) ... Fri 23 (9), Mon 26 is off (Republic Day), Tue 27 (10)
    received = datetime(2026, 10, 10, 9, 0, tzinfo=UNIVERSITY_TZ)
    assert after.due_at(received) == datetime(2026, 10, 27, 19, 0, tzinfo=UTC)
    assert before.due_at(received) == datetime(2026, 10, 23, 19, 0, tzinfo=UTC)

    days = act("employee", calendar.list_days)
    assert [(d.day, d.kind, d.created_by) for d in days] == [
        (SATURDAY, "working", "admin"), (MONDAY, "day_off", "admin")]
    assert days[0].note.startswith("Decree") and days[0].created_at.tzinfo is not None

    events = _events(factory, "calendar_day_set")
    assert [e.data for e in events] == [
        {"day": "2026-10-10", "kind": "working", "note": "Decree: Saturday 10 Oct worked for Monday 12 Oct"},
        {"day": "2026-10-12", "kind": "day_off", "note": "Decree: day off moved from Saturday 10 Oct"},
    ]
    assert {e.actor for e in events} == {"admin"} and events[0].object == "calendar:2026-10-10"
    with factory() as s:
        assert audit.verify(s).ok


def test_setting_a_day_again_replaces_it_and_clearing_restores_the_official_calendar(act, factory):
    act("admin", calendar.set_day, MONDAY, "day_off", "first")
    act("admin", calendar.set_day, MONDAY, "working", "corrected")
    assert [(d.day, d.kind, d.note) for d in act("admin", calendar.list_days)] == [(MONDAY, "working", "corrected")]
    assert act("admin", calendar.clear_day, MONDAY) is True
    assert act("admin", calendar.clear_day, MONDAY) is False
    assert act("admin", calendar.list_days) == []
    assert act(None, calendar.load_calendar).is_working_day(MONDAY)
    assert [e.data["kind"] for e in _events(factory, "calendar_day_set")] == ["day_off", "working"]
    assert [e.data for e in _events(factory, "calendar_day_cleared")] == [
        {"day": "2026-10-12", "kind": "working", "note": "corrected"}]
    with factory() as s:
        assert audit.verify(s).ok


@pytest.mark.parametrize("username", ["employee", "rector", "auditor", "registry", None])
def test_only_an_administrator_may_change_the_calendar(act, factory, username):
    with factory() as s:
        seq_before = audit.verify(s).events
    with pytest.raises(Forbidden) as err:
        act(username, calendar.set_day, SATURDAY, "working", "not allowed")
    assert err.value.denial == ("calendar", "write")
    with pytest.raises(Forbidden):
        act(username, calendar.clear_day, SATURDAY)
    with factory() as s:
        assert s.execute(select(func.count()).select_from(CalendarDay)).scalar_one() == 0
        result = audit.verify(s)
        assert result.ok and result.events == seq_before
    assert not act(None, calendar.load_calendar).is_working_day(SATURDAY)


@pytest.mark.parametrize("day, kind, note, field", [
    (SATURDAY, "holiday", "", "kind"),
    (SATURDAY, "working", "x" * 301, "note"),
    (datetime(2026, 10, 10, tzinfo=UTC), "working", "", "day"),
])
def test_invalid_input_changes_nothing(act, factory, day, kind, note, field):
    with pytest.raises(Invalid) as err:
        act("admin", calendar.set_day, day, kind, note)
    assert set(err.value.errors) == {field}
    with factory() as s:
        assert s.execute(select(func.count()).select_from(CalendarDay)).scalar_one() == 0
    assert _events(factory, "calendar_day_set") == []


def test_the_database_refuses_an_unknown_kind(factory):
    from sqlalchemy.exc import IntegrityError

    with factory() as s, pytest.raises(IntegrityError):
        s.add(CalendarDay(day=SATURDAY, kind="holiday", note="", created_by="admin"))
        s.commit()


def test_calendar_cli(db_url, tmp_path, monkeypatch, factory):
    from click.testing import CliRunner

    from web.cli import main

    monkeypatch.setenv("KELISIM_DATABASE_URL", db_url)
    monkeypatch.setenv("KELISIM_DATA_DIR", str(tmp_path / "cli"))
    ok = CliRunner().invoke(main, ["calendar", "set", "2026-10-10", "working", "--note", "Decree 123"])
    assert ok.exit_code == 0, ok.output
    refused = CliRunner().invoke(main, ["calendar", "set", "2026-10-12", "day_off", "--as", "employee"])
    assert refused.exit_code != 0
    listed = CliRunner().invoke(main, ["calendar", "list"])
    assert "2026-10-10  working  Decree 123" in listed.output and "2026-10-12" not in listed.output
