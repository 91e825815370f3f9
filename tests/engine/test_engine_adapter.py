"""The engine adapter: deployment, versions, save/load, errors."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine

from processes import engine as engine_module
from processes.engine import (
    DeployedProcess,
    EngineError,
    ProcessEngine,
    Run,
    ScriptError,
    TaskNotReady,
    task_extensions,
)
from processes.sandbox import SandboxEnvironment

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SUBMISSION = {
    "categories": ["finance"],
    "text": "Theses.",
    "reminder_at": "2026-11-23T09:00:00+00:00",
    "escalation_at": "2026-11-25T09:00:00+00:00",
    "deadline_at": "2026-11-27T09:00:00+00:00",
}


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    """Freeze the clock so that the timer targets above stay in the future."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Return a private copy of the processes folder that a test may edit."""
    target = tmp_path / "processes"
    target.mkdir()
    for pattern in ("*/*.bpmn", "*/*.dmn"):  # one folder per process; a flat copy deploys the same
        for path in PROCESSES.glob(pattern):
            shutil.copy(path, target / path.name)
    return target


def deploy(folder: Path) -> tuple[ProcessEngine, DeployedProcess]:
    """Deploy a folder and return its engine and the speech clearance process."""
    engine = ProcessEngine(folder)
    return engine, {p.key: p for p in engine.deploy_all()}["speech_clearance"]


