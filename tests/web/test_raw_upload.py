"""Raw-body uploads: `PUT /api/v1/instances/<id>/files/<name>` with the file's bytes as the body. The same
access and file checks, audit entry and answer as the multipart upload; every refusal keeps nothing (no
row, no stored file, no temporary file). Through the test client, and through a real `kelisim serve`,
where the body is received straight into the blob store while it arrives."""
from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from sqlalchemy import func, select

from storage.models import AuditEvent, StoredFile
from tests import samples
from tests.conftest import DEMO_PASSWORD, api_token
from tests.helpers import kelisim_command
from tests.service.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
PDF = samples.pdf("speech text")
PROCESS = "speech_clearance"  # accepts pdf, docx, doc, odt, rtf, txt; its first task takes files


def _start(client, username: str = "employee") -> tuple[dict[str, str], int]:
    headers = api_token(client, username)
    started = client.post(f"/api/v1/processes/{PROCESS}/instances", headers=headers)
    assert started.status_code == 201, started.get_json()
    return headers, started.get_json()["id"]


def _digest(data: bytes) -> str:
    return f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"


class Kept:
    """What the blob store and the database hold, to show that a refusal kept nothing."""

    def __init__(self, app):
        self.app = app
        self.blobs = app.extensions["kelisim.services"].blobs

    def snapshot(self) -> tuple[int, int, set[str], list[str]]:
        factory = self.app.extensions["kelisim.db"]
        with factory() as session:
            rows = session.execute(select(func.count()).select_from(StoredFile)).scalar_one()
            audited = session.execute(select(func.count()).select_from(AuditEvent)
                                      .where(AuditEvent.action == "file_uploaded")).scalar_one()
        stored = {p.name for p in self.blobs.root.glob("??/??/*")}
        temporary = sorted(p.name for p in self.blobs.tmp.iterdir())
        return rows, audited, stored, temporary


@pytest.fixture
def kept(app):
    return Kept(app)


def test_a_raw_upload_is_stored_audited_and_answered_as_a_multipart_one(client, app, kept):
    headers, iid = _start(client)
    raw = client.put(f"/api/v1/instances/{iid}/files/{quote('Сөз сөйлеу.pdf')}", data=PDF,
                     headers={**headers, "Content-Type": "application/octet-stream"})
    assert raw.status_code == 201, raw.get_json()
    body = raw.get_json()
    assert body["name"] == "Сөз сөйлеу.pdf" and body["size"] == len(PDF) and body["version"] == 1
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["content_type"] == "application/pdf"
    assert body["uploaded_by"] == "employee"
    # the stored bytes, under their SHA-256, and nothing left in tmp/
    assert kept.blobs.path(body["sha256"]).read_bytes() == PDF
    assert kept.snapshot()[3] == []
    got = client.get(f"/api/v1/files/{body['id']}", headers=headers, buffered=True)
    assert got.status_code == 200 and got.data == PDF

    multipart = client.post(f"/api/v1/instances/{iid}/files", headers=headers,
                            data={"file": (io.BytesIO(PDF), "Сөз сөйлеу.pdf")}, content_type="multipart/form-data")
    assert multipart.status_code == 201
    other = multipart.get_json()
    assert set(other) == set(body)  # the same answer
    assert {k: other[k] for k in ("name", "size", "sha256", "content_type", "uploaded_by")} == \
        {k: body[k] for k in ("name", "size", "sha256", "content_type", "uploaded_by")}
    # the next version of a document, whichever way each version came
    first = client.post(f"/api/v1/instances/{iid}/files", headers=headers,
                        data={"file": (io.BytesIO(PDF), "speech.pdf")}, content_type="multipart/form-data")
    second = client.put(f"/api/v1/instances/{iid}/files/speech.pdf", data=PDF, headers=headers)
    assert first.get_json()["version"] == 1 and second.get_json()["version"] == 2

    with app.extensions["kelisim.db"]() as session:
        events = session.execute(select(AuditEvent).where(AuditEvent.action == "file_uploaded")
                                 .order_by(AuditEvent.seq)).scalars().all()
    by_object = {e.object: e for e in events}
    raw_event, multipart_event = by_object[f"file:{body['id']}"], by_object[f"file:{other['id']}"]
    assert raw_event.instance_id == iid and raw_event.data == {
        "name": "Сөз сөйлеу.pdf", "version": 1, "size": len(PDF), "sha256": body["sha256"],
        "content_type": "application/pdf"}
    assert set(raw_event.data) == set(multipart_event.data)


