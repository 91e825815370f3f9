"""Plans and regulations the rector approves (§7.1) over the JSON API and the plan page: who drafts, the rector's
decision (409 for a second one), the regulation's file checked by its bytes, the versions, the comparison, MCD's
mark, and the plan page with its items by month."""
from __future__ import annotations

import io

from processes.plan_approval import plans
from tests import samples
from tests.conftest import api_token, csrf_from, login
from tests.helpers import api_complete as complete

KEY = "plan_approval"
PLAN = {"kind": "pr_plan", "title": "PR plan 2026/27", "period_start": "2026-09-01", "period_end": "2027-06-30",
        "items": [{"occasion": "Open day", "month": "2027-03", "channel": "website", "unit": "MCD"},
                  {"occasion": "Day of knowledge", "date": "2026-09-01", "channel": "tv", "unit": "FE"}]}


def start(client, headers):
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=headers)
    assert started.status_code == 201, started.get_json()
    return started.get_json()


def approved(client, spec, rector, data=PLAN) -> int:
    started = start(client, spec)
    complete(client, spec, started["tasks"][0]["id"], data)
    (task,) = [t for t in client.get("/api/v1/tasks", headers=rector).get_json() if t["instance_id"] == started["id"]]
    complete(client, rector, task["id"], {"decision": "approve"})
    return started["id"]


def test_mcd_drafts_and_others_may_not(client):
    spec, head = api_token(client, "mcd.specialist"), api_token(client, "mcd.head")
    start(client, spec)
    start(client, head)
    for user in ("employee", "unit.head", "rector", "auditor"):
        assert client.post(f"/api/v1/processes/{KEY}/instances", headers=api_token(client, user)).status_code == 403


def test_bad_drafts_are_422_and_a_second_decision_409(client):
    spec, rector = api_token(client, "mcd.specialist"), api_token(client, "rector")
    started = start(client, spec)
    task = started["tasks"][0]["id"]
    assert "items" in complete(client, spec, task, {**PLAN, "items": []}, 422)["errors"]
    assert "period_end" in complete(client, spec, task, {**PLAN, "period_end": "2026-08-01"}, 422)["errors"]
    bad_item = {**PLAN["items"][0], "date": "2027-07-15"}
    assert "items.0.date" in complete(client, spec, task, {**PLAN, "items": [bad_item]}, 422)["errors"]
    no_unit = {**PLAN["items"][0], "unit": "NOWHERE"}
    assert "items.0.unit" in complete(client, spec, task, {**PLAN, "items": [no_unit]}, 422)["errors"]
    complete(client, spec, task, PLAN)
    (decide,) = [t for t in client.get("/api/v1/tasks", headers=rector).get_json()
                 if t["instance_id"] == started["id"]]
    assert "comment" in complete(client, rector, decide["id"], {"decision": "return"}, 422)["errors"]
    complete(client, rector, decide["id"], {"decision": "approve"})
    complete(client, rector, decide["id"], {"decision": "reject", "comment": "no"}, 409)
    assert client.get(f"/api/v1/instances/{started['id']}", headers=spec).get_json()["outcome"] == "approved"


def test_a_regulation_needs_text_and_a_true_file(client):
    spec, rector = api_token(client, "mcd.specialist"), api_token(client, "rector")
    started = start(client, spec)
    iid, task = started["id"], started["tasks"][0]["id"]
    fake = client.post(f"/api/v1/instances/{iid}/files", headers=spec,
                       data={"file": (io.BytesIO(samples.png("not a pdf")), "regulation.pdf")},
                       content_type="multipart/form-data")
    assert fake.status_code == 422
    reg = {"kind": "website_regulation", "title": "Website regulation"}
    errors = complete(client, spec, task, reg, 422)["errors"]
    assert {"text", "file_ids"} <= set(errors)
    up = client.post(f"/api/v1/instances/{iid}/files", headers=spec,
                     data={"file": (io.BytesIO(samples.pdf("regulation")), "regulation.pdf")},
                     content_type="multipart/form-data")
    assert up.status_code == 201
    complete(client, spec, task, {**reg, "text": "Сайт үш тілде жүргізіледі.", "file_ids": [up.get_json()["id"]]})
    (decide,) = [t for t in client.get("/api/v1/tasks", headers=rector).get_json() if t["instance_id"] == iid]
    complete(client, rector, decide["id"], {"decision": "approve"})
    current = client.get("/api/v1/plans/website_regulation/current", headers=rector).get_json()
    assert current["number"] == 1 and current["text"] == "Сайт үш тілде жүргізіледі."
    assert current["file_ids"] == [up.get_json()["id"]] and current["approved_by"] == "rector"


