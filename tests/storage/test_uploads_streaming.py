"""Uploads are written to disk once: a Spool hashes as Werkzeug writes it, BlobStore.put adopts it."""
from __future__ import annotations

import hashlib
import io
import os

import pytest

from storage import blobs
from tests import samples
from tests.conftest import api_token


def _spool(store: blobs.BlobStore, data: bytes, chunk: int = 5000) -> blobs.Spool:
    spool = store.new_spool()
    for i in range(0, len(data), chunk):
        spool.write(data[i:i + chunk])
    spool.seek(0)  # what Werkzeug's parser does at the end of a file part
    return spool


def _leftovers(store: blobs.BlobStore) -> list[str]:
    return sorted(p.name for p in store.tmp.iterdir())


# --- the spool and its adoption ---------------------------------------------------------------

def test_spool_hashes_as_written_and_put_adopts_it_without_a_copy(tmp_path, monkeypatch):
    store = blobs.BlobStore(tmp_path)
    data = os.urandom(50_000)
    spool = _spool(store, data)
    assert (spool.size, spool.sha256, spool.head) == (len(data), hashlib.sha256(data).hexdigest(), data[:8192])
    assert spool.path.parent == store.tmp and spool.path.name.endswith(".part")
    inode = os.stat(spool.path).st_ino
    for name in ("read", "read1", "readinto", "readline"):  # adoption reads nothing back
        monkeypatch.setattr(blobs.Spool, name, lambda *a, **k: pytest.fail("the spool was read"))
    blob = store.put(spool, max_size=len(data))
    monkeypatch.undo()
    assert blob == blobs.Blob(hashlib.sha256(data).hexdigest(), len(data), data[:8192])
    final = store.path(blob.sha256)
    assert os.stat(final).st_ino == inode  # the temp file became the blob: renamed, not copied
    assert final.read_bytes() == data
    assert _leftovers(store) == []
    spool.close()  # adopted: closing it keeps the blob
    assert final.read_bytes() == data


def test_filestorage_around_a_spool_is_adopted_too(tmp_path):
    from werkzeug.datastructures import FileStorage

    store = blobs.BlobStore(tmp_path)
    spool = _spool(store, b"%PDF-1.7\nbody")
    inode = os.stat(spool.path).st_ino
    blob = store.put(FileStorage(spool, "a.pdf", "file"), max_size=100)
    assert os.stat(store.path(blob.sha256)).st_ino == inode and _leftovers(store) == []


def test_too_large_spool_is_refused_and_deleted(tmp_path):
    store = blobs.BlobStore(tmp_path)
    spool = _spool(store, b"x" * 101)
    with pytest.raises(blobs.TooLarge):
        store.put(spool, max_size=100)
    assert spool.closed and _leftovers(store) == []
    assert not store.exists(hashlib.sha256(b"x" * 101).hexdigest())


def test_unadopted_spool_is_deleted_on_close_and_an_empty_one_never_touches_disk(tmp_path):
    store = blobs.BlobStore(tmp_path)
    spool = _spool(store, b"abc")
    assert spool.path.exists()
    spool.close()
    assert not spool.path.exists() and _leftovers(store) == []
    empty = store.new_spool()
    empty.seek(0)
    assert empty.read() == b"" and not empty.path.exists()
    blob = store.put(empty, max_size=10)
    assert blob == blobs.Blob(hashlib.sha256(b"").hexdigest(), 0, b"") and store.exists(blob.sha256)
    assert _leftovers(store) == []


def test_spool_is_written_once_sequentially(tmp_path):
    store = blobs.BlobStore(tmp_path)
    spool = _spool(store, b"hello world")
    with pytest.raises(io.UnsupportedOperation):
        spool.write(b"more")  # finished: the hash stays the hash of the content
    assert spool.read(5) == b"hello"
    # not rewound: put copies the rest, as for any stream, and leaves the spool to its owner
    blob = store.put(spool, max_size=100)
    assert store.path(blob.sha256).read_bytes() == b" world"
    assert spool.path.exists()
    spool.close()
    assert _leftovers(store) == []