def test_the_declared_digest_is_checked_before_anything_is_kept(client, kept):
    headers, iid = _start(client)
    good = client.put(f"/api/v1/instances/{iid}/files/a.txt", data=b"whole text\n",
                      headers={**headers, "Content-Digest": f"md5=:xyz:, {_digest(b'whole text' + bytes([10]))}"})
    assert good.status_code == 201, good.get_json()
    before = kept.snapshot()
    wrong = client.put(f"/api/v1/instances/{iid}/files/b.txt", data=b"whole te",
                       headers={**headers, "Content-Digest": _digest(b"whole text\n")})
    assert wrong.status_code == 422
    assert "Content-Digest" in wrong.get_json()["errors"]["file"]
    for bad in ("sha-256=:abc:", "sha-256=" + hashlib.sha256(b"x").hexdigest(), "md5=:AAAA:"):
        malformed = client.put(f"/api/v1/instances/{iid}/files/c.txt", data=b"text\n",
                               headers={**headers, "Content-Digest": bad})
        assert malformed.status_code == 400, bad
        assert "sha-256" in malformed.get_json()["error"]
    assert kept.snapshot() == before


@pytest.mark.parametrize("path", ["..%2Fup.pdf", "a%2F..%2F..%2Fb.pdf", "dir/b.pdf", "/etc/b.pdf", "x%00.pdf",
                                  "x%0A.pdf", "x%E2%80%AE.pdf", "%20", ".pdf", "noextension", ""])
def test_bad_names_are_refused_and_nothing_is_kept(client, kept, path):
    headers, iid = _start(client)
    before = kept.snapshot()
    response = client.put(f"/api/v1/instances/{iid}/files/{path}", data=PDF, headers=headers)
    assert 400 <= response.status_code < 500 and response.status_code != 404, path
    assert response.get_json()["errors"]["file"]  # says what is wrong with the name
    assert kept.snapshot() == before


def test_the_path_without_a_name_is_refused(client, kept):
    headers, iid = _start(client)
    before = kept.snapshot()
    response = client.put(f"/api/v1/instances/{iid}/files", data=PDF, headers=headers)
    assert response.status_code == 422 and response.get_json()["errors"]["file"]
    assert kept.snapshot() == before


@pytest.mark.parametrize("name,data", [
    ("fake.pdf", b"plain text, not a PDF\n"),
    ("fake.docx", PDF),
    ("fake.txt", b"\xff\xfe not utf-8"),
    ("picture.png", samples.png()),  # a sound PNG, but not a type this process accepts
    ("empty.pdf", b""),
])
def test_a_type_that_does_not_match_its_bytes_is_refused_and_nothing_is_kept(client, kept, name, data):
    headers, iid = _start(client)
    before = kept.snapshot()
    response = client.put(f"/api/v1/instances/{iid}/files/{name}", data=data, headers=headers,
                          environ_overrides={"CONTENT_LENGTH": str(len(data))})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"]["file"]
    assert kept.snapshot() == before


