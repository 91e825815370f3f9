"""Every path of processes/media_inquiry/media_inquiry.bpmn, in memory and with a save/load around each action:
each unit's branch of the multi-instance subprocess on its own clock, "not our competence" and a new unit,
revise, reject, release; and the clock itself (processes/media_inquiry/clock.py) from frozen times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from processes.engine import ProcessEngine
from processes.media_inquiry import clock
from processes.university_time import UNIVERSITY_TZ
from tests.engine.driver import Driver
from tests.engine.test_information_request import PROCESSES

NOW = datetime(2026, 11, 6, 5, 0, tzinfo=UTC)  # Friday 10:00 in Almaty


def ask(ask_id: int, unit: str, urgency: str, sent: datetime = NOW, term: datetime | None = None) -> dict[str, Any]:
    return {"ask_id": ask_id, "unit": unit, "urgency": urgency, **clock.clock(sent, urgency, term).as_data()}


@pytest.fixture(scope="module")
def engine() -> ProcessEngine:
    return ProcessEngine(PROCESSES)


@pytest.fixture(scope="module")
def spec_json(engine: ProcessEngine) -> str:
    return {p.key: p for p in engine.deploy_all()}["media_inquiry"].spec_json


@pytest.fixture
def travel() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(params=[False, True], ids=["memory", "persisted"])
def driver(request: pytest.FixtureRequest, engine: ProcessEngine, spec_json: str, travel) -> Driver:
    return Driver(engine, spec_json, persist=request.param)


def routed(driver: Driver, *asks: dict[str, Any]) -> None:
    driver.complete("Task_Register", {"outlet": "Qostanay TV", "journalist": "A. Journalist", "contact": "+7 700",
                                      "questions": "1. Why?\n2. When?", "language": "kk"})
    assert driver.ready() == ["Task_Route"]
    driver.complete("Task_Route", {"source": "rector", "asks": list(asks)})


def answer_tasks(driver: Driver) -> dict[str, str]:
    """The ready answer tasks by the unit of their branch."""
    return {t.data["ask"]["unit"]: t.id for t in driver.run.ready_user_tasks() if t.name == "Task_Answer"}


def complete_id(driver: Driver, task_id: str, data: dict[str, Any]) -> None:
    driver.cycle()
    driver.run.complete(task_id, data)
    driver.cycle()


def answered(driver: Driver, unit: str) -> None:
    complete_id(driver, answer_tasks(driver)[unit], {"unit_outcome": "answered", "answers": {"1": "a", "2": "b"},
                                                     "accuracy_confirmed": True})


def fired(driver: Driver) -> list[tuple[str, str]]:
    driver.cycle()
    timers = driver.run.fire_timers()
    driver.cycle()
    return [(t.name, t.data["ask"]["unit"]) for t in timers]


def test_each_unit_gets_a_branch_of_its_own(driver: Driver) -> None:
    routed(driver, ask(1, "FE-IS", "urgent"), ask(2, "AMD", "current"))
    assert sorted(answer_tasks(driver)) == ["AMD", "FE-IS"]
    answered(driver, "FE-IS")
    assert sorted(answer_tasks(driver)) == ["AMD"]  # the other unit still has its task
    answered(driver, "AMD")
    assert driver.ready() == ["Task_Consolidate"]


@pytest.mark.parametrize("urgency, half, soon, due", [
    ("urgent", timedelta(hours=1, minutes=30), timedelta(hours=2, minutes=30), timedelta(hours=3)),
    ("deep", timedelta(hours=3), timedelta(hours=5), timedelta(hours=6)),
    ("current", timedelta(days=1, hours=12), timedelta(days=2, hours=12), timedelta(days=3)),
])
def test_each_urgency_reminds_at_half_and_shortly_before_then_escalates(driver: Driver, travel, urgency, half,
                                                                         soon, due) -> None:
    routed(driver, ask(1, "FE-IS", urgency))
    second = timedelta(seconds=1)  # a timer fires once its moment has passed
    travel.move_to(NOW + half)
    assert fired(driver) == []
    travel.move_to(NOW + half + second)
    assert fired(driver) == [("Timer_RemindHalf", "FE-IS")]
    travel.move_to(NOW + soon + second)
    assert fired(driver) == [("Timer_RemindSoon", "FE-IS")]
    travel.move_to(NOW + due)
    assert fired(driver) == []
    travel.move_to(NOW + due + second)
    assert fired(driver) == [("Timer_Deadline", "FE-IS")]
    assert list(answer_tasks(driver)) == ["FE-IS"]  # non-interrupting: the answer is still awaited, now late
    answered(driver, "FE-IS")
    assert driver.ready() == ["Task_Consolidate"]
    assert fired(driver) == []


def test_units_keep_their_own_clocks(driver: Driver, travel) -> None:
    routed(driver, ask(1, "FE-IS", "urgent"), ask(2, "AMD", "current"))
    travel.move_to(NOW + timedelta(hours=3, seconds=1))
    assert sorted(fired(driver)) == [("Timer_Deadline", "FE-IS"), ("Timer_RemindHalf", "FE-IS"),
                                     ("Timer_RemindSoon", "FE-IS")]
    answered(driver, "FE-IS")
    travel.move_to(NOW + timedelta(days=1, hours=12, seconds=1))
    assert fired(driver) == [("Timer_RemindHalf", "AMD")]


def test_an_answer_on_time_stops_the_clock(driver: Driver, travel) -> None:
    routed(driver, ask(1, "FE-IS", "urgent"))
    travel.move_to(NOW + timedelta(hours=2))
    assert fired(driver) == [("Timer_RemindHalf", "FE-IS")]
    answered(driver, "FE-IS")
    travel.move_to(NOW + timedelta(days=10))
    assert fired(driver) == []
    assert driver.ready() == ["Task_Consolidate"]


def test_a_worker_down_through_the_deadline_fires_each_timer_once(driver: Driver, travel) -> None:
    routed(driver, ask(1, "FE-IS", "deep"))
    travel.move_to(NOW + timedelta(hours=30))
    assert sorted(fired(driver)) == [("Timer_Deadline", "FE-IS"), ("Timer_RemindHalf", "FE-IS"),
                                     ("Timer_RemindSoon", "FE-IS")]
    assert fired(driver) == []


def test_not_our_competence_then_another_unit_on_a_new_clock(driver: Driver, travel) -> None:
    routed(driver, ask(1, "AMD", "urgent"))
    travel.move_to(NOW + timedelta(hours=1))
    complete_id(driver, answer_tasks(driver)["AMD"], {"unit_outcome": "not_competent", "reason": "Not ours"})
    assert driver.ready() == ["Task_Redirect"]
    travel.move_to(NOW + timedelta(hours=4))  # the first unit's deadline passes: its clock stopped
    assert fired(driver) == []
    driver.complete("Task_Redirect", {"redirect": "ask", "ask": ask(2, "FE-IS", "urgent", NOW + timedelta(hours=4))})
    assert list(answer_tasks(driver)) == ["FE-IS"]
    travel.move_to(NOW + timedelta(hours=7, seconds=1))
    assert sorted(fired(driver)) == [("Timer_Deadline", "FE-IS"), ("Timer_RemindHalf", "FE-IS"),
                                     ("Timer_RemindSoon", "FE-IS")]
    answered(driver, "FE-IS")
    assert driver.ready() == ["Task_Consolidate"]


def test_not_our_competence_and_no_other_unit(driver: Driver) -> None:
    routed(driver, ask(1, "AMD", "deep"), ask(2, "FE-IS", "deep"))
    complete_id(driver, answer_tasks(driver)["AMD"], {"unit_outcome": "not_competent", "reason": "Not ours"})
    driver.complete("Task_Redirect", {"redirect": "none"})
    assert list(answer_tasks(driver)) == ["FE-IS"]
    answered(driver, "FE-IS")
    assert driver.ready() == ["Task_Consolidate"]


def test_revise_by_the_source_then_release(driver: Driver) -> None:
    routed(driver, ask(1, "FE-IS", "urgent"))
    answered(driver, "FE-IS")
    driver.complete("Task_Consolidate", {"answer_text": "Draft"})
    assert driver.ready() == ["Task_Clear"]
    driver.complete("Task_Clear", {"decision": "revise", "comment": "Shorter"})
    assert driver.ready() == ["Task_Consolidate"]
    driver.complete("Task_Consolidate", {"answer_text": "Final"})
    driver.complete("Task_Clear", {"decision": "approve"})
    assert driver.ready() == ["Task_Release"]
    driver.complete("Task_Release", {"method": "email", "released_to": "A. Journalist"})
    assert driver.outcome() == "released"


def test_rejected_by_the_source(driver: Driver) -> None:
    routed(driver, ask(1, "FE-IS", "current"))
    answered(driver, "FE-IS")
    driver.complete("Task_Consolidate", {"answer_text": "Draft"})
    driver.complete("Task_Clear", {"decision": "reject", "comment": "No comment to the media"})
    assert driver.outcome() == "rejected"


# --- the clock ------------------------------------------------------------------------------------

def almaty(*args: int) -> datetime:
    return datetime(*args, tzinfo=UNIVERSITY_TZ).astimezone(UTC)


def test_urgent_and_deep_count_clock_hours_across_midnight() -> None:
    sent = almaty(2026, 11, 6, 22, 30)  # Friday evening
    assert clock.due_at(sent, "urgent") == almaty(2026, 11, 7, 1, 30)
    assert clock.due_at(sent, "deep") == almaty(2026, 11, 7, 4, 30)


def test_current_counts_calendar_days_through_a_weekend() -> None:
    sent = almaty(2026, 11, 6, 16, 0)  # Friday
    assert clock.due_at(sent, "current") == almaty(2026, 11, 9, 16, 0)  # Monday: Saturday and Sunday count
    plan = clock.clock(sent, "current")
    assert plan.remind_half_at == almaty(2026, 11, 8, 4, 0)
    assert plan.remind_soon_at == almaty(2026, 11, 9, 4, 0)  # a sixth of 3 days: 12 hours before


def test_a_stated_term_wins_for_a_current_request() -> None:
    sent = almaty(2026, 11, 6, 16, 0)
    term = almaty(2026, 11, 20, 12, 0)
    plan = clock.clock(sent, "current", term)
    assert plan.due_at == term
    assert plan.remind_soon_at == term - timedelta(days=1)  # at most a day before


def test_late_by() -> None:
    due = almaty(2026, 11, 6, 13, 0)
    assert clock.late_by(due, due) is None
    assert clock.late_by(due, due + timedelta(minutes=75)) == timedelta(minutes=75)
    assert clock.duration_text(timedelta(days=1, hours=2, minutes=5)) == (1, 2, 5)
