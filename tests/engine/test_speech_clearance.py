"""Every path of processes/speech_clearance.bpmn, in memory and with a save/load around each action."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from processes.engine import ProcessEngine, TaskNotReady
from tests.engine.driver import Driver as BaseDriver

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
REMINDER_AT = NOW + timedelta(days=3)
ESCALATION_AT = NOW + timedelta(days=5)
DEADLINE_AT = NOW + timedelta(days=7)
ROUTES = {
    ("strategy",): "rector",
    ("finance",): "vice_rector:finance",
    ("significant_facts",): "mcd_head",
    ("finance", "significant_facts"): "vice_rector:finance",
    ("finance", "strategy"): "rector",
    ("significant_facts", "strategy"): "rector",
    ("finance", "significant_facts", "strategy"): "rector",
}


def submission(*categories: str, **overrides: Any) -> dict[str, Any]:
    """Return the data of a submission form, with timer targets as the application sets them."""
    data = {
        "event_name": "Engineering education forum",
        "event_kind": "conference",
        "organizer": "KInEU",
        "event_date": DEADLINE_AT.date().isoformat(),
        "location": "Kostanay",
        "title": "Our plans",
        "text": "Theses of the speech.",
        "file_ids": [],
        "categories": list(categories),
        "reminder_at": REMINDER_AT.isoformat(),
        "escalation_at": ESCALATION_AT.isoformat(),
        "deadline_at": DEADLINE_AT.isoformat(),
    }
    return data | overrides


class Driver(BaseDriver):
    """The shared driver, plus a step of this process."""

    def submit_and_route(self, *categories: str) -> None:
        """Submit a text with categories so that it waits for the public person."""
        self.complete("Task_Submit", submission(*categories))
        assert self.ready() == ["Task_Decide"]


@pytest.fixture(scope="module")
def engine() -> ProcessEngine:
    """Return an engine over the real processes folder."""
    return ProcessEngine(PROCESSES)


@pytest.fixture(scope="module")
def spec_json(engine: ProcessEngine) -> str:
    """Return the deployed speech clearance spec."""
    return {p.key: p for p in engine.deploy_all()}["speech_clearance"].spec_json


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    """Freeze the clock at NOW; tests move it past timer targets."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(params=[False, True], ids=["memory", "persisted"])
def driver(request: pytest.FixtureRequest, engine: ProcessEngine, spec_json: str) -> Driver:
    """Return a driver over a new instance, in memory or saved and loaded around each action."""
    return Driver(engine, spec_json, persist=request.param)


def test_submission_is_the_first_task(driver: Driver) -> None:
    task = driver.task("Task_Submit")
    assert driver.ready() == ["Task_Submit"]
    assert (task.title, task.lane) == ("Submit speech text", "Employee")
    assert (task.form, task.ui_form) == ("speech_submission.schema.json", "speech_submission.uischema.json")
    assert task.instructions and "§8.6" in task.instructions
    assert not driver.run.is_completed()


def test_no_category_needs_no_clearance(driver: Driver) -> None:
    driver.complete("Task_Submit", submission())
    assert driver.run.is_completed()
    assert driver.ready() == []
    assert driver.run.data["outcome"] == "not_required"
    assert driver.run.next_timer_at() is None


@pytest.mark.parametrize(("categories", "role"), list(ROUTES.items()), ids=["+".join(c) for c in ROUTES])
def test_categories_route_to_the_public_person(
    driver: Driver, categories: tuple[str, ...], role: str
) -> None:
    driver.submit_and_route(*categories)
    task = driver.task("Task_Decide")
    assert task.data["approver_role"] == role
    assert (task.title, task.lane) == ("Clear speech text", "Public person")
    assert (task.form, task.ui_form) == ("speech_decision.schema.json", "speech_decision.uischema.json")


