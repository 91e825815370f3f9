"""The adapter to SpiffWorkflow: deploy BPMN/DMN, run instances, save and restore them.

The only SpiffWorkflow user besides sandbox.py (its script environment); no database, no Flask.
Callers store ``DeployedProcess.spec_json`` once per process version and ``Run.dumps()`` per instance.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default import BpmnProcessSpecConverter
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import BusinessRuleTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .sandbox import SandboxEnvironment

SPEC_KEYS = ("spec", "subprocess_specs")
_REPORTED = "kelisim_timer_reported"  # internal-data flag: this timer was returned by fire_timers
_MAX_SETTLE_ROUNDS = 100  # guards against a timer that keeps becoming ready


class EngineError(Exception):
    """Base class of everything the engine raises."""


class TaskNotReady(EngineError):
    """The task does not exist in this instance or is not ready to be completed."""


class ScriptError(EngineError):
    """A script, condition, decision table or timer expression failed; discard the Run that raised it."""


@dataclass(frozen=True)
class DeployedProcess:
    """One executable process, parsed and serialized for storage."""

    key: str
    name: str
    checksum: str
    spec_json: str
    decisions: tuple[str, ...] = ()  # the ids of the decision tables it uses
    diagram: bytes = b""  # the BPMN file that defines the process, as deployed: its diagram (DI) is drawn


@dataclass(frozen=True)
class UserTask:
    """A ready task that waits for a person."""

    id: str
    name: str
    title: str
    lane: str | None
    form: str | None
    ui_form: str | None
    instructions: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class FiredTimer:
    """A timer event that has fired."""

    name: str
    task_id: str
    # the data the timer saw (e.g. the item of a multi-instance activity it is attached to: which unit's clock)
    data: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PathTaken:
    """Where an instance went, by BPMN element id (what its diagram shows).

    ``completed``: each element completed, with how many times (a revise loop taken twice counts 2; a timer
    event that fired counts as completed); ``open``: the elements waiting now (a task for a person, a timer
    still to fire); ``steps``: the (source, target) element pairs the instance moved along, with how many
    times, in the order of the engine's task tree (a pair is a sequence flow when the diagram has one)."""

    completed: dict[str, int]
    open: tuple[str, ...]
    steps: dict[tuple[str, str], int]


class _SpecNameConverter(BpmnProcessSpecConverter):
    """Write a process spec as its name only: dumps() drops the spec anyway, so skip the work."""

    def to_dict(self, spec: Any) -> dict[str, Any]:
        """Return a placeholder."""
        return {"name": spec.name}


@lru_cache(maxsize=1)
def _serializer() -> BpmnWorkflowSerializer:
    """Return the serializer for Spiff-parsed specs (a registry of our own; library config untouched)."""
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


@lru_cache(maxsize=1)
def _state_serializer() -> BpmnWorkflowSerializer:
    """Return a serializer that skips converting specs, which dumps() leaves out anyway."""
    config = {**SPIFF_CONFIG, BpmnProcessSpec: _SpecNameConverter}
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


def create_parser(bpmn_files: Iterable[Path], dmn_files: Iterable[Path],
                  overrides: Mapping[str, bytes] | None = None) -> SpiffBpmnParser:
    """Return an XSD-validating parser loaded with the files (Spiff extensions and DMN included);
    `overrides` gives the content to use instead of a file's, by file name (an edited routing table)."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    overrides = overrides or {}
    try:
        for path in [*bpmn_files, *dmn_files]:
            add = parser.add_dmn_io if path.suffix == ".dmn" else parser.add_bpmn_io
            if path.name in overrides:
                add(io.BytesIO(overrides[path.name]), filename=path.name)
                continue
            with path.open("rb") as stream:  # file names only: no machine paths in the spec
                add(stream, filename=path.name)
    except (ValidationException, SpiffWorkflowException, etree.XMLSyntaxError) as err:
        raise EngineError(f"Invalid process definition: {err}") from err
    return parser


class _DecisionTask:
    """What a decision table needs of a task to be evaluated outside a workflow: data and a script engine."""

    def __init__(self, data: dict[str, Any], script_engine: PythonScriptEngine) -> None:
        self.data = data
        self.workflow = self
        self.script_engine = script_engine


def evaluate_decision(content: bytes, decision_id: str, data: Mapping[str, Any],
                      script_engine: PythonScriptEngine | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Return (rule id, outputs) of every rule of the decision table that matches `data`, in table order,
    whatever its hit policy (a UNIQUE table should give exactly one). Raises EngineError for a document
    the engine refuses and ScriptError for an entry that fails to evaluate."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_dmn_io(io.BytesIO(content), filename="decision.dmn")
        dmn_engine = parser.get_engine(decision_id, None)
    except (ValidationException, SpiffWorkflowException, etree.XMLSyntaxError) as err:
        raise EngineError(f"Invalid decision table: {err}") from err
    dmn_engine.decision_table.hit_policy = HitPolicy.COLLECT.value  # every match, to check uniqueness
    task = _DecisionTask(copy.deepcopy(dict(data)),
                         script_engine or PythonScriptEngine(environment=SandboxEnvironment()))
    with _script_errors():
        return [(rule.id, dict(rule.output_as_dict(task))) for rule in dmn_engine.decide(task)]


def task_extensions(task_spec: Any) -> dict[str, Any]:
    """Return a task's Spiff extensions: properties flattened, plus the other extension values."""
    extensions = dict(getattr(task_spec, "extensions", None) or {})
    properties = extensions.pop("properties", None) or {}
    return {**extensions, **properties}


