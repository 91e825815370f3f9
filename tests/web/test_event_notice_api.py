"""Event pre-notification through the JSON API and the pages (§7.4, §7.6, §7.8): a notice, MCD's decision with the
person widget, the instance page's notice block, the record after the event, the calendar by month in Kazakh and
Russian, and the 4xx answers to bad input."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from tests.conftest import api_token, csrf_from, login
from tests.helpers import api_complete as complete
from tests.helpers import api_ready as ready

KEY = "event_notice"
NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # Tuesday 10:00 in Almaty
NOTICE = {"unit": "FE-IS", "title": "Ашық есік күні", "event_kind": "open_day", "starts_at": "2026-12-10T10:00",
          "place": "Акт залы", "organiser": "Ақпараттық жүйелер кафедрасы", "audiences": ["applicants"],
          "guests": "120 оқушы", "media": "Qostanay TV", "requests": ["photo", "site_news"],
          "site_languages": ["kk", "ru", "en"]}
ACCEPT = {"decision": "accept", "covered_by": "mcd.specialist", "channels": ["website"],
          "publish_by": "2026-12-11T18:00"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def start(client, headers, **overrides) -> tuple[int, str]:
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=headers)
    assert started.status_code == 201, started.get_json()
    return started.get_json()["id"], started.get_json()["tasks"][0]["id"]


def notified(client, headers, **overrides) -> int:
    iid, task = start(client, headers)
    complete(client, headers, task, NOTICE | overrides)
    return iid


def language(client, lang):
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    client.post("/language", data={"lang": lang, "csrf_token": token})


def test_the_whole_notice_through_the_api(client, frozen):
    emp, spec = api_token(client, "employee"), api_token(client, "mcd.specialist")
    iid = notified(client, emp)
    body = client.get(f"/api/v1/instances/{iid}", headers=emp).get_json()
    assert body["title"] == "Ашық есік күні" and body["status"] == "running"
    decide = ready(client, spec, iid)
    assert decide["name"] == "Task_Decide"
    complete(client, spec, decide["id"], ACCEPT)
    again = client.post(f"/api/v1/tasks/{decide['id']}/complete", headers=spec, json={"data": ACCEPT})
    assert again.status_code == 409
    withdraw = client.post(f"/api/v1/instances/{iid}/withdraw", headers=emp, json={"reason": "кеш"})
    assert withdraw.status_code == 409  # MCD decided
    record = ready(client, spec, iid)
    first = {"publications": [{"link": "https://kineu.kz/n/1", "published_on": "2026-12-01"}]}
    early = client.post(f"/api/v1/tasks/{record['id']}/complete", headers=spec, json={"data": first})
    assert early.status_code == 409  # before the event
    frozen.move_to(datetime(2026, 12, 11, 5, 0, tzinfo=UTC))
    emp, spec = api_token(client, "employee"), api_token(client, "mcd.specialist")  # the tokens expired meanwhile
    bad = client.post(f"/api/v1/tasks/{record['id']}/complete", headers=spec,
                      json={"data": {"publications": [{"link": "kineu.kz", "published_on": "2026-12-10"}]}})
    assert bad.status_code == 422 and "publications.0.link" in bad.get_json()["errors"]
    complete(client, spec, record["id"],
             {"publications": [{"link": "https://kineu.kz/n/1", "published_on": "2026-12-10"}]})
    body = client.get(f"/api/v1/instances/{iid}", headers=emp).get_json()
    assert (body["status"], body["outcome"]) == ("completed", "covered")
    events = client.get(f"/api/v1/instances/{iid}/events", headers=emp).get_json()
    clauses = {e.get("task"): e.get("clause") for e in events if e["action"] == "task_completed"}
    assert clauses == {"Task_Notify": "§7.4", "Task_Decide": "§7.6", "Task_Record": "§7.8"}
    assert any(e["action"] == "coverage_planned" and e["clause"] == "§7.8" for e in events)


@pytest.mark.parametrize("overrides, field", [
    ({"starts_at": "2026-11-20T10:00"}, "starts_at"),
    ({"starts_at": ""}, "starts_at"),
    ({"ends_at": "2026-12-10T09:00"}, "ends_at"),
    ({"unit": "AMD"}, "unit"),
    ({"site_languages": []}, "site_languages"),
    ({"requests": ["banner"]}, "requests"),
])
def test_a_bad_notice_is_422_with_the_field(client, overrides, field):
    emp = api_token(client, "employee")
    iid, task = start(client, emp)
    response = client.post(f"/api/v1/tasks/{task}/complete", headers=emp, json={"data": NOTICE | overrides})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"], response.get_json()
    assert ready(client, emp, iid)["id"] == task  # nothing moved


def test_the_decision_form_offers_mcd_people_and_the_page_shows_the_notice(client):
    emp = api_token(client, "employee")
    late = notified(client, emp, starts_at="2026-12-03T10:00")  # 2 days ahead: late (§7.4)
    login(client, "mcd.head")
    language(client, "kk")
    page = client.get(f"/instances/{late}").get_data(as_text=True)
    assert "Ашық есік күні" in page and "кешіктірілген (§7.4)" in page and "Ақпараттық жүйелер кафедрасы" in page
    head = api_token(client, "mcd.head")
    complete(client, head, ready(client, head, late)["id"], {"decision": "accept_late", "comment": "Маңызды"})
    login(client, "mcd.specialist")
    task = ready(client, api_token(client, "mcd.specialist"), late)
    html = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert '<select id="field-covered_by" name="covered_by"' in html
    assert 'value="mcd.specialist"' in html and 'value="mcd.head"' in html and 'value="employee"' not in html
    assert "Жариялау жоспарымен қабылдау" in html  # the decision's choices, in Kazakh


def test_the_calendar_by_month_in_kazakh_and_russian(client):
    emp, spec = api_token(client, "employee"), api_token(client, "mcd.specialist")
    iid = notified(client, emp)
    other = notified(client, emp, title="Ғылыми семинар", starts_at="2027-01-15T15:00")
    login(client, "mcd.head")
    language(client, "kk")
    html = client.get("/event-notices").get_data(as_text=True)
    assert "Желтоқсан 2026" in html and "Ашық есік күні" not in html  # not accepted yet
    complete(client, spec, ready(client, spec, iid)["id"], ACCEPT)
    complete(client, spec, ready(client, spec, other)["id"], ACCEPT | {"publish_by": "2027-01-16T12:00"})
    html = client.get("/event-notices?month=2026-12").get_data(as_text=True)
    assert "Ашық есік күні" in html and "Ғылыми семинар" not in html
    assert "?month=2026-11" in html and "?month=2027-01" in html and "Қараша 2026" in html
    assert f'href="/instances/{iid}"' in html
    language(client, "ru")
    html = client.get("/event-notices?month=2027-01").get_data(as_text=True)
    assert "Январь 2027" in html and "Ғылыми семинар" in html and "Ашық есік күні" not in html
    assert client.get("/event-notices?month=2026-13").status_code == 400
    assert client.get("/event-notices?month=december").status_code == 400
    # the unit's other member sees the unit's notices, without a link to a colleague's case
    login(client, "employee2")
    html = client.get("/event-notices?month=2026-12").get_data(as_text=True)
    assert "Ашық есік күні" in html and f'href="/instances/{iid}"' not in html
    login(client, "amd.head")
    assert "Ашық есік күні" not in client.get("/event-notices?month=2026-12").get_data(as_text=True)


def test_the_start_page_offers_only_the_own_unit(client):
    login(client, "employee")
    html = client.get(f"/processes/{KEY}/new").get_data(as_text=True)
    assert 'value="FE-IS"' in html and 'value="AMD"' not in html
    assert 'type="datetime-local"' in html


def test_the_notices_as_json_a_page_at_a_time(client):
    emp, spec = api_token(client, "employee"), api_token(client, "mcd.specialist")
    first = notified(client, emp)
    second = notified(client, emp, title="Ғылыми семинар", starts_at="2027-01-15T15:00")
    third = notified(client, emp, title="Дөңгелек үстел", starts_at="2026-12-20T15:00")
    for iid in (first, second):
        complete(client, spec, ready(client, spec, iid)["id"], ACCEPT | {"publish_by": "2027-01-16T12:00"})
    listed = client.get("/api/v1/event-notices", headers=spec)
    assert [r["instance_id"] for r in listed.get_json()] == [first, second]  # MCD: the accepted ones, by start
    row = listed.get_json()[0]
    assert row["starts_at"] == "2026-12-10T05:00:00+00:00" and row["status"] == "accepted"
    assert row["covered_by"] == "mcd.specialist" and row["unit"] == "FE-IS" and row["late"] is False
    december = client.get("/api/v1/event-notices?month=2026-12", headers=spec).get_json()
    assert [r["instance_id"] for r in december] == [first]
    mine = client.get("/api/v1/event-notices?limit=2", headers=api_token(client, "employee2"))
    assert [r["instance_id"] for r in mine.get_json()] == [first, third]  # the unit: every notice, by start
    nxt = mine.headers["Link"].split(";")[0].strip("<>")
    rest = client.get(nxt, headers=api_token(client, "employee2"))
    assert [r["instance_id"] for r in rest.get_json()] == [second] and "Link" not in rest.headers
    assert client.get("/api/v1/event-notices?month=2026-13", headers=spec).status_code == 400
    assert client.get("/api/v1/event-notices?limit=0", headers=spec).status_code == 400
    assert client.get("/api/v1/event-notices", headers=api_token(client, "admin")).status_code == 403
    assert client.get("/api/v1/event-notices").status_code == 401
    assert client.get("/api/v1/event-notices", headers=api_token(client, "amd.head")).get_json() == []