def test_approve(driver: Driver) -> None:
    driver.submit_and_route("finance")
    driver.complete("Task_Decide", {"decision": "approve", "comment": ""})
    assert driver.run.is_completed()
    assert driver.run.data["outcome"] == "approved"
    assert driver.run.data["approver_role"] == "vice_rector:finance"
    assert driver.run.next_timer_at() is None


def test_reject(driver: Driver) -> None:
    driver.submit_and_route("strategy")
    driver.complete("Task_Decide", {"decision": "reject", "comment": "§12: service secret"})
    assert driver.run.is_completed()
    assert driver.run.data["outcome"] == "rejected"


def test_revise_resubmit_with_other_categories_then_approve(driver: Driver) -> None:
    driver.submit_and_route("significant_facts")
    driver.complete("Task_Decide", {"decision": "revise", "comment": "Shorten it"})
    revise = driver.task("Task_Revise")
    assert driver.ready() == ["Task_Revise"]
    assert (revise.title, revise.lane) == ("Revise speech text", "Employee")
    assert revise.form == "speech_submission.schema.json"
    assert revise.ui_form == "speech_submission.uischema.json"
    assert revise.data["comment"] == "Shorten it"
    driver.complete("Task_Revise", submission("strategy", text="Shorter theses."))
    assert driver.task("Task_Decide").data["approver_role"] == "rector"
    driver.complete("Task_Decide", {"decision": "approve", "comment": ""})
    assert driver.run.is_completed()
    data = driver.run.data
    assert data["outcome"] == "approved"
    assert (data["categories"], data["text"]) == (["strategy"], "Shorter theses.")


def test_revise_resubmit_without_categories_needs_no_clearance(driver: Driver) -> None:
    driver.submit_and_route("finance")
    driver.complete("Task_Decide", {"decision": "revise", "comment": "Drop the budget figures"})
    driver.complete("Task_Revise", submission())
    assert driver.run.is_completed()
    assert driver.run.data["outcome"] == "not_required"


def test_reminder_and_escalation_do_not_interrupt(driver: Driver, clock: time_machine.Traveller) -> None:
    driver.submit_and_route("finance")
    assert driver.run.next_timer_at() == REMINDER_AT
    assert driver.fire() == []
    clock.move_to(REMINDER_AT + timedelta(minutes=1))
    assert driver.fire() == ["Timer_Reminder"]
    assert driver.fire() == []
    assert driver.ready() == ["Task_Decide"]
    assert driver.run.next_timer_at() == ESCALATION_AT
    clock.move_to(ESCALATION_AT + timedelta(minutes=1))
    assert driver.fire() == ["Timer_Escalation"]
    assert driver.ready() == ["Task_Decide"]
    assert not driver.run.is_completed()
    assert driver.run.next_timer_at() == DEADLINE_AT
    driver.complete("Task_Decide", {"decision": "approve", "comment": ""})
    assert driver.run.is_completed()
    assert driver.run.data["outcome"] == "approved"


def test_deadline_expires_the_decision(driver: Driver, clock: time_machine.Traveller) -> None:
    driver.submit_and_route("strategy")
    clock.move_to(DEADLINE_AT + timedelta(seconds=1))
    assert sorted(driver.fire()) == ["Timer_Escalation", "Timer_Expire", "Timer_Reminder"]
    assert driver.run.is_completed()
    assert driver.ready() == []
    assert driver.run.data["outcome"] == "expired"
    assert driver.run.next_timer_at() is None


def test_deadline_expires_the_revision(driver: Driver, clock: time_machine.Traveller) -> None:
    driver.submit_and_route("finance")
    driver.complete("Task_Decide", {"decision": "revise", "comment": "Add sources"})
    assert driver.run.next_timer_at() == DEADLINE_AT
    clock.move_to(DEADLINE_AT + timedelta(seconds=1))
    assert driver.fire() == ["Timer_ExpireRevision"]
    assert driver.run.is_completed()
    assert driver.run.data["outcome"] == "expired"


