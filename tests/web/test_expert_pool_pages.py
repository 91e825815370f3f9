"""The expert pool's pages and API (issue 15): the pool for everyone logged in, searchable by topic; its
editions; the proposal form with its rows; the JSON lists with paging."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from processes.expert_pool.kind import KIND
from processes.university_time import today_local
from storage.models import utcnow
from tests.conftest import api_token, csrf_from, login

TERM = (today_local(utcnow()) + timedelta(days=200)).isoformat()


@pytest.fixture
def seeded(act):
    assert act(None, KIND.seed_demo)


def start_form(client):
    return client.get("/processes/expert_pool/new")


def post_proposal(client, fields: dict) -> object:
    page = start_form(client).get_data(as_text=True)
    return client.post("/processes/expert_pool/new", data={"csrf_token": csrf_from(page), **fields})


ROW = {"changes.0.action": "add", "changes.0.person": "employee", "changes.0.topics": "қабылдау, студенттер",
       "changes.0.languages": ["kk", "ru"], "changes.0.formats": ["press", "radio"], "changes.0.term_until": TERM,
       "_slots.changes": "2"}


def test_everyone_logged_in_sees_the_pool_and_searches_it(client, seeded):
    assert client.get("/expert-pool").status_code == 302  # to the log-in page
    login(client, "employee")
    html = client.get("/expert-pool").get_data(as_text=True)
    assert "Ғалым Серікұлы Жақсыбеков" in html and "Сергей Викторович Петров" in html
    assert 'href="/expert-pool"' in html  # in the main menu
    assert "/processes/expert_pool/new" not in html  # only MCD proposes
    found = client.get("/expert-pool?q=аккредитация").get_data(as_text=True)
    assert "Сергей Викторович Петров" in found and "Ғалым Серікұлы Жақсыбеков" not in found
    none = client.get("/expert-pool?q=футбол").get_data(as_text=True)
    assert "Петров" not in none and "/expert-pool" in none


def test_editions_pages(client, seeded):
    login(client, "employee")
    html = client.get("/expert-pool/editions").get_data(as_text=True)
    assert "/expert-pool/editions/1" in html
    one = client.get("/expert-pool/editions/1").get_data(as_text=True)
    assert "Бақыт Әбдірахманұлы Дүйсенов" in one  # approved by the rector
    assert "аккредитация (accreditation)" in one
    assert client.get("/expert-pool/editions/9").status_code == 404


def test_the_proposal_form_renders_rows(client, seeded):
    login(client, "mcd.specialist")
    assert "/processes/expert_pool/new" in client.get("/expert-pool").get_data(as_text=True)
    html = start_form(client).get_data(as_text=True)
    assert 'name="changes.0.action"' in html and '<select id="field-changes-0-action"' in html
    assert 'type="checkbox" id="field-changes-0-languages-0" name="changes.0.languages" value="kk"' in html
    assert 'type="date" id="field-changes-0-term_until" name="changes.0.term_until"' in html
    assert 'name="_slots.changes" value="1"' in html and 'value="add:changes"' in html
    assert "changes.1.action" not in html


def test_add_row_keeps_the_input_and_adds_a_row(client, seeded):
    login(client, "mcd.specialist")
    response = post_proposal(client, {**ROW, "_slots.changes": "1", "_action": "add:changes"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="changes.1.action"' in html and 'name="changes.2.action"' not in html  # one more row
    assert re.search(r'value="employee"', html)
    assert re.search(r'name="changes.0.languages" value="ru"\s+checked', html)
    assert not re.search(r'name="changes.0.languages" value="en"\s+checked', html)
    assert re.search(r'name="changes.0.formats" value="radio"\s+checked', html)


def test_an_error_shows_at_the_rows_field_and_keeps_the_input(client, seeded):
    login(client, "mcd.specialist")
    response = post_proposal(client, {**ROW, "changes.0.person": "unit.head", "changes.0.formats": []})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="field-changes-0-person-error"' in html and "unit.head" in html
    assert 'id="field-changes-0-formats-error"' in html
    assert 'href="#field-changes-0-person"' in html  # the summary links to the row's field
    assert re.search(r'name="changes.0.languages" value="kk"\s+checked', html)
    assert "қабылдау, студенттер" in html


def test_the_whole_path_through_the_pages(client, seeded):
    login(client, "mcd.specialist")
    done = post_proposal(client, {**ROW, "note": "Қабылдау науқаны"})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    instance = done.headers["Location"].split("?")[0]
    page = client.get(instance).get_data(as_text=True)
    assert "Әсел Нұрланқызы Қанатова" in page  # the proposed row on the instance page
    login(client, "rector")
    tasks = client.get("/api/v1/tasks", headers=api_token(client, "rector")).get_json()
    (task,) = [t for t in tasks if t["name"] == "Task_Approve"]
    form = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "Әсел Нұрланқызы Қанатова" in form  # the rector sees what is approved
    token = csrf_from(form)
    asked = client.post(f"/tasks/{task['id']}", data={"csrf_token": token, "decision": "approve"})
    asked_html = asked.get_data(as_text=True)
    assert asked.status_code == 422 and 'id="confirm-box"' in asked_html  # approving is asked to be confirmed
    assert "сарапшылар пулының 2-редакциясын" in asked_html
    done = client.post(f"/tasks/{task['id']}", data={"csrf_token": token, "decision": "approve", "confirm": "yes"})
    assert done.status_code == 302
    login(client, "employee")
    assert "Әсел Нұрланқызы Қанатова" in client.get("/expert-pool").get_data(as_text=True)
    assert "/expert-pool/editions/2" in client.get("/expert-pool/editions").get_data(as_text=True)


def test_api_lists_with_paging_and_search(client, seeded):
    headers = api_token(client, "employee")
    assert client.get("/api/v1/expert-pool").status_code == 401
    body = client.get("/api/v1/expert-pool", headers=headers).get_json()
    assert {m["user"] for m in body} == {"unit.head", "vr.academic"}
    first = body[0]
    assert set(first) >= {"user", "full_name", "position", "unit", "topics", "languages", "formats", "term_until",
                          "valid", "edition"} and first["edition"] == 1 and first["valid"] is True
    page = client.get("/api/v1/expert-pool?limit=1", headers=headers)
    assert len(page.get_json()) == 1 and 'rel="next"' in page.headers["Link"]
    url = page.headers["Link"].split(">")[0].lstrip("<")
    rest = client.get(url, headers=headers)
    assert len(rest.get_json()) == 1 and "Link" not in rest.headers
    assert {page.get_json()[0]["user"], rest.get_json()[0]["user"]} == {"unit.head", "vr.academic"}
    found = client.get("/api/v1/expert-pool?q=ЖАСАНДЫ", headers=headers).get_json()
    assert [m["user"] for m in found] == ["unit.head"]
    assert client.get("/api/v1/expert-pool?limit=500", headers=headers).status_code == 400
    editions = client.get("/api/v1/expert-pool/editions", headers=headers).get_json()
    assert editions == [{**editions[0], "number": 1, "approved_by": "rector", "instance_id": None, "members": 2}]
    assert [c["action"] for c in editions[0]["changes"]] == ["add", "add"]
    one = client.get("/api/v1/expert-pool/editions/1", headers=headers).get_json()
    assert len(one["members"]) == 2


def test_an_empty_pool(client):
    login(client, "employee")
    html = client.get("/expert-pool").get_data(as_text=True)
    assert client.get("/expert-pool").status_code == 200 and "<table" not in html
    assert client.get("/api/v1/expert-pool", headers=api_token(client, "employee")).get_json() == []


def test_propose_a_change_starts_with_the_experts_entry(client, seeded):
    login(client, "mcd.head")
    pool = client.get("/expert-pool").get_data(as_text=True)
    assert "/processes/expert_pool/new?person=vr.academic&amp;action=change" in pool
    html = client.get("/processes/expert_pool/new?person=vr.academic&action=change").get_data(as_text=True)
    assert re.search(r'<option value="change" selected', html)
    assert 'value="vr.academic"' in html and "аккредитация (accreditation)" in html
    assert re.search(r'name="changes.0.languages" value="en"\s+checked', html)
    assert 'name="changes.1.action"' in html  # and an empty row


def test_the_flags_read_well_on_the_notifications_page(client, act, app):
    from processes import worker
    from processes.expert_pool import pool
    from processes.usecases import media_contacts
    from web.unit_of_work import services

    soon = (today_local(utcnow()) + timedelta(days=10)).isoformat()
    act(None, pool.seed_edition, [{"action": "add", "person": "employee", "topics": "қабылдау", "languages": ["kk"],
                                   "formats": ["press"], "term_until": soon}])
    act(None, media_contacts.seed_demo)
    with app.app_context():
        factory, running = app.extensions["kelisim.db"], services()
    assert worker.flag_reviews(factory, running, now=utcnow()) == 1
    assert worker.flag_reviews(factory, running, now=utcnow() + timedelta(days=366)) == 2  # both contacts
    login(client, "mcd.specialist")
    html = client.get("/notifications").get_data(as_text=True)
    assert "Әсел Нұрланқызы Қанатова" in html and "бір ай ішінде аяқталады" in html
    login(client, "unit.head")
    html = client.get("/notifications").get_data(as_text=True)
    assert "FE-IS" in html and "бір жыл бойы расталмады" in html


def test_the_api_refuses_a_bad_row_with_its_field(client, seeded):
    spec = api_token(client, "mcd.specialist")
    started = client.post("/api/v1/processes/expert_pool/instances", headers=spec).get_json()
    bad = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=spec, json={"data": {
        "changes": [{"action": "remove", "person": "employee"},
                    {"action": "add", "person": "employee2", "topics": "x", "languages": ["de"], "formats": [],
                     "term_until": TERM}]}})
    assert bad.status_code == 422
    errors = bad.get_json()["errors"]
    assert {"changes.0.person", "changes.1.languages"} <= set(errors), errors