def _files_used(parser: SpiffBpmnParser, process_ids: Iterable[str]) -> tuple[set[str], set[str]]:
    """Return the names of the BPMN and DMN files the given processes are built from, and the ids of
    the decisions they use."""
    files: set[str] = set()
    decisions: set[str] = set()
    for process_id in process_ids:
        process_parser = parser.get_process_parser(process_id)
        files.add(process_parser.filename)
        for node in process_parser.xpath(".//bpmn:businessRuleTask"):
            ref = BusinessRuleTaskParser.get_decision_ref(node)
            decision = parser.dmn_parsers.get(ref)
            if decision is not None:
                files.add(decision.filename)
                decisions.add(ref)
    return files, decisions


def _checksum(contents: Iterable[bytes]) -> str:
    """Return the SHA-256 over the sorted, length-prefixed contents of the files."""
    digest = hashlib.sha256()
    for content in sorted(contents):
        digest.update(len(content).to_bytes(8, "big"))
        digest.update(content)
    return digest.hexdigest()


@lru_cache(maxsize=64)
def _load_specs(spec_json: str) -> tuple[Any, dict[str, Any]]:
    """Restore (spec, subprocess specs) from spec_json; cached, specs are shared read-only."""
    serializer = _serializer()
    dct = json.loads(spec_json)
    subprocess_specs = {name: serializer.from_dict(sp) for name, sp in dct["subprocess_specs"].items()}
    return serializer.from_dict(dct["spec"]), subprocess_specs


def _describe(err: Exception) -> str:
    """Return a one-line description of a failure inside the workflow library."""
    # Built from args and notes: str() of a Spiff exception fails when a note is None.
    parts = [err.args[0] if err.args else type(err).__name__, *(getattr(err, "notes", None) or [])]
    message = ". ".join(str(p).strip().rstrip(".") for p in parts if p)
    cause = err.__cause__ or err.__context__
    if cause is not None and str(cause) not in message:
        message += f" ({type(cause).__name__}: {cause})"
    where = getattr(getattr(err, "task_spec", None), "bpmn_id", None)
    return f"{where}: {message}" if where else message


@contextmanager
def _script_errors() -> Iterator[None]:
    """Turn failures while the engine runs tasks into ScriptError."""
    try:
        yield
    except EngineError:
        raise
    except Exception as err:  # scripts can raise anything; the caller gets one clear type
        raise ScriptError(_describe(err)) from err