def test_decision_after_the_deadline_is_refused(driver: Driver, clock: time_machine.Traveller) -> None:
    driver.submit_and_route("finance")
    task_id = driver.task("Task_Decide").id
    clock.move_to(DEADLINE_AT + timedelta(seconds=1))
    with pytest.raises(TaskNotReady):
        driver.run.complete(task_id, {"decision": "approve", "comment": ""})
    assert "Timer_Expire" in driver.fire()
    assert driver.run.data["outcome"] == "expired"


def test_timer_already_due_when_the_task_is_reached_is_reported(driver: Driver) -> None:
    driver.complete("Task_Submit", submission("finance", reminder_at=(NOW - timedelta(hours=1)).isoformat()))
    assert driver.ready() == ["Task_Decide"]
    assert driver.run.next_timer_at() == NOW - timedelta(hours=1)  # so that the worker reports it now
    assert driver.fire() == ["Timer_Reminder"]
    assert driver.run.next_timer_at() == ESCALATION_AT


def test_submission_after_the_deadline_expires_at_once(driver: Driver) -> None:
    past = (NOW - timedelta(hours=1)).isoformat()
    late = {"reminder_at": past, "escalation_at": past, "deadline_at": past}
    driver.complete("Task_Submit", submission("finance", **late))
    assert driver.run.is_completed()
    assert driver.run.data["outcome"] == "expired"
    assert "Timer_Expire" in driver.fire()


def test_completed_task_cannot_be_completed_again(driver: Driver) -> None:
    task_id = driver.task("Task_Submit").id
    driver.complete("Task_Submit", submission("finance"))
    with pytest.raises(TaskNotReady):
        driver.run.complete(task_id, submission("finance"))


# The model itself: ids the application relies on, gateways, diagram interchange, routing table.


def _bpmn() -> ET.Element:
    """Return the parsed BPMN file."""
    return ET.parse(PROCESSES / "speech_clearance" / "speech_clearance.bpmn").getroot()


def test_model_has_the_contract_ids_and_no_reserved_ones() -> None:
    ids = {el.get("id") for el in _bpmn().iter() if el.get("id")}
    expected = {
        "speech_clearance",
        "StartEvent_Submission",
        "Task_Submit",
        "Gateway_CategoriesTicked",
        "Task_SetNotRequired",
        "EndEvent_NotRequired",
        "Task_RouteApprover",
        "Task_Decide",
        "Timer_Reminder",
        "Timer_Escalation",
        "Timer_Expire",
        "EndEvent_Reminded",
        "EndEvent_Escalated",
        "EndEvent_Expired",
        "Gateway_Decision",
        "EndEvent_Approved",
        "EndEvent_Rejected",
        "Task_Revise",
        "Timer_ExpireRevision",
    }
    assert expected <= ids
    assert not ids & {"Start", "End"}
    lanes = {lane.get("name") for lane in _bpmn().iter(f"{BPMN}lane")}
    assert lanes == {"Employee", "Public person"}


def test_boundary_timers_read_the_application_targets() -> None:
    timers = {
        event.get("id"): (
            event.get("cancelActivity", "true"),
            event.get("attachedToRef"),
            event.findtext(f".//{BPMN}timeDate"),
        )
        for event in _bpmn().iter(f"{BPMN}boundaryEvent")
    }
    assert timers == {
        "Timer_Reminder": ("false", "Task_Decide", "reminder_at"),
        "Timer_Escalation": ("false", "Task_Decide", "escalation_at"),
        "Timer_Expire": ("true", "Task_Decide", "deadline_at"),
        "Timer_ExpireRevision": ("true", "Task_Revise", "deadline_at"),
    }


def test_every_gateway_has_a_default_flow() -> None:
    flows = {flow.get("id"): flow for flow in _bpmn().iter(f"{BPMN}sequenceFlow")}
    for gateway in _bpmn().iter(f"{BPMN}exclusiveGateway"):
        outgoing = [flows[ref.text] for ref in gateway.iter(f"{BPMN}outgoing")]
        assert gateway.get("default") in {flow.get("id") for flow in outgoing}
        conditional = [f for f in outgoing if f.get("id") != gateway.get("default")]
        assert all(f.find(f"{BPMN}conditionExpression") is not None for f in conditional)


