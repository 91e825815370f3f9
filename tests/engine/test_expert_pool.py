"""Every path of processes/expert_pool/expert_pool.bpmn, in memory and with a save/load around each action."""
from __future__ import annotations

from pathlib import Path

import pytest

from processes.engine import ProcessEngine
from tests.engine.driver import Driver

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
PROPOSAL = {"changes": [{"action": "add", "person": "employee", "topics": "цифрландыру", "languages": ["kk"],
                         "formats": ["press"], "term_until": "2027-12-01"}], "note": "", "base_edition": 1}


@pytest.fixture(scope="module")
def engine() -> ProcessEngine:
    return ProcessEngine(PROCESSES)


@pytest.fixture(scope="module")
def spec_json(engine: ProcessEngine) -> str:
    return {p.key: p for p in engine.deploy_all()}["expert_pool"].spec_json


@pytest.fixture(params=[False, True], ids=["memory", "persisted"])
def driver(request, engine, spec_json) -> Driver:
    return Driver(engine, spec_json, persist=request.param)


def test_the_proposal_is_mcds_first_task(driver: Driver) -> None:
    (task,) = driver.run.ready_user_tasks()
    assert (task.name, task.lane, task.form) == ("Task_Propose", "MCD", "pool_proposal.schema.json")
    assert "§8.3" in task.instructions


def test_approve(driver: Driver) -> None:
    driver.complete("Task_Propose", PROPOSAL)
    (task,) = driver.run.ready_user_tasks()
    assert (task.name, task.lane, task.form) == ("Task_Approve", "Rector", "pool_approval.schema.json")
    driver.complete("Task_Approve", {"decision": "approve"})
    assert driver.outcome() == "approved"
    assert driver.run.data["changes"][0]["person"] == "employee"


def test_reject(driver: Driver) -> None:
    driver.complete("Task_Propose", PROPOSAL)
    driver.complete("Task_Approve", {"decision": "reject", "comment": "Жоқ"})
    assert driver.outcome() == "rejected"


def test_return_loops_to_mcd_until_approved(driver: Driver) -> None:
    driver.complete("Task_Propose", PROPOSAL)
    driver.complete("Task_Approve", {"decision": "return", "comment": "Нақтылаңыз"})
    assert driver.ready() == ["Task_Propose"]
    driver.complete("Task_Propose", PROPOSAL)
    driver.complete("Task_Approve", {"decision": "return", "comment": "Тағы"})
    driver.complete("Task_Propose", PROPOSAL)
    driver.complete("Task_Approve", {"decision": "approve"})
    assert driver.seen == ["Task_Propose", "Task_Approve", "Task_Propose", "Task_Approve", "Task_Propose",
                           "Task_Approve"]
    assert driver.outcome() == "approved"
    assert driver.run.path().completed["Task_Propose"] == 3
