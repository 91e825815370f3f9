"""The brand guideline library (§6.2–6.4) over HTTP: MCD uploads editions (API and page), the edition in force,
audited downloads sent as no-store attachments, bad input refused with nothing kept, and the authorization
matrix: every role but MCD, management and auditors gets 403 on every brand-book page, file and API endpoint."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from processes.usecases.seed import USERS
from storage.models import AuditEvent, BrandBookEdition, BrandBookFile
from tests import samples
from tests.conftest import api_token, csrf_from, login

USERNAMES = [u[0] for u in USERS]
READERS = {"mcd.head", "mcd.specialist", "rector", "vr.finance", "vr.academic", "auditor"}
UPLOADERS = {"mcd.head", "mcd.specialist"}
TODAY = date.today()


def upload(client, headers, version="2.0", effective_on=None, files=None, note="Colours updated"):
    files = files if files is not None else [("guideline.pdf", samples.pdf("KInEU brand guideline")),
                                             ("logo.png", samples.png("logo"))]
    data = {"version": version, "effective_on": effective_on or (TODAY - timedelta(days=1)).isoformat(),
            "note": note, "file": [(io.BytesIO(b), n) for n, b in files]}
    return client.post("/api/v1/brand-book/editions", headers=headers, data=data,
                       content_type="multipart/form-data")


def counts(app):
    with app.extensions["kelisim.db"]() as s:
        return (s.execute(select(func.count()).select_from(BrandBookEdition)).scalar_one(),
                s.execute(select(func.count()).select_from(BrandBookFile)).scalar_one())


def audit_of(app, action):
    with app.extensions["kelisim.db"]() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
                    .scalars())


@pytest.fixture
def edition(client):
    response = upload(client, api_token(client, "mcd.specialist"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_upload_then_the_edition_in_force_and_its_audited_download(client, app, edition):
    assert edition["version"] == "2.0" and edition["in_force"] is True
    assert [f["name"] for f in edition["files"]] == ["guideline.pdf", "logo.png"]
    assert edition["files"][0]["content_type"] == "application/pdf"
    entry = audit_of(app, "brand_edition_uploaded")[-1]
    assert entry.clause == "§6.2" and entry.actor == "mcd.specialist" and entry.data["version"] == "2.0"
    # a later edition taking effect next month does not replace the one in force until then
    later = upload(client, api_token(client, "mcd.head"), version="3.0",
                   effective_on=(TODAY + timedelta(days=30)).isoformat()).get_json()
    rector = api_token(client, "rector")
    listed = client.get("/api/v1/brand-book/editions", headers=rector).get_json()
    assert [(e["version"], e["in_force"]) for e in listed] == [("3.0", False), ("2.0", True)]
    assert client.get("/api/v1/brand-book/in-force", headers=rector).get_json()["id"] == edition["id"]
    assert client.get(f"/api/v1/brand-book/editions/{later['id']}", headers=rector).status_code == 200
    file_id = edition["files"][0]["id"]
    response = client.get(f"/api/v1/brand-book/files/{file_id}", headers=rector, buffered=True)
    assert response.status_code == 200
    assert response.data == samples.pdf("KInEU brand guideline")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    opened = audit_of(app, "brand_file_opened")
    assert [(e.actor, e.clause, e.object, e.data["version"], e.data["name"]) for e in opened] == \
        [("rector", "§6.4", f"brand_book_file:{file_id}", "2.0", "guideline.pdf")]
    login(client, "vr.academic")  # the page's link, audited likewise
    page = client.get(f"/brand-book/files/{file_id}", buffered=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.headers["Content-Disposition"].startswith("attachment")
    assert [e.actor for e in audit_of(app, "brand_file_opened")] == ["rector", "vr.academic"]


def test_no_edition_in_force_yet(client):
    headers = api_token(client, "mcd.head")
    assert client.get("/api/v1/brand-book/in-force", headers=headers).status_code == 404
    upload(client, headers, effective_on=(TODAY + timedelta(days=3)).isoformat())
    assert client.get("/api/v1/brand-book/in-force", headers=headers).status_code == 404


@pytest.mark.parametrize("case, kwargs, status, field", [
    ("no version", {"version": "  "}, 422, "version"),
    ("version too long", {"version": "v" * 41}, 422, "version"),
    ("no date", {"effective_on": " "}, 422, "effective_on"),
    ("date malformed", {"effective_on": "03.12.2026"}, 422, "effective_on"),
    ("date impossible", {"effective_on": "2026-02-30"}, 422, "effective_on"),
    ("no file", {"files": []}, 422, "files"),
    ("bytes not a pdf", {"files": [("guideline.pdf", samples.png("not a pdf"))]}, 422, "files"),
    ("png that is text", {"files": [("ok.pdf", samples.pdf()), ("logo.png", b"hello")]}, 422, "files"),
    ("type not taken", {"files": [("notes.txt", samples.txt())]}, 422, "files"),
])
def test_bad_input_is_refused_and_nothing_is_kept(client, app, case, kwargs, status, field):
    response = upload(client, api_token(client, "mcd.specialist"), **kwargs)
    assert response.status_code == status, (case, response.get_json())
    assert field in response.get_json()["errors"], response.get_json()
    assert counts(app) == (0, 0)
    assert audit_of(app, "brand_edition_uploaded") == []


def test_a_second_edition_with_the_same_version_is_a_conflict(client, app, edition):
    response = upload(client, api_token(client, "mcd.head"), version="2.0", note="changed")
    assert response.status_code == 409
    assert "2.0" in response.get_json()["error"]
    assert counts(app) == (1, 2)


def test_unknown_file_and_edition_are_404_for_a_reader(client):
    headers = api_token(client, "auditor")
    assert client.get("/api/v1/brand-book/files/999", headers=headers).status_code == 404
    assert client.get("/api/v1/brand-book/editions/999", headers=headers).status_code == 404


def test_the_page_lists_the_editions_and_mcd_uploads_through_its_form(client, app):
    login(client, "mcd.specialist")
    page = client.get("/brand-book")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in html
    token = csrf_from(html)
    bad = client.post("/brand-book", data={"csrf_token": token, "version": "1.0", "effective_on": "yesterday",
                                           "note": "", "file": [(io.BytesIO(samples.pdf()), "g.pdf")]},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and 'id="brand-effective_on-error"' in bad.get_data(as_text=True)
    assert 'value="1.0"' in bad.get_data(as_text=True)  # the values come back
    assert counts(app) == (0, 0)
    good = client.post("/brand-book", data={"csrf_token": token, "version": "1.0",
                                            "effective_on": TODAY.isoformat(), "note": "First",
                                            "file": [(io.BytesIO(samples.pdf("brand")), "brand.pdf")]},
                       content_type="multipart/form-data")
    assert good.status_code == 303
    html = client.get("/brand-book").get_data(as_text=True)
    assert "brand.pdf" in html and "/brand-book/files/" in html
    again = client.post("/brand-book", data={"csrf_token": token, "version": "1.0", "effective_on": TODAY.isoformat(),
                                             "file": [(io.BytesIO(samples.pdf()), "x.pdf")]},
                        content_type="multipart/form-data")
    assert again.status_code == 409 and 'id="brand-version-error"' in again.get_data(as_text=True)
    assert counts(app) == (1, 1)


def test_management_reads_but_does_not_upload(client):
    login(client, "rector")
    html = client.get("/brand-book").get_data(as_text=True)
    assert "multipart/form-data" not in html
    assert upload(client, api_token(client, "rector")).status_code == 403


@pytest.mark.parametrize("username", USERNAMES)
def test_authorization_matrix(client, app, edition, username):
    """Every brand-book endpoint for every demo role: readers read, MCD uploads, everyone else gets 403."""
    file_id, edition_id = edition["files"][0]["id"], edition["id"]
    headers = api_token(client, username)
    reads = {"api editions": "/api/v1/brand-book/editions",
             "api edition": f"/api/v1/brand-book/editions/{edition_id}",
             "api in force": "/api/v1/brand-book/in-force", "api file": f"/api/v1/brand-book/files/{file_id}"}
    for name, url in reads.items():
        status = client.get(url, headers=headers, buffered=True).status_code
        assert status == (200 if username in READERS else 403), (username, name, status)
    status = upload(client, headers, version=f"x-{username}").status_code
    assert status == (201 if username in UPLOADERS else 403), (username, "api upload", status)
    login(client, username)
    for name, url in {"page": "/brand-book", "page file": f"/brand-book/files/{file_id}"}.items():
        status = client.get(url, buffered=True).status_code
        assert status == (200 if username in READERS else 403), (username, name, status)
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    status = client.post("/brand-book", data={"csrf_token": token, "version": f"p-{username}",
                                              "effective_on": TODAY.isoformat(),
                                              "file": [(io.BytesIO(samples.pdf()), "p.pdf")]},
                         content_type="multipart/form-data").status_code
    assert status == (303 if username in UPLOADERS else 403), (username, "page upload", status)
    # the menu shows the library only to those who may open it
    assert ('href="/brand-book"' in client.get("/brand-book" if username in READERS else "/inbox")
            .get_data(as_text=True)) == (username in READERS)
    if username not in READERS:
        denials = [e for e in audit_of(app, "access_denied") if e.actor == username]
        assert denials, username


def _material_in_review(client) -> int:
    from tests.helpers import event_date

    head = api_token(client, "unit.head")
    started = client.post("/api/v1/processes/material_signoff/instances", headers=head).get_json()
    up = client.post(f"/api/v1/instances/{started['id']}/files", headers=head,
                     data={"file": (io.BytesIO(samples.pdf("x")), "m.pdf")}, content_type="multipart/form-data")
    data = {"unit": "FE-IS", "material_type": "poster", "channel": "website", "audiences": ["students"],
            "planned_date": event_date(20), "title": "Poster", "file_ids": [up.get_json()["id"]]}
    client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=head, json={"data": data})
    spec = api_token(client, "mcd.specialist")
    return next(t["id"] for t in client.get("/api/v1/tasks", headers=spec).get_json()
                if t["instance_id"] == started["id"])


def test_the_review_checklist_links_the_edition_in_force(client):
    task_id = _material_in_review(client)
    login(client, "mcd.specialist")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="brand-guideline"' in html and 'href="/brand-book"' in html  # none in force yet: the library
    assert upload(client, api_token(client, "mcd.head"), version="2.4").status_code == 201
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'href="/brand-book#in-force"' in html and "2.4" in html
    login(client, "unit.head")  # the submitter sees the case, never the guideline
    instance_html = client.get("/inbox").get_data(as_text=True)
    assert "/brand-book" not in instance_html


def test_a_unit_head_asks_mcd_and_downloads_the_answer(client, app):
    head, spec = api_token(client, "unit.head"), api_token(client, "mcd.specialist")
    started = client.post("/api/v1/processes/brand_request/instances", headers=head).get_json()
    done = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=head,
                       json={"data": {"elements": ["logo"], "material": "Booklet"}})
    assert done.status_code == 200, done.get_json()
    task = next(t for t in client.get("/api/v1/tasks", headers=spec).get_json() if t["instance_id"] == started["id"])
    # the unit head cannot act on MCD's task
    assert client.post(f"/api/v1/tasks/{task['id']}/complete", headers=head,
                       json={"data": {"decision": "decline", "comment": "x"}}).status_code == 403
    bad = client.post(f"/api/v1/instances/{started['id']}/files", headers=spec,
                      data={"file": (io.BytesIO(b"not a png"), "logo.png")}, content_type="multipart/form-data")
    assert bad.status_code == 422
    up = client.post(f"/api/v1/instances/{started['id']}/files", headers=spec,
                     data={"file": (io.BytesIO(samples.png("logo")), "logo.png")}, content_type="multipart/form-data")
    file_id = up.get_json()["id"]
    answer = {"data": {"decision": "answer", "file_ids": [file_id], "comment": "White on dark"}}
    assert client.post(f"/api/v1/tasks/{task['id']}/complete", headers=spec, json=answer).status_code == 200
    again = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=api_token(client, "mcd.head"), json=answer)
    assert again.status_code == 409
    assert client.get(f"/api/v1/instances/{started['id']}", headers=head).get_json()["outcome"] == "answered"
    for username in USERNAMES:
        status = client.get(f"/api/v1/files/{file_id}", headers=api_token(client, username), buffered=True).status_code
        readers = {"unit.head", "mcd.head", "mcd.specialist", "auditor", "admin"}
        assert (status == 200) == (username in readers), (username, status)
