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


def test_outcomes_and_decisions_read_in_their_process_words(app):
    """An amendment is approved (not "cleared"); where the process is not known, both words, never a code."""
    from web.labels import ProcessLabels

    names = ProcessLabels()
    for language, approved, cleared in (("en", "Approved", "Cleared"), ("kk", "Бекітілді", "Келісілді"),
                                        ("ru", "Утверждено", None)):
        with app.test_request_context(headers={"Accept-Language": language}):
            assert names.outcome("approved", "policy_amendment") == approved
            assert names.decision("approve", "policy_amendment") == {"en": "Approve", "kk": "Бекіту",
                                                                     "ru": "Утвердить"}[language]
            if cleared:
                assert names.outcome("approved", "speech_clearance") == cleared
            across = str(names.outcome("approved"))
            assert approved in across and " / " in across and "approved" not in across
            assert names.outcome("no_such_code") is None


def test_sent_to_names_the_only_holder_of_a_queue(client):
    """A queue with one holder is named by person and position, not "whoever of them takes it first"."""
    from tests import samples
    from tests.helpers import api_complete, api_upload, event_date

    head = api_token(client, "unit.head")
    started = client.post("/api/v1/processes/material_signoff/instances", headers=head).get_json()
    fid = api_upload(client, head, started["id"], "booklet.pdf", samples.pdf("booklet"))
    api_complete(client, head, started["tasks"][0]["id"], {
        "unit": "FE-IS", "material_type": "booklet", "channel": "website", "area": "finance",
        "audiences": ["applicants"], "planned_date": event_date(15), "title": "Талапкерге",
        "description": "Буклет", "file_ids": [fid]})
    login(client, "unit.head")
    page = client.get(f"/instances/{started['id']}?done=1").get_data(as_text=True)
    sent = page[page.index('class="sent-to"'):]
    sent = sent[:sent.index("</p>")]
    assert "Айгерім Болатқызы Сейітова, Маркетинг және коммуникациялар бөлімінің маманы" in sent
    assert "бірінші" not in sent  # not the queue wording when one person holds it


def test_history_names_the_assignee_by_full_name(client):
    reg = api_token(client, "registry")
    iid, _ = register(client, reg)
    login(client, "registry")
    page = client.get(f"/instances/{iid}").get_data(as_text=True)
    history = page[page.index('id="history-title"'):]
    assigned = history[history.index("Бақыт Әбдірахманұлы Дүйсенов"):]  # the rector, to whom the decision went
    assert ">rector<" not in history and assigned


def test_history_names_units_by_name_not_code(client):
    from tests.helpers import api_complete, api_ready

    reg, rector = api_token(client, "registry"), api_token(client, "rector")
    iid, _ = register(client, reg)
    api_complete(client, rector, api_ready(client, rector, iid)["id"],
                 {"decision": "provide", "responsible_unit": "FE-IS"})
    login(client, "registry")
    for language in ("kk", "ru"):
        page = client.get(f"/instances/{iid}", headers={"Accept-Language": language}).get_data(as_text=True)
        history = page[page.index('id="history-title"'):]
        assert ">FE-IS<" not in history
        assert {"kk": "Ақпараттық жүйелер кафедрасы", "ru": "Кафедра информационных систем"}[language] in history


def test_my_submissions_names_the_queue_that_holds_a_case(client):
    from tests import samples
    from tests.helpers import api_complete, api_upload, event_date

    head = api_token(client, "unit.head")
    started = client.post("/api/v1/processes/material_signoff/instances", headers=head).get_json()
    fid = api_upload(client, head, started["id"], "booklet.pdf", samples.pdf("booklet"))
    api_complete(client, head, started["tasks"][0]["id"], {
        "unit": "FE-IS", "material_type": "booklet", "channel": "website", "area": "finance",
        "audiences": ["applicants"], "planned_date": event_date(15), "title": "Кезектегі буклет",
        "description": "Буклет", "file_ids": [fid]})
    login(client, "unit.head")
    page = client.get("/submissions", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    card = page[page.index("Кезектегі буклет"):]
    card = card[:card.index("</li>")]
    assert "Специалист ОМК (кто из них возьмёт первым)" in card and "<dd>—</dd>" not in card
