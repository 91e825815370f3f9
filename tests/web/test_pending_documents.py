"""Documents rendered in the background, as the API and the pages show them: the deciding call answers with
the document pending; its download answers 409 with Retry-After until the worker has rendered it; the pages
say "being prepared" and reload themselves (no JavaScript) only while something is pending."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from processes.rendering import render_pending
from storage.models import AuditEvent
from tests.conftest import api_token, login
from tests.helpers import submission
from tests.web.test_pages import form_post, logout, task_link

EN = {"Accept-Language": "en"}
REFRESH = re.compile(r'<meta http-equiv="refresh" content="(\d+)">')


@pytest.fixture
def app(db_url, tmp_path):
    """The application as deployed: issued PDFs are left to the worker (no RENDER_INLINE)."""
    from web import create_app

    app = create_app({"DATA_DIR": tmp_path / "data", "DATABASE_URL": db_url, "SECRET_KEY": "test-secret",
                      "SESSION_COOKIE_SECURE": False, "TESTING": True, "BASE_URL": "https://kelisim.test",
                      "RENDER_INLINE": False})
    yield app
    app.extensions["kelisim.engine"].dispose()


def drain(app) -> int:
    """What the worker does: render every pending document."""
    return render_pending(app.extensions["kelisim.db"], app.extensions["kelisim.services"])


def approved_over_the_api(client) -> tuple[int, dict[str, str]]:
    emp, vrf = api_token(client, "employee"), api_token(client, "vr.finance")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    done = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=emp,
                       json={"data": submission()})
    assert done.status_code == 200, done.get_json()
    decide = next(t for t in client.get("/api/v1/tasks", headers=vrf).get_json()
                  if t["instance_id"] == started["id"])
    approved = client.post(f"/api/v1/tasks/{decide['id']}/complete", headers=vrf,
                           json={"data": {"decision": "approve"}})
    assert approved.status_code == 200 and approved.get_json()["instance"]["outcome"] == "approved"
    return started["id"], emp


def certificate(client, iid, headers) -> dict:
    inst = client.get(f"/api/v1/instances/{iid}", headers=headers).get_json()
    (doc,) = [d for d in inst["documents"] if d["kind"] == "clearance_certificate"]
    return doc


def test_the_decision_answers_with_the_document_pending_and_the_api_says_so(app, client):
    drain(app)  # the seeded policy edition
    iid, emp = approved_over_the_api(client)
    doc = certificate(client, iid, emp)
    assert doc["status"] == "pending" and doc["sha256"] is None  # the approve call did not render it
    with app.extensions["kelisim.db"]() as s:
        assert not s.execute(select(AuditEvent).where(AuditEvent.action == "document_rendered",
                                                      AuditEvent.instance_id == iid)).first()
    early = client.get(f"/api/v1/documents/{doc['id']}", headers={**emp, **EN})
    assert early.status_code == 409 and early.mimetype == "application/json"
    assert int(early.headers["Retry-After"]) >= 1
    body = early.get_json()
    assert body["status"] == "pending" and body["retry_after"] == int(early.headers["Retry-After"])
    assert body["document_id"] == doc["id"] and "being prepared" in body["error"]
    assert not early.data.startswith(b"%PDF")

    assert drain(app) == 1
    ready = certificate(client, iid, emp)
    assert ready["status"] == "ready" and ready["sha256"]
    pdf = client.get(f"/api/v1/documents/{doc['id']}", headers=emp, buffered=True)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and "Retry-After" not in pdf.headers
    assert drain(app) == 0  # rendered once


def test_openapi_documents_the_status_and_the_409_with_retry_after(client):
    spec = client.get("/api/openapi.json").get_json()
    documents = spec["components"]["schemas"]["Instance"]["properties"]["documents"]["items"]["properties"]
    assert documents["status"]["enum"] == ["pending", "ready"]
    conflict = spec["paths"]["/api/v1/documents/{id}"]["get"]["responses"]["409"]
    assert "Retry-After" in conflict["headers"]
    assert conflict["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Pending"}
    assert spec["components"]["schemas"]["Pending"]["properties"]["status"]["enum"] == ["pending"]


def approved_through_the_pages(client) -> int:
    login(client, "employee")
    started = form_post(client, "/processes/speech_clearance/new", submission())
    assert started.status_code == 302, started.get_data(as_text=True)[:500]
    iid = int(re.search(r"/instances/(\d+)", started.headers["Location"]).group(1))
    logout(client)
    login(client, "vr.finance")
    task = task_link(client.get("/inbox").get_data(as_text=True))
    assert form_post(client, task, {"decision": "approve", "confirm": "yes"}).status_code == 302
    logout(client)
    return iid


def test_pages_show_being_prepared_and_reload_only_while_pending(app, client):
    drain(app)
    iid = approved_through_the_pages(client)
    login(client, "employee")
    page = client.get(f"/instances/{iid}", headers=EN).get_data(as_text=True)
    refresh = REFRESH.search(page)
    assert refresh and 1 <= int(refresh.group(1)) <= 10  # reloads itself, no JavaScript needed
    assert "Being prepared" in page
    doc_id = certificate(client, iid, api_token(client, "employee"))["id"]
    assert f"/documents/{doc_id}" not in page  # no download link yet
    mine = client.get("/submissions", headers=EN).get_data(as_text=True)
    assert "being prepared" in mine and f"/documents/{doc_id}" not in mine

    early = client.get(f"/documents/{doc_id}", headers=EN)
    assert early.status_code == 409 and early.mimetype == "text/html"  # a page, not a 500 nor a broken file
    assert int(early.headers["Retry-After"]) >= 1
    text = early.get_data(as_text=True)
    assert "The document is being prepared" in text and f'href="/instances/{iid}"' in text
    assert REFRESH.search(text)  # the page asks again by itself

    assert drain(app) == 1
    page = client.get(f"/instances/{iid}", headers=EN).get_data(as_text=True)
    assert not REFRESH.search(page) and "Being prepared" not in page  # nothing pending: no reload
    assert f"/documents/{doc_id}" in page
    pdf = client.get(f"/documents/{doc_id}", buffered=True)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_page_without_pending_documents_never_reloads(app, client):
    drain(app)
    login(client, "employee")
    for path in ("/inbox", "/submissions", "/processes"):
        assert not REFRESH.search(client.get(path, headers=EN).get_data(as_text=True)), path
