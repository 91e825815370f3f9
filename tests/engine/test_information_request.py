"""Every path of processes/information_request.bpmn, in memory and with a save/load around each action."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from processes.engine import ProcessEngine, TaskNotReady
from tests.engine.driver import Driver

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
NOW = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
REMIND3 = NOW + timedelta(days=7)
REMIND1 = NOW + timedelta(days=9)
ESCALATE = NOW + timedelta(days=12)
DEADLINE = NOW + timedelta(days=12, hours=13)


def registration(form: str = "electronic", **overrides: Any) -> dict[str, Any]:
    """The registration data with the timer targets the application computes."""
    data = {"requester_name": "A. Requester", "requester_kind": "person", "email": "a@example.kz",
            "postal_address": "", "subject": "Fees", "items": "Tuition fees", "form": form, "language": "kk",
            "received_at": NOW.isoformat(), "file_ids": [1], "reg_number": "IR-2026-00001",
            "remind3_at": REMIND3.isoformat(), "remind1_at": REMIND1.isoformat(),
            "escalate_at": ESCALATE.isoformat(), "deadline_at": DEADLINE.isoformat()}
    return data | overrides


@pytest.fixture(scope="module")
def engine() -> ProcessEngine:
    return ProcessEngine(PROCESSES)


@pytest.fixture(scope="module")
def spec_json(engine: ProcessEngine) -> str:
    return {p.key: p for p in engine.deploy_all()}["information_request"].spec_json


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(params=[False, True], ids=["memory", "persisted"])
def driver(request: pytest.FixtureRequest, engine: ProcessEngine, spec_json: str) -> Driver:
    return Driver(engine, spec_json, persist=request.param)


def registered(driver: Driver, form: str = "electronic") -> Driver:
    driver.complete("Task_Register", registration(form))
    assert driver.ready() == ["Task_Decide"]
    return driver


def test_registration_is_the_first_task(driver: Driver) -> None:
    task = driver.task("Task_Register")
    assert (task.title, task.lane) == ("Register the request", "Registry")
    assert (task.form, task.ui_form) == ("ir_registration.schema.json", "ir_registration.uischema.json")
    assert task.instructions and "§11.2" in task.instructions
    assert driver.run.next_timer_at() is None


def test_registration_starts_the_clock(driver: Driver) -> None:
    registered(driver)
    assert driver.task("Task_Decide").lane == "Rector"
    assert driver.run.next_timer_at() == REMIND3


def test_refusal_is_the_answer(driver: Driver) -> None:
    registered(driver)
    driver.complete("Task_Decide", {"decision": "refuse", "ground": "state_secret", "reason": "§2.4"})
    assert driver.ready() == []
    assert driver.run.is_completed() and driver.run.data["outcome"] == "refused"
    assert driver.run.next_timer_at() is None  # the clock stopped with the answer


@pytest.mark.parametrize(("decision", "outcome"), [("provide", "provided"), ("provide_partly", "provided_partly")])
def test_electronic_answer(driver: Driver, decision: str, outcome: str) -> None:
    registered(driver)
    driver.complete("Task_Decide", {"decision": decision, "responsible_unit": "FE-IS"})
    assert driver.ready() == ["Task_Prepare"]
    assert driver.task("Task_Prepare").lane == "Responsible unit"
    driver.complete("Task_Prepare", {"answer_text": "Answer", "file_ids": [], "accuracy_confirmed": True})
    assert driver.ready() == []
    assert driver.run.is_completed() and driver.run.data["outcome"] == outcome


def test_printed_copy_loops_while_awaiting_payment(driver: Driver) -> None:
    registered(driver, form="printed")
    driver.complete("Task_Decide", {"decision": "provide", "responsible_unit": "FE-IS"})
    driver.complete("Task_Prepare", {"answer_text": "Answer", "accuracy_confirmed": True})
    first = driver.task("Task_Payment").id
    driver.complete("Task_Payment", {"cost": 1500, "status": "awaiting"})
    assert driver.ready() == ["Task_Payment"] and driver.task("Task_Payment").id != first
    driver.complete("Task_Payment", {"cost": 1500, "status": "paid"})
    assert driver.ready() == []
    assert driver.run.data["outcome"] == "provided"


def test_waiver_goes_straight_to_dispatch(driver: Driver) -> None:
    registered(driver, form="printed")
    driver.complete("Task_Decide", {"decision": "provide", "responsible_unit": "FE-IS"})
    driver.complete("Task_Prepare", {"answer_text": "Answer", "accuracy_confirmed": True})
    driver.complete("Task_Payment", {"cost": 0, "status": "waived"})
    assert driver.run.is_completed() and driver.run.data["outcome"] == "provided"


def test_timers_remind_escalate_and_record_the_breach_without_interrupting(
        driver: Driver, clock: time_machine.Traveller) -> None:
    registered(driver)
    assert driver.fire() == []
    clock.move_to(REMIND3 + timedelta(minutes=1))
    assert driver.fire() == ["Timer_Remind3"]
    clock.move_to(REMIND1 + timedelta(minutes=1))
    assert driver.fire() == ["Timer_Remind1"]
    clock.move_to(ESCALATE + timedelta(minutes=1))
    assert driver.fire() == ["Timer_Escalate"]
    assert driver.run.next_timer_at() == DEADLINE
    clock.move_to(DEADLINE + timedelta(minutes=1))
    assert driver.fire() == ["Timer_Overdue"]
    assert driver.fire() == []
    assert driver.ready() == ["Task_Decide"]  # the request continues after the breach
    assert driver.run.next_timer_at() is None
    driver.complete("Task_Decide", {"decision": "refuse", "ground": "commercial_secret", "reason": "§12"})
    assert driver.run.data["outcome"] == "refused"


def test_all_timers_already_due_fire_in_order(driver: Driver) -> None:
    """A letter registered long after its receipt: every timer is due at once, each reported once."""
    past = NOW - timedelta(days=30)
    driver.complete("Task_Register", registration(
        remind3_at=(past + timedelta(days=7)).isoformat(), remind1_at=(past + timedelta(days=9)).isoformat(),
        escalate_at=(past + timedelta(days=12)).isoformat(), deadline_at=(past + timedelta(days=13)).isoformat()))
    assert sorted(driver.fire()) == sorted(["Timer_Remind3", "Timer_Remind1", "Timer_Escalate", "Timer_Overdue"])
    assert driver.fire() == [] and driver.ready() == ["Task_Decide"]


def test_completed_task_cannot_be_completed_again(driver: Driver) -> None:
    registered(driver)
    decide = driver.task("Task_Decide").id
    driver.run.complete(decide, {"decision": "refuse", "ground": "state_secret", "reason": "x"})
    with pytest.raises(TaskNotReady):
        driver.run.complete(decide, {"decision": "provide", "responsible_unit": "FE-IS"})


# --- the model itself --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tree() -> ET.Element:
    return ET.parse(PROCESSES / "information_request" / "information_request.bpmn").getroot()


def test_timers_read_the_application_targets(tree: ET.Element) -> None:
    timers = {b.get("id"): (b.get("attachedToRef"), b.get("cancelActivity"), b.find(f".//{BPMN}timeDate").text)
              for b in tree.iter(f"{BPMN}boundaryEvent")}
    assert timers == {
        "Timer_Remind3": ("SubProcess_Handle", "false", "remind3_at"),
        "Timer_Remind1": ("SubProcess_Handle", "false", "remind1_at"),
        "Timer_Escalate": ("SubProcess_Handle", "false", "escalate_at"),
        "Timer_Overdue": ("SubProcess_Handle", "false", "deadline_at"),
    }


def test_every_gateway_has_a_default_flow(tree: ET.Element) -> None:
    for gateway in tree.iter(f"{BPMN}exclusiveGateway"):
        assert gateway.get("default"), gateway.get("id")


def test_diagram_shows_every_element(tree: ET.Element) -> None:
    shown = {s.get("bpmnElement") for s in tree.iter(f"{BPMNDI}BPMNShape")}
    shown |= {e.get("bpmnElement") for e in tree.iter(f"{BPMNDI}BPMNEdge")}
    process = tree.find(f"{BPMN}process")
    elements = {el.get("id") for el in process.iter() if el.get("id") and el.tag != f"{BPMN}laneSet"
                and not el.tag.endswith(("timerEventDefinition", "conditionExpression"))}
    elements.discard(process.get("id"))
    assert elements - shown == set()


def test_documentation_quotes_the_policy(tree: ET.Element) -> None:
    for task in tree.iter(f"{BPMN}userTask"):
        doc = task.find(f"{BPMN}documentation").text
        assert "§" in doc, task.get("id")