def test_diagram_shows_every_element() -> None:
    root = _bpmn()
    process = root.find(f"{BPMN}process")
    assert process is not None
    nodes = {el.get("id") for el in process if el.get("id") and el.tag != f"{BPMN}sequenceFlow"}
    nodes.discard("LaneSet_SpeechClearance")
    nodes |= {lane.get("id") for lane in root.iter(f"{BPMN}lane")}
    nodes |= {p.get("id") for p in root.iter(f"{BPMN}participant")}
    shapes = {shape.get("bpmnElement") for shape in root.iter(f"{BPMNDI}BPMNShape")}
    assert len(nodes) == 24  # 21 flow nodes, 2 lanes, 1 participant
    assert nodes <= shapes
    edges = {edge.get("bpmnElement"): edge for edge in root.iter(f"{BPMNDI}BPMNEdge")}
    for flow in process.iter(f"{BPMN}sequenceFlow"):
        waypoints = list(edges[flow.get("id")])
        assert len([w for w in waypoints if w.tag.endswith("waypoint")]) >= 2


def test_documentation_quotes_the_policy() -> None:
    text = " ".join(doc.text or "" for doc in _bpmn().iter(f"{BPMN}documentation"))
    for clause in ("§8.6", "§8.3", "§8.4", "§12"):
        assert clause in text


def test_routing_table_rules_are_mutually_exclusive_and_complete() -> None:
    table = ET.parse(PROCESSES / "speech_clearance" / "approver_routing.dmn").getroot().find(f".//{DMN}decisionTable")
    assert table is not None and table.get("hitPolicy") == "UNIQUE"
    inputs = [el.findtext(f"{DMN}inputExpression/{DMN}text") for el in table.findall(f"{DMN}input")]
    assert inputs == [f'"{name}" in categories' for name in ("strategy", "finance", "significant_facts")]
    rules = [
        (
            [entry.findtext(f"{DMN}text") for entry in rule.findall(f"{DMN}inputEntry")],
            rule.findtext(f"{DMN}outputEntry/{DMN}text"),
        )
        for rule in table.findall(f"{DMN}rule")
    ]
    for size in range(4):
        for categories in itertools.combinations(["finance", "significant_facts", "strategy"], size):
            values = ["strategy" in categories, "finance" in categories, "significant_facts" in categories]
            matches = [
                out
                for entries, out in rules
                if all(e == "-" or e == str(v) for e, v in zip(entries, values, strict=True))
            ]
            assert matches == ([f'"{ROUTES[categories]}"'] if categories else [])


def test_the_path_counts_loops_fired_timers_and_what_waits(driver: Driver, clock: time_machine.Traveller) -> None:
    driver.submit_and_route("finance")
    for _ in range(2):
        driver.complete("Task_Decide", {"decision": "revise", "comment": "Add sources"})
        driver.complete("Task_Revise", submission("finance"))
    clock.move_to(REMINDER_AT + timedelta(minutes=1))
    assert driver.fire() == ["Timer_Reminder"]
    path = driver.run.path()
    assert path.completed["Task_Revise"] == 2 and path.completed["Task_Decide"] == 2
    assert path.completed["Timer_Reminder"] == 1 and path.completed["EndEvent_Reminded"] == 1
    assert "Task_Decide" in path.open and "Timer_Escalation" in path.open and "Timer_Reminder" not in path.open
    assert path.steps[("Gateway_Decision", "Task_Revise")] == 2
    assert path.steps[("Timer_Reminder", "EndEvent_Reminded")] == 1
    assert "Task_SetApproved" not in path.completed and "EndEvent_Approved" not in path.completed
    driver.complete("Task_Decide", {"decision": "approve", "comment": ""})
    done = driver.run.path()
    assert done.open == () and done.completed["EndEvent_Approved"] == 1 and done.completed["Task_Decide"] == 3
