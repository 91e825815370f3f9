"""Media inquiries over the JSON API with the names and shapes of CONTRACT.md ("Additions of December 2026"):
who may start one, the registration and routing fields, each unit head's answer task with its due time, bad
input as 422/403/409 that changes nothing."""
from __future__ import annotations

from datetime import datetime, timedelta

from processes.university_time import local
from storage.models import utcnow
from tests.conftest import api_token
from tests.helpers import api_complete as complete

KEY = "media_inquiry"
REGISTRATION = {"outlet": "Kazinform", "journalist": "Олег Ким", "contact": "oleg@example.kz",
                "questions": "Сколько иностранных студентов учится в университете?", "file_ids": []}


def start(client, headers):
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=headers)
    assert started.status_code == 201, started.get_json()
    return started.get_json()


def test_media_staff_start_an_inquiry_and_others_may_not(client):
    spec, head, employee = (api_token(client, u) for u in ("mcd.specialist", "mcd.head", "employee"))
    assert KEY in {p["key"] for p in client.get("/api/v1/processes", headers=spec).get_json()}
    start(client, spec)
    start(client, head)
    assert client.post(f"/api/v1/processes/{KEY}/instances", headers=employee).status_code == 403
    assert client.post(f"/api/v1/processes/{KEY}/instances",
                       headers=api_token(client, "unit.head")).status_code == 403


def test_registration_and_routing_with_the_contract_fields(client):
    spec, unit_head, dean = (api_token(client, u) for u in ("mcd.specialist", "unit.head", "dean.engineering"))
    started = start(client, spec)
    iid = started["id"]
    done = complete(client, spec, started["tasks"][0]["id"], REGISTRATION)
    assert done["instance"]["status"] == "running"
    (route,) = done["tasks"]
    assert route["name"] == "Task_Route"
    inst = client.get(f"/api/v1/instances/{iid}", headers=spec).get_json()
    assert inst["title"].startswith("MI-") and inst["title"][3:7].isdigit()
    errors = complete(client, spec, route["id"], {"source": "rector",
                                                  "units": [{"unit": "FE-IS", "urgency": "soon"}]}, 422)["errors"]
    assert "units.0.urgency" in errors
    errors = complete(client, spec, route["id"], {"source": "employee",
                                                  "units": [{"unit": "FE-IS", "urgency": "urgent"}]}, 422)["errors"]
    assert "source" in errors
    before = utcnow()
    complete(client, spec, route["id"], {"source": "rector", "units": [
        {"unit": "FE-IS", "urgency": "urgent"}, {"unit": "FE", "urgency": "current"}]})
    after = utcnow()
    complete(client, spec, route["id"], {"source": "rector", "units": [{"unit": "FE-IS", "urgency": "urgent"}]},
             409)  # sent already
    (mine,) = [t for t in client.get("/api/v1/tasks", headers=unit_head).get_json() if t["instance_id"] == iid]
    assert mine["name"] == "Task_Answer" and mine["role"] == "unit_head"
    due = datetime.fromisoformat(mine["due_at"])
    assert before + timedelta(hours=3) <= due <= after + timedelta(hours=3)
    assert mine["due_day"] == local(due - timedelta(seconds=1)).date().isoformat()
    (dean_task,) = [t for t in client.get("/api/v1/tasks", headers=dean).get_json() if t["instance_id"] == iid]
    due = datetime.fromisoformat(dean_task["due_at"])
    assert before + timedelta(days=3) <= due <= after + timedelta(days=3)
    # each question answered and the accuracy confirmed (§7.10.3), else 422
    errors = complete(client, unit_head, mine["id"], {"unit_outcome": "answered", "answers": {}}, 422)["errors"]
    assert {"answers.1", "accuracy_confirmed"} <= set(errors)
    complete(client, unit_head, mine["id"], {"unit_outcome": "answered", "answers": {"1": "312 студентов"},
                                             "accuracy_confirmed": True})
    complete(client, dean, mine["id"], {"unit_outcome": "answered"}, 403)  # not their task
    events = client.get(f"/api/v1/instances/{iid}/events", headers=spec).get_json()
    sent = [e for e in events if e["action"] == "questions_sent"]
    assert [u["urgency"] for u in sent[0]["data"]["units"]] == ["urgent", "current"]


def test_a_term_for_a_current_request_and_in_the_past(client):
    spec = api_token(client, "mcd.specialist")
    started = start(client, spec)
    route = complete(client, spec, started["tasks"][0]["id"], REGISTRATION)["tasks"][0]
    past = local(utcnow() - timedelta(hours=1)).isoformat(timespec="minutes")
    errors = complete(client, spec, route["id"], {"source": "rector", "units": [
        {"unit": "FE-IS", "urgency": "current", "term": past}]}, 422)["errors"]
    assert "units.0.term" in errors
    term = (utcnow() + timedelta(days=5)).replace(microsecond=0)
    complete(client, spec, route["id"], {"source": "rector", "related_to": None, "units": [
        {"unit": "FE-IS", "urgency": "current", "term": term.isoformat()}]})
    (task,) = [t for t in client.get("/api/v1/tasks", headers=api_token(client, "unit.head")).get_json()
               if t["instance_id"] == started["id"]]
    assert datetime.fromisoformat(task["due_at"]) == term


def test_the_head_of_mcd_may_route_a_specialists_inquiry(client):
    spec, head = api_token(client, "mcd.specialist"), api_token(client, "mcd.head")
    started = start(client, spec)
    route = complete(client, spec, started["tasks"][0]["id"], REGISTRATION)["tasks"][0]
    assert client.get(f"/api/v1/tasks/{route['id']}", headers=head).status_code == 200
    complete(client, api_token(client, "employee"), route["id"], {"source": "rector", "units": []}, 404)
    complete(client, head, route["id"], {"source": "rector", "units": [{"unit": "AMD", "urgency": "deep"}]})
    events = client.get(f"/api/v1/instances/{started['id']}/events", headers=spec).get_json()
    (done,) = [e for e in events if e["action"] == "task_completed" and e["task"] == "Task_Route"]
    assert done["actor"] == "mcd.head"
