"""Every form control on the main pages has a label, ids are unique, and no inline style slips in."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests import samples
from tests.conftest import api_token, login
from tests.helpers import submission


class Controls(HTMLParser):
    """Collect form controls, label targets, ids and style attributes of a page."""

    def __init__(self):
        super().__init__()
        self.controls, self.label_for, self.ids, self.styles, self.label_depth = [], set(), [], 0, 0
        self.wrapped = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if "style" in a:
            self.styles += 1
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in {"input", "select", "textarea"} and a.get("type") not in {"hidden", "submit", "button"}:
            self.controls.append(a)
            self.wrapped.append(self.label_depth > 0)

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_depth -= 1


def check(html: str) -> None:
    page = Controls()
    page.feed(html)
    assert page.controls, "no form controls found"
    for control, wrapped in zip(page.controls, page.wrapped, strict=True):
        labelled = wrapped or control.get("id") in page.label_for or control.get("aria-label")
        assert labelled, f"unlabelled control: {control}"
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    assert page.styles == 0, "inline style attributes (the CSP forbids them)"


@pytest.mark.parametrize("path, user", [
    ("/login", None), ("/processes/speech_clearance/new", "employee"),
    ("/processes/material_signoff/new", "unit.head"), ("/audit/instances", "auditor"), ("/archive", "mcd.head"),
    ("/processes/information_request/new", "registry"), ("/requests", "registry"),
    ("/processes/policy_amendment/new?clause=7.10.2", "amd.head"), ("/policy", "employee"), ("/admin/", "admin"),
])
def test_pages_label_every_control(client, path, user):
    if user:
        login(client, user)
    check(client.get(path).get_data(as_text=True))


def test_review_form_labels_every_control(client):
    emp, vrf = api_token(client, "employee"), api_token(client, "vr.finance")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=emp, json={"data": submission()})
    (task,) = [t for t in client.get("/api/v1/tasks", headers=vrf).get_json() if t["instance_id"] == started["id"]]
    login(client, "vr.finance")
    check(client.get(f"/tasks/{task['id']}").get_data(as_text=True))


def test_checklist_form_labels_every_control(client):
    import io

    from tests.helpers import event_date

    head, spec = api_token(client, "unit.head"), api_token(client, "mcd.specialist")
    started = client.post("/api/v1/processes/material_signoff/instances", headers=head).get_json()
    up = client.post(f"/api/v1/instances/{started['id']}/files", headers=head,
                     data={"file": (io.BytesIO(samples.pdf("x")), "m.pdf")}, content_type="multipart/form-data")
    data = {"unit": "FE-IS", "material_type": "poster", "channel": "website", "audiences": ["students"],
            "planned_date": event_date(20), "title": "Poster", "file_ids": [up.get_json()["id"]]}
    client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=head, json={"data": data})
    (task,) = [t for t in client.get("/api/v1/tasks", headers=spec).get_json() if t["instance_id"] == started["id"]]
    login(client, "mcd.specialist")
    html = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    check(html)
    assert html.count('name="checklist.') >= 18  # 6 items x (yes, no, remark)


def test_request_and_council_forms_label_every_control(client):
    """The rector's decision on a request (the unit select) and the Council's record (a single file)."""
    import io
    from datetime import timedelta

    from processes.university_time import local
    from storage.models import utcnow

    reg, amd, mcd = api_token(client, "registry"), api_token(client, "amd.head"), api_token(client, "mcd.head")
    started = client.post("/api/v1/processes/information_request/instances", headers=reg).get_json()
    up = client.post(f"/api/v1/instances/{started['id']}/files", headers=reg,
                     data={"file": (io.BytesIO(samples.pdf("x")), "s.pdf")}, content_type="multipart/form-data")
    data = {"requester_name": "R", "requester_kind": "person", "email": "r@example.kz", "subject": "S", "items": "I",
            "form": "electronic", "language": "kk", "file_ids": [up.get_json()["id"]],
            "received_at": local(utcnow() - timedelta(hours=1)).isoformat(timespec="minutes")}
    assert client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=reg,
                       json={"data": data}).status_code == 200
    proposal = client.post("/api/v1/processes/policy_amendment/instances", headers=amd).get_json()
    client.post(f"/api/v1/tasks/{proposal['tasks'][0]['id']}/complete", headers=amd,
                json={"data": {"changes": [{"clause": "1.4", "text": "Жаңа."}], "rationale": "r"}})
    (review,) = [t for t in client.get("/api/v1/tasks", headers=mcd).get_json() if t["instance_id"] == proposal["id"]]
    client.post(f"/api/v1/tasks/{review['id']}/complete", headers=mcd, json={"data": {"decision": "consolidate"}})
    for user, instance_id in (("rector", started["id"]), ("council.secretary", proposal["id"])):
        headers = api_token(client, user)
        (task,) = [t for t in client.get("/api/v1/tasks", headers=headers).get_json()
                   if t["instance_id"] == instance_id]
        login(client, user)
        html = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
        check(html)
        assert 'name="responsible_unit"' in html or 'name="file"' in html


class Described(HTMLParser):
    """Each control's aria-invalid / aria-describedby, and every button's text (visually hidden parts too)."""

    def __init__(self):
        super().__init__()
        self.ids, self.controls, self.buttons, self._button = set(), {}, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag in {"input", "select", "textarea"} and a.get("id"):
            self.controls[a["id"]] = a
        if tag == "button":
            self._button = []

    def handle_data(self, data):
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            self.buttons.append(" ".join("".join(self._button).split()))
            self._button = None


def described(html: str) -> Described:
    page = Described()
    page.feed(html)
    for control in page.controls.values():
        for ref in (control.get("aria-describedby") or "").split():
            assert ref in page.ids, f"aria-describedby names a missing id {ref!r}: {control}"
    assert all(page.buttons), f"a button without a name: {page.buttons}"
    return page


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_verify_form_labels_the_code_and_its_hint(client, lang):
    """The public /verify form, empty and after a code that is not found (the form again, with the code)."""
    for path in ("/verify", "/verify/ABCDEFGHJKMN"):
        html = client.get(path, headers={"Accept-Language": lang}).get_data(as_text=True)
        check(html)
        page = described(html)
        assert page.controls["verify-code"].get("aria-describedby", "").startswith("verify-code-hint")
        assert 'role="search"' in html and 'aria-labelledby="verify-form-title"' in html


def test_instance_page_with_the_withdraw_form_labels_every_control(client):
    """The speech submitter's instance page: the withdraw form's reason and confirmation are labelled; sent
    with neither, both errors come back at once, each tied to its control."""
    from tests.conftest import csrf_from
    from tests.helpers import api_complete

    emp = api_token(client, "employee")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    api_complete(client, emp, started["tasks"][0]["id"], submission())
    login(client, "employee")
    url = f"/instances/{started['id']}"
    html = client.get(url, headers={"Accept-Language": "kk"}).get_data(as_text=True)
    check(html)
    page = described(html)
    assert {"withdraw-reason", "withdraw-confirm"} <= set(page.controls)
    assert 'for="withdraw-reason"' in html and 'for="withdraw-confirm"' in html
    refused = client.post(f"{url}/withdraw", data={"csrf_token": csrf_from(html), "reason": " "},
                          headers={"Accept-Language": "kk"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    check(html)
    page = described(html)
    for name in ("withdraw-reason", "withdraw-confirm"):
        assert page.controls[name].get("aria-invalid") == "true", name
        assert page.controls[name].get("aria-describedby") == f"{name}-error", name
    assert "Кері қайтарып алу себебін көрсетіңіз." in html  # the missing reason, said with the confirmation
    assert client.get(f"/api/v1/instances/{started['id']}", headers=emp).get_json()["status"] == "running"


def test_notifications_page_names_every_button(client):
    """Open and Mark as read say which notice they act on (a hidden title), the page's forms are labelled."""
    from tests.helpers import api_complete

    emp = api_token(client, "employee")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    api_complete(client, emp, started["tasks"][0]["id"], submission(title="Қаржы туралы баяндама"))
    login(client, "vr.finance")
    html = client.get("/notifications", headers={"Accept-Language": "kk"}).get_data(as_text=True)
    check(html)
    page = described(html)
    assert "Ашу: Қаржы туралы баяндама" in page.buttons
    assert "Оқылды деп белгілеу: Қаржы туралы баяндама" in page.buttons
    assert 'aria-label="Хабарламалар"' in html


