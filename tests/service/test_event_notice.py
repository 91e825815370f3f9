"""Event pre-notification (§7.4, §7.6, §7.8) through the use cases on a real database, with a frozen clock: the
late rule shared with the material sign-off, the head of MCD's acceptance, MCD's decision and coverage plan, the
details loop, the reminder after the event, the record of what was published, and the calendar."""
from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from processes.event_notice import calendar
from processes.usecases import instances, queries
from processes.usecases.errors import Conflict, Forbidden, Invalid
from processes.worker import tick
from storage.models import AuditEvent, EventNotice, InboxTask, Instance, Notification, User

KEY = "event_notice"
NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # Tuesday 10:00 in Almaty


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def notice(**overrides) -> dict:
    data = {"unit": "FE-IS", "title": "Ашық есік күні", "event_kind": "open_day", "starts_at": "2026-12-10T10:00",
            "ends_at": "2026-12-10T13:00", "place": "Бас ғимарат, акт залы",
            "organiser": "Ақпараттық жүйелер кафедрасы",
            "audiences": ["applicants", "parents"], "guests": "Мектеп оқушылары, 120 адам", "media": "Qostanay TV",
            "requests": ["announcement", "photo", "site_news"], "site_languages": ["kk", "ru"]}
    data.update(overrides)
    return data


ACCEPT = {"decision": "accept", "covered_by": "mcd.specialist", "channels": ["website", "social_networks"],
          "publish_by": "2026-12-11T18:00"}


def task_of(act, user, iid, name):
    rows = act(user, lambda c: [t for t in queries.inbox(c) if t.instance_id == iid and t.name == name])
    assert len(rows) == 1, [(t.name, t.role) for t in rows]
    return rows[0]


def notified(act, user="employee", **overrides) -> int:
    iid = act(user, instances.start_instance, KEY).id
    task = act(user, lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])
    act(user, instances.complete_task, task.id, notice(**overrides))
    return iid


def row_of(factory, iid) -> EventNotice:
    with factory() as s:
        row = s.execute(select(EventNotice).where(EventNotice.instance_id == iid)).scalar_one()
        s.expunge(row)
        return row


def events(factory, iid, action) -> list[AuditEvent]:
    with factory() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.instance_id == iid, AuditEvent.action == action)
                              .order_by(AuditEvent.seq)).scalars())


def notes(factory, username, kind) -> list[Notification]:
    with factory() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        return list(s.execute(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.kind == kind)).scalars())


def state(factory, iid) -> tuple[str, str | None]:
    with factory() as s:
        inst = s.get(Instance, iid)
        return inst.status, inst.outcome


