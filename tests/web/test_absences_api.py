"""Absences over the JSON API and on the Absences page (issue 12, points 5–7; docs/API.md "Absence and
substitution"): the contract's shapes, "acting_for" in tasks and events, refusals."""
from __future__ import annotations

from datetime import timedelta

from processes.university_time import today_local
from storage.models import utcnow
from tests.conftest import api_token, csrf_from, login
from tests.helpers import api_complete, submission
from tests.web.test_pages import logout


def day(offset: int = 0) -> str:
    return (today_local(utcnow()) + timedelta(days=offset)).isoformat()


def _submitted(client, emp):
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    api_complete(client, emp, started["tasks"][0]["id"], submission())
    return started["id"]


def test_record_list_and_end_an_absence_with_tasks_following(client):
    emp, fin, acad = (api_token(client, u) for u in ("employee", "vr.finance", "vr.academic"))
    iid = _submitted(client, emp)
    response = client.post("/api/v1/absences", headers=fin, json={
        "starts_on": day(0), "ends_on": day(4), "substitute": "vr.academic", "processes": []})
    assert response.status_code == 201
    absence = response.get_json()
    assert {"id", "user", "starts_on", "ends_on", "substitute", "processes", "ended_at"} <= set(absence)
    assert (absence["user"], absence["substitute"], absence["processes"], absence["ended_at"],
            absence["in_force"]) == ("vr.finance", "vr.academic", [], None, True)
    # the open task moved: the substitute's inbox lists it acting for vr.finance
    (task,) = [t for t in client.get("/api/v1/tasks", headers=acad).get_json() if t["instance_id"] == iid]
    assert (task["assignee"], task["acting_for"]) == ("vr.academic", "vr.finance")
    assert not [t for t in client.get("/api/v1/tasks", headers=fin).get_json() if t["instance_id"] == iid]
    listed = client.get("/api/v1/absences?user=vr.finance", headers=fin).get_json()
    assert [a["id"] for a in listed] == [absence["id"]]
    assert client.get("/api/v1/absences", headers=fin).get_json() == listed  # user defaults to the caller
    # the substitute decides; the completion's event carries acting_for
    api_complete(client, acad, task["id"], {"decision": "revise", "comment": "Толықтырыңыз"})
    events = client.get(f"/api/v1/instances/{iid}/events", headers=emp).get_json()
    (done,) = [e for e in events if e["action"] == "task_completed" and e["data"].get("decision")]
    assert done["acting_for"] == "vr.finance" and done["actor"] == "vr.academic"
    (moved,) = [e for e in events if e["action"] == "task_reassigned"]
    assert moved["data"]["reason"] == "absence" and moved["acting_for"] == "vr.finance"
    assert all(e["acting_for"] is None for e in events if e["action"] == "instance_started")
    # ending it: 200, kept with ended_at; a second time 409
    ended = client.delete(f"/api/v1/absences/{absence['id']}", headers=fin)
    assert ended.status_code == 200 and ended.get_json()["ended_at"] and not ended.get_json()["in_force"]
    assert client.delete(f"/api/v1/absences/{absence['id']}", headers=fin).status_code == 409
    assert client.get("/api/v1/absences", headers=fin).get_json()[0]["id"] == absence["id"]  # nothing deleted


def test_refusals(client):
    emp, emp2, head, fin, admin = (api_token(client, u) for u in
                                   ("employee", "employee2", "unit.head", "vr.finance", "admin"))
    body = {"starts_on": day(1), "ends_on": day(3), "substitute": "employee2"}
    assert client.post("/api/v1/absences", json=body).status_code == 401
    assert client.post("/api/v1/absences", headers=emp, data="x").status_code == 400
    assert client.post("/api/v1/absences", headers=emp, json={**body, "extra": 1}).status_code == 400
    # someone else's absence: 403 unless an administrator or the head of their unit
    assert client.post("/api/v1/absences", headers=emp2, json={**body, "user": "employee"}).status_code == 403
    assert client.post("/api/v1/absences", headers=head, json={**body, "user": "vr.finance",
                                                               "substitute": "rector"}).status_code == 403
    assert client.get("/api/v1/absences?user=employee", headers=emp2).status_code == 403
    assert client.post("/api/v1/absences", headers=emp, json={**body, "user": "ghost"}).status_code == 404
    for bad, field in (({"ends_on": day(0)}, "ends_on"), ({"substitute": "employee"}, "substitute"),
                       ({"substitute": "ghost"}, "substitute"), ({"processes": ["nope"]}, "processes"),
                       ({"starts_on": "soon"}, "starts_on"), ({"processes": "all"}, "processes")):
        response = client.post("/api/v1/absences", headers=emp, json={**body, **bad})
        assert response.status_code == 422 and field in response.get_json()["errors"], (bad, response.get_json())
    created = client.post("/api/v1/absences", headers=head, json={**body, "user": "employee"})
    assert created.status_code == 201 and created.get_json()["created_by"] == "unit.head"
    overlap = client.post("/api/v1/absences", headers=admin, json={**body, "user": "employee",
                                                                   "starts_on": day(2), "ends_on": day(6)})
    assert overlap.status_code == 409 and "Қанатова" in overlap.get_json()["error"]  # whose absence, when
    # ending: someone who may not manage it does not learn it exists; unknown ids are 404
    aid = created.get_json()["id"]
    assert client.delete(f"/api/v1/absences/{aid}", headers=emp2).status_code == 404
    assert client.delete("/api/v1/absences/99999", headers=emp).status_code == 404
    assert client.delete(f"/api/v1/absences/{aid}", headers=emp).status_code == 200


