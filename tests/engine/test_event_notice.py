"""Every path of processes/event_notice/event_notice.bpmn (§7.4, §7.6, §7.8), in memory and with a save/load
around each action: on time and late notices, the head of MCD's acceptance, MCD's three decisions, the details
loop, and the reminder after the event."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from processes.engine import UserTask
from tests.engine.driver import Driver, process_fixtures

NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
REMIND = datetime(2026, 12, 10, 19, 0, tzinfo=UTC)  # the end of 10 December in Almaty
USER_TASKS = {
    "Task_Notify": ("Notify MCD of the event", "Unit", "en_notice"),
    "Task_AcceptLate": ("Accept the late notice", "Head of MCD", "en_late"),
    "Task_Decide": ("Decide on the coverage", "MCD", "en_decision"),
    "Task_Details": ("Give the details MCD asks for", "Unit", "en_notice"),
    "Task_Record": ("Record what was published", "MCD", "en_record"),
}
ACCEPT = {"decision": "accept", "covered_by": "mcd.specialist", "channels": ["website"],
          "publish_by": "2026-12-11T12:00:00+00:00", "record_remind_at": REMIND.isoformat()}


def notice(**overrides: Any) -> dict[str, Any]:
    """A notice as the application hands it over, with late computed (§7.4)."""
    data = {"unit": "FE-IS", "title": "Open day", "event_kind": "open_day", "starts_at": "2026-12-10T05:00:00+00:00",
            "place": "Main hall", "organiser": "Department of IS", "audiences": ["applicants"],
            "requests": ["photo"], "site_languages": [], "late": False, "late_rule_days": 5}
    return data | overrides


engine, spec_json, driver = process_fixtures("event_notice")


@pytest.fixture
def travel() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def assert_user_task(task: UserTask) -> None:
    title, lane, form = USER_TASKS[task.name]
    assert (task.title, task.lane) == (title, lane)
    assert (task.form, task.ui_form) == (f"{form}.schema.json", f"{form}.uischema.json")
    assert task.instructions and "§" in task.instructions


def test_the_notice_is_the_first_task(driver: Driver) -> None:
    assert driver.ready() == ["Task_Notify"]
    assert_user_task(driver.task("Task_Notify"))
    assert "§7.4" in (driver.task("Task_Notify").instructions or "")


def test_on_time_accepted_then_recorded(driver: Driver, travel) -> None:
    driver.complete("Task_Notify", notice())
    assert driver.ready() == ["Task_Decide"]
    assert_user_task(driver.task("Task_Decide"))
    driver.complete("Task_Decide", ACCEPT)
    assert driver.ready() == ["Task_Record"]
    assert_user_task(driver.task("Task_Record"))
    driver.complete("Task_Record",
                    {"publications": [{"link": "https://kineu.kz/news/1", "published_on": "2026-12-10"}]})
    assert driver.outcome() == "covered"
    assert driver.seen == ["Task_Notify", "Task_Decide", "Task_Record"]


def test_late_accepted_by_the_head_then_decided(driver: Driver) -> None:
    driver.complete("Task_Notify", notice(late=True))
    assert driver.ready() == ["Task_AcceptLate"]
    assert_user_task(driver.task("Task_AcceptLate"))
    driver.complete("Task_AcceptLate", {"late_decision": "accept_late", "comment": "Important visit"})
    assert driver.ready() == ["Task_Decide"]
    driver.complete("Task_Decide", {"decision": "decline", "comment": "Internal meeting"})
    assert driver.outcome() == "declined"


def test_late_declined_by_the_head(driver: Driver) -> None:
    driver.complete("Task_Notify", notice(late=True))
    driver.complete("Task_AcceptLate", {"late_decision": "decline", "comment": "Too late"})
    assert driver.outcome() == "not_accepted"
    assert driver.seen == ["Task_Notify", "Task_AcceptLate"]


def test_details_asked_twice_then_declined(driver: Driver) -> None:
    driver.complete("Task_Notify", notice())
    for _ in range(2):
        driver.complete("Task_Decide", {"decision": "revise", "comment": "Which guests?"})
        assert driver.ready() == ["Task_Details"]
        assert_user_task(driver.task("Task_Details"))
        driver.complete("Task_Details", notice(guests="The akim"))
        assert driver.ready() == ["Task_Decide"]  # details do not pass the late rule again
    driver.complete("Task_Decide", {"decision": "decline", "comment": "No"})
    assert driver.outcome() == "declined"


@pytest.mark.parametrize("decision", ["revise", "", "something"])
def test_anything_but_accept_or_decline_asks_for_details(driver: Driver, decision: str) -> None:
    driver.complete("Task_Notify", notice())
    driver.complete("Task_Decide", {"decision": decision, "comment": "?"})
    assert driver.ready() == ["Task_Details"]


def test_a_stale_late_decision_does_not_end_an_on_time_notice(driver: Driver) -> None:
    driver.complete("Task_Notify", notice(late=False, late_decision="decline"))
    assert driver.ready() == ["Task_Decide"]


def test_the_reminder_fires_once_after_the_event_day(driver: Driver, travel) -> None:
    driver.complete("Task_Notify", notice())
    driver.complete("Task_Decide", ACCEPT)
    travel.move_to(REMIND - timedelta(seconds=1))
    assert driver.fire() == []
    travel.move_to(REMIND + timedelta(seconds=1))
    assert driver.fire() == ["Timer_RecordDue"]
    assert driver.fire() == []
    assert driver.ready() == ["Task_Record"]  # the reminder does not close the task
    driver.complete("Task_Record", {"publications": [], "comment": "The event was cancelled"})
    assert driver.outcome() == "covered"
