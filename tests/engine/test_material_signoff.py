"""Every path of processes/material_signoff.bpmn, in memory and with a save/load around each action."""

from __future__ import annotations

import ast
import hashlib
import itertools
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from processes.engine import ProcessEngine, ScriptError, TaskNotReady, UserTask
from tests.engine.driver import Driver as BaseDriver

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DI = "{http://www.omg.org/spec/DD/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"
MISSING = object()  # an area the submission does not carry at all

# name -> (title, lane, form, ui form): what the application's inbox and forms rely on
USER_TASKS = {
    "Task_Submit": ("Submit material", "Unit", "material_submission"),
    "Task_AcceptLate": ("Accept late material", "Head of MCD", "material_late"),
    "Task_Review": ("Review material", "MCD specialist", "material_review"),
    "Task_Revise": ("Revise material", "Unit", "material_submission"),
    "Task_ManagementApprove": ("Approve for mass media", "Management", "material_management"),
}
ROUTES: dict[Any, str] = {
    "finance": "vice_rector:finance",
    "academic": "vice_rector:academic",
    "research": "vice_rector:research",
    "international": "vice_rector:international",
    "youth": "vice_rector:youth",
    "strategy": "rector",
    "": "rector",
    MISSING: "rector",
    None: "rector",
    "sports": "rector",  # an area the table does not name: the most senior member of management
}
APPROVE = {"decision": "approve", "comment": "", "checklist": {"logo": {"ok": True, "remark": ""}}}


def submission(**overrides: Any) -> dict[str, Any]:
    """Return submission data as the application hands it over, with late computed (§7.4)."""
    data = {
        "unit": "Department of Information Systems",
        "material_type": "poster",
        "channel": "website",
        "audiences": ["applicants"],
        "planned_date": "2026-12-01",
        "title": "Open day",
        "description": "Poster for the open day.",
        "file_ids": ["f1"],
        "late": False,
    }
    return data | overrides


class Driver(BaseDriver):
    """The shared driver, plus the steps of this process."""

    def to_review(self, **overrides: Any) -> None:
        """Submit material on time so that it waits for the MCD specialist."""
        self.complete("Task_Submit", submission(**overrides))
        assert self.ready() == ["Task_Review"]

    def to_management(self, **overrides: Any) -> None:
        """Submit mass media material and approve it at MCD so that it waits for management."""
        self.to_review(**{"channel": "mass_media", **overrides})
        self.complete("Task_Review", APPROVE)
        assert self.ready() == ["Task_ManagementApprove"]


@pytest.fixture(scope="module")
def engine() -> ProcessEngine:
    """Return an engine over the real processes folder."""
    return ProcessEngine(PROCESSES)


@pytest.fixture(scope="module")
def spec_json(engine: ProcessEngine) -> str:
    """Return the deployed material sign-off spec."""
    return {p.key: p for p in engine.deploy_all()}["material_signoff"].spec_json


@pytest.fixture(params=[False, True], ids=["memory", "persisted"])
def driver(request: pytest.FixtureRequest, engine: ProcessEngine, spec_json: str) -> Driver:
    """Return a driver over a new instance, in memory or saved and loaded around each action."""
    return Driver(engine, spec_json, persist=request.param)


def assert_user_task(task: UserTask) -> None:
    """Check a user task's title, lane and forms against the contract."""
    title, lane, form = USER_TASKS[task.name]
    assert (task.title, task.lane) == (title, lane)
    assert (task.form, task.ui_form) == (f"{form}.schema.json", f"{form}.uischema.json")
    assert task.instructions and "§" in task.instructions


# Paths through the process.


def test_submission_is_the_first_task(driver: Driver) -> None:
    assert driver.ready() == ["Task_Submit"]
    assert_user_task(driver.task("Task_Submit"))
    assert "§7.4" in (driver.task("Task_Submit").instructions or "")
    assert not driver.run.is_completed()


def test_on_time_approved_by_mcd_alone(driver: Driver) -> None:
    driver.to_review()
    assert_user_task(driver.task("Task_Review"))
    driver.complete("Task_Review", APPROVE)
    assert driver.outcome() == "approved"
    assert "management_role" not in driver.run.data
    assert driver.seen == ["Task_Submit", "Task_Review"]


@pytest.mark.parametrize("channel", ["website", "social_network", "print", "exhibition", "other"])
def test_only_mass_media_needs_management(driver: Driver, channel: str) -> None:
    driver.to_review(channel=channel)
    driver.complete("Task_Review", APPROVE)
    assert driver.outcome() == "approved"


