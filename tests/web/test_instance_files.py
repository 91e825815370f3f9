"""Every file of an instance is listed on its page and in the API, for everyone who may read the instance;
PDFs and images open in the browser (inline, sandboxed), everything else downloads."""
from __future__ import annotations

import re

from tests import samples
from tests.conftest import api_token, login
from tests.helpers import api_complete as complete
from tests.helpers import api_ready as ready
from tests.helpers import api_upload
from tests.web.test_information_request_api import KEY, request_data

SCAN = samples.pdf("incoming letter scan")


def registered(client):
    """A request registered by the registry with its scanned letter; (instance id, scan file id)."""
    reg = api_token(client, "registry")
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=reg).get_json()
    iid = started["id"]
    fid = api_upload(client, reg, iid, "scan.pdf", SCAN)
    complete(client, reg, started["tasks"][0]["id"], request_data(file_ids=[fid]))
    return iid, fid


def test_the_scan_is_listed_and_readable_for_everyone_entitled(client):
    iid, fid = registered(client)
    rector, head, aud = (api_token(client, u) for u in ("rector", "unit.head", "auditor"))
    complete(client, rector, ready(client, rector, iid)["id"], {"decision": "provide", "responsible_unit": "FE-IS"})
    for headers in (api_token(client, "registry"), rector, head, aud):
        body = client.get(f"/api/v1/instances/{iid}", headers=headers).get_json()
        (scan,) = [f for f in body["files"] if f["id"] == fid]
        assert scan["name"] == "scan.pdf" and scan["version"] == 1 and scan["size"] == len(SCAN)
        assert scan["uploaded_by"] == "registry" and scan["content_type"] == "application/pdf"
        assert re.fullmatch(r"[0-9a-f]{64}", scan["sha256"])
        assert scan["uploaded_at"] and "T" in scan["uploaded_at"]
        got = client.get(f"/api/v1/files/{fid}", headers=headers, buffered=True)
        assert got.status_code == 200 and got.data == SCAN
        assert got.headers["Content-Disposition"].startswith("attachment")
    outsider = api_token(client, "employee")
    assert client.get(f"/api/v1/instances/{iid}", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/files/{fid}", headers=outsider).status_code == 404


def test_instance_page_lists_the_files_with_open_and_download(client):
    iid, fid = registered(client)
    login(client, "rector")
    html = client.get(f"/instances/{iid}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'id="files-title"' in html and "scan.pdf" in html
    assert f'href="/files/{fid}/view"' in html and f'href="/files/{fid}"' in html
    sha = client.get(f"/api/v1/instances/{iid}", headers=api_token(client, "rector")).get_json()["files"][0]["sha256"]
    assert sha in html
    files_section = html.split('id="files-title"', 1)[1].split("</section>", 1)[0]
    assert "Uploaded by" in files_section and "Жанна Әміржанқызы Бекова" in files_section  # the full name
    # the request keeps no versions: no empty "Submitted versions / nothing submitted yet" block
    assert "Nothing has been submitted yet." not in html and 'id="versions-title"' not in html
    assert 'data-label="Fingerprint (SHA-256)"' in files_section and 'class="table table-files"' in files_section


def test_view_opens_pdf_and_images_inline_sandboxed(client):
    _, fid = registered(client)
    login(client, "registry")
    pdf = client.get(f"/files/{fid}/view", buffered=True)
    assert pdf.status_code == 200 and pdf.data == SCAN and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("inline")
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    csp = pdf.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script-src" not in csp
    assert pdf.headers["Cache-Control"] == "no-store"


def test_other_types_still_download_and_access_is_checked(client):
    reg = api_token(client, "registry")
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=reg).get_json()
    iid = started["id"]
    scan_png = api_upload(client, reg, iid, "scan.png", samples.png("scan"))
    scan_jpg = api_upload(client, reg, iid, "scan-2.jpg", samples.jpeg("scan"))
    note = api_upload(client, reg, iid, "note.txt", samples.txt())
    complete(client, reg, started["tasks"][0]["id"], request_data(file_ids=[scan_png, scan_jpg, note]))
    login(client, "auditor")
    for fid, mimetype in ((scan_png, "image/png"), (scan_jpg, "image/jpeg")):
        shown = client.get(f"/files/{fid}/view", buffered=True)
        assert shown.status_code == 200 and shown.mimetype == mimetype
        assert shown.headers["Content-Disposition"].startswith("inline")
        assert "sandbox" in shown.headers["Content-Security-Policy"]
    text = client.get(f"/files/{note}/view", buffered=True)
    assert text.status_code == 200 and text.headers["Content-Disposition"].startswith("attachment")
    assert text.headers["X-Content-Type-Options"] == "nosniff"
    html = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert f'href="/files/{scan_png}/view"' in html and f'href="/files/{note}/view"' not in html
    assert f'href="/files/{note}"' in html
    login(client, "employee")
    assert client.get(f"/files/{scan_png}/view").status_code == 404
    assert client.get(f"/files/{scan_png}").status_code == 404
    assert client.get("/files/999999/view").status_code == 404
    assert client.get("/files/abc/view").status_code == 404


def test_view_needs_a_login(client):
    _, fid = registered(client)
    response = client.get(f"/files/{fid}/view", buffered=True)
    assert response.status_code in (302, 401)
    assert not response.headers.get("Content-Disposition")
