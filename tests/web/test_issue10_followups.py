"""Issue 10 follow-ups: a withdrawn request leaves the register's open list; the first form of a
process is not shown to whoever may not start it; the request's deadline and letter appear once."""
from __future__ import annotations

from tests.conftest import api_token, login
from tests.web.test_information_request_api import register


def _statuses(client, headers, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return {r["instance_id"]: r for r in client.get(f"/api/v1/information-requests?{query}",
                                                   headers=headers).get_json()}


def test_a_withdrawn_request_is_closed_in_the_register(client):
    reg = api_token(client, "registry")
    kept, _ = register(client, reg)
    gone, _ = register(client, reg, subject="Қайтарылған сұрау")
    assert {kept, gone} <= set(_statuses(client, reg, status="open"))
    response = client.post(f"/api/v1/instances/{gone}/withdraw", headers=reg, json={"reason": "Өтініш кері алынды"})
    assert response.status_code == 200, response.get_json()
    open_rows = _statuses(client, reg, status="open")
    assert kept in open_rows and gone not in open_rows
    assert gone not in _statuses(client, reg, status="overdue")
    withdrawn = _statuses(client, reg, outcome="withdrawn")
    assert set(withdrawn) == {gone} and withdrawn[gone]["overdue"] is False
    assert client.get("/api/v1/information-requests?outcome=nonsense", headers=reg).status_code == 400
    login(client, "registry")
    page = client.get("/requests?outcome=withdrawn").get_data(as_text=True)
    assert 'value="withdrawn" selected' in page and "Қайтарылған сұрау" in page


def test_the_first_form_is_not_shown_to_who_may_not_start(client):
    login(client, "employee")
    response = client.get("/processes/information_request/new")
    assert response.status_code == 403
    assert 'name="requester_name"' not in response.get_data(as_text=True)
    assert client.get("/processes/nonexistent/new").status_code == 404
    login(client, "registry")
    assert client.get("/processes/information_request/new").status_code == 200


def test_the_request_page_shows_its_due_date_and_dispatch_once(client):
    reg = api_token(client, "registry")
    iid, _ = register(client, reg)
    login(client, "registry")
    page = client.get(f"/instances/{iid}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert page.count("(10 working days, §11.2)") == 1
    above_history = page[:page.index('id="history-title"')]  # the audit trail records the due date as data
    assert above_history.count("end of day") == 1
    letter = page[page.index('id="ir-letter-title"'):]
    assert "No letter yet" in letter