def test_late_accepted_then_approved(driver: Driver) -> None:
    driver.complete("Task_Submit", submission(late=True))
    assert driver.ready() == ["Task_AcceptLate"]
    assert_user_task(driver.task("Task_AcceptLate"))
    driver.complete("Task_AcceptLate", {"late_decision": "accept", "comment": "Urgent, accepted"})
    assert driver.ready() == ["Task_Review"]
    driver.complete("Task_Review", APPROVE)
    assert driver.outcome() == "approved"
    assert driver.seen == ["Task_Submit", "Task_AcceptLate", "Task_Review"]


def test_late_returned(driver: Driver) -> None:
    driver.complete("Task_Submit", submission(late=True))
    driver.complete("Task_AcceptLate", {"late_decision": "return", "comment": "Too late (§7.4)"})
    assert driver.outcome() == "returned"
    assert driver.seen == ["Task_Submit", "Task_AcceptLate"]


def test_unexpected_late_decision_still_goes_to_review(driver: Driver) -> None:
    driver.complete("Task_Submit", submission(late=True))
    driver.complete("Task_AcceptLate", {"late_decision": "maybe"})
    assert driver.ready() == ["Task_Review"]


def test_review_reject(driver: Driver) -> None:
    driver.to_review(channel="mass_media")
    driver.complete("Task_Review", {"decision": "reject", "comment": "§3.9: wrong figures"})
    assert driver.outcome() == "rejected"
    assert driver.seen == ["Task_Submit", "Task_Review"]


def test_review_revise_skips_the_late_check_then_approve(driver: Driver) -> None:
    driver.complete("Task_Submit", submission(late=True))
    driver.complete("Task_AcceptLate", {"late_decision": "accept"})
    driver.complete("Task_Review", {"decision": "revise", "comment": "Logo too small (§6.3)"})
    assert driver.ready() == ["Task_Revise"]
    revise = driver.task("Task_Revise")
    assert_user_task(revise)
    assert revise.data["comment"] == "Logo too small (§6.3)"
    driver.complete("Task_Revise", submission(late=True, title="Open day, v2"))
    assert driver.ready() == ["Task_Review"]  # still late, but the head of MCD is not asked again
    driver.complete("Task_Review", APPROVE)
    assert driver.outcome() == "approved"
    assert driver.run.data["title"] == "Open day, v2"
    assert driver.seen == ["Task_Submit", "Task_AcceptLate", "Task_Review", "Task_Revise", "Task_Review"]


def test_unexpected_review_decision_goes_back_for_revision(driver: Driver) -> None:
    driver.to_review()
    driver.complete("Task_Review", {"decision": "approved"})
    assert driver.ready() == ["Task_Revise"]


def test_mass_media_management_approve(driver: Driver) -> None:
    driver.to_management()
    task = driver.task("Task_ManagementApprove")
    assert_user_task(task)
    assert task.data["management_role"] == "rector"
    driver.complete("Task_ManagementApprove", {"management_decision": "approve", "comment": ""})
    assert driver.outcome() == "approved"
    assert driver.seen == ["Task_Submit", "Task_Review", "Task_ManagementApprove"]


def test_mass_media_management_reject_despite_the_stale_review_decision(driver: Driver) -> None:
    driver.to_management(area="finance")
    assert driver.task("Task_ManagementApprove").data["decision"] == "approve"  # the review's, still there
    driver.complete("Task_ManagementApprove", {"management_decision": "reject", "comment": "Not now"})
    assert driver.outcome() == "rejected"


def test_mass_media_management_revise_goes_back_through_review(driver: Driver) -> None:
    driver.to_management(area="finance")
    driver.complete("Task_ManagementApprove", {"management_decision": "revise", "comment": "Tone it down"})
    assert driver.ready() == ["Task_Revise"]
    assert driver.task("Task_Revise").data["comment"] == "Tone it down"
    driver.complete("Task_Revise", submission(channel="mass_media", area="academic"))
    assert driver.ready() == ["Task_Review"]
    driver.complete("Task_Review", APPROVE)
    task = driver.task("Task_ManagementApprove")
    assert task.data["management_role"] == "vice_rector:academic"  # routed again on the new area
    driver.complete("Task_ManagementApprove", {"management_decision": "approve", "comment": ""})
    assert driver.outcome() == "approved"
    assert driver.seen == [
        "Task_Submit",
        "Task_Review",
        "Task_ManagementApprove",
        "Task_Revise",
        "Task_Review",
        "Task_ManagementApprove",
    ]


