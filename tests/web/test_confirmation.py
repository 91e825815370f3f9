"""A final click says so (issue 10, point 11): final steps ask for confirmation on the page, without JavaScript;
the JSON API does not ask; after submitting, the page says who the case went to."""
from __future__ import annotations

import re

from tests.conftest import api_token, csrf_from, login
from tests.helpers import api_complete, api_ready, submission
from tests.web.test_pages import form_post, logout, task_link


def _new(client, data):
    return form_post(client, "/processes/speech_clearance/new", data)


def _instances(client) -> int:
    return client.get("/submissions").get_data(as_text=True).count("/instances/")


def test_no_category_asks_first_and_keeps_the_values(client):
    login(client, "employee")
    data = submission(text="Тезистер", categories=[], title="Санаты жоқ мәтін")
    response = _new(client, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="confirm-box"' in html and 'name="confirm" value="yes"' in html
    assert "Санаты жоқ мәтін" in html  # the values come back
    assert 'class="error-summary"' not in html  # a question, not an error
    assert _instances(client) == 0  # nothing started
    done = _new(client, {**data, "confirm": "yes"})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'id="done-alert"' in page and "sent-to" in page
    assert _instances(client) > 0


def test_a_category_is_not_asked(client):
    login(client, "employee")
    response = _new(client, submission(categories=["finance"]))
    assert response.status_code == 302
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    # who it went to: the vice-rector for finance, by full name
    sent = re.search(r'<p class="sent-to">(.*?)</p>', page, re.S)
    assert sent and "Sent to:" in sent.group(1) and "Clear speech text" in sent.group(1)
    assert "sent-to-holder" in sent.group(1)


def test_approval_asks_then_issues_once(client):
    login(client, "employee")
    created = _new(client, submission(categories=["finance"]))
    instance_url = created.headers["Location"].split("?")[0]
    logout(client)
    login(client, "vr.finance")
    task = task_link(client.get("/inbox").get_data(as_text=True))
    asked = form_post(client, task, {"decision": "approve"})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 422 and 'id="confirm-box"' in html
    assert 'value="approve"' in html and re.search(r'value="approve"[^>]*checked', html)  # the choice is kept
    assert "/documents/" not in client.get(instance_url).get_data(as_text=True)  # nothing issued yet
    done = form_post(client, task, {"decision": "approve", "confirm": "yes"})
    assert done.status_code == 302
    page = client.get(done.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The case has ended: Cleared." in page


def test_revision_is_not_asked(client):
    login(client, "employee")
    _new(client, submission(categories=["finance"]))
    logout(client)
    login(client, "vr.finance")
    task = task_link(client.get("/inbox").get_data(as_text=True))
    assert form_post(client, task, {"decision": "revise", "comment": "Қысқартыңыз"}).status_code == 302


def test_confirmation_is_in_kazakh_and_russian(client):
    login(client, "employee")
    data = submission(categories=[])
    kk = _new(client, data).get_data(as_text=True)
    assert "Растаңыз" in kk and "мәтінді ешкім қарамайды" in kk
    token = csrf_from(client.get("/processes/speech_clearance/new").get_data(as_text=True))
    ru = client.post("/processes/speech_clearance/new", data={**data, "csrf_token": token},
                     headers={"Accept-Language": "ru"}, content_type="multipart/form-data")
    html = ru.get_data(as_text=True)
    assert ru.status_code == 422 and "Подтвердите" in html and "никто не проверит текст" in html


def test_the_api_is_not_asked(client):
    emp, vr = api_token(client, "employee"), api_token(client, "vr.finance")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    done = api_complete(client, emp, started["tasks"][0]["id"], submission(categories=[]))
    assert done["instance"]["outcome"] == "not_required"
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    api_complete(client, emp, started["tasks"][0]["id"], submission())
    done = api_complete(client, vr, api_ready(client, vr, started["id"])["id"], {"decision": "approve"})
    assert done["instance"]["outcome"] == "approved"
