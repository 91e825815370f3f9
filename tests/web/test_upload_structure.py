"""POST /api/v1/instances/<id>/files checks the whole file by its structure: genuine files of every
accepted type are stored; disguised, polyglot, active and bomb files get 422 with a message that says
what is wrong, and nothing is kept (no blob, no temporary file, no row, no audit entry)."""
from __future__ import annotations

import hashlib
import io

import pytest

from storage import blobs
from storage.models import StoredFile
from tests import samples
from tests.conftest import api_token

HTML = b"<html><body><script>alert(document.domain)</script></body></html>\n"


@pytest.fixture
def store(app) -> blobs.BlobStore:
    return app.extensions["kelisim.services"].blobs


def start(client, headers, process) -> int:
    response = client.post(f"/api/v1/processes/{process}/instances", headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def post(client, headers, iid, name, content, lang="en"):
    """The multipart body written here: Werkzeug's test client would spool one over 500 KB to a
    temporary file that it never closes."""
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name.encode() + b"\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n--XyZ--\r\n")
    return client.post(f"/api/v1/instances/{iid}/files", headers={**headers, "Accept-Language": lang}, data=body,
                       content_type="multipart/form-data; boundary=XyZ")


def test_genuine_files_of_every_accepted_type_are_stored(client, store):
    emp, head = api_token(client, "employee"), api_token(client, "unit.head")
    speech, material = start(client, emp, "speech_clearance"), start(client, head, "material_signoff")
    for headers, iid, name, content, content_type in [
        (emp, speech, "theses.pdf", samples.pdf("theses"), "application/pdf"),
        (emp, speech, "theses.docx", samples.docx(), "application/vnd.openxmlformats-officedocument"
                                                     ".wordprocessingml.document"),
        (emp, speech, "theses.odt", samples.odt(), "application/vnd.oasis.opendocument.text"),
        (emp, speech, "theses.rtf", samples.rtf(), "application/rtf"),
        (emp, speech, "theses.txt", samples.txt(), "text/plain"),
        (emp, speech, "theses.doc", samples.doc(), "application/msword"),
        (head, material, "poster.png", samples.png(), "image/png"),
        (head, material, "photo.jpg", samples.jpeg(), "image/jpeg"),
        (head, material, "photo.jpeg", samples.jpeg("second"), "image/jpeg"),
        (head, material, "slides.pptx", samples.pptx(), "application/vnd.openxmlformats-officedocument"
                                                        ".presentationml.presentation"),
        (head, material, "clip.mp4", samples.mp4(media=bytes(2 * 1024 * 1024)), "video/mp4"),
        (head, material, "booklet.pdf", samples.pdf("booklet", padding=3 * 1024 * 1024), "application/pdf"),
    ]:
        response = post(client, headers, iid, name, content)
        assert response.status_code == 201, (name, response.get_json())
        body = response.get_json()
        assert body["content_type"] == content_type and body["sha256"] == hashlib.sha256(content).hexdigest()
        assert store.path(body["sha256"]).read_bytes() == content
    assert list(store.tmp.iterdir()) == []


REFUSED = [
    # (name, content, the English message)
    ("theses.odt", samples.zip_bomb(1 << 30),  # 1 MB -> 1 GiB
     "The file would take up too much space when unpacked or decoded."),
    ("theses.odt", samples.zip_bomb(1 << 20, first=("readme.txt", b"hello")),  # a plain ZIP
     "The file's content does not match its extension .odt."),
    ("theses.odt", samples.odt(extra={"evil.exe": b"MZ\x90\x00"}),
     "The file contains macros, scripts or programs, which are not accepted."),
    ("theses.docx", samples.ooxml("docx", extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}),
     "The file contains macros, scripts or programs, which are not accepted."),
    ("theses.pdf", b"%PDF",
     "The file is damaged or is not a valid .pdf file."),
    ("theses.pdf", b"%PDF-1.7\n" + HTML,
     "The file has other data hidden in it or appended to it (for example HTML or a ZIP archive)."),
    ("theses.pdf", samples.pdf() + HTML,
     "The file has other data hidden in it or appended to it (for example HTML or a ZIP archive)."),
    ("theses.txt", "Сәлем\n".encode() * 3000 + b"\xc3\x28",
     "A .txt file must be UTF-8 text."),
]


@pytest.mark.parametrize("name, content, message", REFUSED, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(REFUSED)])
def test_refused_with_a_message_and_nothing_kept(client, store, factory, name, content, message):
    emp = api_token(client, "employee")
    iid = start(client, emp, "speech_clearance")
    response = post(client, emp, iid, name, content)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"] == {"file": message}
    assert not store.exists(hashlib.sha256(content).hexdigest())
    assert list(store.tmp.iterdir()) == []
    with factory() as session:
        assert session.query(StoredFile).filter_by(instance_id=iid).count() == 0
    events = client.get(f"/api/v1/instances/{iid}/events", headers=api_token(client, "auditor")).get_json()
    assert "file_uploaded" not in {e["action"] for e in events}


@pytest.mark.parametrize("name, content", [
    ("poster.png", samples.png() + HTML),  # PNG then HTML
    ("photo.jpg", samples.jpeg() + samples.zip_bomb(1 << 20, first=None)),  # JPEG then ZIP
    ("clip.mp4", samples.mp4()[:32] + HTML),  # MP4 header then HTML
])
def test_image_and_video_polyglots_are_refused(client, store, name, content):
    head = api_token(client, "unit.head")
    iid = start(client, head, "material_signoff")
    response = post(client, head, iid, name, content)
    assert response.status_code == 422
    assert response.get_json()["errors"]["file"].startswith("The file has other data hidden in it")
    assert not store.exists(hashlib.sha256(content).hexdigest()) and list(store.tmp.iterdir()) == []


def test_the_message_is_translated(client):
    emp = api_token(client, "employee")
    iid = start(client, emp, "speech_clearance")
    for lang, words in (("kk", "бүлінген"), ("ru", "повреждён")):
        response = post(client, emp, iid, "theses.pdf", b"%PDF", lang=lang)
        assert response.status_code == 422 and words in response.get_json()["errors"]["file"]


def test_oversized_video_is_413_before_any_check(client, app, store):
    from dataclasses import replace

    services = app.extensions["kelisim.services"]
    services.settings = replace(services.settings, max_video_size=1024)
    head = api_token(client, "unit.head")
    iid = start(client, head, "material_signoff")
    response = post(client, head, iid, "clip.mp4", samples.mp4(media=bytes(4096)))
    assert response.status_code == 413 and list(store.tmp.iterdir()) == []


def test_a_refused_stream_from_a_use_case_leaves_nothing_either(act, services):
    """files.upload with a plain stream (not a web spool): copied to a spool, checked, never stored."""
    from processes.usecases import files, instances
    from processes.usecases.errors import Invalid

    inst = act("employee", instances.start_instance, "speech_clearance")
    for name, content in (("theses.pdf", b"PK\x03\x04" + bytes(5000)), ("theses.pdf", samples.pdf() + HTML)):
        with pytest.raises(Invalid):
            act("employee", files.upload, inst.id, name, io.BytesIO(content))
        assert not services.blobs.exists(hashlib.sha256(content).hexdigest())
        assert list(services.blobs.tmp.iterdir()) == []
    stored = act("employee", files.upload, inst.id, "theses.pdf", io.BytesIO(samples.pdf()))
    assert services.blobs.path(stored.sha256).read_bytes() == samples.pdf()
    assert list(services.blobs.tmp.iterdir()) == []