def test_revision_off_the_mass_media_needs_no_management(driver: Driver) -> None:
    driver.to_management()
    driver.complete("Task_ManagementApprove", {"management_decision": "revise", "comment": "Website only"})
    driver.complete("Task_Revise", submission(channel="website"))
    driver.complete("Task_Review", APPROVE)
    assert driver.outcome() == "approved"


@pytest.mark.parametrize("value", ["approved", "", None])
def test_unexpected_management_decision_goes_back_for_revision(driver: Driver, value: Any) -> None:
    driver.to_management()
    driver.complete("Task_ManagementApprove", {"management_decision": value})
    assert driver.ready() == ["Task_Revise"]


def test_management_form_field_must_be_renamed(driver: Driver) -> None:
    """The form's decision alone does not drive the gateway: the stale review approval must not."""
    driver.to_management()
    task_id = driver.task("Task_ManagementApprove").id
    with pytest.raises(ScriptError, match="management_decision"):
        driver.run.complete(task_id, {"decision": "approve"})


@pytest.mark.parametrize(
    ("area", "role"), list(ROUTES.items()), ids=["missing" if a is MISSING else repr(a) for a in ROUTES]
)
def test_management_routing_by_area(driver: Driver, area: Any, role: str) -> None:
    overrides = {} if area is MISSING else {"area": area}
    driver.to_management(**overrides)
    assert driver.task("Task_ManagementApprove").data["management_role"] == role


def test_missing_late_raises_instead_of_skipping_the_late_check(driver: Driver) -> None:
    data = submission()
    del data["late"]
    task_id = driver.task("Task_Submit").id
    with pytest.raises(ScriptError, match="late"):
        driver.run.complete(task_id, data)


def test_missing_channel_raises_instead_of_skipping_management(driver: Driver) -> None:
    data = submission()
    del data["channel"]
    driver.complete("Task_Submit", data)
    task_id = driver.task("Task_Review").id
    with pytest.raises(ScriptError, match="channel"):
        driver.run.complete(task_id, APPROVE)


def test_completed_task_cannot_be_completed_again(driver: Driver) -> None:
    task_id = driver.task("Task_Submit").id
    driver.complete("Task_Submit", submission())
    with pytest.raises(TaskNotReady):
        driver.run.complete(task_id, submission())


# Deployment next to the other processes.


def _checksum(*names: str) -> str:
    """Return the deployment checksum over the named process files."""
    digest = hashlib.sha256()
    for content in sorted(next(PROCESSES.glob(f"*/{name}")).read_bytes() for name in names):
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()


def test_deploy_all_lists_both_processes_with_their_own_checksums(engine: ProcessEngine) -> None:
    deployed = {p.key: p for p in engine.deploy_all()}
    assert {"speech_clearance", "material_signoff"} <= set(deployed)
    assert deployed["material_signoff"].name == "External material sign-off"
    assert deployed["material_signoff"].checksum == _checksum("material_signoff.bpmn", "management_routing.dmn")
    assert deployed["speech_clearance"].checksum == _checksum("speech_clearance.bpmn", "approver_routing.dmn")


# The model itself: ids the application relies on, gateways, diagram interchange, routing table.


def _bpmn() -> ET.Element:
    """Return the parsed BPMN file."""
    return ET.parse(PROCESSES / "material_signoff" / "material_signoff.bpmn").getroot()


def _flows() -> dict[str, ET.Element]:
    """Return the sequence flows by id."""
    return {flow.get("id", ""): flow for flow in _bpmn().iter(f"{BPMN}sequenceFlow")}