def test_an_on_time_notice_accepted_covered_and_recorded(act, factory, services, frozen):
    iid = notified(act)
    row = row_of(factory, iid)
    assert (row.late, row.status, row.title) == (False, "submitted", "Ашық есік күні")
    assert row.starts_at == datetime(2026, 12, 10, 5, 0, tzinfo=UTC)  # 10:00 in Almaty
    assert row.requests == ["announcement", "photo", "site_news"] and row.site_languages == ["kk", "ru"]
    (done,) = events(factory, iid, "task_completed")
    assert done.clause == "§7.4"
    assert not events(factory, iid, "notice_late")
    decide = task_of(act, "mcd.specialist", iid, "Task_Decide")
    assert decide.role == "mcd_specialist" and decide.due_at == row.starts_at
    assert notes(factory, "mcd.specialist", "task_assigned")
    act("mcd.specialist", instances.complete_task, decide.id, ACCEPT)
    row = row_of(factory, iid)
    assert row.status == "accepted" and row.channels == ["website", "social_networks"]
    assert row.publish_by == datetime(2026, 12, 11, 13, 0, tzinfo=UTC)
    decided = [e for e in events(factory, iid, "task_completed") if e.task == "Task_Decide"][0]
    assert decided.clause == "§7.6" and decided.data["covered_by"] == "mcd.specialist"
    (plan,) = events(factory, iid, "coverage_planned")
    assert plan.clause == "§7.8" and plan.data["channels"] == ["website", "social_networks"]
    assert notes(factory, "employee", "event_accepted")
    record = task_of(act, "mcd.specialist", iid, "Task_Record")
    assert record.assignee_id is not None
    # the calendar: MCD sees it in December; the unit's other member sees it; another unit does not
    december = calendar.Month(2026, 12)
    cal = act("mcd.head", calendar.month_calendar, december)
    assert [(d.isoformat(), [r.title for r in rows]) for d, rows in cal.days] == [("2026-12-10", ["Ашық есік күні"])]
    assert act("mcd.head", calendar.month_calendar, calendar.Month(2026, 11)).days == []
    assert act("employee2", calendar.month_calendar, december).count == 1
    assert act("unit.head", calendar.month_calendar, december).count == 1
    assert act("amd.head", calendar.month_calendar, december).count == 0
    # nothing can be recorded before the event
    with pytest.raises(Conflict):
        act("mcd.specialist", instances.complete_task, record.id,
            {"publications": [{"link": "https://kineu.kz/news/1", "published_on": "2026-12-01"}]})
    # the end of the event's day reminds whoever covers it, once
    frozen.move_to(datetime(2026, 12, 10, 19, 0, 1, tzinfo=UTC))
    tick(factory, services)
    tick(factory, services)
    (sent,) = events(factory, iid, "reminder_sent")
    assert sent.data["to"] == ["mcd.specialist"] and sent.clause == "§7.8"
    assert notes(factory, "mcd.specialist", "reminder")
    # a publication dated tomorrow is refused; then the record closes the notice
    with pytest.raises(Invalid) as bad:
        act("mcd.specialist", instances.complete_task, record.id,
            {"publications": [{"link": "https://kineu.kz/news/1", "published_on": "2026-12-12"}]})
    assert "publications.0.published_on" in bad.value.errors
    act("mcd.specialist", instances.complete_task, record.id,
        {"publications": [{"link": "https://kineu.kz/news/1", "published_on": "2026-12-10"},
                          {"link": "https://instagram.com/p/xyz", "published_on": "2026-12-11"}]})
    assert state(factory, iid) == ("completed", "covered")
    row = row_of(factory, iid)
    assert row.status == "covered" and len(row.publications) == 2 and row.recorded_at is not None
    assert [e for e in events(factory, iid, "task_completed") if e.task == "Task_Record"][0].clause == "§7.8"
    assert act("mcd.head", calendar.month_calendar, december).count == 1  # still on the calendar, covered


def test_a_late_notice_waits_for_the_head_of_mcd(act, factory):
    iid = notified(act, starts_at="2026-12-05T10:00", ends_at="")  # 4 days ahead: late
    row = row_of(factory, iid)
    assert row.late and row.ends_at is None
    (late,) = events(factory, iid, "notice_late")
    assert late.clause == "§7.4" and late.data == {"starts_at": "2026-12-05T05:00:00+00:00", "days_ahead": 4,
                                                    "late_rule_days": 5}
    with pytest.raises(Forbidden):  # only the head of MCD holds it
        act("mcd.specialist", instances.complete_task,
            task_of(act, "mcd.head", iid, "Task_AcceptLate").id, {"decision": "accept_late", "comment": "x"})
    act("mcd.head", instances.complete_task, task_of(act, "mcd.head", iid, "Task_AcceptLate").id,
        {"decision": "decline", "comment": "Тым кеш"})
    assert state(factory, iid) == ("completed", "not_accepted")
    assert row_of(factory, iid).status == "not_accepted"
    assert notes(factory, "employee", "outcome")
    assert act("employee2", calendar.month_calendar, calendar.Month(2026, 12)).days[0][1][0].status == "not_accepted"