def test_versions_compare_and_mark(client):
    spec, rector, auditor = (api_token(client, u) for u in ("mcd.specialist", "rector", "auditor"))
    assert client.get("/api/v1/plans/pr_plan/current", headers=spec).status_code == 404
    first = approved(client, spec, rector)
    second_plan = {**PLAN, "items": [{**PLAN["items"][0], "channel": "social"},
                                     {"occasion": "Science week", "month": "2027-04", "channel": "press",
                                      "unit": "FE-IS"}]}
    second = approved(client, spec, rector, second_plan)
    listed = client.get("/api/v1/plans/pr_plan/versions?limit=1", headers=auditor)
    assert [v["number"] for v in listed.get_json()] == [2] and 'rel="next"' in listed.headers["Link"]
    assert listed.get_json()[0]["instance_id"] == second and listed.get_json()[0]["in_force"] is True
    one = client.get("/api/v1/plans/pr_plan/versions/1", headers=auditor).get_json()
    assert one["instance_id"] == first and one["in_force"] is False
    cmp = client.get("/api/v1/plans/pr_plan/compare", headers=auditor).get_json()
    assert (cmp["from"], cmp["to"]) == (1, 2)
    assert [i["occasion"] for i in cmp["added"]] == ["Science week"]
    assert [i["occasion"] for i in cmp["removed"]] == ["Day of knowledge"]
    assert [(c["item"]["occasion"], c["fields"]) for c in cmp["changed"]] == [("Open day", ["channel"])]
    key = plans.item_key("Open day")
    url = f"/api/v1/plans/pr_plan/versions/2/items/{key}/done"
    assert client.post(url, headers=rector, json={"done_on": "2026-09-01"}).status_code == 403
    assert client.post(url, headers=spec, json={"done_on": "2999-01-01"}).status_code == 422
    assert client.post("/api/v1/plans/pr_plan/versions/2/items/nope/done", headers=spec,
                       json={"done_on": "2026-09-01"}).status_code == 404
    assert client.post(url, headers=spec, json={"done_on": "2026-09-01"}).status_code == 201
    items = client.get("/api/v1/plans/pr_plan/current", headers=auditor).get_json()["items"]
    assert {i["occasion"]: (i["status"], i["done_by"]) for i in items}["Open day"] == ("done", "mark")
    for user in ("employee", "unit.head"):
        headers = api_token(client, user)
        assert client.get("/api/v1/plans/pr_plan/versions", headers=headers).status_code == 403
        assert client.get("/api/v1/plans/pr_plan/compare", headers=headers).status_code == 403
    assert client.get("/api/v1/plans/nope/versions", headers=auditor).status_code == 404


def test_the_plan_page(client):
    spec, rector = api_token(client, "mcd.specialist"), api_token(client, "rector")
    approved(client, spec, rector)
    login(client, "mcd.specialist")
    html = client.get("/plans").get_data(as_text=True)
    assert "Open day" in html and "Day of knowledge" in html
    assert 'href="/plans"' in html  # in the menu (the registers group)
    assert "/processes/plan_approval/new?kind=pr_plan" in html
    key = plans.item_key("Day of knowledge")
    assert f'id="item-{key}"' in html
    marked = client.post(f"/plans/pr_plan/1/items/{key}/done",
                         data={"csrf_token": csrf_from(html), "done_on": "2026-09-01", "note": "TV"})
    assert marked.status_code == 303
    html = client.get("/plans").get_data(as_text=True)
    assert "pa-status-done" in html
    regulation = client.get("/plans?kind=website_regulation")
    assert regulation.status_code == 200
    form = client.get("/processes/plan_approval/new?kind=pr_plan").get_data(as_text=True)
    assert 'value="Open day"' in form or ">Open day<" in form
    client.post("/logout", data={"csrf_token": csrf_from(html)})
    login(client, "employee")
    assert client.get("/plans").status_code == 403
    assert 'href="/plans"' not in client.get("/").get_data(as_text=True)


def test_the_instance_page_shows_the_draft_and_the_rectors_return(client):
    spec, rector = api_token(client, "mcd.specialist"), api_token(client, "rector")
    started = start(client, spec)
    complete(client, spec, started["tasks"][0]["id"], PLAN)
    (decide,) = [t for t in client.get("/api/v1/tasks", headers=rector).get_json()
                 if t["instance_id"] == started["id"]]
    complete(client, rector, decide["id"], {"decision": "return", "comment": "Add the science week"})
    login(client, "mcd.specialist")
    html = client.get(f"/instances/{started['id']}").get_data(as_text=True)
    assert "Add the science week" in html and "Open day" in html
    ru = client.get(f"/instances/{started['id']}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "март 2027" in ru and ">2027-03<" not in ru  # the item's month named, not its code


def test_the_rector_sees_what_approving_changes(client):
    spec, rector = api_token(client, "mcd.specialist"), api_token(client, "rector")
    approved(client, spec, rector)
    started = start(client, spec)
    complete(client, spec, started["tasks"][0]["id"], {**PLAN, "items": [
        PLAN["items"][0], {"occasion": "Science week", "month": "2027-04", "channel": "press", "unit": "FE-IS"}]})
    login(client, "rector")
    html = client.get(f"/instances/{started['id']}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Against the version in force" in html
    added = html[html.index('class="pa-added"'):]
    assert added.index("Science week") < added.index("</li>")
    removed = html[html.index('class="pa-removed"'):]
    assert removed.index("Day of knowledge") < removed.index("</li>")
