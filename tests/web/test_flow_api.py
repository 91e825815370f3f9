"""The flow of work through the JSON API (docs/API.md): claim, release, reassign, delegate, return, cancel —
200 with the task (or the instance), 403 not allowed, 404 unseen, 409 already done or changed, 422 invalid."""
from __future__ import annotations

import io

import pytest

from tests import samples
from tests.conftest import api_token
from tests.helpers import event_date, submission


def _speech(client):
    """employee's speech text waiting for vr.finance; returns (instance id, task id)."""
    emp, vrf = api_token(client, "employee"), api_token(client, "vr.finance")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=emp,
                json={"data": submission()})
    task = next(t for t in client.get("/api/v1/tasks", headers=vrf).get_json() if t["instance_id"] == started["id"])
    return started["id"], task["id"]


def _material(client):
    """unit.head's poster waiting in the MCD specialists' queue; returns (instance id, task id)."""
    head = api_token(client, "unit.head")
    started = client.post("/api/v1/processes/material_signoff/instances", headers=head).get_json()
    up = client.post(f"/api/v1/instances/{started['id']}/files", headers=head,
                     data={"file": (io.BytesIO(samples.pdf("x")), "m.pdf")}, content_type="multipart/form-data")
    data = {"unit": "FE-IS", "material_type": "poster", "channel": "website", "audiences": ["students"],
            "planned_date": event_date(20), "title": "Poster", "file_ids": [up.get_json()["id"]]}
    done = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=head, json={"data": data})
    assert done.status_code == 200, done.get_json()
    task = next(t for t in client.get("/api/v1/tasks", headers=api_token(client, "mcd.specialist")).get_json()
                if t["instance_id"] == started["id"])
    return started["id"], task["id"]


def test_claim_and_release(client):
    iid, tid = _material(client)
    spec = api_token(client, "mcd.specialist")
    claimed = client.post(f"/api/v1/tasks/{tid}/claim", headers=spec)
    assert claimed.status_code == 200, claimed.get_json()
    body = claimed.get_json()
    assert body["id"] == tid and body["assignee"] == "mcd.specialist" and body["role"] == "mcd_specialist"
    assert body["claimed_at"]
    again = client.post(f"/api/v1/tasks/{tid}/claim", headers=spec)
    assert again.status_code == 409 and again.get_json()["error"]
    assert client.post(f"/api/v1/tasks/{tid}/claim", headers=api_token(client, "unit.head")).status_code == 403
    assert client.post(f"/api/v1/tasks/{tid}/release", headers=api_token(client, "unit.head")).status_code == 403
    assert client.post(f"/api/v1/tasks/{tid}/claim", headers=api_token(client, "employee")).status_code == 404
    released = client.post(f"/api/v1/tasks/{tid}/release", headers=spec)
    assert released.status_code == 200 and released.get_json()["assignee"] is None
    assert client.post(f"/api/v1/tasks/{tid}/release", headers=spec).status_code == 409  # not claimed
    assert client.post(f"/api/v1/tasks/{tid}/claim", headers=spec, json={"x": 1}).status_code == 400
    events = client.get(f"/api/v1/instances/{iid}/events", headers=spec).get_json()
    assert [e["action"] for e in events if e["action"] in ("task_claimed", "task_released")] == \
        ["task_claimed", "task_released"]


def test_reassign(client):
    iid, tid = _material(client)
    head = api_token(client, "mcd.head")
    client.post(f"/api/v1/tasks/{tid}/claim", headers=api_token(client, "mcd.specialist"))
    refused = client.post(f"/api/v1/tasks/{tid}/reassign", headers=head, json={"to": "unit.head", "reason": "x"})
    assert refused.status_code == 422 and "to" in refused.get_json()["errors"]
    missing = client.post(f"/api/v1/tasks/{tid}/reassign", headers=head, json={"to": "mcd.specialist"})
    assert missing.status_code == 422 and "reason" in missing.get_json()["errors"]
    assert client.post(f"/api/v1/tasks/{tid}/reassign", headers=api_token(client, "mcd.specialist"),
                       json={"to": "mcd.specialist", "reason": "x"}).status_code == 403
    # the administrator gives it to the head of MCD's colleague... but only holders of the role qualify
    admin = api_token(client, "admin")
    wrong = client.post(f"/api/v1/tasks/{tid}/reassign", headers=admin, json={"to": "rector", "reason": "x"})
    assert wrong.status_code == 422
    same = client.post(f"/api/v1/tasks/{tid}/reassign", headers=admin, json={"to": "mcd.specialist", "reason": "x"})
    assert same.status_code == 422  # already with this person


