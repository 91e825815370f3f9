"""Every path of processes/brand_request/brand_request.bpmn (§6.4), in memory and with a save/load around each
action: the elements sent, a decline, the details loop, and the default for an unexpected decision."""
from __future__ import annotations

from typing import Any

import pytest

from processes.engine import UserTask
from tests.engine.driver import Driver, process_fixtures

USER_TASKS = {
    "Task_Request": ("Ask MCD for brand elements", "Unit head", "br_request"),
    "Task_Answer": ("Answer with the elements", "MCD", "br_answer"),
    "Task_Details": ("Give the details MCD asks for", "Unit head", "br_request"),
}


def request(**overrides: Any) -> dict[str, Any]:
    return {"elements": ["logo", "colours"], "material": "Conference poster", "details": ""} | overrides


engine, spec_json, driver = process_fixtures("brand_request")


def assert_user_task(task: UserTask) -> None:
    title, lane, form = USER_TASKS[task.name]
    assert (task.title, task.lane) == (title, lane)
    assert (task.form, task.ui_form) == (f"{form}.schema.json", f"{form}.uischema.json")
    assert task.instructions and "§6.4" in task.instructions


def test_the_request_is_the_first_task(driver: Driver) -> None:
    assert driver.ready() == ["Task_Request"]
    assert_user_task(driver.task("Task_Request"))


def test_answered_with_files(driver: Driver) -> None:
    driver.complete("Task_Request", request())
    assert driver.ready() == ["Task_Answer"]
    assert_user_task(driver.task("Task_Answer"))
    driver.complete("Task_Answer", {"decision": "answer", "file_ids": [7, 8], "comment": ""})
    assert driver.outcome() == "answered"
    assert driver.seen == ["Task_Request", "Task_Answer"]


def test_declined(driver: Driver) -> None:
    driver.complete("Task_Request", request())
    driver.complete("Task_Answer", {"decision": "decline", "comment": "Use the university's site materials"})
    assert driver.outcome() == "declined"


def test_details_asked_twice_then_answered(driver: Driver) -> None:
    driver.complete("Task_Request", request())
    for _ in range(2):
        driver.complete("Task_Answer", {"decision": "revise", "comment": "Which size?"})
        assert driver.ready() == ["Task_Details"]
        assert_user_task(driver.task("Task_Details"))
        driver.complete("Task_Details", request(details="A1 poster"))
        assert driver.ready() == ["Task_Answer"]
    driver.complete("Task_Answer", {"decision": "answer", "file_ids": [3]})
    assert driver.outcome() == "answered"


@pytest.mark.parametrize("decision", ["revise", "", "something"])
def test_anything_but_answer_or_decline_asks_for_details(driver: Driver, decision: str) -> None:
    driver.complete("Task_Request", request())
    driver.complete("Task_Answer", {"decision": decision, "comment": "?"})
    assert driver.ready() == ["Task_Details"]