def test_model_has_the_contract_ids_and_no_reserved_ones() -> None:
    root = _bpmn()
    elements = {el.get("id"): el.tag.removeprefix(BPMN) for el in root.iter() if el.get("id")}
    expected = {
        "material_signoff": "process",
        "StartEvent_Material": "startEvent",
        "Task_Submit": "userTask",
        "Gateway_Late": "exclusiveGateway",
        "Task_AcceptLate": "userTask",
        "Gateway_LateDecision": "exclusiveGateway",
        "EndEvent_Returned": "endEvent",
        "Task_Review": "userTask",
        "Gateway_Review": "exclusiveGateway",
        "EndEvent_Rejected": "endEvent",
        "Task_Revise": "userTask",
        "Gateway_MassMedia": "exclusiveGateway",
        "Task_RouteManagement": "businessRuleTask",
        "Task_ManagementApprove": "userTask",
        "Gateway_Management": "exclusiveGateway",
        "Task_SetApproved": "scriptTask",
        "EndEvent_Approved": "endEvent",
    }
    assert {key: elements.get(key) for key in expected} == expected
    assert not set(elements) & {"Start", "End"}
    assert {lane.get("name") for lane in root.iter(f"{BPMN}lane")} == {
        "Unit",
        "Head of MCD",
        "MCD specialist",
        "Management",
    }
    assert {task.get("id") for task in root.iter(f"{BPMN}userTask")} == set(USER_TASKS)
    assert not list(root.iter(f"{BPMN}boundaryEvent"))
    (process,) = root.iter(f"{BPMN}process")
    assert process.get("name") == "External material sign-off"


def test_gateways_read_the_contract_variables() -> None:
    conditions = {
        flow.get("id"): (flow.get("sourceRef"), flow.get("targetRef"), flow.findtext(f"{BPMN}conditionExpression"))
        for flow in _flows().values()
        if flow.find(f"{BPMN}conditionExpression") is not None
    }
    assert conditions == {
        "Flow_LateYes": ("Gateway_Late", "Task_AcceptLate", "late == True"),
        "Flow_LateReturn": ("Gateway_LateDecision", "Task_SetReturned", 'late_decision == "return"'),
        "Flow_ReviewApprove": ("Gateway_Review", "Gateway_MassMedia", 'decision == "approve"'),
        "Flow_ReviewReject": ("Gateway_Review", "Task_SetRejected", 'decision == "reject"'),
        "Flow_MassMediaYes": ("Gateway_MassMedia", "Task_RouteManagement", 'channel == "mass_media"'),
        "Flow_ManagementApprove": ("Gateway_Management", "Task_SetApproved", 'management_decision == "approve"'),
        "Flow_ManagementReject": ("Gateway_Management", "Task_SetRejected", 'management_decision == "reject"'),
    }


def test_every_gateway_has_a_safe_default_flow() -> None:
    flows = _flows()
    defaults = {}
    for gateway in _bpmn().iter(f"{BPMN}exclusiveGateway"):
        outgoing = [flows[ref.text or ""] for ref in gateway.iter(f"{BPMN}outgoing")]
        default = flows[gateway.get("default", "")]
        assert default in outgoing and default.find(f"{BPMN}conditionExpression") is None
        assert all(f.find(f"{BPMN}conditionExpression") is not None for f in outgoing if f is not default)
        defaults[gateway.get("id")] = default.get("targetRef")
    assert defaults == {
        "Gateway_Late": "Task_Review",
        "Gateway_LateDecision": "Task_Review",
        "Gateway_Review": "Task_Revise",  # never approve or reject by accident
        "Gateway_MassMedia": "Task_SetApproved",
        "Gateway_Management": "Task_Revise",
    }


def test_revision_returns_to_review_not_to_the_late_check() -> None:
    targets = [flow.get("targetRef") for flow in _flows().values() if flow.get("sourceRef") == "Task_Revise"]
    assert targets == ["Task_Review"]


def test_routing_task_calls_the_table_and_defaults_the_area() -> None:
    (task,) = _bpmn().iter(f"{BPMN}businessRuleTask")
    assert task.findtext(f".//{SPIFF}calledDecisionId") == "management_routing"
    assert "NameError" in (task.findtext(f".//{SPIFF}preScript") or "")


