"""Media inquiries through the pages and the JSON API: the forms' widgets (the source, the linked matter, the
answers question by question), the instance page's register entry, the release record, the register of media
inquiries (page, CSV, JSON with paging) and who may read it."""
from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import timedelta

import time_machine

from processes.university_time import local
from storage.models import utcnow
from tests.conftest import api_token, csrf_from, login
from tests.helpers import api_complete as complete
from tests.helpers import api_ready as ready

KEY = "media_inquiry"
QUESTIONS = "1. Жатақханада қанша орын бар?\n2. Жаңа корпус қашан ашылады?"
ANSWER = "Жатақханаларда 1 240 орын бар. Жаңа корпус 2027 жылы ашылады."


def start(client, mcd, **overrides) -> tuple[int, dict]:
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=mcd)
    assert started.status_code == 201, started.get_json()
    iid = started.get_json()["id"]
    data = {"outlet": "Qostanay TV", "journalist": "Айгерім Нұрланова", "contact": "+7 700 000 00 00",
            "received_via": "phone", "subject": "Жатақхана орындары", "questions": QUESTIONS, "language": "kk"}
    data.update(overrides)
    done = complete(client, mcd, started.get_json()["tasks"][0]["id"], data)
    return iid, done


def route(client, mcd, iid, **overrides) -> dict:
    data = {"source": "rector",
            "units": [{"unit": "FE-IS", "urgency": "urgent"}, {"unit": "AMD", "urgency": "current"}]}
    data.update(overrides)
    return complete(client, mcd, ready(client, mcd, iid)["id"], data)


def answer(client, head, iid, status=200, **overrides) -> dict:
    data = {"unit_outcome": "answered", "answers": {"1": "1 240 орын.", "2": "2027 жылы."}, "accuracy_confirmed": True}
    data.update(overrides)
    return complete(client, head, ready(client, head, iid)["id"], data, status)


def released(client, tokens, late_hours: float = 0) -> int:
    """An inquiry driven to its release: FE-IS urgent answers on time, AMD current answers `late_hours` after
    its 3 calendar days (0: at once, on time); then MCD consolidates, the rector clears, MCD releases."""
    mcd, fe = tokens["mcd.specialist"], tokens["unit.head"]
    iid, _ = start(client, mcd)
    route(client, mcd, iid)
    answer(client, fe, iid)
    later = utcnow() + timedelta(days=3, hours=late_hours) if late_hours else None
    with time_machine.travel(later or utcnow(), tick=True):
        if later:  # the tokens of three days ago have expired
            tokens.update(tokens_for(client, "mcd.specialist", "amd.head", "rector"))
        mcd, amd, rector = tokens["mcd.specialist"], tokens["amd.head"], tokens["rector"]
        answer(client, amd, iid)
        complete(client, mcd, ready(client, mcd, iid)["id"], {"answer_text": ANSWER})
        complete(client, rector, ready(client, rector, iid)["id"], {"decision": "approve"})
        done = complete(client, mcd, ready(client, mcd, iid)["id"], {"method": "email",
                                                                     "released_to": "Айгерім Нұрланова"})
    assert done["instance"]["outcome"] == "released", done
    return iid


def tokens_for(client, *names) -> dict[str, dict[str, str]]:
    return {name: api_token(client, name) for name in names}