def test_a_wrong_declared_length_is_refused_and_nothing_is_kept(client, kept):
    headers, iid = _start(client)
    before = kept.snapshot()
    # longer than the body: the body ends early
    longer = client.put(f"/api/v1/instances/{iid}/files/a.pdf", data=PDF, headers=headers,
                        environ_overrides={"CONTENT_LENGTH": str(len(PDF) + 100)})
    assert longer.status_code == 400 and "Content-Length" in longer.get_json()["error"]
    # shorter than the body: the file read is cut short, which its check finds…
    shorter = client.put(f"/api/v1/instances/{iid}/files/b.pdf", data=PDF, headers=headers,
                         environ_overrides={"CONTENT_LENGTH": str(len(PDF) - 100)})
    assert shorter.status_code == 422
    # …and so does the declared digest, for a type that would still be sound cut short
    text = "Сәлем, әлем!\n".encode() * 10
    cut = client.put(f"/api/v1/instances/{iid}/files/c.txt", data=text,
                     headers={**headers, "Content-Digest": _digest(text)},
                     environ_overrides={"CONTENT_LENGTH": str(len(text) - 13)})
    assert cut.status_code == 422
    assert kept.snapshot() == before


def test_without_a_length_411_unless_the_server_terminates_the_stream(client, kept):
    headers, iid = _start(client)
    before = kept.snapshot()
    chunked_headers = {**headers, "Transfer-Encoding": "chunked"}  # Werkzeug: no length then
    missing = client.put(f"/api/v1/instances/{iid}/files/a.pdf", data=PDF, headers=chunked_headers)
    assert missing.status_code == 411 and "Content-Length" in missing.get_json()["error"]
    assert kept.snapshot() == before
    # a server that de-chunks a chunked body and ends the stream (wsgi.input_terminated)
    chunked = client.put(f"/api/v1/instances/{iid}/files/a.pdf", data=PDF, headers=chunked_headers,
                         environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 201 and chunked.get_json()["size"] == len(PDF)


def test_size_limits_as_for_multipart(app, client, kept):
    headers, iid = _start(client)
    before = kept.snapshot()
    limit = app.config["MAX_FILE_SIZE"]
    # declared over the file limit (but within the request limit): refused before a byte is read
    declared = client.put(f"/api/v1/instances/{iid}/files/big.pdf", data=PDF, headers=headers,
                          environ_overrides={"CONTENT_LENGTH": str(limit + 1)})
    assert declared.status_code == 413
    over_request = client.put(f"/api/v1/instances/{iid}/files/big.pdf", data=PDF, headers=headers,
                              environ_overrides={"CONTENT_LENGTH": str(app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert over_request.status_code == 413
    # a stream without a length that goes on past the limit
    endless = client.put(f"/api/v1/instances/{iid}/files/big.txt", data=b"a" * (limit + 10),
                         headers={**headers, "Transfer-Encoding": "chunked"},
                         environ_overrides={"wsgi.input_terminated": True})
    assert endless.status_code == 413
    assert kept.snapshot() == before


def test_access_is_checked_as_for_multipart(client, kept):
    headers, iid = _start(client)
    before = kept.snapshot()
    anonymous = client.put(f"/api/v1/instances/{iid}/files/a.pdf", data=PDF)
    assert anonymous.status_code == 401
    for other in ("employee2", "rector"):  # cannot see the instance / sees it but holds no task in it
        outsider = client.put(f"/api/v1/instances/{iid}/files/a.pdf", data=PDF, headers=api_token(client, other))
        assert outsider.status_code in (403, 404), other
    missing = client.put("/api/v1/instances/999999/files/a.pdf", data=PDF, headers=headers)
    assert missing.status_code == 404
    assert kept.snapshot() == before


# --- through the real server ---------------------------------------------------------------------------

@pytest.fixture
def server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KELISIM_")}
    env.update(KELISIM_DATA_DIR=str(tmp_path), KELISIM_LOG_LEVEL="WARNING", KELISIM_DEMO_PASSWORD=DEMO_PASSWORD,
               KELISIM_DATABASE_URL=f"sqlite:///{tmp_path / 'kelisim.sqlite3'}", NO_PROXY="127.0.0.1")
    for args in (("db", "upgrade"), ("seed-demo",)):
        subprocess.run(kelisim_command(*args), env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(kelisim_command("serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker",
                                            "--read-timeout", "3"),
                            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    http = requests.Session()
    http.trust_env = False
    deadline = time.monotonic() + 60
    while True:
        try:
            if http.get(f"{base}/healthz", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
        time.sleep(0.2)
    yield base, port, http, tmp_path / "blobs"
    http.close()
    proc.terminate()
    assert proc.wait(20) == 0
    log.close()


def _temporary(blobs: Path) -> list[str]:
    return sorted(p.name for p in (blobs / "tmp").iterdir())


def _stored(blobs: Path) -> set[str]:
    return {p.name for p in blobs.glob("??/??/*")}


def test_through_the_server_the_body_streams_into_the_blob_store(server):
    base, port, http, blobs = server
    token = http.post(f"{base}/api/v1/tokens", json={"username": "employee", "password": DEMO_PASSWORD}, timeout=30)
    auth = {"Authorization": f"Bearer {token.json()['token']}"}
    iid = http.post(f"{base}/api/v1/processes/{PROCESS}/instances", headers=auth, timeout=30).json()["id"]
    big = samples.pdf("big speech", padding=3 * 1024 * 1024)
    sha = hashlib.sha256(big).hexdigest()

    def pieces(data: bytes, size: int = 256 * 1024):
        for start in range(0, len(data), size):
            yield data[start:start + size]

    # with a length, and chunked (no length): both stored whole, the same answer as multipart
    sized = http.put(f"{base}/api/v1/instances/{iid}/files/big.pdf", data=big, timeout=60,
                     headers={**auth, "Content-Digest": _digest(big)})
    assert sized.status_code == 201, sized.text
    chunked = http.put(f"{base}/api/v1/instances/{iid}/files/big.pdf", data=pieces(big), headers=auth, timeout=60)
    assert chunked.status_code == 201, chunked.text
    assert sized.json()["sha256"] == chunked.json()["sha256"] == sha and chunked.json()["version"] == 2
    assert (blobs / sha[:2] / sha[2:4] / sha).read_bytes() == big
    assert _temporary(blobs) == []
    downloaded = http.get(f"{base}/api/v1/files/{sized.json()['id']}", headers=auth, timeout=60)
    assert downloaded.content == big

    stored = _stored(blobs)
    # refusals keep nothing: a type that does not match, a name with a path, a wrong digest, no token
    for name, data, extra in (("fake.pdf", b"not a pdf" * 100_000, {}), ("..%2Fx.pdf", big, {}),
                              ("x.pdf", big, {"Content-Digest": _digest(b"other")})):
        refused = http.put(f"{base}/api/v1/instances/{iid}/files/{name}", data=data, headers={**auth, **extra},
                           timeout=60)
        assert refused.status_code == 422, (name, refused.text)
    assert http.put(f"{base}/api/v1/instances/{iid}/files/x.pdf", data=big, timeout=60).status_code == 401
    assert _stored(blobs) == stored and _temporary(blobs) == []

    # a body that stops half-way: received into a temporary file of the blob store as it arrives
    # (the server does not hold it in memory), deleted when the connection ends; no row
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"PUT /api/v1/instances/{iid}/files/half.pdf HTTP/1.1\r\nHost: kelisim\r\n"
                 f"Authorization: {auth['Authorization']}\r\nContent-Length: {len(big)}\r\n\r\n".encode()
                 + big[:len(big) // 2])
    deadline = time.monotonic() + 10
    while not [p for p in (blobs / "tmp").iterdir() if p.stat().st_size == len(big) // 2]:
        assert time.monotonic() < deadline, _temporary(blobs)
        time.sleep(0.05)
    sock.close()
    deadline = time.monotonic() + 10
    while _temporary(blobs):
        assert time.monotonic() < deadline, _temporary(blobs)
        time.sleep(0.05)
    listed = http.get(f"{base}/api/v1/instances/{iid}", headers=auth, timeout=30).json()["files"]
    assert [f["name"] for f in listed] == ["big.pdf", "big.pdf"]
    assert _stored(blobs) == stored
