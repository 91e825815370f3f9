"""What the issue-12 walkthrough found: the submitter's case page says a substitute acted, the history
names why a task moved in words, and people's names follow the page's language."""
from __future__ import annotations

from datetime import timedelta

from processes.university_time import today_local
from storage.models import User, utcnow
from tests.conftest import api_token, login
from tests.helpers import api_complete, submission


def day(offset: int = 0) -> str:
    return (today_local(utcnow()) + timedelta(days=offset)).isoformat()


def test_case_page_says_acting_and_history_explains_the_move(client):
    emp, fin, acad = (api_token(client, u) for u in ("employee", "vr.finance", "vr.academic"))
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    api_complete(client, emp, started["tasks"][0]["id"], submission())
    assert client.post("/api/v1/absences", headers=fin, json={
        "starts_on": day(-1), "ends_on": day(3), "substitute": "vr.academic", "processes": []}).status_code == 201
    (task,) = [t for t in client.get("/api/v1/tasks", headers=acad).get_json() if t["instance_id"] == started["id"]]
    api_complete(client, acad, task["id"], {"decision": "approve"})
    login(client, "employee")
    html = client.get(f"/instances/{started['id']}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert 'class="cell-sub acting-for"' in html and "исполняет обязанности" in html
    assert "Отсутствие: задача следует за замещением" in html and ">absence<" not in html


def test_names_follow_the_page_language(client, factory):
    with factory.begin() as s:
        user = s.query(User).filter_by(username="employee").one()
        user.full_name_ru = "Асель Нурлановна Канатова"
    emp = api_token(client, "employee")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    api_complete(client, emp, started["tasks"][0]["id"], submission())
    login(client, "vr.finance")
    ru = client.get(f"/instances/{started['id']}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Асель Нурлановна Канатова" in ru
