"""Website change request through the JSON API and the pages (§9.4–9.8, §9.1): the whole request, the 4xx answers
to bad input (nothing changed), the register page and JSON in Kazakh and Russian, the instance page's change block,
the yearly review's notice leading to a pre-filled request, and who may do what (the authorization matrix)."""
from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import time_machine

from processes.usecases.seed import USERS
from processes.worker import flag_reviews
from tests import samples
from tests.conftest import api_token, csrf_from, login
from tests.helpers import api_complete as complete
from tests.helpers import api_ready as ready

KEY = "website_change"
NOW = datetime(2026, 12, 15, 5, 0, tzinfo=UTC)  # Tuesday 10:00 in Almaty (after the demo signing certificate begins)
PAGE = "https://kineu.edu.kz/kk/faculties/fe-is"
REQUEST = {"unit": "FE-IS", "title": "Кафедра құрамы", "section": "main.faculties", "change_kind": "change",
           "pages": [{"address": PAGE}], "text_kk": "Кафедра меңгерушісі", "text_ru": "Заведующий кафедрой",
           "wanted_on": "2026-12-22", "area": "academic"}
PUBLISH = {"text_kk": "Кафедра меңгерушісі", "text_ru": "Заведующий кафедрой", "text_en": "Head of department",
           "published_url": PAGE, "published_on": "2026-12-15"}
USERNAMES = [u[0] for u in USERS]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def start(client, headers) -> tuple[int, str]:
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=headers)
    assert started.status_code == 201, started.get_json()
    return started.get_json()["id"], started.get_json()["tasks"][0]["id"]


def requested(client, headers, **overrides) -> int:
    iid, task = start(client, headers)
    complete(client, headers, task, REQUEST | overrides)
    return iid


def language(client, lang):
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    client.post("/language", data={"lang": lang, "csrf_token": token})


def test_the_whole_request_through_the_api(client):
    head, vr, spec = (api_token(client, u) for u in ("unit.head", "vr.academic", "mcd.specialist"))
    iid = requested(client, head)
    consent = ready(client, vr, iid)
    assert consent["name"] == "Task_Consent"
    complete(client, vr, consent["id"], {"decision": "consent"})
    again = client.post(f"/api/v1/tasks/{consent['id']}/complete", headers=vr, json={"data": {"decision": "decline",
                                                                                             "comment": "x"}})
    assert again.status_code == 409  # a second decision
    withdraw = client.post(f"/api/v1/instances/{iid}/withdraw", headers=head, json={"reason": "кеш"})
    assert withdraw.status_code == 409  # consented: decided
    publish = ready(client, spec, iid)
    bad = client.post(f"/api/v1/tasks/{publish['id']}/complete", headers=spec,
                      json={"data": PUBLISH | {"text_en": ""}})
    assert bad.status_code == 422 and "reason_en" in bad.get_json()["errors"]
    complete(client, spec, publish["id"], PUBLISH)
    body = client.get(f"/api/v1/instances/{iid}", headers=head).get_json()
    assert (body["status"], body["outcome"]) == ("completed", "published")
    listed = client.get("/api/v1/website-changes", headers=head).get_json()
    assert [(r["instance_id"], r["status"], r["published_url"]) for r in listed] == [(iid, "published", PAGE)]
    assert listed[0]["published_texts"]["en"] == "Head of department"
    assert client.get("/api/v1/website-changes?status=open", headers=spec).get_json() == []
    assert client.get("/api/v1/website-changes?status=nope", headers=spec).status_code == 400
    assert client.get("/api/v1/website-changes?section=nope", headers=spec).status_code == 400


@pytest.mark.parametrize("overrides, field", [
    ({"wanted_on": "2026-12-14"}, "wanted_on"),
    ({"wanted_on": "tomorrow"}, "wanted_on"),
    ({"section": "blog"}, "section"),
    ({"pages": [{"address": "not a page"}]}, "pages.0.address"),
    ({"title": ""}, "title"),
    ({"unit": "MCD"}, "unit"),
    ({"extra": 1}, "extra"),
])
def test_a_bad_request_is_422_with_the_field(client, overrides, field):
    head = api_token(client, "unit.head")
    iid, task = start(client, head)
    response = client.post(f"/api/v1/tasks/{task}/complete", headers=head, json={"data": REQUEST | overrides})
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert field in errors or "_form" in errors, errors
    assert client.get("/api/v1/website-changes", headers=head).get_json() == []  # nothing written