def test_released_inquiry_page_register_csv_and_api(client):
    tokens = tokens_for(client, "mcd.specialist", "unit.head", "amd.head", "rector", "auditor", "employee")
    iid = released(client, tokens, late_hours=2.25)
    mcd = tokens["mcd.specialist"]
    # the instance page: the entry, the units with their timeliness, the answers, the release record
    login(client, "mcd.specialist")
    html = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert "Qostanay TV" in html and "Айгерім Нұрланова" in html and "+7 700 000 00 00" in html
    assert "Жатақханада қанша орын бар?" in html and "1 240 орын." in html and "2027 жылы." in html
    assert "Шұғыл (3 сағат)" in html and "уақтылы" in html  # FE-IS, urgent, on time
    assert re.search(r"mi-late\">2\s*сағ\s*15\s*мин кешікті", html)  # AMD answered 2 h 15 min after its 3 days
    assert hashlib.sha256(ANSWER.encode()).hexdigest() in html
    assert "mi-release-link" in html and "Электрондық пошта" in html
    # the release record: issued, and checked publicly
    (doc,) = client.get(f"/api/v1/instances/{iid}", headers=mcd).get_json()["documents"]
    assert doc["kind"] == "media_release"
    # the register: page, filters, CSV, JSON
    page = client.get("/media-inquiries").get_data(as_text=True)
    assert doc["reg_number"] in page and "Qostanay TV" in page and "Бақыт" in page  # the source, the rector
    assert "2 сағ 15 мин кешікті" in page.replace("\u00a0", " ") and "уақтылы" in page
    assert doc["reg_number"] in client.get("/media-inquiries?status=overdue").get_data(as_text=True)
    assert doc["reg_number"] not in client.get("/media-inquiries?status=open").get_data(as_text=True)
    assert doc["reg_number"] in client.get("/media-inquiries?q=qostanay").get_data(as_text=True)
    assert doc["reg_number"] not in client.get("/media-inquiries?q=nothing-like-it").get_data(as_text=True)
    today = local(utcnow()).date()
    assert doc["reg_number"] not in client.get(
        f"/media-inquiries?since={(today + timedelta(days=1)).isoformat()}").get_data(as_text=True)
    assert client.get("/media-inquiries?status=bogus").status_code == 400
    rows = list(csv.reader(io.StringIO(client.get("/media-inquiries.csv").get_data(as_text=True))))
    assert rows[0][0] == "Тіркеу нөмірі"
    (line,) = [r for r in rows if r[0] == doc["reg_number"]]
    units = line[rows[0].index("Сұрау жіберілген бөлімшелер")]
    assert "Шұғыл (3 сағат)" in units and "уақтылы" in units and "2\u00a0сағ 15\u00a0мин кешікті" in units
    assert line[rows[0].index("Нәтижесі")] == "Жауап берілді"
    listed = client.get("/api/v1/media-inquiries", headers=tokens["auditor"]).get_json()
    (entry,) = [e for e in listed if e["instance_id"] == iid]
    assert entry["source"] == "rector" and entry["outcome"] == "released" and entry["late"] is True
    by_unit = {u["unit"]: u for u in entry["units"]}
    assert by_unit["FE-IS"]["urgency"] == "urgent" and by_unit["FE-IS"]["late_seconds"] is None
    # 2 h 15 min after its deadline, give or take the seconds the requests themselves took (the clock ticks)
    assert 2 * 3600 + 15 * 60 <= by_unit["AMD"]["late_seconds"] < 2 * 3600 + 16 * 60
    # only MCD, the rector and auditors read it
    assert client.get("/api/v1/media-inquiries", headers=tokens["employee"]).status_code == 403
    login(client, "employee")
    assert client.get("/media-inquiries").status_code == 403
    assert client.get("/media-inquiries.csv").status_code == 403
    assert "/media-inquiries" not in client.get("/inbox").get_data(as_text=True)
    login(client, "rector")
    assert client.get("/media-inquiries").status_code == 200
    assert 'href="/media-inquiries"' in client.get("/inbox").get_data(as_text=True)
    # the public check of the record: the source, the answer's SHA-256, the release
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/inbox").get_data(as_text=True))})
    check = client.get(f"/verify/{doc['verification_code']}").get_data(as_text=True)
    assert doc["reg_number"] in check and "Qostanay TV" in check and "Бақыт Әбдірахманұлы Дүйсенов" in check
    assert hashlib.sha256(ANSWER.encode()).hexdigest() in check and "+7 700" not in check


def test_register_api_pages_with_a_cursor(client):
    mcd = api_token(client, "mcd.specialist")
    made = [start(client, mcd, outlet=f"Outlet {n}")[0] for n in range(3)]
    first = client.get("/api/v1/media-inquiries?limit=2", headers=mcd)
    assert first.status_code == 200 and len(first.get_json()) == 2
    link = first.headers["Link"]
    assert 'rel="next"' in link
    url = re.search(r"<([^>]+)>", link).group(1)
    second = client.get(url, headers=mcd)
    seen = [e["instance_id"] for e in first.get_json() + second.get_json()]
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
    assert client.get("/api/v1/media-inquiries?cursor=forged", headers=mcd).status_code == 400
    assert client.get("/api/v1/media-inquiries?limit=500", headers=mcd).status_code == 400
    spec = client.get("/api/openapi.json").get_json()
    assert "/api/v1/media-inquiries" in spec["paths"]
    assert "MediaInquiryEntry" in spec["components"]["schemas"]


def post_task(client, task_id, fields, status):
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    response = client.post(f"/tasks/{task_id}", data={"csrf_token": csrf_from(html), **fields})
    errors = re.findall(r"error-summary-list.*?</ul>", response.get_data(as_text=True), re.S)
    assert response.status_code == status, errors
    return response


