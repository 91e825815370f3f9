"""Written information requests over the JSON API and the register pages: paths, letters, bad input."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from processes.university_time import local
from storage.models import utcnow
from tests import samples
from tests.conftest import api_token, csrf_from, login
from tests.helpers import api_complete as complete
from tests.helpers import api_ready as ready
from tests.helpers import api_upload

KEY = "information_request"


def received(hours_ago: float = 2) -> str:
    return local(utcnow() - timedelta(hours=hours_ago)).isoformat(timespec="minutes")


def request_data(**overrides) -> dict:
    data = {"requester_name": "Анна Иванова", "requester_kind": "media", "email": "anna@gazeta.kz",
            "postal_address": "", "subject": "Приём 2026", "items": "Число поступивших в 2026 году",
            "form": "electronic", "language": "ru", "received_at": received(), "file_ids": []}
    data.update(overrides)
    return data


SCAN = samples.pdf("scan")


def upload(client, headers, iid, name="scan.pdf", content=SCAN):
    return api_upload(client, headers, iid, name, content)


def register(client, reg, **overrides):
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=reg)
    assert started.status_code == 201, started.get_json()
    iid = started.get_json()["id"]
    fid = upload(client, reg, iid)
    done = complete(client, reg, started.get_json()["tasks"][0]["id"], request_data(file_ids=[fid], **overrides))
    return iid, done


def test_refusal_over_the_api_letter_and_register(client):
    reg, rector, aud = (api_token(client, u) for u in ("registry", "rector", "auditor"))
    assert KEY in {p["key"] for p in client.get("/api/v1/processes", headers=reg).get_json()}
    iid, done = register(client, reg)
    assert done["instance"]["status"] == "running" and done["tasks"] == []
    inst = client.get(f"/api/v1/instances/{iid}", headers=reg).get_json()
    assert inst["due_at"] and inst["title"].startswith("IR-")
    assert client.get(f"/api/v1/instances/{iid}/letter", headers=reg).status_code == 409
    decide = ready(client, rector, iid)
    errors = complete(client, rector, decide["id"], {"decision": "refuse", "reason": "x"}, 422)["errors"]
    assert "ground" in errors
    errors = complete(client, rector, decide["id"], {"decision": "refuse", "ground": "other_legal",
                                                     "reason": "x"}, 422)["errors"]
    assert "law_reference" in errors
    done = complete(client, rector, decide["id"], {"decision": "refuse", "ground": "personal_data",
                                                   "reason": "Сведения о поступивших — персональные данные"})
    assert done["instance"] == {"id": iid, "status": "completed", "outcome": "refused"}
    complete(client, rector, decide["id"], {"decision": "provide", "responsible_unit": "FE-IS"}, 409)
    letter = client.get(f"/api/v1/instances/{iid}/letter", headers=reg)
    assert letter.status_code == 303
    pdf = client.get(letter.headers["Location"], headers=reg, buffered=True)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    (doc,) = client.get(f"/api/v1/instances/{iid}", headers=aud).get_json()["documents"]
    assert doc["kind"] == "refusal_letter" and doc["reg_number"].startswith("OUT-")
    undispatched = client.get("/api/v1/information-requests?status=to_dispatch", headers=reg).get_json()
    assert [r["instance_id"] for r in undispatched] == [iid]
    dispatch = f"/api/v1/instances/{iid}/dispatch"
    response = client.post(dispatch, headers=reg, json={"data": {"method": "email"}})
    assert response.status_code == 422 and "method" in response.get_json()["errors"]  # mail is off in tests
    assert client.post(dispatch, headers=rector, json={"data": {"method": "in_person"}}).status_code == 403
    assert client.post(dispatch, headers=reg, json={"method": "in_person"}).status_code == 400
    response = client.post(dispatch, headers=reg, json={"data": {"method": "in_person",
                                                                 "recipient_name": "Ерлан Сапаров"}})
    assert response.status_code == 200 and response.get_json()["dispatch_method"] == "in_person"
    assert client.post(dispatch, headers=reg, json={"data": {"method": "in_person"}}).status_code == 409
    rows = client.get("/api/v1/information-requests", headers=aud).get_json()
    (row,) = [r for r in rows if r["instance_id"] == iid]
    assert (row["outcome"], row["ground"], row["overdue"]) == ("refused", "personal_data", False)
    # working days from the day of receipt to the day of the answer (Almaty): 0 on the same day, but the
    # receipt two hours ago may fall on the day before when the test runs just after Almaty midnight
    from datetime import datetime

    from processes.university_time import WorkCalendar

    days = WorkCalendar().working_days_between(local(datetime.fromisoformat(row["received_at"])).date(),
                                              local(datetime.fromisoformat(row["answered_at"])).date())
    assert row["answered_at"] and row["dispatched_at"] and row["working_days"] == days
    events = [e["action"] for e in client.get(f"/api/v1/instances/{iid}/events", headers=aud).get_json()]
    assert {"due_date_set", "document_issued", "letter_dispatched", "instance_completed"} <= set(events)


@pytest.mark.parametrize("overrides, field", [
    ({"received_at": "2999-01-01T10:00:00+05:00"}, "received_at"),
    ({"email": "anna@"}, "email"),
    ({"requester_kind": ["media"]}, "requester_kind"),
    ({"items": "   "}, "items"),
])
def test_bad_registration_is_422_and_keeps_nothing(client, overrides, field):
    reg = api_token(client, "registry")
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=reg).get_json()
    fid = upload(client, reg, started["id"])
    errors = complete(client, reg, started["tasks"][0]["id"], request_data(file_ids=[fid], **overrides), 422)
    assert field in errors["errors"]
    assert client.get("/api/v1/information-requests", headers=reg).get_json() == []
    inst = client.get(f"/api/v1/instances/{started['id']}", headers=reg).get_json()
    assert inst["title"] == "" and inst["due_at"] is None


def test_who_may_start_and_read(client):
    for user in ("employee", "unit.head", "auditor"):
        assert client.post(f"/api/v1/processes/{KEY}/instances", headers=api_token(client, user)).status_code == 403
    assert client.get("/api/v1/information-requests", headers=api_token(client, "employee")).status_code == 403
    assert client.get("/api/v1/information-requests").status_code == 401
    reg = api_token(client, "registry")
    iid, _ = register(client, reg)
    assert client.get(f"/api/v1/instances/{iid}", headers=api_token(client, "employee")).status_code == 404
    assert client.get(f"/api/v1/instances/{iid}/letter", headers=api_token(client, "employee")).status_code == 404
    assert client.get("/api/v1/information-requests?status=bogus", headers=reg).status_code == 400


def test_printed_answer_payment_once_then_dispatch_by_post(client):
    reg, rector, head = (api_token(client, u) for u in ("registry", "rector", "unit.head"))
    iid, _ = register(client, reg, form="printed", email="", postal_address="Костанай, ул. Байтурсынова, 1")
    complete(client, rector, ready(client, rector, iid)["id"], {"decision": "provide", "responsible_unit": "FE-IS"})
    prepare = ready(client, head, iid)
    errors = complete(client, head, prepare["id"], {"answer_text": "Поступило 1 200 человек.",
                                                    "accuracy_confirmed": False}, 422)["errors"]
    assert "accuracy_confirmed" in errors
    enclosure = upload(client, head, iid, "admissions.pdf", samples.pdf("admissions 2026"))
    complete(client, head, prepare["id"], {"answer_text": "Поступило 1 200 человек.", "file_ids": [enclosure],
                                           "accuracy_confirmed": True})
    pay = ready(client, reg, iid)
    assert client.get(f"/api/v1/tasks/{pay['id']}", headers=reg).get_json()["name"] == "Task_Payment"
    complete(client, reg, pay["id"], {"cost": "1500", "status": "paid"}, 422)  # a number, not a string
    complete(client, reg, pay["id"], {"cost": 1500, "status": "awaiting"})
    waiting = client.get("/api/v1/information-requests?status=open", headers=reg).get_json()[0]
    assert waiting["payment_status"] == "awaiting" and waiting["waiting_for_payment_seconds"] >= 0
    again = ready(client, reg, iid)
    complete(client, reg, again["id"], {"cost": 1500, "status": "paid", "payment_reference": "№ 77"})
    complete(client, reg, again["id"], {"cost": 1500, "status": "paid"}, 409)  # recorded twice
    inst = client.get(f"/api/v1/instances/{iid}", headers=reg).get_json()
    assert (inst["status"], inst["outcome"]) == ("completed", "provided")
    dispatch = f"/api/v1/instances/{iid}/dispatch"
    response = client.post(dispatch, headers=reg, json={"data": {"method": "post"}})
    assert response.status_code == 422 and response.get_json()["errors"].keys() == {"tracking_number"}
    response = client.post(dispatch, headers=reg, json={"data": {"method": "post", "tracking_number": "RR123456789KZ"}})
    assert response.status_code == 200 and response.get_json()["tracking_number"] == "RR123456789KZ"
    (letter,) = inst["documents"]
    assert letter["kind"] == "answer_letter"


def test_register_page_csv_and_instance_page(client):
    reg = api_token(client, "registry")
    iid, _ = register(client, reg, requester_name="=HYPERLINK(\"http://evil\")", subject="@SUM(A1)")
    login(client, "registry")
    page = client.get("/requests", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Register of written information requests" in html and "IR-" in html
    assert "=HYPERLINK(&#34;http://evil&#34;)" in html or "=HYPERLINK(&quot;http://evil&quot;)" in html
    exported = client.get("/requests.csv")
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[1][1].startswith("'=HYPERLINK") and rows[1][5] == "'@SUM(A1)"
    detail = client.get(f"/instances/{iid}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Written request" in detail and "(10 working days, §11.2)" in detail
    assert client.get(f"/instances/{iid}/letter").status_code == 409
    login(client, "employee")
    assert client.get("/requests").status_code == 403
    assert client.get("/requests.csv").status_code == 403


def test_registration_through_the_html_form(client):
    login(client, "registry")
    page = client.get(f"/processes/{KEY}/new", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'type="datetime-local"' in html
    token = csrf_from(html)
    form = {"csrf_token": token, "requester_name": "Болат Нұров", "requester_kind": "person",
            "email": "bolat@example.kz", "subject": "Стипендия", "items": "Стипендия мөлшері",
            "form": "electronic", "language": "kk",
            "received_at": local(utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "file": (io.BytesIO(samples.pdf("scan")), "scan.pdf")}
    response = client.post(f"/processes/{KEY}/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    rows = client.get("/requests", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Стипендия" in rows
    login(client, "rector")
    inbox = client.get("/inbox", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Decide on the request" in inbox


def test_public_verification_of_a_letter_keeps_the_requester_private(client):
    reg, rector = api_token(client, "registry"), api_token(client, "rector")
    iid, _ = register(client, reg, requester_name="Анна Секретова", postal_address="ул. Тайная, 7")
    complete(client, rector, ready(client, rector, iid)["id"],
             {"decision": "refuse", "ground": "state_secret", "reason": "Государственная тайна"})
    (doc,) = client.get(f"/api/v1/instances/{iid}", headers=reg).get_json()["documents"]
    page = client.get(f"/verify/{doc['verification_code']}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Genuine letter" in html and doc["reg_number"] in html
    assert "Анна Секретова" not in html and "Тайная" not in html and "Государственная тайна" not in html


def test_a_refusal_rests_on_its_grounds_clause_and_the_audit_trail_finds_it(client):
    """"Which requests were refused under §12, and by whom" is one call: the refusal's entry carries §12."""
    reg, rector, aud = (api_token(client, u) for u in ("registry", "rector", "auditor"))
    secret, _ = register(client, reg)
    privacy, _ = register(client, reg)
    complete(client, rector, ready(client, rector, secret)["id"],
             {"decision": "refuse", "ground": "commercial_secret", "reason": "Коммерческая тайна контрагента"})
    complete(client, rector, ready(client, rector, privacy)["id"],
             {"decision": "refuse", "ground": "personal_data", "reason": "Персональные данные"})
    found = client.get("/api/v1/audit/events?clause=§12&action=task_completed", headers=aud).get_json()
    assert [(e["instance_id"], e["actor"], e["clause"]) for e in found] == [(secret, "rector", "§12")]
    other = client.get("/api/v1/audit/events?clause=§3.2.6&action=task_completed", headers=aud).get_json()
    assert [e["instance_id"] for e in other] == [privacy]