def test_five_days_ahead_is_on_time_and_the_rule_is_the_material_sign_off_setting(act, factory, services):
    assert not row_of(factory, notified(act, starts_at="2026-12-06T09:00", ends_at="")).late
    assert row_of(factory, notified(act, starts_at="2026-12-05T23:00", ends_at="")).late
    act.services = dataclasses.replace(services, settings=dataclasses.replace(services.settings, late_days=2))
    iid = notified(act, starts_at="2026-12-04T10:00", ends_at="")
    assert not row_of(factory, iid).late
    assert task_of(act, "mcd.specialist", iid, "Task_Decide")


def test_the_late_notice_accepted_goes_to_mcd(act, factory):
    iid = notified(act, starts_at="2026-12-03T10:00", ends_at="")
    assert row_of(factory, iid).status == "late"  # the badge: waiting for the head of MCD, not for MCD's decision
    act("mcd.head", instances.complete_task, task_of(act, "mcd.head", iid, "Task_AcceptLate").id,
        {"decision": "accept_late", "comment": "Ректордың кездесуі"})
    assert row_of(factory, iid).status == "submitted"
    assert task_of(act, "mcd.specialist", iid, "Task_Decide")
    (done,) = [e for e in events(factory, iid, "task_completed") if e.task == "Task_AcceptLate"]
    assert done.clause == "§7.4" and done.data["decision"] == "accept_late"


def test_details_asked_then_given(act, factory):
    iid = notified(act)
    with pytest.raises(Invalid) as bad:
        act("mcd.specialist", instances.complete_task, task_of(act, "mcd.specialist", iid, "Task_Decide").id,
            {"decision": "revise"})
    assert set(bad.value.errors) == {"comment"}
    act("mcd.specialist", instances.complete_task, task_of(act, "mcd.specialist", iid, "Task_Decide").id,
        {"decision": "revise", "comment": "Қай қонақтар келеді?"})
    assert row_of(factory, iid).status == "details"
    assert notes(factory, "employee", "revision_requested")
    details = task_of(act, "employee", iid, "Task_Details")
    values = act("employee", instances.prefill, details)
    assert values["starts_at"] == "2026-12-10T10:00" and values["ends_at"] == "2026-12-10T13:00"
    assert values["guests"] == "Мектеп оқушылары, 120 адам" and values["unit"] == "FE-IS"
    act("employee", instances.complete_task, details.id, values | {"guests": "Әкім және 120 оқушы"})
    row = row_of(factory, iid)
    assert row.status == "submitted" and row.guests == "Әкім және 120 оқушы"
    act("mcd.head", instances.complete_task, task_of(act, "mcd.specialist", iid, "Task_Decide").id,
        {"decision": "decline", "comment": "Ішкі іс-шара"})
    assert state(factory, iid) == ("completed", "declined")
    assert row_of(factory, iid).status == "declined"
    assert act("mcd.head", calendar.month_calendar, calendar.Month(2026, 12)).count == 0  # declined: not on it


@pytest.mark.parametrize("overrides, field", [
    ({"starts_at": "2026-11-30T10:00"}, "starts_at"),  # in the past
    ({"starts_at": "2026-12-01T09:59"}, "starts_at"),  # a minute ago, university time
    ({"starts_at": "yesterday"}, "starts_at"),
    ({"ends_at": "2026-12-10T09:00"}, "ends_at"),  # before the start
    ({"unit": "AMD"}, "unit"),  # not the employee's unit
    ({"unit": "NOPE"}, "unit"),
    ({"site_languages": []}, "site_languages"),  # news on the site, in no language
    ({"title": "   "}, "title"),
    ({"audiences": []}, "audiences"),
    ({"event_kind": "party"}, "event_kind"),
])
def test_a_bad_notice_is_refused_and_changes_nothing(act, factory, overrides, field):
    iid = act("employee", instances.start_instance, KEY).id
    task = act("employee", lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])
    with pytest.raises(Invalid) as bad:
        act("employee", instances.complete_task, task.id, notice(**overrides))
    assert field in bad.value.errors
    with factory() as s:
        assert s.execute(select(EventNotice).where(EventNotice.instance_id == iid)).scalar_one_or_none() is None
        assert s.get(InboxTask, task.id).state == "ready"


