"""Issue 14 ("How it is checked") in a real browser: the auditor opens a speech clearance that went through two
revisions, sees the revise loop marked twice on the diagram of the path taken, follows a step to its row in the
history, and downloads the case file, whose text holds every entry of the history and every fingerprint."""
from __future__ import annotations

import re

import pytest

from tests.e2e.helpers import pdf_to_text
from tests.e2e.walkthrough import browser_page, log_in_as
from tests.helpers import submission

pytestmark = pytest.mark.e2e

TITLE = "Цифрлық университет — auditor e2e"


def token(page, server, username: str) -> dict[str, str]:
    response = page.request.post(f"{server.base_url}/api/v1/tokens",
                                 data={"username": username, "password": server.password})
    assert response.status == 201, response.text()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def my_task(page, server, headers, instance_id: int) -> dict:
    tasks = page.request.get(f"{server.base_url}/api/v1/tasks", headers=headers).json()
    (task,) = [t for t in tasks if t["instance_id"] == instance_id]
    return task


def complete(page, server, headers, task_id: str, data: dict) -> None:
    response = page.request.post(f"{server.base_url}/api/v1/tasks/{task_id}/complete", headers=headers,
                                 data={"data": data})
    assert response.status == 200, response.text()


def revised_twice_then_cleared(page, server) -> int:
    """The case, made through the API (the submitter's and the approver's pages are other tests' subject)."""
    emp, vrf = token(page, server, "employee"), token(page, server, "vr.finance")
    started = page.request.post(f"{server.base_url}/api/v1/processes/speech_clearance/instances", headers=emp).json()
    iid = started["id"]
    complete(page, server, emp, started["tasks"][0]["id"], submission(title=TITLE))
    for comment in ("Қысқартыңыз", "Дереккөздерді қосыңыз"):
        complete(page, server, vrf, my_task(page, server, vrf, iid)["id"], {"decision": "revise", "comment": comment})
        complete(page, server, emp, my_task(page, server, emp, iid)["id"], submission(title=TITLE))
    complete(page, server, vrf, my_task(page, server, vrf, iid)["id"], {"decision": "approve"})
    return iid


def test_the_auditor_sees_the_path_and_takes_the_case_file(e2e_browser, kelisim_server, tmp_path):
    from playwright.sync_api import expect

    with browser_page(e2e_browser, kelisim_server, tmp_path, "auditor") as page:
        iid = revised_twice_then_cleared(page, kelisim_server)
        log_in_as(page, kelisim_server, "auditor", "kk")
        page.goto(f"/instances/{iid}")
        diagram = page.locator(".path-taken svg.bpmn")
        expect(diagram).to_be_visible()
        revise = diagram.locator('g[data-element-id="Task_Revise"]')
        expect(revise).to_have_attribute("data-state", "completed")
        expect(revise).to_have_attribute("data-count", "2")
        expect(revise).to_contain_text("×2")
        expect(diagram.locator('g[data-element-id="EndEvent_Rejected"]')).to_have_attribute("data-state", "not-taken")
        expect(diagram.locator('g[data-element-id="Flow_DecisionRevise"]')).to_have_attribute("data-count", "2")
        # the step links to its row in the history: the first completion of the revision
        aud = token(page, kelisim_server, "auditor")
        events = page.request.get(f"{kelisim_server.base_url}/api/v1/instances/{iid}/events", headers=aud).json()
        first_revision = min(e["seq"] for e in events if e["action"] == "task_completed" and e["task"] == "Task_Revise")
        page.locator('.path-taken a:has(g[data-element-id="Task_Revise"])').first.click()
        expect(page).to_have_url(re.compile(rf"#step-{first_revision}$"))
        expect(page.locator(f"#step-{first_revision}")).to_be_visible()
        # the steps as a list too, in Kazakh
        expect(page.locator(".path-steps")).to_contain_text("2 рет орындалды")
        # the case file
        with page.expect_download() as download_info:
            page.locator(f'a[href$="/instances/{iid}/case-file"]').first.click()
        download = download_info.value
        pdf = tmp_path / "case-file.pdf"
        download.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")
        text = pdf_to_text(pdf)
        flat = re.sub(r"\s+", "", text)
        for event in events:  # every entry of the history, by its number
            assert re.search(rf"(?<!\d){event['seq']}(?!\d)", text), f"entry {event['seq']} missing"
        detail = page.request.get(f"{kelisim_server.base_url}/api/v1/instances/{iid}", headers=aud).json()
        fingerprints = [d["sha256"] for d in detail["documents"] if d.get("sha256")]
        fingerprints += [f["sha256"] for f in detail["files"]]
        assert fingerprints
        for fingerprint in fingerprints:
            assert fingerprint in flat, f"fingerprint {fingerprint} missing"