def test_forms_through_the_pages(client):
    mcd, fe = api_token(client, "mcd.specialist"), api_token(client, "unit.head")
    iid, _ = start(client, mcd)
    first, _ = start(client, mcd, outlet="Kazinform", subject="Жатақхана орындары туралы")
    route(client, mcd, first)  # an earlier inquiry on the same matter, answered by the rector
    task_id = ready(client, mcd, iid)["id"]
    login(client, "mcd.specialist")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    # the source: public persons (and pool experts) in their groups, by name; the related matter proposed
    source = re.search(r'<select id="field-source".*?</select>', html, re.S).group(0)
    assert 'label="Басқа сарапшылар және жария тұлғалар"' in source
    assert 'value="rector"' in source and "Бақыт Әбдірахманұлы Дүйсенов" in source
    related = re.search(r'<select id="field-related_to".*?</select>', html, re.S).group(0)
    assert "— жоқ —" in related and 'label="Тақырыбы бойынша ұсынылған"' in related
    assert re.search(rf'<option value="{first}" selected>', related)  # proposed and preselected
    # choosing another source for the linked matter is refused, the error linked from the summary
    refused = post_task(client, task_id, {"source": "mcd.head", "related_to": str(first), "units.0.unit": "FE-IS",
                                          "units.0.urgency": "urgent", "confirm": "yes"}, 422)
    page = refused.get_data(as_text=True)
    assert 'href="#field-source"' in page and "§3.8" in page
    post_task(client, task_id, {"source": "rector", "related_to": str(first), "units.0.unit": "FE-IS",
                                "units.0.urgency": "urgent", "confirm": "yes"}, 302)
    # the unit head answers question by question: answers.N
    login(client, "unit.head")
    answer_id = ready(client, fe, iid)["id"]
    form = client.get(f"/tasks/{answer_id}").get_data(as_text=True)
    assert '<label for="field-answers-1">1-сұрақ: Жатақханада қанша орын бар?</label>' in form
    assert 'name="answers.2"' in form
    refused = post_task(client, answer_id, {"unit_outcome": "answered", "answers.1": "1 240 орын.",
                                            "answers.2": "", "accuracy_confirmed": "true"}, 422)
    page = refused.get_data(as_text=True)
    assert 'href="#field-answers-2"' in page and 'id="field-answers-2-error"' in page
    assert "2-сұраққа жауап беріңіз." in page and ">1 240 орын.</textarea>" in page  # the given answer kept
    post_task(client, answer_id, {"unit_outcome": "answered", "answers.1": "1 240 орын.", "answers.2": "2027 жылы.",
                                  "accuracy_confirmed": "true"}, 302)
    login(client, "mcd.specialist")
    html = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert "2027 жылы." in html and f'/instances/{first}"' in html  # the answer, and the linked matter


def test_question_text_is_escaped_in_the_answer_form(client):
    mcd, fe = api_token(client, "mcd.specialist"), api_token(client, "unit.head")
    iid, _ = start(client, mcd, questions="<b>bold</b>?")
    route(client, mcd, iid, units=[{"unit": "FE-IS", "urgency": "deep"}])
    login(client, "unit.head")
    html = client.get(f"/tasks/{ready(client, fe, iid)['id']}").get_data(as_text=True)
    assert "&lt;b&gt;bold&lt;/b&gt;?" in html and "<b>bold</b>" not in html


def test_open_unit_past_due_reads_overdue(client):
    mcd = api_token(client, "mcd.specialist")
    iid, _ = start(client, mcd)
    route(client, mcd, iid, units=[{"unit": "FE-IS", "urgency": "urgent"}])
    with time_machine.travel(utcnow() + timedelta(hours=5, minutes=30), tick=True):
        login(client, "mcd.specialist")
        html = client.get(f"/instances/{iid}").get_data(as_text=True)
        page = client.get("/media-inquiries?status=overdue").get_data(as_text=True)
    assert re.search(r"мерзімі 2\s*сағ 3\d\s*мин өтті", html.replace("\u00a0", " "))
    assert f"/instances/{iid}" in page and "row-overdue" in page


def test_from_html_nests_answers_and_types_a_nullable_choice():
    from forms.validate import from_html, load_form

    answer_form = load_form("mi_answer.schema.json", "mi_answer.uischema.json")
    data = from_html(answer_form, {"unit_outcome": ["answered"], "answers.1": [" Иә\r\nсолай "], "answers.2": [""],
                                   "accuracy_confirmed": ["true"]})
    assert data["answers"] == {"1": "Иә\nсолай"} and data["accuracy_confirmed"] is True  # an empty answer: absent
    routing = load_form("mi_routing.schema.json", "mi_routing.uischema.json")
    assert from_html(routing, {"source": ["rector"], "related_to": ["12"]})["related_to"] == 12
    assert "related_to" not in from_html(routing, {"source": ["rector"], "related_to": [""]})


def test_head_of_mcd_overrides_the_linked_source_and_the_page_says_why(client):
    mcd, head = api_token(client, "mcd.specialist"), api_token(client, "mcd.head")
    first, _ = start(client, mcd)
    route(client, mcd, first)  # the rector answers the matter
    iid, _ = start(client, mcd, outlet="Kazinform")
    task = ready(client, mcd, iid)["id"]
    units = [{"unit": "FE-IS", "urgency": "deep"}]
    errors = complete(client, mcd, task, {"source": "mcd.head", "related_to": first, "units": units}, 422)["errors"]
    assert "source" in errors
    complete(client, head, task, {"source": "mcd.head", "related_to": first, "units": units,
                                  "override_reason": "Ректор іссапарда: МКБ бастығы жауап береді."})
    login(client, "auditor")
    html = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert "Ректор іссапарда: МКБ бастығы жауап береді." in html and "mi-override" in html
    assert "Марат Ерланұлы Тоқтаров" in html and f'href="/instances/{first}"' in html
    page = client.get("/media-inquiries").get_data(as_text=True)
    assert "байланысты мәселенікінен басқа дереккөз" in page
