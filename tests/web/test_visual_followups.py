"""What the visual review of issue 10 found a person would stumble over, kept fixed: the case held by a role's queue
names that queue instead of "—"; a genuine /verify result and the log-in page lead to the code form."""
from __future__ import annotations

import io
import re

from tests import samples
from tests.conftest import api_token, login
from tests.helpers import event_date
from tests.web.test_verify_page import _certificate_code

KK = {"Accept-Language": "kk"}
RU = {"Accept-Language": "ru"}


def _material_with_the_specialists(client) -> int:
    """A material the unit head submitted: its review waits in the MCD specialists' queue, no one has it yet."""
    head = api_token(client, "unit.head")
    started = client.post("/api/v1/processes/material_signoff/instances", headers=head).get_json()
    iid = started["id"]
    upload = client.post(f"/api/v1/instances/{iid}/files", headers=head, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(samples.pdf("booklet")), "booklet.pdf")})
    assert upload.status_code == 201, upload.get_json()
    data = {"unit": "FE-IS", "material_type": "booklet", "channel": "print", "audiences": ["applicants"],
            "planned_date": event_date(20), "title": "Буклет", "description": "Буклет",
            "file_ids": [upload.get_json()["id"]]}
    done = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=head, json={"data": data})
    assert done.status_code == 200, done.get_json()
    return iid


def _current_holder(html: str) -> str:
    match = re.search(r'<dd class="current-holder">(.*?)</dd>', html, re.S)
    assert match, "the summary bar names the current holder"
    return " ".join(match.group(1).split())


def test_a_case_in_a_queue_names_the_queue_as_its_holder_in_kazakh_and_russian(client):
    iid = _material_with_the_specialists(client)
    login(client, "unit.head")
    kk = client.get(f"/instances/{iid}", headers=KK)
    assert kk.status_code == 200
    assert _current_holder(kk.get_data(as_text=True)) == "МКБ маманы (олардың қайсысы бірінші алса)"
    client.post("/language", data={"lang": "ru", "csrf_token": _csrf(kk.get_data(as_text=True))})
    ru = client.get(f"/instances/{iid}").get_data(as_text=True)
    holder = _current_holder(ru)
    assert holder.startswith("Специалист ОМК") and holder != "—", holder


def test_a_case_held_by_a_person_still_names_the_person(client):
    emp = api_token(client, "employee")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    login(client, "employee")
    html = client.get(f"/instances/{started['id']}", headers=KK).get_data(as_text=True)
    assert _current_holder(html) == "Әсел Нұрланқызы Қанатова"


def test_a_genuine_result_leads_to_checking_another_document(client):
    code = _certificate_code(client)
    kk = client.get(f"/verify/{code}", headers=KK).get_data(as_text=True)
    assert re.search(r'<p class="verify-again"><a href="/verify">Басқа құжатты тексеру</a></p>', kk)
    ru = client.get(f"/verify/{code}", headers=RU).get_data(as_text=True)
    assert '<a href="/verify">Проверить другой документ</a>' in ru
    wrong = client.get("/verify/NOSUCHCODE12", headers=KK).get_data(as_text=True)
    assert 'class="verify-again"' not in wrong and 'name="code"' in wrong  # the form itself is there instead


def test_the_login_page_leads_to_the_public_check(client):
    kk = client.get("/login", headers=KK).get_data(as_text=True)
    assert re.search(r'<a class="login-verify-link" href="/verify">Құжатты коды бойынша тексеру</a>', kk)
    ru = client.get("/login", headers=RU).get_data(as_text=True)
    assert re.search(r'<a class="login-verify-link" href="/verify">Проверить документ по коду</a>', ru)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
