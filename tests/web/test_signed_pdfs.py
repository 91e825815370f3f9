"""Signed PDFs on the web and on the command line (issue 17): the public signing certificate, the upload check
(`POST /api/v1/verify-pdf` and the verification page's form), the signature shown by `/verify/<code>`, and
`kelisim verify-pdf` offline."""
from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from processes import rendering
from processes.usecases import instances
from storage.models import Document
from tests.conftest import csrf_from
from tests.service.helpers import my_task, start_and_submit


@pytest.fixture
def issued(act, factory, services) -> tuple[Document, bytes]:
    """A clearance certificate, issued and rendered (signed): its row and its PDF."""
    iid = start_and_submit(act)
    act("vr.finance", instances.complete_task, my_task(act, "vr.finance", iid).id, {"decision": "approve"})
    rendering.render_pending(factory, services)
    with factory() as s:
        doc = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
    return doc, services.blobs.path(doc.sha256).read_bytes()


def with_page(pdf: bytes) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(client, data: bytes, name: str = "document.pdf", path: str = "/api/v1/verify-pdf", **fields):
    from werkzeug.test import EnvironBuilder

    # built here to be closed here: Werkzeug encodes a body over 500 KB into a temporary file (the environ's
    # wsgi.input), which neither the builder nor the client closes
    builder = EnvironBuilder(path=path, method="POST", data={"file": (io.BytesIO(data), name), **fields})
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def test_the_signing_certificate_chain_is_public_pem(client, signing_keys):
    response = client.get("/api/v1/signing/certificate")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.count("BEGIN CERTIFICATE") == 2
    assert text.endswith(signing_keys.root_pem.read_text())  # the chain ends with the demo root


def test_the_genuine_pdf_is_recognised_with_its_register_entry(client, issued):
    doc, pdf = issued
    body = upload(client, pdf).get_json()
    assert body["genuine"] is True and body["problems"] == [] and body["signer"] == "KInEU (demo)"
    assert body["matched_by"] == "sha256" and body["superseded"] is False and body["sha256"] == doc.sha256
    assert body["document"]["reg_number"] == doc.reg_number
    assert body["document"]["verify_url"].endswith(f"/verify/{doc.verification_code}")
    assert body["signed_at"] and body["timestamp"] is None


def test_a_tampered_pdf_is_reported_with_its_reason(client, issued):
    doc, pdf = issued
    changed = bytearray(pdf)
    changed[len(pdf) // 5] ^= 0x01
    body = upload(client, bytes(changed)).get_json()
    assert body["genuine"] is False and "altered" in body["problems"] and body["reasons"]
    added = upload(client, with_page(pdf)).get_json()
    assert added["genuine"] is False and added["problems"] == ["changed_after_signing"]
    assert added["matched_by"] == "signed_content" and added["document"]["reg_number"] == doc.reg_number


def test_bad_uploads_get_a_clear_4xx(client, issued, db_url, tmp_path):
    from pypdf import PdfReader, PdfWriter

    _doc, pdf = issued
    assert upload(client, b"plain text, not a PDF", "notes.pdf").status_code == 422
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt("secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    encrypted = upload(client, out.getvalue())
    assert encrypted.status_code == 422 and encrypted.get_json()["reason"] == "encrypted"
    assert client.post("/api/v1/verify-pdf", data={}, content_type="multipart/form-data").status_code == 400
    from web import create_app

    small = create_app({"DATA_DIR": tmp_path / "small", "DATABASE_URL": db_url, "SECRET_KEY": "x", "TESTING": True,
                        "MAX_FILE_SIZE": 1024 * 1024})  # the document limit, 1 MB here
    too_large = upload(small.test_client(), pdf + b"%" * (1024 * 1024))
    assert too_large.status_code == 413 and " 1 " in too_large.get_json()["error"]  # "larger than 1 MB"
    small.extensions["kelisim.engine"].dispose()


def test_the_verification_page_checks_an_upload_with_its_csrf_token(client, issued):
    doc, pdf = issued
    page = client.get("/verify")
    assert page.status_code == 200 and 'name="file"' in page.get_data(as_text=True)
    assert upload(client, pdf, path="/verify/pdf").status_code == 400  # no CSRF token: refused
    token = csrf_from(page.get_data(as_text=True))
    genuine = upload(client, pdf, path="/verify/pdf", csrf_token=token)
    html = genuine.get_data(as_text=True)
    assert genuine.status_code == 200 and "verdict-ok" in html and doc.reg_number in html
    tampered = upload(client, with_page(pdf), path="/verify/pdf", csrf_token=token)
    assert tampered.status_code == 200 and "verdict-bad" in tampered.get_data(as_text=True)
    refused = upload(client, b"not a pdf", path="/verify/pdf", csrf_token=token)
    assert refused.status_code == 422 and "field-error" in refused.get_data(as_text=True)


def test_the_code_check_shows_the_signature_of_the_stored_pdf(client, issued):
    doc, _pdf = issued
    html = client.get(f"/verify/{doc.verification_code}").get_data(as_text=True)
    assert "signature-card" in html and "KInEU (demo)" in html and doc.sha256 in html


def test_verify_pdf_on_the_command_line(tmp_path, issued, signing_keys):
    from web.cli import main

    _doc, pdf = issued
    genuine, tampered = tmp_path / "genuine.pdf", tmp_path / "tampered.pdf"
    genuine.write_bytes(pdf)
    tampered.write_bytes(with_page(pdf))
    trust = ["--trust", str(signing_keys.root_pem)]
    ok = CliRunner().invoke(main, ["verify-pdf", str(genuine), *trust])
    assert ok.exit_code == 0 and "GENUINE" in ok.output and "KInEU (demo)" in ok.output
    bad = CliRunner().invoke(main, ["verify-pdf", str(tampered), *trust])
    assert bad.exit_code == 1 and "NOT GENUINE: something was added after signing" in bad.output
    stranger = signing_keys.root_pem.parent.parent / "stranger"
    from processes import signing_keys as keys

    other = keys.make_demo_keys(stranger)
    untrusted = CliRunner().invoke(main, ["verify-pdf", str(genuine), "--trust", str(other.root_pem)])
    assert untrusted.exit_code == 1 and "does not chain to the trusted root" in untrusted.output
    (tmp_path / "x.pdf").write_bytes(b"hello")
    assert CliRunner().invoke(main, ["verify-pdf", str(tmp_path / "x.pdf"), *trust]).exit_code == 2
