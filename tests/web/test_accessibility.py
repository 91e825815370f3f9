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
