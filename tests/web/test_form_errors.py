"""Every error of a submission at once, each at its field and naming it by its label, in words; limits
shown at the field and enforced with a message (never cut by the browser); the unit by name; each form
headed by what the person does there."""
from __future__ import annotations

import re

from tests import samples
from tests.conftest import api_token, login
from tests.helpers import event_date, submission
from tests.web.test_form_keeps_input import post

NEW_SPEECH = "/processes/speech_clearance/new"
NEW_MATERIAL = "/processes/material_signoff/new"


def material(**overrides) -> dict:
    data = {"unit": "FE-IS", "title": "Буклет", "material_type": "booklet", "channel": "print",
            "audiences": "applicants", "planned_date": event_date(15)}
    data.update(overrides)
    return data


def summary_items(page: str) -> list[str]:
    block = re.search(r'<div class="error-summary".*?</ul>', page, re.S)
    assert block, "no error summary"
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", block.group(0), re.S)]


def test_a_pasted_text_over_the_limit_is_refused_with_its_length_not_cut(client):
    login(client, "employee")
    form = client.get(NEW_SPEECH, headers={"Accept-Language": "en"}).get_data(as_text=True)
    textarea = re.search(r'<textarea id="field-text"[^>]*>', form).group(0)
    assert " maxlength=" not in textarea and 'data-maxlength="200000"' in textarea
    assert "At most 200,000 characters." in form  # the limit in the hint, without JavaScript
    assert "kelisim-forms.js" in form and "<script>" not in form  # a counter where JavaScript runs, no inline script
    text = "ә" * 252_000
    response = post(client, NEW_SPEECH, submission(text=text))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "At most 200,000 characters (you entered 252,000)." in page
    assert "Theses: At most 200,000 characters (you entered 252,000)." in summary_items(page)
    assert text in page  # the whole text comes back, not cut
    ru = post(client, NEW_SPEECH, submission(text=text), lang="ru").get_data(as_text=True)
    assert "Не более 200\xa0000 символов (вы ввели 252\xa0000)." in ru


def test_every_error_of_a_submission_at_once(client):
    """A bad unit, a missing title and a refused file: reported together, not in rounds."""
    login(client, "employee")
    response = post(client, NEW_MATERIAL, material(unit="MCD", title=""), files=[("poster.pdf", b"%PDF")])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    items = summary_items(page)
    assert any(i.startswith("Structural unit: You may submit only for your own structural unit.") for i in items)
    assert "Title: This field is required." in items
    assert any(i.startswith("Files: poster.pdf: The file is damaged") for i in items)
    for field in ("unit", "title", "file_ids"):
        assert f'id="field-{field}-error"' in page


def test_errors_name_fields_by_label_and_say_what_is_expected(client):
    login(client, "employee")
    page = post(client, NEW_SPEECH, submission(title="", event_date="soon")).get_data(as_text=True)
    items = summary_items(page)
    assert "Title: This field is required." in items
    assert not any("event_date" in i or "expected" in i for i in items)
    kk = post(client, NEW_SPEECH, submission(title=""), lang="kk").get_data(as_text=True)
    assert not any("title" in i for i in summary_items(kk))


def test_the_api_keeps_paths_and_says_the_field_in_words(client):
    amd = api_token(client, "amd.head")
    started = client.post("/api/v1/processes/policy_amendment/instances", headers=amd).get_json()
    task = started["tasks"][0]["id"]
    response = client.post(f"/api/v1/tasks/{task}/complete", headers={**amd, "Accept-Language": "en"},
                           json={"data": {"changes": [{"clause": "7.10.2", "text": 5}], "rationale": "r"}})
    body = response.get_json()
    assert response.status_code == 422 and "error" in body
    assert body["errors"] == {"changes.0.text": "Change 1 — New text: Enter text."}


def test_a_whole_number_is_asked_for_in_words():
    from forms.validate import from_html, load_form, validate

    form = load_form("policy_council.schema.json", "policy_council.uischema.json")
    _, errors = validate(form, from_html(form, {"council_required": ["true"], "votes_for": ["many"]}))
    assert errors["votes_for"].labelled() == "Votes for: Enter a whole number, e.g. 12."


def test_the_unit_is_a_choice_of_the_units_one_may_submit_for_by_name(client):
    login(client, "employee")
    en = client.get(NEW_MATERIAL, headers={"Accept-Language": "en"}).get_data(as_text=True)
    select = re.search(r'<select id="field-unit".*?</select>', en, re.S).group(0)
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
    assert [(v, s, t.strip()) for v, s, t in options] == [
        ("FE-IS", " selected", "Department of Information Systems"), ("FE", "", "Faculty of Engineering")]
    kk = client.get(NEW_MATERIAL, headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert "Ақпараттық жүйелер кафедрасы" in kk


def test_each_task_form_is_headed_by_what_the_person_does(client):
    login(client, "employee")
    post(client, NEW_SPEECH, submission(text=""), files=[("theses.txt", samples.txt())])
    login(client, "vr.finance")
    inbox = client.get("/inbox").get_data(as_text=True)
    task = re.search(r'href="(/tasks/[0-9a-f-]{36})"', inbox).group(1)
    page = client.get(task, headers={"Accept-Language": "en"}).get_data(as_text=True)
    heading = re.search(r'<h2 id="action-title"[^>]*>(.*?)</h2>', page, re.S).group(1)
    assert heading == "Clear speech text"
    assert "Your decision" not in page and "Your submission" not in page