class Landmarks(HTMLParser):
    """Every element's id; each section's aria-labelledby, and the text of each heading by its id."""

    def __init__(self):
        super().__init__()
        self.ids, self.labelled_by, self.headings, self._heading = [], [], {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if a.get("aria-labelledby"):
            self.labelled_by.append((tag, a["aria-labelledby"]))
        if tag in {"h1", "h2", "h3"}:
            self._heading = (a.get("id"), [])

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[1].append(data)

    def handle_endtag(self, tag):
        if tag in {"h1", "h2", "h3"} and self._heading is not None:
            hid, text = self._heading
            if hid:
                self.headings[hid] = " ".join("".join(text).split())
            self._heading = None


def landmarks(html: str) -> Landmarks:
    page = Landmarks()
    page.feed(html)
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    for tag, refs in page.labelled_by:
        for ref in refs.split():
            assert ref in page.ids, f"<{tag} aria-labelledby={refs!r}> names a missing id {ref!r}"
    return page


def _answered_request(client) -> tuple[int, dict[str, str]]:
    """A written request the rector decided to provide and the unit head answered (its letter issued)."""
    from tests.helpers import api_complete, api_ready, api_upload
    from tests.web.test_information_request_api import register

    reg, rector, head = (api_token(client, u) for u in ("registry", "rector", "unit.head"))
    iid, _ = register(client, reg)
    api_complete(client, rector, api_ready(client, rector, iid)["id"],
                 {"decision": "provide", "responsible_unit": "FE-IS"})
    enclosure = api_upload(client, head, iid, "enclosure.pdf", samples.pdf("enclosure"))
    api_complete(client, head, api_ready(client, head, iid)["id"],
                 {"answer_text": "Жауап мәтіні.", "file_ids": [enclosure], "accuracy_confirmed": True})
    return iid, reg


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_information_request_page_sections_are_labelled(client, lang):
    """The request's page: Request, Decision, Answer and Letter are sections named by their headings, every
    labelled region names an existing id, and every cell of its files tables says its column."""
    iid, _ = _answered_request(client)
    login(client, "rector")
    html = client.get(f"/instances/{iid}", headers={"Accept-Language": lang}).get_data(as_text=True)
    page = landmarks(html)
    sections = {ref for tag, ref in page.labelled_by if tag == "section"}
    assert {"request-title", "ir-decision-title", "ir-answer-title", "ir-letter-title", "files-title"} <= sections
    names = {"kk": ("Шешім", "Жауап", "Хат"), "ru": ("Решение", "Ответ", "Письмо")}[lang]
    assert (page.headings["ir-decision-title"], page.headings["ir-answer-title"],
            page.headings["ir-letter-title"]) == names
    body = html[html.index('id="files-title"'):]
    body = body[body.index("<tbody>"):body.index("</tbody>")]
    assert body.count("<td") + body.count('<th scope="row"') == body.count("data-label=") > 0


def test_dispatch_form_labels_every_control(client):
    """The clerk's dispatch form on the request's page, before and after a refused submission (post without
    a tracking number or an address): every control labelled, each error tied to its control."""
    from tests.conftest import csrf_from

    iid, _ = _answered_request(client)
    login(client, "registry")
    url = f"/instances/{iid}"
    html = client.get(url, headers={"Accept-Language": "kk"}).get_data(as_text=True)
    section = html[html.index('aria-labelledby="dispatch-title"'):]
    assert 'name="method"' in section and "<legend" in section  # the methods as a named group
    check(html)
    described(html)
    landmarks(html)
    refused = client.post(f"{url}/dispatch", data={"csrf_token": csrf_from(html), "method": "post"},
                          headers={"Accept-Language": "kk"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    check(html)
    landmarks(html)
    page = described(html)
    for name in ("field-tracking_number", "field-postal_address"):
        assert page.controls[name].get("aria-invalid") == "true", name
        assert f"{name}-error" in page.controls[name].get("aria-describedby", "").split(), name
        assert f'href="#{name}"' in html, name  # the error summary leads to the field
    assert 'id="error-summary"' in html and "Трек-нөмірі" in html


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_policy_proposal_after_add_another_change_labels_every_control(client, lang):
    """"Add another change" without JavaScript: the form comes back with one more row; every row is a group
    named by its legend, its clause and text labelled, the text tied to its counter."""
    from tests.web.test_form_keeps_input import post

    login(client, "amd.head")
    response = post(client, "/processes/policy_amendment/new",
                    {"changes.0.clause": "7.10.2", "changes.0.text": "Жаңа мәтін", "changes.1.clause": "14.2",
                     "changes.1.text": "Тағы бір", "rationale": "Себебі", "_slots.changes": "2",
                     "_action": "add:changes"}, lang=lang)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    check(html)
    landmarks(html)
    page = described(html)
    assert html.count("data-row>") == 3
    for i in range(3):
        assert f'for="field-changes-{i}-clause"' in html and f'for="field-changes-{i}-text"' in html
        assert page.controls[f"field-changes-{i}-text"]["aria-describedby"] == f"field-changes-{i}-text-limit"
    assert {"kk": "3-өзгеріс", "ru": "Изменение 3"}[lang] in html
    assert {"kk": "Тағы бір өзгеріс қосу", "ru": "Добавить ещё одно изменение"}[lang] in page.buttons