def edit(path: Path, old: str, new: str) -> None:
    """Replace text in a process file."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def complete(run: Run, name: str, data: dict[str, Any]) -> None:
    """Complete the ready task called name."""
    (task,) = [t for t in run.ready_user_tasks() if t.name == name]
    run.complete(task.id, data)


def test_deploy_all_describes_the_process() -> None:
    engine = ProcessEngine(PROCESSES)
    process = {p.key: p for p in engine.deploy_all()}["speech_clearance"]
    assert (process.key, process.name) == ("speech_clearance", "Speech text clearance")
    assert set(json.loads(process.spec_json)) == {"spec", "subprocess_specs"}
    digest = hashlib.sha256()
    for content in sorted(
        (PROCESSES / "speech_clearance" / name).read_bytes()
        for name in ("speech_clearance.bpmn", "approver_routing.dmn")
    ):
        digest.update(len(content).to_bytes(8, "big") + content)
    assert process.checksum == digest.hexdigest()
    assert str(ROOT) not in process.spec_json  # no machine paths in the stored spec


def test_checksum_follows_the_files_the_process_uses(folder: Path) -> None:
    _, original = deploy(folder)
    (folder / "unrelated.dmn").write_text(
        (folder / "approver_routing.dmn").read_text().replace('id="approver_routing"', 'id="other_table"')
    )
    assert deploy(folder)[1].checksum == original.checksum
    edit(folder / "approver_routing.dmn", '"mcd_head"', '"head_of_mcd"')
    changed = deploy(folder)[1]
    assert changed.checksum != original.checksum
    assert changed.spec_json != original.spec_json


def test_schema_invalid_bpmn_is_refused(folder: Path) -> None:
    edit(folder / "speech_clearance.bpmn", "<bpmn:incoming>Flow_ToSubmit</bpmn:incoming>", "<bpmn:bogus />")
    with pytest.raises(EngineError, match="Invalid process definition"):
        ProcessEngine(folder).deploy_all()


def test_script_engine_is_the_sandbox() -> None:
    assert isinstance(ProcessEngine(PROCESSES).script_engine.environment, SandboxEnvironment)


def test_dumps_leaves_out_the_spec_and_restore_continues() -> None:
    engine, process = deploy(PROCESSES)
    run = engine.start(process.spec_json)
    state = run.dumps()
    dct = json.loads(state)
    assert "spec" not in dct and "subprocess_specs" not in dct
    assert "len(categories) == 0" not in state  # the gateway condition lives in the spec only
    assert len(state) < len(process.spec_json)
    restored = engine.restore(process.spec_json, state)
    assert restored.ready_user_tasks() == run.ready_user_tasks()
    complete(restored, "Task_Submit", SUBMISSION)
    again = engine.restore(process.spec_json, restored.dumps())
    assert [t.name for t in again.ready_user_tasks()] == ["Task_Decide"]
    assert again.next_timer_at() == datetime(2026, 11, 23, 9, tzinfo=UTC)
    complete(again, "Task_Decide", {"decision": "approve"})
    assert engine.restore(process.spec_json, again.dumps()).data["outcome"] == "approved"


def test_restore_reuses_the_parsed_spec() -> None:
    engine, process = deploy(PROCESSES)
    state = engine.start(process.spec_json).dumps()
    engine.restore(process.spec_json, state)
    hits = engine_module._load_specs.cache_info().hits
    engine.restore(process.spec_json, state)
    assert engine_module._load_specs.cache_info().hits == hits + 1


def test_instance_keeps_running_on_its_own_version(folder: Path) -> None:
    engine, version_a = deploy(folder)
    run = engine.start(version_a.spec_json)
    complete(run, "Task_Submit", SUBMISSION)
    state = run.dumps()
    edit(folder / "speech_clearance.bpmn", 'outcome = "approved"', 'outcome = "cleared"')
    edit(folder / "speech_clearance.bpmn", 'name="Clear speech text"', 'name="Clear the text"')
    engine_b, version_b = deploy(folder)
    assert version_b.checksum != version_a.checksum
    old = engine_b.restore(version_a.spec_json, state)
    assert old.ready_user_tasks()[0].title == "Clear speech text"
    complete(old, "Task_Decide", {"decision": "approve"})
    assert old.data["outcome"] == "approved"
    new = engine_b.start(version_b.spec_json)
    complete(new, "Task_Submit", SUBMISSION)
    assert new.ready_user_tasks()[0].title == "Clear the text"
    complete(new, "Task_Decide", {"decision": "approve"})
    assert new.data["outcome"] == "cleared"


def test_state_of_another_serializer_version_goes_through_migration() -> None:
    engine, process = deploy(PROCESSES)
    dct = json.loads(engine.start(process.spec_json).dumps())
    dct["serializer_version"] = "1.4"  # the 1.4 → 1.5 migration leaves a 1.5 state as it is
    run = engine.restore(process.spec_json, json.dumps(dct))
    assert [t.name for t in run.ready_user_tasks()] == ["Task_Submit"]


@pytest.mark.parametrize("state", ["", "{}", "not json", '{"serializer_version": "1.5"}'])
def test_corrupt_state_raises_engine_error(state: str) -> None:
    engine, process = deploy(PROCESSES)
    with pytest.raises(EngineError, match="Cannot restore"):
        engine.restore(process.spec_json, state)


# a fixed unknown id: every pytest-xdist worker must collect the same test ids
@pytest.mark.parametrize("task_id", ["5cf2d32f-451e-41e8-af0d-274cc8605cee", "not-a-uuid", ""])
def test_unknown_task_is_not_ready(task_id: str) -> None:
    engine, process = deploy(PROCESSES)
    run = engine.start(process.spec_json)
    with pytest.raises(TaskNotReady):
        run.complete(task_id, {})


def test_non_user_task_is_not_ready() -> None:
    engine, process = deploy(PROCESSES)
    run = engine.start(process.spec_json)
    complete(run, "Task_Submit", SUBMISSION)
    waiting_timer = json.loads(run.dumps())["tasks"]
    timer_id = next(k for k, t in waiting_timer.items() if t["task_spec"] == "Timer_Reminder")
    with pytest.raises(TaskNotReady, match="Timer_Reminder"):
        run.complete(timer_id, {})


def test_failing_condition_raises_script_error() -> None:
    engine, process = deploy(PROCESSES)
    run = engine.start(process.spec_json)
    with pytest.raises(ScriptError, match="categories") as caught:
        complete(run, "Task_Submit", {"text": "no categories key"})
    assert "Traceback" not in str(caught.value)
    assert isinstance(caught.value, EngineError)


def test_user_task_data_and_run_data_are_copies() -> None:
    engine, process = deploy(PROCESSES)
    run = engine.start(process.spec_json, {"requested_by": "employee"})
    complete(run, "Task_Submit", SUBMISSION)
    task = run.ready_user_tasks()[0]
    assert task.data["requested_by"] == "employee"
    task.data["categories"].append("strategy")
    run.data["categories"].append("strategy")
    assert run.ready_user_tasks()[0].data["categories"] == ["finance"]
    json.dumps(run.data)


def test_task_extensions_flattens_properties() -> None:
    spec = SimpleNamespace(
        extensions={"properties": {"formJsonSchemaFilename": "a.json"}, "instructionsForEndUser": "Do it"}
    )
    assert task_extensions(spec) == {"formJsonSchemaFilename": "a.json", "instructionsForEndUser": "Do it"}
    assert task_extensions(object()) == {}


def test_engine_pulls_in_no_web_or_database_code() -> None:
    code = (
        "import sys, processes.engine; "
        "layers = {'flask', 'sqlalchemy', 'storage', 'web', 'forms'}; "
        "bad = [m for m in sys.modules if m.split('.')[0] in layers]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
