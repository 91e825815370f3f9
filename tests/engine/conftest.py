"""After every engine test, the path each instance took (`Run.path`, what the instance page draws) is checked
against its BPMN file: so every path the engine tests walk through the four processes — approvals, refusals,
revision loops, expiries, timers — is a path the diagram can show."""
from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import pytest
from lxml import etree

from processes.diagram import ElementMark, render_svg
from processes.engine import ProcessEngine
from tests.engine.driver import Driver
from tests.engine.test_speech_clearance import PROCESSES

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@cache
def _diagrams() -> dict[str, bytes]:
    """The BPMN file of each deployed spec, by its spec_json."""
    return {p.spec_json: p.diagram for p in ProcessEngine(PROCESSES).deploy_all()}


def check_path(driver: Driver) -> None:
    diagram = _diagrams().get(driver.spec_json)
    if diagram is None:  # a test's own spec (not a shipped process): nothing to compare with
        return
    root = etree.fromstring(diagram)
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    flows = {(f.get("sourceRef"), f.get("targetRef")): f.get("id") for f in root.iter(f"{BPMN}sequenceFlow")}
    boundary = {b.get("id") for b in root.iter(f"{BPMN}boundaryEvent")}
    starts = {s.get("id") for s in root.iter(f"{BPMN}startEvent")}
    ends = {e.get("id") for e in root.iter(f"{BPMN}endEvent")}
    path = driver.run.path()
    reached = set(path.completed) | set(path.open)
    assert reached <= ids, f"elements that are not in the file: {reached - ids}"
    for source, target in path.steps:
        # a step is a sequence flow of the file, or the arming of a boundary event with its activity
        assert (source, target) in flows or target in boundary, f"step {source} → {target} is no flow of the file"
    arrived = {target for _, target in path.steps}
    assert reached - starts - boundary <= arrived | {e for e in reached if e in starts}, \
        f"reached without a step: {reached - starts - boundary - arrived}"
    if driver.run.is_completed():
        assert path.open == () and set(path.completed) & ends, "a finished instance ends at an end event"
    marks = {e: ElementMark("completed", n) for e, n in path.completed.items()}
    marks |= {e: ElementMark("open") for e in path.open}
    drawn = render_svg(diagram, states=marks, flows_taken={flows[s] for s in path.steps if s in flows})
    assert drawn.problems == [], drawn.problems


@pytest.fixture(autouse=True)
def _paths_are_drawable() -> Iterator[None]:
    Driver.made.clear()
    yield
    for driver in Driver.made:
        check_path(driver)
    Driver.made.clear()
