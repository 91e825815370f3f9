"""Nothing a user typed or attached is lost: a refused page form comes back with every value and every
file received so far (kept in the blob store, handed back by signed tokens); an oversized file gives
the form back at the file field (422), not a bare 413; a body too large to read gives a page in the
user's language that says the limit; "Add another change" works without JavaScript."""
from __future__ import annotations

import hashlib
import html as htmllib
import io
import re
from dataclasses import replace

import pytest

from storage.models import Instance, StoredFile
from tests import samples
from tests.conftest import api_token, csrf_from, login
from tests.helpers import submission

NEW_SPEECH = "/processes/speech_clearance/new"
TOKEN = re.compile(r'name="staged_file" value="([^"]+)"')


def post(client, url, data, files=(), lang="en"):
    """The multipart body is written here: Werkzeug's test client would spool one over 500 KB to a
    temporary file that it never closes."""
    token = csrf_from(client.get(url).get_data(as_text=True))
    parts = []
    for name, value in {**data, "csrf_token": token}.items():
        for item in (value if isinstance(value, list) else [value]):
            parts.append(f'--XyZ\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{item}\r\n'.encode())
    for name, content in files:
        parts.append(f'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                     f'Content-Type: application/octet-stream\r\n\r\n'.encode() + content + b"\r\n")
    return client.post(url, data=b"".join(parts) + b"--XyZ--\r\n", content_type="multipart/form-data; boundary=XyZ",
                       headers={"Accept-Language": lang})


def tokens(html: str) -> list[str]:
    return [htmllib.unescape(t) for t in TOKEN.findall(html)]


def instances_of(factory, username: str) -> int:
    from storage.models import User

    with factory() as session:
        user = session.query(User).filter_by(username=username).one()
        return session.query(Instance).filter_by(started_by_id=user.id).count()


def test_refused_form_keeps_every_value_and_file_then_attaches_it(client, app, factory):
    login(client, "employee")
    theses = "Тезистер файлда".encode()
    response = post(client, NEW_SPEECH, submission(title="", text="", event_name="Keep <this> name"),
                    files=[("theses.txt", theses)])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Keep &lt;this&gt; name" in page  # the value, escaped
    assert "theses.txt" in page and "Already received" in page  # the file, shown as received
    assert "attach the file again" not in page
    (token,) = tokens(page)
    store = app.extensions["kelisim.services"].blobs
    assert store.exists(hashlib.sha256(theses).hexdigest())  # kept as a blob, referenced by no row yet
    assert instances_of(factory, "employee") == 0  # nothing of the refused form was saved
    with factory() as session:
        assert session.query(StoredFile).count() == 0

    # the next submission brings the file by its token, without sending it again
    done = post(client, NEW_SPEECH, {**submission(text=""), "staged_file": token})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    with factory() as session:
        (row,) = session.query(StoredFile).all()
        assert (row.name, row.sha256, row.size) == ("theses.txt", hashlib.sha256(theses).hexdigest(), len(theses))


def test_a_file_received_earlier_can_be_removed_without_javascript(client):
    login(client, "employee")
    first = post(client, NEW_SPEECH, submission(title=""), files=[("a.txt", b"first file"), ("b.txt", b"second")])
    assert first.status_code == 422
    held = tokens(first.get_data(as_text=True))
    assert len(held) == 2
    removed = post(client, NEW_SPEECH, {**submission(title="Still here"), "staged_file": held, "_action": "remove:0"})
    page = removed.get_data(as_text=True)
    assert removed.status_code == 200  # the form changed, nothing submitted, no error
    assert "b.txt" in page and "a.txt" not in page and 'value="Still here"' in page
    assert "There is a problem" not in page


def test_tampered_foreign_and_other_form_tokens_are_refused(client, factory):
    login(client, "employee")
    page = post(client, NEW_SPEECH, submission(title=""), files=[("theses.txt", b"the theses")]).get_data(as_text=True)
    (token,) = tokens(page)
    body, mac = token.split(".")
    tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    for bad in (tampered, token + "x", "nonsense", token.replace(".", "")):
        response = post(client, NEW_SPEECH, {**submission(), "staged_file": bad})
        assert response.status_code == 400, bad
    # another form (material sign-off) may not take the speech form's file
    response = post(client, "/processes/material_signoff/new", {"title": "x", "staged_file": token})
    assert response.status_code == 400
    # nor another user
    login(client, "employee2")
    assert post(client, NEW_SPEECH, {**submission(), "staged_file": token}).status_code == 400
    assert instances_of(factory, "employee") == 0 and instances_of(factory, "employee2") == 0


def test_an_oversized_file_gives_the_form_back_at_the_file_field(client, app, factory):
    services = app.extensions["kelisim.services"]
    services.settings = replace(services.settings, max_file_size=1024 * 1024)
    login(client, "employee")
    big = "ә".encode() * (700 * 1024)  # 1.4 MB of UTF-8 text
    response = post(client, NEW_SPEECH, submission(event_name="Kept value", text=""),
                    files=[("big.txt", big), ("small.txt", b"fine")])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "big.txt: The file is larger than 1 MB." in page
    assert 'id="field-file_ids-error"' in page  # at the file field
    assert 'value="Kept value"' in page and "small.txt" in page and len(tokens(page)) == 1
    assert instances_of(factory, "employee") == 0


def test_a_body_too_large_to_read_says_the_limit_in_the_users_language(client, app):
    login(client, "employee")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    token = csrf_from(client.get(NEW_SPEECH).get_data(as_text=True))
    for lang, words in (("kk", "Ештеңе сақталмады"), ("ru", "Ничего не сохранено"), ("en", "Nothing was saved")):
        body = (f'--XyZ\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
                '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="x.txt"\r\n\r\n').encode()
        response = client.post(NEW_SPEECH, data=body + bytes(100 * 1024) + b"\r\n--XyZ--\r\n",
                               content_type="multipart/form-data; boundary=XyZ", headers={"Accept-Language": lang})
        page = response.get_data(as_text=True)
        assert response.status_code == 413
        assert words in page and f'href="{NEW_SPEECH}"' in page  # a link back to the form
        assert "20" in page and "200" in page  # the per-file and video limits (MB)


def test_add_another_change_without_javascript(client):
    login(client, "amd.head")
    url = "/processes/policy_amendment/new"
    first = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert first.count('data-row>') == 1  # one empty slot, no fixed four
    response = post(client, url, {"changes.0.clause": "7.10.2", "changes.0.text": "New text kept",
                                  "changes.1.clause": "", "changes.1.text": "", "rationale": "Why",
                                  "_slots.changes": "2", "_action": "add:changes"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" not in page
    assert page.count('data-row>') == 3
    assert "New text kept" in page and ">Why</textarea>" in page
    assert 'name="changes.2.clause"' in page and "Change 3" in page
    assert post(client, url, {"rationale": "x", "_action": "add:rationale"}).status_code == 400
    assert post(client, url, {"rationale": "x", "_action": "explode"}).status_code == 400


def test_a_row_with_text_but_no_clause_is_not_dropped(client):
    login(client, "amd.head")
    response = post(client, "/processes/policy_amendment/new",
                    {"changes.0.clause": "", "changes.0.text": "My carefully written text", "rationale": "Why"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "My carefully written text" in page
    assert "Change 1 — Clause: This field is required." in page


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_received_files_are_shown_in_the_users_language(client, lang):
    login(client, "employee")
    page = post(client, NEW_SPEECH, submission(title=""), files=[("theses.txt", b"text")], lang=lang)
    words = {"kk": "Қабылданған файлдар", "ru": "Уже получены"}[lang]
    assert words in page.get_data(as_text=True)


def test_the_api_upload_limit_is_unchanged(client, app):
    """The JSON API still answers a too large file with 413 (docs/API.md)."""
    services = app.extensions["kelisim.services"]
    services.settings = replace(services.settings, max_file_size=1024)
    emp = api_token(client, "employee")
    iid = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()["id"]
    response = client.post(f"/api/v1/instances/{iid}/files", headers=emp, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(samples.txt() * 200), "t.txt")})
    assert response.status_code == 413
