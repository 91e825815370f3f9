"""Every path of processes/website_change/website_change.bpmn (§9.4–9.8), in memory and with a save/load around
each action: the consent routed by the area of the unit's activity (website_consent_routing.dmn) to the vice-rector
of the area or the rector, a decline, and MCD's publication."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from processes.engine import UserTask
from tests.engine.driver import Driver, process_fixtures
from tests.engine.test_material_signoff import PROCESSES

USER_TASKS = {
    "Task_Request": ("Request the change", "Unit", "wc_request"),
    "Task_Consent": ("Consent to the change", "Management", "wc_consent"),
    "Task_Publish": ("Prepare and publish the change", "MCD", "wc_publish"),
}
PUBLISH = {"text_kk": "Мәтін", "text_ru": "Текст", "reason_en": "Only for local applicants",
           "published_url": "https://kineu.edu.kz/kk/fe-is", "published_on": "2026-12-05"}
DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"


def request(**overrides: Any) -> dict[str, Any]:
    data = {"unit": "FE-IS", "title": "Staff list", "section": "main.faculties", "change_kind": "change",
            "pages": [{"address": "https://kineu.edu.kz/kk/fe-is"}], "text_kk": "Мәтін", "text_ru": "", "text_en": "",
            "wanted_on": "2026-12-10", "area": "academic"}
    return data | overrides


engine, spec_json, driver = process_fixtures("website_change")


def assert_user_task(task: UserTask) -> None:
    title, lane, form = USER_TASKS[task.name]
    assert (task.title, task.lane) == (title, lane)
    assert (task.form, task.ui_form) == (f"{form}.schema.json", f"{form}.uischema.json")
    assert task.instructions and "§9" in task.instructions


def test_the_request_is_the_first_task(driver: Driver) -> None:
    assert driver.ready() == ["Task_Request"]
    assert_user_task(driver.task("Task_Request"))


def test_consented_then_published(driver: Driver) -> None:
    driver.complete("Task_Request", request())
    assert driver.ready() == ["Task_Consent"]
    assert_user_task(driver.task("Task_Consent"))
    assert driver.task("Task_Consent").data["consent_role"] == "vice_rector:academic"
    driver.complete("Task_Consent", {"decision": "consent", "comment": ""})
    assert driver.ready() == ["Task_Publish"]
    assert_user_task(driver.task("Task_Publish"))
    driver.complete("Task_Publish", PUBLISH)
    assert driver.outcome() == "published"
    assert driver.seen == ["Task_Request", "Task_Consent", "Task_Publish"]


def test_declined(driver: Driver) -> None:
    driver.complete("Task_Request", request())
    driver.complete("Task_Consent", {"decision": "decline", "comment": "Not now"})
    assert driver.outcome() == "declined"
    assert driver.seen == ["Task_Request", "Task_Consent"]


@pytest.mark.parametrize("area, role", [
    ("finance", "vice_rector:finance"), ("academic", "vice_rector:academic"), ("research", "vice_rector:research"),
    ("international", "vice_rector:international"), ("youth", "vice_rector:youth"), ("strategy", "rector"),
    ("", "rector"), ("unknown", "rector")])
def test_the_area_routes_the_consent(driver: Driver, area: str, role: str) -> None:
    driver.complete("Task_Request", request(area=area))
    assert driver.task("Task_Consent").data["consent_role"] == role


def test_a_request_without_an_area_goes_to_the_rector(driver: Driver) -> None:
    data = request()
    del data["area"]
    driver.complete("Task_Request", data)
    assert driver.task("Task_Consent").data["consent_role"] == "rector"


@pytest.mark.parametrize("decision", ["consent", "", "something"])
def test_anything_but_decline_goes_to_mcd(driver: Driver, decision: str) -> None:
    driver.complete("Task_Request", request())
    driver.complete("Task_Consent", {"decision": decision})
    assert driver.ready() == ["Task_Publish"]


def test_the_table_names_the_same_roles_as_the_material_routing() -> None:
    ours = etree.parse(str(Path(PROCESSES) / "website_change" / "website_consent_routing.dmn"))
    assert [el.get("name") for el in ours.iter(f"{DMN}output")] == ["consent_role"]
    assert ours.find(f"{DMN}decision").get("id") == "website_consent_routing"
    assert len(list(ours.iter(f"{DMN}rule"))) == 7
