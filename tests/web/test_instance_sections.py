"""What a decision rests on, on the instance and task pages: the information request's sections (request,
decision, answer, letter), a finished policy amendment's changes, vote and minutes, and the word-level
difference between a speech text's versions."""
from __future__ import annotations

import re

from tests import samples
from tests.conftest import api_token, csrf_from, login
from tests.helpers import api_complete as complete
from tests.helpers import api_ready as ready
from tests.helpers import api_upload, submission
from tests.web.test_information_request_api import KEY, request_data
from tests.web.test_policy_api import amend

ANSWER = "Поступило 1 200 человек, из них 300 — на грант."
EN = {"Accept-Language": "en"}


def section(html: str, heading_id: str) -> str:
    """The <section> whose heading has this id."""
    start = html.index(f'id="{heading_id}"')
    return html[html.rindex("<section", 0, start):html.index("</section>", start)]


def answered_request(client):
    """A request provided by the rector and answered by the unit head with an enclosure: (iid, scan, enclosure)."""
    reg, rector, head = (api_token(client, u) for u in ("registry", "rector", "unit.head"))
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=reg).get_json()
    iid = started["id"]
    scan = api_upload(client, reg, iid, "scan.pdf", samples.pdf("incoming letter"))
    complete(client, reg, started["tasks"][0]["id"], request_data(file_ids=[scan]))
    complete(client, rector, ready(client, rector, iid)["id"], {"decision": "provide", "responsible_unit": "FE-IS"})
    enclosure = api_upload(client, head, iid, "admissions.pdf", samples.pdf("admissions 2026"))
    done = complete(client, head, ready(client, head, iid)["id"],
                    {"answer_text": ANSWER, "file_ids": [enclosure], "accuracy_confirmed": True})
    assert done["instance"]["status"] == "completed"
    return iid, scan, enclosure


def test_request_page_has_request_decision_answer_and_letter_sections(client):
    iid, scan, enclosure = answered_request(client)
    for user in ("registry", "rector", "unit.head", "auditor"):
        login(client, user)
        html = client.get(f"/instances/{iid}", headers=EN).get_data(as_text=True)
        request = section(html, "request-title")
        assert f'href="/files/{scan}/view"' in request and "scan.pdf" in request
        decision = section(html, "ir-decision-title")
        assert "Provide" in decision and "Decided by" in decision
        answer = section(html, "ir-answer-title")
        assert ANSWER in answer and f'href="/files/{enclosure}/view"' in answer and "admissions.pdf" in answer
        assert "<details" not in answer  # the text itself, not a collapsed audit entry
        letter = section(html, "ir-letter-title")
        assert re.search(r'href="/documents/\d+"', letter) and "OUT-" in letter


def test_request_sections_before_a_decision_and_in_russian(client):
    reg, rector = api_token(client, "registry"), api_token(client, "rector")
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=reg).get_json()
    iid = started["id"]
    scan = api_upload(client, reg, iid, "скан.pdf", samples.pdf("scan"))
    complete(client, reg, started["tasks"][0]["id"], request_data(file_ids=[scan]))
    login(client, "rector")
    task = ready(client, rector, iid)
    html = client.get(f"/tasks/{task['id']}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "скан.pdf" in section(html, "request-title")  # the rector sees the letter they decide on
    assert f'href="/files/{scan}/view"' in html
    page = client.get(f"/instances/{iid}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Ректор ещё не принял решение." in section(page, "ir-decision-title")
    assert "Ответ ещё не подготовлен." in section(page, "ir-answer-title")


def test_the_rector_is_told_of_the_letter_and_led_to_the_answer(client):
    iid, _, _ = answered_request(client)
    login(client, "rector")
    html = client.get("/notifications", headers=EN).get_data(as_text=True)
    assert "was issued over your signature" in html
    note = re.search(r'action="(/notifications/(\d+)/open)"', html[html.index("issued over your signature") - 3000:])
    assert note
    opened = client.post(note.group(1), data={"csrf_token": csrf_from(html)})
    assert opened.status_code == 303
    assert opened.headers["Location"].endswith(f"/instances/{iid}#ir-answer-title")
    kk = client.get("/notifications", headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert "қолыңызбен" in kk


def test_a_refusal_is_not_announced_to_the_rector_who_signed_it(client):
    reg, rector = api_token(client, "registry"), api_token(client, "rector")
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=reg).get_json()
    iid = started["id"]
    scan = api_upload(client, reg, iid, "scan.pdf", samples.pdf("scan"))
    complete(client, reg, started["tasks"][0]["id"], request_data(file_ids=[scan]))
    complete(client, rector, ready(client, rector, iid)["id"],
             {"decision": "refuse", "ground": "personal_data", "reason": "Персональные данные"})
    login(client, "rector")
    assert "issued over your signature" not in client.get("/notifications", headers=EN).get_data(as_text=True)
    html = client.get(f"/instances/{iid}", headers=EN).get_data(as_text=True)
    assert "Персональные данные" in section(html, "ir-decision-title")
    assert "Refused: no answer is prepared" in section(html, "ir-answer-title")


def test_an_approved_amendment_still_shows_its_changes_vote_and_minutes(client):
    iid, done = amend(client)
    assert done["instance"]["outcome"] == "approved"
    minutes = next(f for f in client.get(f"/api/v1/instances/{iid}", headers=api_token(client, "auditor"))
                   .get_json()["files"] if f["name"] == "minutes.pdf")
    for user in ("amd.head", "rector", "auditor"):
        login(client, user)
        html = client.get(f"/instances/{iid}", headers=EN).get_data(as_text=True)
        changes = section(html, "proposal-title")
        assert "Approved changes" in changes and "7.10.2" in changes
        assert "<ins>" in changes and "<del>" in changes  # word by word against the edition before
        council = section(html, "council-title")
        assert re.search(r'class="votes-for">\s*20<', council) and re.search(r'class="votes-against">\s*1<', council)
        assert "Adopted" in council and f'href="/files/{minutes["id"]}/view"' in council
        assert "Rector's decision" in html


def _upload(client, headers, iid, name, content):
    return api_upload(client, headers, iid, name, content)


def test_a_resubmitted_speech_text_shows_the_word_difference_and_the_changed_file(client):
    emp, vrf = api_token(client, "employee"), api_token(client, "vr.finance")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    iid = started["id"]
    first = _upload(client, emp, iid, "theses.txt", "Бірінші нұсқа".encode())
    complete(client, emp, started["tasks"][0]["id"],
             submission(text="Қаржы туралы баяндама.", file_ids=[first]))
    complete(client, vrf, ready(client, vrf, iid)["id"], {"decision": "revise", "comment": "Стратегияны қосыңыз"})
    second = _upload(client, emp, iid, "theses.txt", "Екінші нұсқа".encode())
    complete(client, emp, ready(client, emp, iid)["id"],
             submission(text="Қаржы және стратегия туралы баяндама.", file_ids=[second]))
    login(client, "vr.finance")
    task = ready(client, vrf, iid)
    html = client.get(f"/tasks/{task['id']}", headers=EN).get_data(as_text=True)
    assert "Changes since version 1" in html
    diff = html[html.index('id="version-2-diff"'):]
    diff = diff[:diff.index("</div>")]
    assert "<ins>" in diff and "және стратегия" in diff and "<del>" not in diff
    changes = section(html, "changes-title")
    assert "Files in this version" in changes and "Changed since the last version" in changes
    assert f'href="/files/{second}"' in changes and f'href="/files/{first}"' in changes
    kk = client.get(f"/tasks/{task['id']}", headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert "1-нұсқадан бергі өзгерістер" in kk