def _bounds(element: ET.Element) -> tuple[float, float, float, float]:
    """Return x, y, width, height of a DI element's own bounds."""
    bounds = element.find(f"{DC}Bounds")
    assert bounds is not None
    return tuple(float(bounds.get(k, "0")) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def _on_border(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    """Return True if the point lies on the box's border (within a pixel)."""
    (px, py), (x, y, w, h) = point, box
    inside = x - 1 <= px <= x + w + 1 and y - 1 <= py <= y + h + 1
    return inside and min(abs(px - x), abs(px - x - w), abs(py - y), abs(py - y - h)) <= 1


def test_diagram_shows_every_element_and_edges_meet_their_shapes() -> None:
    root = _bpmn()
    (process,) = root.iter(f"{BPMN}process")
    nodes = {el.get("id") for el in process if el.get("id") and el.tag != f"{BPMN}sequenceFlow"}
    nodes.discard("LaneSet_MaterialSignoff")
    nodes |= {lane.get("id") for lane in root.iter(f"{BPMN}lane")}
    nodes |= {p.get("id") for p in root.iter(f"{BPMN}participant")}
    shapes = {shape.get("bpmnElement"): _bounds(shape) for shape in root.iter(f"{BPMNDI}BPMNShape")}
    assert len(nodes) == 23  # 18 flow nodes, 4 lanes, 1 participant
    assert nodes == set(shapes)
    edges = {edge.get("bpmnElement"): edge for edge in root.iter(f"{BPMNDI}BPMNEdge")}
    assert set(edges) == set(_flows())
    for flow_id, flow in _flows().items():
        points = [(float(w.get("x", "0")), float(w.get("y", "0"))) for w in edges[flow_id].iter(f"{DI}waypoint")]
        assert len(points) >= 2
        assert _on_border(points[0], shapes[flow.get("sourceRef")]), flow_id
        assert _on_border(points[-1], shapes[flow.get("targetRef")]), flow_id
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in itertools.pairwise(points)), flow_id
        if flow.get("name"):
            assert edges[flow_id].find(f"{BPMNDI}BPMNLabel") is not None, flow_id


def _segments() -> list[tuple[str, tuple[float, float], tuple[float, float]]]:
    """Return every straight piece of every edge, with its flow id."""
    pieces = []
    for edge in _bpmn().iter(f"{BPMNDI}BPMNEdge"):
        points = [(float(w.get("x", "0")), float(w.get("y", "0"))) for w in edge.iter(f"{DI}waypoint")]
        pieces += [(edge.get("bpmnElement", ""), a, b) for a, b in itertools.pairwise(points)]
    return pieces


def test_no_flows_cross() -> None:
    for (flow_a, a1, a2), (flow_b, b1, b2) in itertools.combinations(_segments(), 2):
        if flow_a == flow_b:
            continue
        horizontal = [(s, e) for s, e in ((a1, a2), (b1, b2)) if s[1] == e[1]]
        vertical = [(s, e) for s, e in ((a1, a2), (b1, b2)) if s[0] == e[0]]
        if len(horizontal) != 1 or len(vertical) != 1:
            continue
        (h1, h2), (v1, v2) = horizontal[0], vertical[0]
        crosses_x = min(h1[0], h2[0]) < v1[0] < max(h1[0], h2[0])
        crosses_y = min(v1[1], v2[1]) < h1[1] < max(v1[1], v2[1])
        assert not (crosses_x and crosses_y), (flow_a, flow_b)


def test_documentation_quotes_the_policy() -> None:
    text = " ".join(doc.text or "" for doc in _bpmn().iter(f"{BPMN}documentation"))
    for clause in ("§7.5", "§6.2–6.5", "§7.4", "§7.8", "§3.9"):
        assert clause in text
    for node in ("Task_Submit", "Gateway_Late", "Task_AcceptLate", "Task_Review", "Gateway_MassMedia"):
        (element,) = [el for el in _bpmn().iter() if el.get("id") == node]
        assert "§" in (element.findtext(f"{BPMN}documentation") or ""), node


def _matches(entry: str, area: Any) -> bool:
    """Evaluate one input entry of the routing table the way Spiff does for these two forms."""
    if entry.startswith("? not in "):
        return area not in ast.literal_eval(entry.removeprefix("? not in "))
    return bool(area == ast.literal_eval(entry))


def test_routing_table_rules_are_mutually_exclusive_and_complete() -> None:
    table = ET.parse(PROCESSES / "material_signoff" / "management_routing.dmn").getroot().find(f".//{DMN}decisionTable")
    assert table is not None and table.get("hitPolicy") == "UNIQUE"
    assert [el.findtext(f"{DMN}inputExpression/{DMN}text") for el in table.findall(f"{DMN}input")] == ["area"]
    assert [el.get("name") for el in table.findall(f"{DMN}output")] == ["management_role"]
    rules = table.findall(f"{DMN}rule")
    assert all("§7.8" in (rule.findtext(f"{DMN}description") or "") for rule in rules)
    for area, role in ROUTES.items():
        value = "" if area is MISSING else area  # the pre-script's default
        hits = [
            rule.findtext(f"{DMN}outputEntry/{DMN}text")
            for rule in rules
            if _matches(rule.findtext(f"{DMN}inputEntry/{DMN}text") or "", value)
        ]
        assert hits == [f'"{role}"'], area