def test_missing_fields_and_a_file_with_other_bytes(client):
    head = api_token(client, "unit.head")
    iid, task = start(client, head)
    response = client.post(f"/api/v1/tasks/{task}/complete", headers=head, json={"data": {"unit": "FE-IS"}})
    assert response.status_code == 422
    assert {"title", "section", "pages", "wanted_on"} <= set(response.get_json()["errors"])
    forged = client.post(f"/api/v1/instances/{iid}/files", headers=head,
                         data={"file": (io.BytesIO(samples.png("x")), "list.pdf")}, content_type="multipart/form-data")
    assert forged.status_code in (400, 422), forged.get_json()
    assert client.get("/api/v1/website-changes", headers=head).get_json() == []


def test_the_register_page_and_the_change_block_in_kazakh_and_russian(client):
    iid = requested(client, api_token(client, "unit.head"))
    login(client, "mcd.head")
    language(client, "kk")
    page = client.get("/website-changes").get_data(as_text=True)
    assert "Сайттағы өзгерістер" in page and "Кафедра құрамы" in page and "Басты: Факультеттер" in page
    assert "Келісім күтуде" in page
    language(client, "ru")
    page = client.get("/website-changes").get_data(as_text=True)
    assert "Изменения сайта" in page and "Главная: Факультеты" in page and "Ожидает согласия" in page
    instance = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert "Раздел сайта (§9.4)" in instance and PAGE in instance and "Текст на казахском" in instance
    assert client.get("/website-changes?status=wrong").status_code == 400


def test_the_yearly_notice_opens_a_request_with_the_pages(client, app, frozen):
    head, vr, spec = (api_token(client, u) for u in ("unit.head", "vr.academic", "mcd.specialist"))
    iid = requested(client, head)
    complete(client, vr, ready(client, vr, iid)["id"], {"decision": "consent"})
    complete(client, spec, ready(client, spec, iid)["id"], PUBLISH)
    frozen.move_to(datetime(2027, 12, 16, 5, 0, tzinfo=UTC))
    assert flag_reviews(app.extensions["kelisim.db"], app.extensions["kelisim.services"]) == 1
    login(client, "unit.head")
    language(client, "kk")
    notes = client.get("/notifications").get_data(as_text=True)
    assert "Бір жыл өтті" in notes and "/processes/website_change/new?review=1" in notes
    form = client.get("/processes/website_change/new?review=1").get_data(as_text=True)
    assert PAGE in form


EXPECTED_STARTERS = {u[0] for u in USERS if "unit_head" in u[3]}
REGISTER_ALL = {"mcd.head", "mcd.specialist", "auditor"}
HEADS = {"unit.head", "dean.engineering", "mcd.head", "rector", "amd.head"}  # named heads of the demo units


def test_website_change_anonymous(client):
    response = client.get("/website-changes")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/api/v1/website-changes").status_code == 401


@pytest.mark.parametrize("username", USERNAMES)
def test_website_change_matrix(client, username):
    iid = requested(client, api_token(client, "unit.head"))
    headers = api_token(client, username)
    readers = {"unit.head", "vr.academic", "mcd.head", "mcd.specialist", "auditor", "admin"}
    response = client.get(f"/api/v1/instances/{iid}", headers=headers)
    assert (response.status_code == 200) == (username in readers), (username, response.status_code)
    waiting = [t for t in client.get("/api/v1/tasks", headers=headers).get_json() if t["instance_id"] == iid]
    assert bool(waiting) == (username == "vr.academic"), (username, waiting)
    task = client.get(f"/api/v1/instances/{iid}", headers=api_token(client, "auditor")).get_json()["tasks"]
    consent = next(t["id"] for t in task if t["name"] == "Task_Consent")
    if username != "vr.academic":  # acting on another's task
        response = client.post(f"/api/v1/tasks/{consent}/complete", headers=headers,
                               json={"data": {"decision": "consent"}})
        assert response.status_code in (403, 404), (username, response.status_code)
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=headers)
    assert (started.status_code == 201) == (username in EXPECTED_STARTERS), (username, started.status_code)
    listed = client.get("/api/v1/website-changes", headers=headers)
    assert listed.status_code == (200 if username in REGISTER_ALL | HEADS else 403), (username, listed.status_code)
    if listed.status_code == 200:
        seen = [r["instance_id"] for r in listed.get_json()]
        assert (iid in seen) == (username in REGISTER_ALL | {"unit.head"}), (username, seen)
    login(client, username)
    page = client.get("/website-changes")
    assert page.status_code == listed.status_code, (username, page.status_code)
