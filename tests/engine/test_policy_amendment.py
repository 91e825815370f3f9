"""Every path of processes/policy_amendment.bpmn, in memory and with a save/load around each action."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from processes.engine import ProcessEngine, TaskNotReady
from tests.engine.driver import Driver

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
PROPOSAL = {"changes": [{"clause": "7.10.2", "text": "New text."}], "rationale": "Why"}
ADOPTED = {"council_required": True, "meeting_date": "2026-11-20", "council_decision": "adopted",
           "votes_for": 30, "votes_against": 1, "votes_abstained": 0, "minutes_file_id": 1}


@pytest.fixture(scope="module")
def engine() -> ProcessEngine:
    return ProcessEngine(PROCESSES)


@pytest.fixture(scope="module")
def spec_json(engine: ProcessEngine) -> str:
    return {p.key: p for p in engine.deploy_all()}["policy_amendment"].spec_json


@pytest.fixture(params=[False, True], ids=["memory", "persisted"])
def driver(request, engine, spec_json) -> Driver:
    return Driver(engine, spec_json, persist=request.param)


def to_rector(d: Driver, council: dict[str, Any] = ADOPTED) -> None:
    d.complete("Task_Propose", PROPOSAL)
    d.complete("Task_Review", {"decision": "consolidate"})
    d.complete("Task_Council", council)
    assert d.ready() == ["Task_Approve"]


def test_proposal_is_the_first_task(driver: Driver) -> None:
    (task,) = driver.run.ready_user_tasks()
    assert (task.name, task.lane, task.form) == ("Task_Propose", "Proposer", "policy_proposal.schema.json")
    assert "§14.4" in task.instructions


def test_approve(driver: Driver) -> None:
    to_rector(driver)
    driver.complete("Task_Approve", {"decision": "approve", "effective_date": "2026-12-01"})
    assert driver.run.is_completed() and driver.run.data["outcome"] == "approved"


def test_council_not_required_goes_to_the_rector(driver: Driver) -> None:
    to_rector(driver, {"council_required": False})
    driver.complete("Task_Approve", {"decision": "reject", "comment": "No"})
    assert driver.run.data["outcome"] == "rejected"


def test_council_not_adopted(driver: Driver) -> None:
    driver.complete("Task_Propose", PROPOSAL)
    driver.complete("Task_Review", {"decision": "consolidate"})
    driver.complete("Task_Council", {**ADOPTED, "council_decision": "not_adopted"})
    assert driver.run.is_completed() and driver.run.data["outcome"] == "not_adopted"


def test_revise_then_reject_by_mcd(driver: Driver) -> None:
    driver.complete("Task_Propose", PROPOSAL)
    driver.complete("Task_Review", {"decision": "revise", "comment": "More"})
    assert driver.ready() == ["Task_Revise"]
    driver.complete("Task_Revise", PROPOSAL)
    assert driver.ready() == ["Task_Review"]
    driver.complete("Task_Review", {"decision": "reject", "comment": "No"})
    assert driver.run.data["outcome"] == "rejected"


def test_rector_returns_it_to_mcd(driver: Driver) -> None:
    to_rector(driver)
    driver.complete("Task_Approve", {"decision": "return", "comment": "Rebase"})
    assert driver.ready() == ["Task_Review"]
    driver.complete("Task_Review", {"decision": "consolidate"})
    driver.complete("Task_Council", ADOPTED)
    driver.complete("Task_Approve", {"decision": "approve", "effective_date": "2026-12-01"})
    assert driver.run.data["outcome"] == "approved"


def test_completed_task_cannot_be_completed_again(driver: Driver) -> None:
    (task,) = driver.run.ready_user_tasks()
    driver.run.complete(task.id, PROPOSAL)
    with pytest.raises(TaskNotReady):
        driver.run.complete(task.id, PROPOSAL)


def test_model() -> None:
    tree = ET.parse(PROCESSES / "policy_amendment" / "policy_amendment.bpmn").getroot()
    for gateway in tree.iter(f"{BPMN}exclusiveGateway"):
        assert gateway.get("default"), gateway.get("id")
    shown = {s.get("bpmnElement") for s in tree.iter(f"{BPMNDI}BPMNShape")} | \
        {e.get("bpmnElement") for e in tree.iter(f"{BPMNDI}BPMNEdge")}
    process = tree.find(f"{BPMN}process")
    ids = {el.get("id") for el in process.iter() if el.get("id") and el.tag != f"{BPMN}laneSet"}
    assert ids - shown - {"policy_amendment"} == set()
    for task in tree.iter(f"{BPMN}userTask"):
        assert "§" in task.find(f"{BPMN}documentation").text, task.get("id")
