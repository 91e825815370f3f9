"""Withdrawing a submission over the JSON API and on the instance page (issue 10, point 13)."""
from __future__ import annotations

import re

from tests.conftest import api_token, csrf_from, login
from tests.helpers import api_complete, api_ready, submission
from tests.web.test_pages import logout


def _submitted(client, emp, **data):
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    api_complete(client, emp, started["tasks"][0]["id"], submission(**data))
    return started["id"]


def test_withdraw_over_the_api(client):
    emp, vr, other = (api_token(client, u) for u in ("employee", "vr.finance", "employee2"))
    iid = _submitted(client, emp)
    url = f"/api/v1/instances/{iid}/withdraw"
    assert client.post(url, headers=emp, data="reason").status_code == 400  # not JSON
    assert client.post(url, headers=emp, json={"reason": "x", "extra": 1}).status_code == 400
    assert client.post(url, headers=emp, json={"reason": 5}).status_code == 400
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = client.post(url, headers=emp, json=body)
        assert response.status_code == 422 and "reason" in response.get_json()["errors"]
    assert client.post(url, headers=vr, json={"reason": "x"}).status_code == 403  # sees it, may not
    assert client.post(url, headers=other, json={"reason": "x"}).status_code == 404  # may not even see it
    assert client.post(url, json={"reason": "x"}).status_code == 401
    assert client.get(f"/api/v1/instances/{iid}", headers=emp).get_json()["status"] == "running"
    response = client.post(url, headers=emp, json={"reason": "Іс-шара кейінге қалдырылды"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["status"], body["outcome"], body["tasks"]) == (iid, "completed", "withdrawn", [])
    assert client.get("/api/v1/tasks", headers=vr).get_json() == []
    events = client.get(f"/api/v1/instances/{iid}/events", headers=emp).get_json()
    (withdrawn,) = [e for e in events if e["action"] == "instance_withdrawn"]
    assert withdrawn["data"]["reason"] == "Іс-шара кейінге қалдырылды" and withdrawn["clause"] == "§8.6"
    assert client.post(url, headers=emp, json={"reason": "again"}).status_code == 409


def test_after_a_decision_it_is_409(client):
    emp, vr = api_token(client, "employee"), api_token(client, "vr.finance")
    iid = _submitted(client, emp)
    api_complete(client, vr, api_ready(client, vr, iid)["id"], {"decision": "reject", "comment": "Жоқ"})
    response = client.post(f"/api/v1/instances/{iid}/withdraw", headers=emp, json={"reason": "x"})
    assert response.status_code == 409 and response.get_json()["error"]
    assert client.get(f"/api/v1/instances/{iid}", headers=emp).get_json()["outcome"] == "rejected"


def test_openapi_names_the_withdrawal(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/v1/instances/{id}/withdraw"]


def test_withdraw_on_the_page_asks_for_reason_and_confirmation(client):
    emp = api_token(client, "employee")
    iid = _submitted(client, emp)
    login(client, "employee")
    url = f"/instances/{iid}"
    page = client.get(url, headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert f'action="/instances/{iid}/withdraw"' in page and 'name="reason"' in page
    token = csrf_from(page)
    no_confirm = client.post(f"{url}/withdraw", data={"csrf_token": token, "reason": "Себеп"})
    html = no_confirm.get_data(as_text=True)
    assert no_confirm.status_code == 422 and "Себеп" in html and 'id="withdraw-confirm-error"' in html
    no_reason = client.post(f"{url}/withdraw", data={"csrf_token": token, "reason": " ", "confirm": "yes"})
    assert no_reason.status_code == 422 and 'id="withdraw-reason-error"' in no_reason.get_data(as_text=True)
    done = client.post(f"{url}/withdraw", data={"csrf_token": token, "reason": "Себеп", "confirm": "yes"})
    assert done.status_code == 302
    page = client.get(done.headers["Location"], headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert "Кері қайтарып алынды" in page and f'action="/instances/{iid}/withdraw"' not in page
    logout(client)
    login(client, "vr.finance")
    notes = client.get("/notifications", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "отозвано подавшим" in notes and "Себеп" in notes


def test_the_page_form_is_only_for_the_submitter(client):
    emp = api_token(client, "employee")
    iid = _submitted(client, emp)
    login(client, "vr.finance")
    page = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert "/withdraw" not in page
    token = csrf_from(page)
    response = client.post(f"/instances/{iid}/withdraw", data={"csrf_token": token, "reason": "x", "confirm": "yes"})
    assert response.status_code == 403
    assert re.search(r"badge-status-running", client.get(f"/instances/{iid}").get_data(as_text=True))
