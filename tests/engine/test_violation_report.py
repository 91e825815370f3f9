"""Every path of processes/violation_report/violation_report.bpmn, in memory and with a save/load around each
action: no breach; a breach with measures; a breach referred to the rector; units asked for explanations (one
branch each, with its reminder and due date timers) and back to the assessment, more than once."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from processes.engine import ProcessEngine
from tests.engine.driver import Driver
from tests.engine.test_information_request import PROCESSES

NOW = datetime(2026, 11, 6, 5, 0, tzinfo=UTC)  # Friday 10:00 in Almaty
REPORT = {"what_happened": "Minutes published", "happened_on": "2026-11-05", "clause": "13.1"}


def ask(key: str, unit: str, due: datetime) -> dict[str, Any]:
    return {"key": key, "unit": unit, "due_at": due.isoformat(), "remind_at": (due - timedelta(days=1)).isoformat()}


@pytest.fixture(scope="module")
def engine() -> ProcessEngine:
    return ProcessEngine(PROCESSES)


@pytest.fixture(scope="module")
def spec_json(engine: ProcessEngine) -> str:
    return {p.key: p for p in engine.deploy_all()}["violation_report"].spec_json


@pytest.fixture
def travel() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(params=[False, True], ids=["memory", "persisted"])
def driver(request: pytest.FixtureRequest, engine: ProcessEngine, spec_json: str, travel) -> Driver:
    return Driver(engine, spec_json, persist=request.param)


def reported(driver: Driver) -> None:
    assert driver.ready() == ["Task_Report"]
    driver.complete("Task_Report", REPORT)
    assert driver.ready() == ["Task_Assess"]


def explain_tasks(driver: Driver) -> dict[str, str]:
    return {t.data["ask"]["unit"]: t.id for t in driver.run.ready_user_tasks() if t.name == "Task_Explain"}


def explain(driver: Driver, unit: str) -> None:
    task_id = explain_tasks(driver)[unit]
    driver.cycle()
    driver.run.complete(task_id, {"explanation": "done"})
    driver.cycle()


def fired(driver: Driver) -> list[tuple[str, str]]:
    driver.cycle()
    timers = driver.run.fire_timers()
    driver.cycle()
    return sorted((t.name, t.data["ask"]["unit"]) for t in timers)


def test_no_breach(driver: Driver) -> None:
    reported(driver)
    driver.complete("Task_Assess", {"assessment": "no_breach", "findings": "public", "asks": []})
    assert driver.outcome() == "no_breach"


def test_breach_with_measures_closes(driver: Driver) -> None:
    reported(driver)
    driver.complete("Task_Assess", {"assessment": "breach", "asks": []})
    assert driver.ready() == ["Task_Measures"]
    driver.complete("Task_Measures", {"findings": "f", "measures": ["removal"], "refer": "no"})
    assert driver.outcome() == "breach_handled"


def test_breach_referred_to_the_rector(driver: Driver) -> None:
    reported(driver)
    driver.complete("Task_Assess", {"assessment": "breach", "asks": []})
    driver.complete("Task_Measures", {"findings": "f", "measures": [], "refer": "yes", "recommendation": "r"})
    assert driver.ready() == ["Task_RectorDecision"]
    driver.complete("Task_RectorDecision", {"rector_decision": "disciplinary"})
    assert driver.outcome() == "referred"


def test_units_explain_each_on_its_due_date_then_back_to_the_assessment(driver: Driver, travel) -> None:
    reported(driver)
    monday = datetime(2026, 11, 9, 19, 0, tzinfo=UTC)
    tuesday = monday + timedelta(days=1)
    driver.complete("Task_Assess", {"assessment": "ask_units", "asks": [ask("a", "FE-IS", monday),
                                                                          ask("b", "AMD", tuesday)]})
    assert sorted(explain_tasks(driver)) == ["AMD", "FE-IS"]
    assert fired(driver) == []
    travel.move_to(monday - timedelta(days=1) + timedelta(seconds=1))
    assert fired(driver) == [("Timer_Remind", "FE-IS")]
    travel.move_to(monday + timedelta(seconds=1))
    assert fired(driver) == [("Timer_Due", "FE-IS"), ("Timer_Remind", "AMD")]
    assert sorted(explain_tasks(driver)) == ["AMD", "FE-IS"]  # non-interrupting: still awaited, now late
    explain(driver, "FE-IS")
    assert driver.ready() == ["Task_Explain"]  # the other unit still explains
    explain(driver, "AMD")
    travel.move_to(tuesday + timedelta(days=3))
    assert fired(driver) == []  # explained: its clock stopped
    assert driver.ready() == ["Task_Assess"]
    # a second round, then the decision
    later = tuesday + timedelta(days=5)
    driver.complete("Task_Assess", {"assessment": "ask_units", "asks": [ask("c", "FE-IS", later)]})
    explain(driver, "FE-IS")
    driver.complete("Task_Assess", {"assessment": "no_breach", "findings": "explained", "asks": []})
    assert driver.outcome() == "no_breach"