class ProcessEngine:
    """Deploys the process definitions of its folders and creates or restores instances."""

    def __init__(self, directories: Path | Iterable[Path]) -> None:
        """Use the *.bpmn and *.dmn files of the folders, and of their sub-folders one level down
        (a folder of process folders, such as ``processes/``)."""
        if isinstance(directories, str | Path):
            directories = [directories]
        self.directories = tuple(Path(d) for d in directories)
        self.script_engine = PythonScriptEngine(environment=SandboxEnvironment())

    def files(self) -> dict[str, Path]:
        """The BPMN and DMN files by name; a name used twice is an error (specs refer to files by name)."""
        found: dict[str, Path] = {}
        for folder in self.directories:
            for pattern in ("*.bpmn", "*.dmn", "*/*.bpmn", "*/*.dmn"):
                for path in sorted(folder.glob(pattern)):
                    if path.name in found and found[path.name].resolve() != path.resolve():
                        raise EngineError(f"Two process files are named {path.name}: {found[path.name]} and {path}")
                    found[path.name] = path
        return found

    def deploy_all(self, overrides: Mapping[str, bytes] | None = None) -> list[DeployedProcess]:
        """Parse and validate every file; return one DeployedProcess per executable process.
        `overrides` replaces files' contents by name (the routing tables' current versions)."""
        files = self.files()
        overrides = {name: content for name, content in (overrides or {}).items() if name in files}
        paths = [files[name] for name in sorted(files)]
        parser = create_parser([p for p in paths if p.suffix == ".bpmn"], [p for p in paths if p.suffix == ".dmn"],
                               overrides)
        serializer = _serializer()
        deployed = []
        for key in sorted(parser.get_process_ids()):
            try:
                spec = parser.get_spec(key)
                subprocess_specs = parser.get_subprocess_specs(key)
            except (ValidationException, SpiffWorkflowException) as err:
                raise EngineError(f"Invalid process definition {key}: {err}") from err
            spec_dict = {
                "spec": serializer.to_dict(spec),
                "subprocess_specs": {k: serializer.to_dict(v) for k, v in subprocess_specs.items()},
            }
            used, decisions = _files_used(parser, [key, *subprocess_specs])
            checksum = _checksum(overrides[name] if name in overrides else files[name].read_bytes() for name in used)
            spec_json = json.dumps(spec_dict, sort_keys=True, separators=(",", ":"))
            main_file = parser.get_process_parser(key).filename
            diagram = overrides[main_file] if main_file in overrides else files[main_file].read_bytes()
            deployed.append(DeployedProcess(key, spec.description or key, checksum, spec_json,
                                            tuple(sorted(decisions)), diagram))
        return deployed

    def start(self, spec_json: str, data: dict[str, Any] | None = None) -> Run:
        """Create an instance with initial data and run it up to its first wait."""
        spec, subprocess_specs = _load_specs(spec_json)
        workflow = BpmnWorkflow(spec, dict(subprocess_specs), script_engine=self.script_engine)
        start_task = workflow.get_next_task(state=TaskState.READY)
        if data and start_task is not None:
            start_task.set_data(**copy.deepcopy(data))
        run = Run(workflow)
        run._settle()
        return run

    def restore(self, spec_json: str, state_json: str) -> Run:
        """Rebuild an instance from its process version's spec_json and its dumps() text."""
        serializer = _serializer()
        try:
            dct = json.loads(state_json)
            if dct.get(serializer.VERSION_KEY) == serializer.VERSION:
                del dct[serializer.VERSION_KEY]
                spec, subprocess_specs = _load_specs(spec_json)
                # Spiff's restore passes objects it does not recognise through unchanged,
                # so the cached spec objects are reused instead of being rebuilt per load.
                dct.update(spec=spec, subprocess_specs=dict(subprocess_specs))
            else:
                dct.update(json.loads(spec_json))
                serializer.migrate(dct)
            workflow = serializer.from_dict(dct)
        except (ValueError, KeyError, TypeError, AttributeError, SpiffWorkflowException) as err:
            raise EngineError(f"Cannot restore the instance: {err!r}") from err
        if not isinstance(workflow, BpmnWorkflow):
            raise EngineError("Cannot restore the instance: the state is not a workflow")
        workflow.script_engine = self.script_engine
        return Run(workflow)


