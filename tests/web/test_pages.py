"""The HTML pages: submit, decide, revise through forms that work without JavaScript."""
from __future__ import annotations

import io
import re

from tests.conftest import csrf_from, login
from tests.helpers import submission


def form_post(client, url, data, file=None):
    token = csrf_from(client.get(url).get_data(as_text=True))
    payload = {**data, "csrf_token": token}
    if file:
        payload["file"] = (io.BytesIO(file[1]), file[0])
    return client.post(url, data=payload, content_type="multipart/form-data")


def logout(client):
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})


def task_link(html: str) -> str:
    match = re.search(r'href="(/tasks/[0-9a-f-]{36})"', html)
    assert match, "no task in the inbox"
    return match.group(1)


def test_submit_revise_approve_through_pages(client):
    login(client, "employee")
    data = submission(text="")
    response = form_post(client, "/processes/speech_clearance/new", data, file=("theses.txt", "Бірінші нұсқа".encode()))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    instance_url = response.headers["Location"].split("?")[0]
    logout(client)
    login(client, "vr.finance")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert data["title"] in inbox
    task = task_link(inbox)
    assert form_post(client, task, {"decision": "revise", "comment": "Қысқартыңыз"}).status_code == 302
    logout(client)
    login(client, "employee")
    task = task_link(client.get("/inbox").get_data(as_text=True))
    revise_page = client.get(task).get_data(as_text=True)
    assert "Қысқартыңыз" in revise_page and data["event_name"] in revise_page  # comment shown, form prefilled
    resubmitted = form_post(client, task, {**submission(text="Екінші нұсқа")})
    assert resubmitted.status_code == 302
    logout(client)
    login(client, "vr.finance")
    task = task_link(client.get("/inbox").get_data(as_text=True))
    assert "Екінші нұсқа" in client.get(task).get_data(as_text=True)
    assert form_post(client, task, {"decision": "approve"}).status_code == 422  # asks to confirm first
    assert form_post(client, task, {"decision": "approve", "confirm": "yes"}).status_code == 302
    logout(client)
    login(client, "employee")
    page = client.get(instance_url).get_data(as_text=True)
    doc = re.search(r'href="(/documents/\d+)"', page)
    assert doc, "certificate link missing"
    pdf = client.get(doc.group(1), buffered=True)
    assert pdf.data.startswith(b"%PDF") and pdf.headers["X-Content-Type-Options"] == "nosniff"
    mine = client.get("/submissions").get_data(as_text=True)
    assert data["title"] in mine and doc.group(1) in mine  # the certificate is listed with the submission


def test_invalid_form_comes_back_with_input_and_messages(client):
    login(client, "employee")
    data = submission(title="", event_date="2001-01-01", event_name="Keep this <b>name</b>")
    response = form_post(client, "/processes/speech_clearance/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Keep this &lt;b&gt;name&lt;/b&gt;" in html  # the user's input, escaped
    assert 'aria-invalid="true"' in html
    assert client.get("/submissions").get_data(as_text=True).count("/instances/") == 0  # nothing started


def test_disguised_file_is_refused_on_the_page(client):
    login(client, "employee")
    response = form_post(client, "/processes/speech_clearance/new", submission(text=""),
                         file=("theses.pdf", b"PK\x03\x04" + b"\x00" * 64))
    assert response.status_code == 422
    assert client.get("/submissions").get_data(as_text=True).count("/instances/") == 0


def test_public_verification_page(client):
    assert client.get("/verify/NOSUCHCODE").status_code == 404