@pytest.mark.parametrize("body, field", [
    (ACCEPT | {"covered_by": ""}, "covered_by"),
    (ACCEPT | {"covered_by": "employee"}, "covered_by"),  # not of MCD
    (ACCEPT | {"covered_by": "nobody"}, "covered_by"),
    (ACCEPT | {"channels": []}, "channels"),
    (ACCEPT | {"publish_by": ""}, "publish_by"),
    (ACCEPT | {"publish_by": "2026-11-30T10:00"}, "publish_by"),
    ({"decision": "decline", "comment": "  "}, "comment"),
])
def test_a_bad_decision_is_refused_and_changes_nothing(act, factory, body, field):
    iid = notified(act)
    decide = task_of(act, "mcd.specialist", iid, "Task_Decide")
    with pytest.raises(Invalid) as bad:
        act("mcd.specialist", instances.complete_task, decide.id, body)
    assert field in bad.value.errors
    assert row_of(factory, iid).status == "submitted"
    assert not events(factory, iid, "coverage_planned")


def test_mcd_does_not_decide_its_own_notice(act, factory):
    iid = notified(act, user="mcd.specialist", unit="MCD")
    decide = act("mcd.head", lambda c: [t for t in instances.ready_tasks(c, c.session.get(Instance, iid), False)])[0]
    with pytest.raises(Forbidden):
        act("mcd.specialist", instances.complete_task, decide.id, ACCEPT)
    act("mcd.head", instances.complete_task, decide.id, ACCEPT | {"covered_by": "mcd.head"})
    assert row_of(factory, iid).status == "accepted"


def test_withdrawn_before_the_decision_not_after(act, factory):
    iid = notified(act)
    act("employee", instances.withdraw, iid, "Іс-шара тоқтатылды")
    assert state(factory, iid) == ("completed", "withdrawn")
    assert row_of(factory, iid).status == "withdrawn"
    other = notified(act)
    act("mcd.specialist", instances.complete_task, task_of(act, "mcd.specialist", other, "Task_Decide").id, ACCEPT)
    with pytest.raises(Conflict):
        act("employee", instances.withdraw, other, "кеш")


def test_the_calendar_month_and_who_sees_it(act):
    assert act("auditor", calendar.month_calendar, calendar.parse_month(None, NOW)).month == calendar.Month(2026, 12)
    assert str(calendar.Month(2026, 1).previous) == "2025-12" and str(calendar.Month(2026, 12).next) == "2027-01"
    for bad in ("2026-13", "26-01", "2026-1", "x"):
        with pytest.raises(Invalid):
            calendar.parse_month(bad, NOW)
    with pytest.raises(Forbidden):
        act("admin", calendar.month_calendar, calendar.Month(2026, 12))  # no unit, not MCD


def test_the_employees_of_a_unit_only_notify_for_it(act, factory):
    iid = notified(act, user="unit.head", unit="FE")  # the faculty above the department
    assert row_of(factory, iid).unit.code == "FE"
    assert task_of(act, "mcd.specialist", iid, "Task_Decide")


def test_the_demo_notices_are_seeded_once(act, factory):
    from processes.event_notice.kind import KIND

    assert "3" in act(None, KIND.seed_demo)
    assert act(None, KIND.seed_demo) is None
    with factory() as s:
        rows = {r.title: (r.status, r.late) for r in s.execute(select(EventNotice)).scalars()}
    assert rows == {"«Цифрлық экономика» ғылыми-практикалық конференциясы": ("accepted", False),
                    "Ашық есік күні": ("submitted", False), "IT-компаниялармен дөңгелек үстел": ("late", True)}
    assert act("mcd.head", calendar.month_calendar, calendar.Month(2026, 12)).count == 1
