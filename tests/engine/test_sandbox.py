"""The RestrictedPython script environment: what it refuses and what it still runs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from RestrictedPython import safe_builtins

from processes.engine import ProcessEngine, ScriptError
from processes.sandbox import SandboxEnvironment, SandboxError

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
ESCAPES = {
    "import os": SandboxError,
    "import os.path as p": SandboxError,
    "from os import system": SandboxError,
    "x = open('/etc/passwd').read()": NameError,
    "x = __import__('os')": SandboxError,
    "x = ().__class__.__bases__[0].__subclasses__()": SandboxError,
    "x = categories.__class__": SandboxError,
    "x = [].__dict__": SandboxError,
    "x = getattr([], '__class__')": NameError,
    "x = type([])": NameError,
    "x = '{0.__class__}'.format(1)": NotImplementedError,
    "x = (i for i in []).gi_frame": SandboxError,
    "exec('x = 1')": SandboxError,
    "x = eval('1')": SandboxError,
    "x = globals()": NameError,
    "class A: pass": NameError,  # RestrictedPython needs a __metaclass__ global, never provided
}
# Blocked attempts that the same script engine would otherwise run without complaint.
UNSAFE_EXPRESSIONS = [
    "__import__('os').getcwd()",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/hostname')",
]


@pytest.fixture
def env() -> SandboxEnvironment:
    """Return a fresh sandbox environment."""
    return SandboxEnvironment()


@pytest.mark.parametrize(("script", "error"), list(ESCAPES.items()), ids=list(ESCAPES))
def test_script_escapes_are_blocked(env: SandboxEnvironment, script: str, error: type[Exception]) -> None:
    context: dict[str, Any] = {"categories": []}
    with pytest.raises(error):
        env.execute(script, context)
    assert "x" not in context


@pytest.mark.parametrize("expression", UNSAFE_EXPRESSIONS)
def test_expression_escapes_are_blocked(env: SandboxEnvironment, expression: str) -> None:
    with pytest.raises((SandboxError, NameError)):
        env.evaluate(expression, {})


def test_refusal_is_a_clear_message_not_a_syntax_error(env: SandboxEnvironment) -> None:
    with pytest.raises(SandboxError, match=r'"__class__" is an invalid attribute name') as caught:
        env.execute("x = ().__class__", {})
    assert not isinstance(caught.value, SyntaxError)


def test_task_data_cannot_replace_builtins_or_guards(env: SandboxEnvironment) -> None:
    with pytest.raises(NameError):
        env.evaluate("open('/etc/hostname')", {"__builtins__": {"open": open}})
    assert env.evaluate("len(items)", {"items": [1, 2], "_getattr_": "data"}) == 2


def test_library_builtins_are_not_modified() -> None:
    SandboxEnvironment()
    assert "__import__" not in safe_builtins
    assert "__build_class__" in safe_builtins
    assert "sum" not in safe_builtins


def test_ordinary_python_still_runs(env: SandboxEnvironment) -> None:
    context: dict[str, Any] = {"categories": ["finance", "strategy"], "scores": {"a": 2, "b": 1}}
    script = (
        "n = len(categories)\n"
        "n += 1\n"
        "first, second = sorted(categories)\n"
        "total = sum(v for k, v in scores.items())\n"
        "best = max(scores, key=lambda k: scores[k])\n"
        "flags = {c: c in categories for c in ['finance', 'significant_facts']}\n"
        "labels = [c.upper() for c in categories if any([c])]\n"
        "notes = {}\n"
        "notes['x'] = str(int('3')) + ':' + str(bool(all([True])))\n"
    )
    env.execute(script, context)
    assert context["n"] == 3 and (context["first"], context["second"]) == ("finance", "strategy")
    assert (context["total"], context["best"]) == (3, "a")
    assert context["flags"] == {"finance": True, "significant_facts": False}
    assert context["labels"] == ["FINANCE", "STRATEGY"]
    assert context["notes"] == {"x": "3:True"}
    assert "__builtins__" not in context and "_getattr_" not in context


def _expressions(tag: str) -> list[str]:
    """Return the texts of all elements with this BPMN tag in the real process."""
    root = ET.parse(PROCESSES / "speech_clearance" / "speech_clearance.bpmn").getroot()
    return [el.text or "" for el in root.iter(f"{BPMN}{tag}")]


@pytest.mark.parametrize("categories", [[], ["finance"], ["strategy", "significant_facts"]])
def test_real_conditions_run(env: SandboxEnvironment, categories: list[str]) -> None:
    conditions = _expressions("conditionExpression")
    assert len(conditions) == 3
    for decision in ("approve", "reject", "revise"):
        results = [env.evaluate(c, {"categories": categories, "decision": decision}) for c in conditions]
        assert all(isinstance(r, bool) for r in results)
        assert sum(results) <= 2  # one category condition and at most one decision condition


def test_real_scripts_and_timer_expressions_run(env: SandboxEnvironment) -> None:
    outcomes = set()
    for script in _expressions("script"):
        context: dict[str, Any] = {"categories": []}
        env.execute(script, context)
        outcomes.add(context["outcome"])
    assert outcomes == {"not_required", "expired", "approved", "rejected"}
    data = {"reminder_at": "r", "escalation_at": "e", "deadline_at": "d"}
    assert sorted(env.evaluate(e, data) for e in _expressions("timeDate")) == ["d", "d", "e", "r"]


def _one_script_process(folder: Path, script: str) -> ProcessEngine:
    """Write a process whose only task runs script and return an engine over it."""
    folder.mkdir(exist_ok=True)
    (folder / "probe.bpmn").write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_Probe"
    targetNamespace="http://kelisim.test/bpmn">
  <bpmn:process id="probe" name="Probe" isExecutable="true">
    <bpmn:startEvent id="StartEvent_Probe"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Task_Probe" name="Probe"><bpmn:incoming>Flow_1</bpmn:incoming>
      <bpmn:outgoing>Flow_2</bpmn:outgoing><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="EndEvent_Probe"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_Probe" targetRef="Task_Probe" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Probe" targetRef="EndEvent_Probe" />
  </bpmn:process>
</bpmn:definitions>
""",
        encoding="utf-8",
    )
    return ProcessEngine(folder)


@pytest.mark.parametrize("script", list(ESCAPES), ids=list(ESCAPES))
def test_blocked_script_in_a_process_raises_script_error(tmp_path: Path, script: str) -> None:
    engine = _one_script_process(tmp_path / "probe", script)
    (process,) = engine.deploy_all()
    with pytest.raises(ScriptError) as caught:
        engine.start(process.spec_json)
    message = str(caught.value)
    assert message.startswith("Task_Probe: ")
    assert "Traceback" not in message and "\n" not in message


def test_allowed_script_in_a_process_runs(tmp_path: Path) -> None:
    engine = _one_script_process(tmp_path / "probe", "result = sorted(items)[0]")
    (process,) = engine.deploy_all()
    run = engine.start(process.spec_json, {"items": ["b", "a"]})
    assert run.is_completed()
    assert run.data["result"] == "a"
