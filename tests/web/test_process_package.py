"""A process is one folder: a toy process kept in tests/data is found, deployed, started, completed and
audited through the JSON API and the pages, with no edit of shared code."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from processes import catalog
from storage.models import AuditEvent, ProcessDefinition
from tests.conftest import api_token, csrf_from, login
from tests.helpers import api_ready

TOY = Path(__file__).resolve().parents[1] / "data" / "toy_approval"


@pytest.fixture
def toy_app(db_url, tmp_path):
    """The application with the toy process installed next to the four of the policy."""
    from web import create_app

    catalog.add_folder(TOY)
    app = create_app({"DATA_DIR": tmp_path / "data", "DATABASE_URL": db_url, "SECRET_KEY": "test-secret",
                      "SESSION_COOKIE_SECURE": False, "TESTING": True, "BASE_URL": "https://kelisim.test"})
    yield app
    app.extensions["kelisim.engine"].dispose()
    catalog.reset()


def test_the_policy_processes_are_found_in_their_folders():
    kinds = catalog.kinds()
    assert set(kinds) == {"speech_clearance", "material_signoff", "information_request", "policy_amendment",
                          "expert_pool", "media_inquiry", "event_notice", "violation_report", "plan_approval",
                          "brand_request", "website_change"}
    for key, kind in kinds.items():
        assert kind.folder == Path(catalog.PACKAGE_DIR) / key
        assert list(kind.folder.glob("*.bpmn")), key


def test_an_unknown_process_key_is_an_error_not_a_default():
    with pytest.raises(catalog.UnknownProcess,
                       match="Unknown process 'nope'.*installed: brand_request, event_notice, expert_pool, "
                             "information_request"):
        catalog.kind_of("nope")


def test_a_fifth_process_is_one_folder(toy_app):
    client = toy_app.test_client()
    assert catalog.kind_of("toy_approval").folder == TOY
    with toy_app.extensions["kelisim.db"]() as session:
        assert session.execute(select(ProcessDefinition.version)
                               .where(ProcessDefinition.key == "toy_approval")).scalar_one() == 1
    emp = api_token(client, "employee")
    assert "toy_approval" in {p["key"] for p in client.get("/api/v1/processes", headers=emp).get_json()}

    started = client.post("/api/v1/processes/toy_approval/instances", headers=emp)
    assert started.status_code == 201, started.get_json()
    iid = started.get_json()["id"]
    assert started.get_json()["tasks"] == []  # the employee holds nothing: the approval is not theirs
    task = api_ready(client, api_token(client, "mcd.head"), iid)
    assert task["name"] == "Task_Approve"

    # the head of MCD holds the task (the kind's lane role) and completes it through the page form
    login(client, "mcd.head")
    inbox = client.get("/inbox", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Approve the toy request" in inbox and "Toy approval" in inbox
    page = client.get(f"/tasks/{task['id']}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    refused = client.post(f"/tasks/{task['id']}", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                                          "decision": "maybe"})
    assert refused.status_code == 422
    done = client.post(f"/tasks/{task['id']}", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                                       "decision": "approve", "comment": "fine"})
    assert done.status_code == 302

    instance = client.get(f"/api/v1/instances/{iid}", headers=emp).get_json()
    assert (instance["status"], instance["outcome"]) == ("completed", "approved")
    shown = client.get(f"/instances/{iid}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Toy approved" in shown and "Approve the toy request" in shown

    with toy_app.extensions["kelisim.db"]() as session:
        events = session.execute(select(AuditEvent).where(AuditEvent.instance_id == iid)
                                 .order_by(AuditEvent.seq)).scalars().all()
    actions = [(e.action, e.actor) for e in events]
    assert ("instance_started", "employee") in actions and ("task_completed", "mcd.head") in actions
    completed = [e for e in events if e.action == "task_completed"][0]
    assert completed.clause == "§0.1 (toy)" and completed.data["decision"] == "approve"

    client.post("/logout", data={"csrf_token": csrf_from(client.get("/inbox").get_data(as_text=True))})
    login(client, "auditor")
    audit = client.get("/audit/instances", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<option value="toy_approval"' in audit and "Toy approval" in audit
    assert "Toy approval" in client.get("/audit/instances?process=toy_approval").get_data(as_text=True)
