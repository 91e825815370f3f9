"""The JSON API v1 of docs/API.md, end to end through the Flask client."""
from __future__ import annotations

import hashlib
import io

from tests import samples
from tests.conftest import api_token
from tests.helpers import submission


def start(client, headers):
    response = client.post("/api/v1/processes/speech_clearance/instances", headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_full_process_over_the_api(client):
    emp, vrf, aud = (api_token(client, u) for u in ("employee", "vr.finance", "auditor"))
    assert {p["key"] for p in client.get("/api/v1/processes", headers=emp).get_json()} >= {"speech_clearance"}
    started = start(client, emp)
    assert started["status"] == "running" and started["tasks"][0]["name"] == "Task_Submit"
    task_id = started["tasks"][0]["id"]
    detail = client.get(f"/api/v1/tasks/{task_id}", headers=emp).get_json()
    assert detail["form"]["properties"]["categories"]["items"]["enum"] == ["finance", "strategy", "significant_facts"]
    content = samples.pdf("theses")
    up = client.post(f"/api/v1/instances/{started['id']}/files", headers=emp,
                     data={"file": (io.BytesIO(content), "theses.pdf")}, content_type="multipart/form-data")
    assert up.status_code == 201, up.get_json()
    assert up.get_json()["sha256"] == hashlib.sha256(content).hexdigest()
    done = client.post(f"/api/v1/tasks/{task_id}/complete", headers=emp,
                       json={"data": submission(text="", file_ids=[up.get_json()["id"]])})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["instance"]["status"] == "running" and done.get_json()["tasks"] == []
    tasks = client.get("/api/v1/tasks", headers=vrf).get_json()
    decide = next(t for t in tasks if t["instance_id"] == started["id"])
    assert decide["name"] == "Task_Decide" and decide["assignee"] == "vr.finance" and decide["due_at"]
    approved = client.post(f"/api/v1/tasks/{decide['id']}/complete", headers=vrf,
                           json={"data": {"decision": "approve"}})
    assert approved.get_json()["instance"] == {"id": started["id"], "status": "completed", "outcome": "approved"}
    inst = client.get(f"/api/v1/instances/{started['id']}", headers=emp).get_json()
    assert inst["documents"][0]["kind"] == "clearance_certificate"
    pdf = client.get(f"/api/v1/documents/{inst['documents'][0]['id']}", headers=emp, buffered=True)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    events = client.get(f"/api/v1/instances/{started['id']}/events", headers=aud).get_json()
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert {"instance_started", "file_uploaded", "task_completed", "document_issued"} <= {e["action"] for e in events}
    verify = client.get("/api/v1/audit/verify", headers=aud).get_json()
    assert verify["ok"] is True and verify["events"] >= len(events)
    public = client.get(f"/verify/{inst['documents'][0]['verification_code']}")
    assert public.status_code == 200 and hashlib.sha256(content).hexdigest() in public.get_data(as_text=True)


def test_tokens(client):
    assert client.post("/api/v1/tokens", json={"username": "employee", "password": "nope"}).status_code == 401
    assert client.post("/api/v1/tokens", data="{not json", content_type="application/json").status_code == 400
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.get("/api/v1/tasks", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_throttled_after_repeated_failures(client):
    from tests.web.test_auth import frozen_clock

    with frozen_clock():  # the first back-off is 2 seconds
        codes = [client.post("/api/v1/tokens", json={"username": "employee2", "password": f"wrong{i}"}).status_code
                 for i in range(7)]
        assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
        blocked = client.post("/api/v1/tokens", json={"username": "employee2", "password": "kelisim-demo"})
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
        other = client.post("/api/v1/tokens", json={"username": "employee", "password": "kelisim-demo"})
        assert other.status_code == 201  # nobody else is held up
        elsewhere = client.post("/api/v1/tokens", json={"username": "employee2", "password": "kelisim-demo"},
                                environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert elsewhere.status_code == 201  # the owner, from another address, still gets a token


def test_bad_inputs_are_clear_4xx_and_change_nothing(client):
    emp = api_token(client, "employee")
    started = start(client, emp)
    tid = started["tasks"][0]["id"]
    aud = api_token(client, "auditor")
    before = client.get(f"/api/v1/instances/{started['id']}/events", headers=aud).get_json()
    cases = [
        (dict(data="{oops", content_type="application/json"), 400),
        (dict(json={"data": "text"}), 422),
        (dict(json={"data": {**submission(), "event_date": "not-a-date"}}), 422),
        (dict(json={"data": {**submission(), "categories": "finance"}}), 422),
        (dict(json={"data": {**submission(), "admin": True}}), 422),
        (dict(json={"data": submission(), "extra": 1}), 400),
        (dict(json={"data": {k: v for k, v in submission().items() if k != "title"}}), 422),
        (dict(json={"data": submission(event_date="2001-01-01")}), 422),
        (dict(json={"data": submission(text="", file_ids=[999])}), 422),
    ]
    for kwargs, status in cases:
        response = client.post(f"/api/v1/tasks/{tid}/complete", headers=emp, **kwargs)
        assert response.status_code == status, (kwargs, response.get_json())
        assert "error" in response.get_json()
    errors = client.post(f"/api/v1/tasks/{tid}/complete", headers=emp,
                         json={"data": {**submission(), "admin": True, "title": ""}}).get_json()["errors"]
    assert set(errors) == {"admin", "title"}
    assert client.get(f"/api/v1/instances/{started['id']}/events", headers=aud).get_json() == before
    assert client.get("/api/v1/instances/99999", headers=emp).status_code == 404
    assert client.get("/api/v1/tasks/not-a-task", headers=emp).status_code == 404
    assert client.post("/api/v1/processes/nope/instances", headers=emp).status_code == 404


def test_uploads_are_checked(client, app):
    emp = api_token(client, "employee")
    iid = start(client, emp)["id"]

    def up(name, content):
        return client.post(f"/api/v1/instances/{iid}/files", headers=emp,
                           data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")

    zip_bytes = b"PK\x03\x04" + b"\x00" * 100
    assert up("theses.pdf", zip_bytes).status_code == 422
    assert up("theses.exe", b"MZ\x90\x00").status_code == 422
    assert up("../../etc/passwd.txt", b"hello").status_code == 422
    assert up("bad\x07name.txt", b"hello").status_code == 422
    assert up("empty.txt", b"").status_code == 422
    assert up("theses.txt", "Сәлем".encode()).status_code == 201
    app.config["MAX_CONTENT_LENGTH"] = 50_000  # small, so the test client keeps the body in memory
    too_big = up("big.txt", b"a" * 60_000)
    assert too_big.status_code == 413 and "error" in too_big.get_json()
    no_field = client.post(f"/api/v1/instances/{iid}/files", headers=emp, data={}, content_type="multipart/form-data")
    assert no_field.status_code == 400
    other = api_token(client, "employee2")
    foreign = client.post(f"/api/v1/instances/{iid}/files", headers=other,
                          data={"file": (io.BytesIO(b"x"), "a.txt")}, content_type="multipart/form-data")
    assert foreign.status_code == 404


def test_openapi_document_lists_every_route(client, app):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    import re

    routes = {re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", r.rule)  # <converter:name> -> {name}
              for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")}
    documented = {re.sub(r"\{[a-z_]+\}", "{x}", p) for p in doc["paths"]}
    assert {re.sub(r"\{[a-z_]+\}", "{x}", r) for r in routes} <= documented


def test_tokens_expire(client, app):
    from datetime import timedelta

    import time_machine

    from storage.models import utcnow

    headers = api_token(client, "employee")
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    later = utcnow() + timedelta(hours=app.config["TOKEN_HOURS"], minutes=1)
    with time_machine.travel(later, tick=False):
        assert client.get("/api/v1/tasks", headers=headers).status_code == 401


def test_absurd_numbers_are_4xx_not_database_errors(client):
    """Found by schemathesis: ids beyond the database's integer range."""
    emp, aud = api_token(client, "employee"), api_token(client, "auditor")
    huge = "9" * 25
    assert client.get(f"/api/v1/instances/{huge}", headers=emp).status_code == 404
    assert client.get(f"/api/v1/files/{2**31}", headers=emp).status_code == 404
    assert client.get(f"/api/v1/audit/events?instance={huge}", headers=aud).status_code == 400
    started = start(client, emp)
    response = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=emp,
                           json={"data": submission(text="", file_ids=[2**63])})
    assert response.status_code == 422 and "file_ids" in response.get_json()["errors"]
