"""Every path of processes/plan_approval/plan_approval.bpmn, in memory and with a save/load around each action."""
from __future__ import annotations

from pathlib import Path

import pytest

from processes.engine import ProcessEngine
from tests.engine.driver import Driver

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
DRAFT = {"kind": "pr_plan", "title": "PR plan 2027", "period_start": "2027-01-01", "period_end": "2027-06-30",
         "items": [{"occasion": "Open day", "month": "2027-03", "channel": "website", "unit": "MCD"}],
         "draft": {"kind": "pr_plan"}}


@pytest.fixture(scope="module")
def engine() -> ProcessEngine:
    return ProcessEngine(PROCESSES)


@pytest.fixture(scope="module")
def spec_json(engine: ProcessEngine) -> str:
    return {p.key: p for p in engine.deploy_all()}["plan_approval"].spec_json


@pytest.fixture(params=[False, True], ids=["memory", "persisted"])
def driver(request, engine, spec_json) -> Driver:
    return Driver(engine, spec_json, persist=request.param)


def test_the_draft_is_mcds_first_task(driver: Driver) -> None:
    (task,) = driver.run.ready_user_tasks()
    assert (task.name, task.lane, task.form) == ("Task_Draft", "MCD", "plan_draft.schema.json")
    assert "§7.1" in task.instructions


def test_approve(driver: Driver) -> None:
    driver.complete("Task_Draft", DRAFT)
    (task,) = driver.run.ready_user_tasks()
    assert (task.name, task.lane, task.form) == ("Task_Approve", "Rector", "plan_decision.schema.json")
    driver.complete("Task_Approve", {"decision": "approve"})
    assert driver.outcome() == "approved"
    assert driver.run.data["draft"] == {"kind": "pr_plan"}


def test_reject(driver: Driver) -> None:
    driver.complete("Task_Draft", DRAFT)
    driver.complete("Task_Approve", {"decision": "reject", "comment": "Жоқ"})
    assert driver.outcome() == "rejected"


def test_return_loops_to_mcd_until_approved(driver: Driver) -> None:
    driver.complete("Task_Draft", DRAFT)
    driver.complete("Task_Approve", {"decision": "return", "comment": "Нақтылаңыз"})
    assert driver.ready() == ["Task_Draft"]
    driver.complete("Task_Draft", DRAFT)
    driver.complete("Task_Approve", {"decision": "return", "comment": "Тағы"})
    driver.complete("Task_Draft", DRAFT)
    driver.complete("Task_Approve", {"decision": "approve"})
    assert driver.seen == ["Task_Draft", "Task_Approve"] * 3
    assert driver.outcome() == "approved"
    assert driver.run.path().completed["Task_Draft"] == 3


def test_a_return_then_a_rejection(driver: Driver) -> None:
    driver.complete("Task_Draft", DRAFT)
    driver.complete("Task_Approve", {"decision": "return", "comment": "Нақтылаңыз"})
    driver.complete("Task_Draft", DRAFT)
    driver.complete("Task_Approve", {"decision": "reject", "comment": "Қажет емес"})
    assert driver.outcome() == "rejected"