def test_reassign_person_task_and_disabled_target(client):
    iid, tid = _speech(client)
    admin = api_token(client, "admin")
    moved = client.post(f"/api/v1/tasks/{tid}/reassign", headers=admin,
                        json={"to": "vr.academic", "reason": "vr.finance is on leave"})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["assignee"] == "vr.academic"
    def listed(username):
        return any(t["id"] == tid for t in client.get("/api/v1/tasks", headers=api_token(client, username)).get_json())

    assert listed("vr.academic") and not listed("vr.finance")
    event = [e for e in client.get(f"/api/v1/instances/{iid}/events", headers=admin).get_json()
             if e["action"] == "task_reassigned"][0]
    assert event["data"]["from"] == "vr.finance" and event["data"]["to"] == "vr.academic"
    assert event["data"]["reason"] == "vr.finance is on leave" and event["actor"] == "admin"
    vra = api_token(client, "vr.academic")
    assert client.post(f"/api/v1/tasks/{tid}/complete", headers=vra,
                       json={"data": {"decision": "approve"}}).status_code == 200
    done = client.post(f"/api/v1/tasks/{tid}/reassign", headers=admin, json={"to": "rector", "reason": "late"})
    assert done.status_code == 409


def test_delegate_and_return(client):
    iid, tid = _speech(client)
    vrf, adviser = api_token(client, "vr.finance"), api_token(client, "employee2")
    assert client.get(f"/api/v1/tasks/{tid}", headers=adviser).status_code == 404
    asked = client.post(f"/api/v1/tasks/{tid}/delegate", headers=vrf,
                        json={"to": "employee2", "comment": "Check the figures"})
    assert asked.status_code == 200 and asked.get_json()["delegated_to"] == "employee2"
    assert asked.get_json()["assignee"] == "vr.finance"
    assert client.post(f"/api/v1/tasks/{tid}/delegate", headers=vrf,
                       json={"to": "rector", "comment": ""}).status_code == 409
    listed = [t for t in client.get("/api/v1/tasks", headers=adviser).get_json() if t["id"] == tid]
    assert listed and listed[0]["delegated_to"] == "employee2"
    assert client.get(f"/api/v1/instances/{iid}", headers=adviser).status_code == 200
    assert client.post(f"/api/v1/tasks/{tid}/complete", headers=adviser,
                       json={"data": {"decision": "approve"}}).status_code == 403
    assert client.post(f"/api/v1/tasks/{tid}/return", headers=vrf, json={"comment": "x"}).status_code == 403
    draft = {"decision": "revise", "comment": "Page 2"}
    back = client.post(f"/api/v1/tasks/{tid}/return", headers=adviser, json={"comment": "Done", "data": draft})
    assert back.status_code == 200 and back.get_json()["delegated_to"] is None
    task = client.get(f"/api/v1/tasks/{tid}", headers=vrf).get_json()
    assert task["data"] == draft and task["delegation_comment"] == "Done"
    assert client.get(f"/api/v1/instances/{iid}", headers=adviser).status_code == 404  # no longer involved
    disabled = client.post(f"/api/v1/tasks/{tid}/delegate", headers=vrf, json={"to": "nobody", "comment": ""})
    assert disabled.status_code == 422


def test_cancel(client):
    iid, tid = _speech(client)
    admin, emp = api_token(client, "admin"), api_token(client, "employee")
    assert client.post(f"/api/v1/instances/{iid}/cancel", headers=emp, json={"reason": "x"}).status_code == 403
    assert client.post(f"/api/v1/instances/{iid}/cancel", headers=admin, json={"reason": ""}).status_code == 422
    assert client.post(f"/api/v1/instances/{iid}/cancel", headers=admin, json={"why": "x"}).status_code == 400
    done = client.post(f"/api/v1/instances/{iid}/cancel", headers=admin, json={"reason": "Duplicate"})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert (body["id"], body["status"], body["outcome"], body["tasks"]) == (iid, "cancelled", "cancelled", [])
    assert client.post(f"/api/v1/instances/{iid}/cancel", headers=admin, json={"reason": "again"}).status_code == 409
    assert client.post(f"/api/v1/tasks/{tid}/complete", headers=api_token(client, "vr.finance"),
                       json={"data": {"decision": "approve"}}).status_code in (404, 409)
    assert client.post("/api/v1/instances/999999/cancel", headers=admin, json={"reason": "x"}).status_code == 404
    event = [e for e in client.get(f"/api/v1/instances/{iid}/events", headers=emp).get_json()
             if e["action"] == "instance_cancelled"][0]
    assert event["data"]["reason"] == "Duplicate" and event["actor"] == "admin"


@pytest.mark.parametrize("path", ["claim", "release", "reassign", "delegate", "return"])
def test_unknown_task_is_404(client, path):
    assert client.post(f"/api/v1/tasks/nope/{path}", headers=api_token(client, "admin"), json={}).status_code == 404