def test_a_spool_of_another_store_is_copied(tmp_path):
    a, b = blobs.BlobStore(tmp_path / "a"), blobs.BlobStore(tmp_path / "b")
    spool = _spool(a, b"shared")
    blob = b.put(spool, max_size=100)
    assert b.path(blob.sha256).read_bytes() == b"shared" and spool.path.exists()
    spool.close()
    assert _leftovers(a) == [] and _leftovers(b) == []


# --- through the Flask application ------------------------------------------------------------

def _start(client, headers) -> int:
    response = client.post("/api/v1/processes/speech_clearance/instances", headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.fixture
def store(app) -> blobs.BlobStore:
    return app.extensions["kelisim.services"].blobs


def test_upload_through_the_app_is_the_adopted_spool(client, store, monkeypatch):
    emp = api_token(client, "employee")
    iid = _start(client, emp)
    seen = []
    original = store.put

    def put(stream, max_size):
        seen.append((type(stream), os.stat(stream.path).st_ino))
        return original(stream, max_size)

    monkeypatch.setattr(store, "put", put)
    content = samples.pdf("theses", padding=300_000)
    response = client.post(f"/api/v1/instances/{iid}/files", headers=emp,
                           data={"file": (io.BytesIO(content), "theses.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    sha = hashlib.sha256(content).hexdigest()
    assert response.get_json()["sha256"] == sha and response.get_json()["size"] == len(content)
    assert seen and seen[0][0] is blobs.Spool
    assert os.stat(store.path(sha)).st_ino == seen[0][1]  # the parser's file is the blob
    assert store.path(sha).read_bytes() == content
    assert _leftovers(store) == []
    download = client.get(f"/api/v1/files/{response.get_json()['id']}", headers=emp, buffered=True)
    assert download.status_code == 200 and hashlib.sha256(download.data).hexdigest() == sha


def test_refused_uploads_leave_nothing_in_tmp(client, store):
    emp = api_token(client, "employee")
    iid = _start(client, emp)
    url = f"/api/v1/instances/{iid}/files"

    def up(field, name, content, headers=emp):
        return client.post(url, headers=headers, data={field: (io.BytesIO(content), name)},
                           content_type="multipart/form-data")

    disguised = up("file", "theses.pdf", b"PK\x03\x04" + b"\x00" * 20_000)
    assert disguised.status_code == 422 and _leftovers(store) == []
    assert up("file", "theses.exe", b"MZ\x90\x00" * 5000).status_code == 422 and _leftovers(store) == []
    assert up("other", "theses.pdf", b"%PDF-1.7\n" * 5000).status_code == 400 and _leftovers(store) == []
    other = api_token(client, "employee2")
    assert up("file", "a.pdf", b"%PDF-1.7\n" * 5000, headers=other).status_code == 404
    assert up("file", "a.pdf", b"%PDF-1.7\n" * 5000, headers={}).status_code == 401
    assert _leftovers(store) == []


def test_broken_multipart_leaves_nothing_in_tmp(client, store):
    emp = api_token(client, "employee")
    iid = _start(client, emp)
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
            b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n" + os.urandom(200_000))  # no closing boundary
    response = client.post(f"/api/v1/instances/{iid}/files", headers=emp, data=body,
                           content_type="multipart/form-data; boundary=XyZ")
    assert 400 <= response.status_code < 500
    assert _leftovers(store) == []


def test_form_fields_never_go_to_disk(client, store, monkeypatch):
    made = []
    original = store.new_spool
    monkeypatch.setattr(store, "new_spool", lambda: made.append(1) or original())
    emp = api_token(client, "employee")
    iid = _start(client, emp)
    response = client.post(f"/api/v1/instances/{iid}/files", headers=emp, data={"file": "x" * 100_000},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and made == [] and _leftovers(store) == []
