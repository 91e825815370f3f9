"""The path a case took, on its process diagram (issue 14, point 2): the engine's account of it, the SVG of the
API (contract: data-element-id, data-state, data-count) and the instance page (the diagram inline, the steps as
a list linked to the history)."""
from __future__ import annotations

import base64
import hashlib
import re

from lxml import etree
from sqlalchemy import select, update

from processes.usecases import deploy
from storage.db import transaction
from storage.models import ProcessDefinition, User
from tests.conftest import api_token, login
from tests.helpers import submission

SVG = "{http://www.w3.org/2000/svg}"


def _tasks_of(client, headers, instance_id):
    return [t for t in client.get("/api/v1/tasks", headers=headers).get_json() if t["instance_id"] == instance_id]


def revised_twice(client, *, finish: bool = True) -> int:
    """A speech text sent back for revision twice, then cleared (or left waiting for the third decision)."""
    emp, vrf = api_token(client, "employee"), api_token(client, "vr.finance")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    iid = started["id"]
    assert client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=emp,
                       json={"data": submission()}).status_code == 200
    for _ in range(2):
        (decide,) = _tasks_of(client, vrf, iid)
        assert client.post(f"/api/v1/tasks/{decide['id']}/complete", headers=vrf,
                           json={"data": {"decision": "revise", "comment": "Shorter, please"}}).status_code == 200
        (revise,) = _tasks_of(client, emp, iid)
        assert revise["name"] == "Task_Revise"
        assert client.post(f"/api/v1/tasks/{revise['id']}/complete", headers=emp,
                           json={"data": submission()}).status_code == 200
    if finish:
        (decide,) = _tasks_of(client, vrf, iid)
        done = client.post(f"/api/v1/tasks/{decide['id']}/complete", headers=vrf,
                           json={"data": {"decision": "approve"}})
        assert done.get_json()["instance"]["outcome"] == "approved"
    return iid


def groups(svg: str) -> dict[str, dict[str, str]]:
    """The attributes of each element group of a diagram, by BPMN id."""
    root = etree.fromstring(svg.encode())
    return {g.get("data-element-id"): dict(g.attrib) for g in root.iter(f"{SVG}g") if g.get("data-element-id")}


def test_the_api_draws_the_path_with_counts_and_the_paths_not_taken(client):
    iid = revised_twice(client)
    aud = api_token(client, "auditor")
    response = client.get(f"/api/v1/instances/{iid}/diagram.svg", headers=aud)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    g = groups(response.get_data(as_text=True))
    assert g["Task_Revise"]["data-state"] == "completed" and g["Task_Revise"]["data-count"] == "2"
    assert g["Task_Decide"]["data-count"] == "3" and g["Task_Submit"]["data-count"] == "1"
    assert g["Flow_DecisionRevise"]["data-state"] == "completed" and g["Flow_DecisionRevise"]["data-count"] == "2"
    assert g["Flow_DecisionApprove"]["data-count"] == "1" and g["EndEvent_Approved"]["data-state"] == "completed"
    for not_taken in ("EndEvent_Rejected", "Task_SetNotRequired", "Flow_DecisionReject", "Timer_Expire"):
        assert g[not_taken]["data-state"] == "not-taken", not_taken
        assert "data-count" not in g[not_taken]
    # each element the case reached links to its entry in the history
    links = re.findall(rf'<a href="/instances/{iid}#step-(\d+)"', response.get_data(as_text=True))
    events = client.get(f"/api/v1/instances/{iid}/events", headers=aud).get_json()
    completed = {e["seq"] for e in events if e["action"] == "task_completed"}
    assert links and set(map(int, links)) <= completed


def test_an_open_task_is_open_and_names_who_holds_it(client, app):
    iid = revised_twice(client, finish=False)
    svg = client.get(f"/api/v1/instances/{iid}/diagram.svg", headers=api_token(client, "employee")).get_data(True)
    g = groups(svg)
    assert g["Task_Decide"]["data-state"] == "open" and g["Task_Revise"]["data-count"] == "2"
    root = etree.fromstring(svg.encode())
    (decide,) = [e for e in root.iter(f"{SVG}g") if e.get("data-element-id") == "Task_Decide"]
    with transaction(app.extensions["kelisim.db"]) as s:
        holder = s.execute(select(User).where(User.username == "vr.finance")).scalar_one()
        names = set(holder.full_names.values())
    assert decide.findtext(f"{SVG}title") in names  # the holder, by name


def test_the_diagram_is_refused_to_whoever_may_not_read_the_case(client):
    iid = revised_twice(client, finish=False)
    assert client.get(f"/api/v1/instances/{iid}/diagram.svg").status_code == 401
    stranger = api_token(client, "employee2")
    assert client.get(f"/api/v1/instances/{iid}/diagram.svg", headers=stranger).status_code in (403, 404)
    assert client.get("/api/v1/instances/999999/diagram.svg", headers=stranger).status_code == 404


def test_the_instance_page_shows_the_diagram_inline_and_the_steps_linked_to_the_history(client):
    iid = revised_twice(client)
    login(client, "auditor")
    page = client.get(f"/instances/{iid}")
    html = page.get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'class="bpmn"' in html
    # the page's policy lets in the diagram's own stylesheet, and no other inline style
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page.headers["Content-Security-Policy"]
    steps = re.search(r'<ol class="path-steps">(.*?)</ol>', html, re.S).group(1)
    anchors = re.findall(r'href="#(step-\d+)"', steps)
    assert anchors and all(f'<tr id="{a}">' in html for a in anchors)
    assert steps.count("<li") >= 8
    alone = client.get(f"/instances/{iid}/diagram.svg")
    assert alone.status_code == 200 and alone.mimetype == "image/svg+xml"


def test_each_version_keeps_its_file_and_a_version_without_one_says_so(client, app):
    iid = revised_twice(client, finish=False)
    factory = app.extensions["kelisim.db"]
    with transaction(factory) as s:
        rows = s.execute(select(ProcessDefinition)).scalars().all()
        assert rows and all(r.diagram and r.diagram.startswith("<?xml") for r in rows)
        s.execute(update(ProcessDefinition).values(diagram=None))
    with transaction(factory) as s:  # the next deployment gives it back: the files are still these versions'
        deploy.deploy(s, app.extensions["kelisim.services"].engine)
    with transaction(factory) as s:
        assert all(r.diagram for r in s.execute(select(ProcessDefinition)).scalars())
        s.execute(update(ProcessDefinition).values(diagram=None))
    aud = api_token(client, "auditor")
    assert client.get(f"/api/v1/instances/{iid}/diagram.svg", headers=aud).status_code == 404
    login(client, "auditor")
    html = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert 'class="path-steps"' in html and 'class="bpmn"' not in html