def test_list_is_paged(client):
    fin = api_token(client, "vr.finance")
    ids = []
    for start in (1, 3, 5):
        response = client.post("/api/v1/absences", headers=fin, json={
            "starts_on": day(start), "ends_on": day(start), "substitute": "rector"})
        ids.append(response.get_json()["id"])
    first = client.get("/api/v1/absences?limit=2", headers=fin)
    assert [a["id"] for a in first.get_json()] == ids[:0:-1]
    link = first.headers["Link"]
    assert link.endswith('>; rel="next"')
    url = link[1:link.index(">")]
    rest = client.get(url, headers=fin)
    assert [a["id"] for a in rest.get_json()] == ids[:1] and "Link" not in rest.headers
    assert client.get("/api/v1/absences?limit=0", headers=fin).status_code == 400


def test_openapi_names_the_absences(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/absences"]) and "delete" in paths["/api/v1/absences/{absence_id}"]


def test_absences_page_records_and_ends_and_the_inbox_says_acting_for(client):
    emp = api_token(client, "employee")
    iid = _submitted(client, emp)
    login(client, "vr.finance")
    page = client.get("/absences")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'href="/absences"' in html and 'name="substitute"' in html
    token = csrf_from(html)
    refused = client.post("/absences", data={"csrf_token": token, "user": "vr.finance", "starts_on": day(2),
                                             "ends_on": day(1), "substitute": "vr.academic"})
    assert refused.status_code == 422 and 'id="field-ends_on-error"' in refused.get_data(as_text=True)
    done = client.post("/absences", data={"csrf_token": token, "user": "vr.finance", "starts_on": day(0),
                                          "ends_on": day(1), "substitute": "vr.academic",
                                          "reason": "Іссапар"})
    assert done.status_code == 302
    html = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Іссапар" in html and "Сергей Викторович Петров" in html
    again = client.post("/absences", data={"csrf_token": token, "user": "vr.finance", "starts_on": day(1),
                                           "ends_on": day(2), "substitute": "rector"})
    assert again.status_code == 409 and 'id="absence-conflict"' in again.get_data(as_text=True)
    logout(client)
    login(client, "vr.academic")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "Гүлнар Маратқызы Әлиева" in inbox and "acting-for" in inbox
    acad = api_token(client, "vr.academic")
    (task,) = [t for t in client.get("/api/v1/tasks", headers=acad).get_json() if t["instance_id"] == iid]
    assert "Гүлнар Маратқызы Әлиева" in client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    history = client.get(f"/instances/{iid}").get_data(as_text=True)  # the move, in the case's history
    assert "Тапсырма басқаға берілді" in history and "Кімнің міндетін атқарады" in history
    # a unit head picks the person from their unit; someone else's page is refused
    logout(client)
    login(client, "unit.head")
    html = client.get("/absences?user=employee").get_data(as_text=True)
    assert 'name="user"' in html and 'value="employee2"' in html
    assert client.get("/absences?user=vr.finance").status_code == 403


def test_notifications_tell_of_moves_and_of_a_loop(client):
    emp, fin, acad = (api_token(client, u) for u in ("employee", "vr.finance", "vr.academic"))
    iid = _submitted(client, emp)
    for who, sub in ((acad, "vr.finance"), (fin, "vr.academic")):  # a loop: the task goes to the queue
        assert client.post("/api/v1/absences", headers=who, json={
            "starts_on": day(0), "ends_on": day(1), "substitute": sub}).status_code == 201
    (task,) = [t for t in client.get("/api/v1/tasks", headers=api_token(client, "rector")).get_json()
               if t["instance_id"] == iid]
    assert (task["assignee"], task["acting_for"], task["role"]) == (None, "vr.finance", "public_person")
    login(client, "admin")
    html = client.get("/notifications").get_data(as_text=True)
    assert "Гүлнар Маратқызы Әлиева орнына ешкім әрекет ете алмады" in html
    logout(client)
    login(client, "vr.finance")
    html = client.get("/notifications").get_data(as_text=True)
    assert "болмауға байланысты рөл кезегіне берілді" in html