class Run:
    """One process instance in memory.

    Load, act and save form one unit: if an action raises ScriptError the instance may be
    half-advanced (the task already completed, the next one ready), so the caller must throw
    this object away and roll back instead of saving it.
    """

    def __init__(self, workflow: BpmnWorkflow) -> None:
        """Wrap a Spiff workflow; use ProcessEngine.start or restore rather than this."""
        self._workflow = workflow

    def ready_user_tasks(self) -> list[UserTask]:
        """Return the tasks that wait for a person, in tree order."""
        return [_user_task(t) for t in self._workflow.get_tasks(state=TaskState.READY, manual=True)]

    def complete(self, task_id: str, data: dict[str, Any]) -> None:
        """Merge data into a ready user task, complete it and run on to the next wait.

        Due timers are fired first, so a task cancelled by its deadline raises TaskNotReady;
        fire_timers() reports those timers afterwards.
        """
        self._settle()
        task = self._ready_task(task_id)
        with _script_errors():
            task.set_data(**copy.deepcopy(data))
            task.run()
        self._settle()

    def cancel(self) -> None:
        """End the instance where it stands (a withdrawal): every open task and timer is cancelled, no
        further script runs, and the instance counts as completed."""
        with _script_errors():
            self._workflow.cancel()

    def fire_timers(self) -> list[FiredTimer]:
        """Fire due timers, run on, and return every timer that fired and was not returned before.

        That includes timers that were already due when start() or complete() reached them.
        """
        self._settle()
        fired = self._unreported_timers()
        for task in fired:
            task.internal_data[_REPORTED] = True
        return [FiredTimer(t.task_spec.bpmn_id, str(t.id), copy.deepcopy(t.data)) for t in fired]

    def next_timer_at(self) -> datetime | None:
        """Return the earliest target (aware UTC) of a timer still to fire or to report, or None."""
        targets = [
            TimerEventDefinition.get_datetime(task.internal_data["event_value"])
            for task in self._workflow.get_tasks()  # every task: a state filter skips subprocesses' tasks
            if task.state & (TaskState.WAITING | TaskState.COMPLETED) and _is_timer(task)
            and isinstance(task.internal_data.get("event_value"), str)
            and not task.internal_data.get(_REPORTED)
        ]
        return min(targets, default=None)

    def is_completed(self) -> bool:
        """Return True when the instance has reached its end."""
        return bool(self._workflow.is_completed())

    @property
    def data(self) -> dict[str, Any]:
        """Return a copy of the instance data: the workflow's when completed, else the last task's."""
        workflow = self._workflow
        done = workflow.is_completed() or workflow.last_task is None
        return copy.deepcopy(workflow.data if done else workflow.last_task.data)

    def dumps(self) -> str:
        """Serialize the instance state without the spec (that is stored once per version)."""
        serializer = _state_serializer()
        dct = serializer.to_dict(self._workflow)
        for key in SPEC_KEYS:
            del dct[key]
        dct[serializer.VERSION_KEY] = serializer.VERSION
        return json.dumps(dct, separators=(",", ":"))

    def path(self) -> PathTaken:
        """Where this instance went so far (finished instances too), from the engine's task tree: each task
        that ran is kept there with its state, so nothing but the saved state is needed."""
        completed: dict[str, int] = {}
        waiting: list[str] = []
        steps: dict[tuple[str, str], int] = {}
        open_states = TaskState.READY | TaskState.WAITING | TaskState.STARTED
        for task in self._workflow.get_tasks():
            bpmn_id = getattr(task.task_spec, "bpmn_id", None)
            if bpmn_id is None:  # the engine's own joints (start, end joins, boundary splits)
                continue
            parent = task.parent
            if parent is not None and parent.task_spec is not task.task_spec \
                    and getattr(parent.task_spec, "bpmn_id", None) == bpmn_id:
                continue  # one instance of a multi-instance activity: the activity itself counts, once
            if task.state == TaskState.COMPLETED:
                completed[bpmn_id] = completed.get(bpmn_id, 0) + 1
            elif task.state & open_states:
                if bpmn_id not in waiting:
                    waiting.append(bpmn_id)
            else:
                continue  # predicted, cancelled or not reached: not a step taken
            source = _nearest_element(task.parent)
            if source is not None:
                steps[(source, bpmn_id)] = steps.get((source, bpmn_id), 0) + 1
        return PathTaken(completed, tuple(waiting), steps)

    def _ready_task(self, task_id: str) -> Task:
        """Return the ready user task with this id, or raise TaskNotReady."""
        try:
            task = self._workflow.get_task_from_id(UUID(str(task_id)))
        except (ValueError, SpiffWorkflowException):
            raise TaskNotReady(f"No task {task_id} in this instance") from None
        if task.state != TaskState.READY or not task.task_spec.manual:
            state = TaskState.get_name(task.state)
            raise TaskNotReady(f"Task {task_id} ({task.task_spec.bpmn_id}) is {state}, not READY")
        return task

    def _unreported_timers(self) -> list[Task]:
        """Return timer tasks that fired but were not yet returned by fire_timers, oldest first."""
        # every task, then filtered: `get_tasks(state=…)` does not look inside (multi-instance) subprocesses
        fired = [t for t in self._workflow.get_tasks()
                 if t.state == TaskState.COMPLETED and _is_timer(t) and not t.internal_data.get(_REPORTED)]
        return sorted(fired, key=lambda t: t.last_state_change)

    def _settle(self) -> None:
        """Fire due timers and run engine tasks until only waits remain."""
        workflow = self._workflow
        with _script_errors():
            workflow.refresh_timers()
            # do_engine_steps ends with refresh_timers, which may leave a fired timer READY: loop.
            for _ in range(_MAX_SETTLE_ROUNDS):
                if workflow.get_next_task(state=TaskState.READY, manual=False) is None:
                    break
                workflow.do_engine_steps()


def _nearest_element(task: Task | None) -> str | None:
    """The BPMN id of the nearest completed ancestor that is a diagram element (the engine inserts joints of
    its own between elements, e.g. around an activity with boundary events)."""
    while task is not None:
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if bpmn_id is not None:
            return bpmn_id if task.state == TaskState.COMPLETED else None
        task = task.parent
    return None


def _is_timer(task: Task) -> bool:
    """Return True if the task is a timer event."""
    return isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)


def _user_task(task: Task) -> UserTask:
    """Describe a ready Spiff task."""
    spec = task.task_spec
    extensions = task_extensions(spec)
    return UserTask(
        id=str(task.id),
        name=spec.bpmn_id,
        title=spec.bpmn_name or spec.bpmn_id,
        lane=spec.lane,
        form=extensions.get("formJsonSchemaFilename"),
        ui_form=extensions.get("formUiSchemaFilename"),
        instructions=extensions.get("instructionsForEndUser"),
        data=copy.deepcopy(task.data),
    )
