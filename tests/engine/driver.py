"""Drive one process instance by task name, optionally saved and restored around every action."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from processes.engine import ProcessEngine, Run, UserTask


class Driver:
    """One instance; with persist, dumps() and restore() around every action (what every request does).

    seen lists the user tasks ready after the start and after each completion, in order.
    """

    made: list[Driver] = []  # every driver of the running test: tests/engine/conftest.py checks their paths

    def __init__(self, engine: ProcessEngine, spec_json: str, persist: bool) -> None:
        Driver.made.append(self)
        self.engine, self.spec_json, self.persist = engine, spec_json, persist
        self.run: Run = engine.start(spec_json)
        self.seen: list[str] = self.ready()
        self.cycle()

    def cycle(self) -> None:
        """Save and reload the instance when persisting."""
        if self.persist:
            self.run = self.engine.restore(self.spec_json, self.run.dumps())

    def ready(self) -> list[str]:
        """The names of the ready user tasks."""
        return [task.name for task in self.run.ready_user_tasks()]

    def task(self, name: str) -> UserTask:
        """The single ready user task with this name."""
        (task,) = [t for t in self.run.ready_user_tasks() if t.name == name]
        return task

    def complete(self, name: str, data: dict[str, Any]) -> None:
        """Complete the ready task called name and note the user tasks that became ready."""
        task_id = self.task(name).id
        self.cycle()
        self.run.complete(task_id, data)
        self.cycle()
        self.seen += self.ready()

    def outcome(self) -> str:
        """The outcome of a completed instance."""
        assert self.run.is_completed()
        assert self.ready() == []
        return str(self.run.data["outcome"])

    def fire(self) -> list[str]:
        """Fire due timers; return the names of those that fired."""
        self.cycle()
        fired = self.run.fire_timers()
        self.cycle()
        return [timer.name for timer in fired]


def process_fixtures(key: str, processes: Path | None = None) -> tuple[Any, Any, Any]:
    """The fixtures every engine test module of one process uses, made once here: ``engine`` (over the real
    processes folder, per module), ``spec_json`` (that process deployed) and ``driver`` (a new instance, in
    memory or saved and loaded around each action). A module takes them with
    ``engine, spec_json, driver = process_fixtures("<key>")``."""
    folder = processes or Path(__file__).resolve().parents[2] / "processes"

    @pytest.fixture(scope="module")
    def engine() -> ProcessEngine:
        return ProcessEngine(folder)

    @pytest.fixture(scope="module")
    def spec_json(engine: ProcessEngine) -> str:
        return {p.key: p for p in engine.deploy_all()}[key].spec_json

    @pytest.fixture(params=[False, True], ids=["memory", "persisted"])
    def driver(request: pytest.FixtureRequest, engine: ProcessEngine, spec_json: str) -> Driver:
        return Driver(engine, spec_json, persist=request.param)

    return engine, spec_json, driver
