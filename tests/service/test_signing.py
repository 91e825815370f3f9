"""Signed documents (issue 17, parts 1 and 2): the demo keys, PAdES signing in the render, the offline check and the
tampering it reports, timestamps from a local RFC 3161 authority (OpenSSL's `ts` behind http.server), and the
authority down: signed without a timestamp, re-timestamped later by the worker, both files still recognised."""
from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import select

from processes import rendering, signing, signing_keys
from processes.pdf_check import check_pdf, load_trust_roots
from processes.usecases import instances, signatures
from processes.usecases.context import Services
from processes.worker import retimestamp
from storage.models import AuditEvent, Document, DocumentSignature
from tests.service.helpers import free_port, my_task, start_and_submit

HAS_OPENSSL = shutil.which("openssl") is not None


def approve(act) -> int:
    iid = start_and_submit(act)
    act("vr.finance", instances.complete_task, my_task(act, "vr.finance", iid).id, {"decision": "approve"})
    return iid


def certificate_of(factory, iid: int) -> Document:
    with factory() as s:
        return s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()


def roots(keys: signing_keys.DemoKeys) -> list:
    return load_trust_roots(keys.root_pem.read_bytes())


def with_tsa(services: Services, url: str | None) -> Services:
    config = services.signer.config
    handle = signing.SignerHandle(signing.SigningConfig(config.p12, config.password, config.password_file, url))
    return Services(engine=services.engine, blobs=services.blobs, settings=services.settings, signer=handle)


# ---------------------------------------------------------------- keys and configuration

def test_demo_keys_are_private_long_lived_and_made_once(tmp_path):
    made = signing_keys.make_demo_keys(tmp_path / "keys")
    assert made.created
    for private in (made.p12, made.password_file):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    again = signing_keys.make_demo_keys(tmp_path / "keys")
    assert not again.created and again.p12.read_bytes() == made.p12.read_bytes()  # idempotent
    signer = signing.load_signer(signing.config_from({}, tmp_path))
    assert signer.name == "KInEU (demo)"
    assert signer.certificate.not_valid_after_utc - datetime.now(UTC) > timedelta(days=2 * 365)
    assert len(signer.chain) == 2 and "BEGIN CERTIFICATE" in signer.chain_pem()


def test_a_demo_key_within_a_year_of_expiry_is_made_anew(tmp_path):
    old = signing_keys.make_demo_keys(tmp_path, now=datetime.now(UTC) - timedelta(days=3 * 365 - 200))
    old_bytes = old.p12.read_bytes()
    renewed = signing_keys.make_demo_keys(tmp_path)
    assert old.created and renewed.created and renewed.p12.read_bytes() != old_bytes


def test_a_wrong_password_refuses_with_a_clear_message(tmp_path, signing_keys):
    config = signing.config_from({"KELISIM_SIGNING_P12": str(signing_keys.p12),
                                  "KELISIM_SIGNING_PASSWORD": "not-the-password"}, tmp_path)
    with pytest.raises(signing.SigningKeyError, match="wrong password"):
        signing.load_signer(config)


@pytest.mark.parametrize("when, message", [(timedelta(days=4 * 365), "expired"),
                                           (-timedelta(days=3 * 365), "not valid yet")])
def test_an_expired_or_not_yet_valid_certificate_refuses(tmp_path, signing_keys, when, message):
    config = signing.config_from({"KELISIM_SIGNING_P12": str(signing_keys.p12),
                                  "KELISIM_SIGNING_PASSWORD_FILE": str(signing_keys.password_file)}, tmp_path)
    with pytest.raises(signing.SigningKeyError, match=message):
        signing.load_signer(config, now=datetime.now(UTC) + when)


def test_production_without_a_key_names_the_command_and_the_variables(tmp_path):
    with pytest.raises(signing.SigningKeyError) as refused:
        signing.load_signer(signing.config_from({}, tmp_path / "empty", production=True))
    text = str(refused.value)
    assert "kelisim keys demo" in text and "KELISIM_SIGNING_P12" in text and "KELISIM_SIGNING_PASSWORD" in text


def test_development_without_a_key_makes_the_demo_key(tmp_path):
    signer = signing.load_signer(signing.config_from({}, tmp_path, production=False))
    assert signer.name == "KInEU (demo)" and (tmp_path / "keys" / signing_keys.P12).is_file()


def test_the_server_and_the_worker_refuse_to_start_with_a_wrong_password(db_url, tmp_path, signing_keys):
    from click.testing import CliRunner

    from web import create_app
    from web.cli import main

    with pytest.raises(signing.SigningKeyError, match="wrong password"):
        create_app({"DATA_DIR": tmp_path / "data", "DATABASE_URL": db_url, "SECRET_KEY": "x", "TESTING": True,
                    "SIGNING_PASSWORD": "wrong"})
    env = {"KELISIM_DATA_DIR": str(tmp_path / "data"), "KELISIM_DATABASE_URL": db_url,
           "KELISIM_SIGNING_PASSWORD": "wrong", "KELISIM_SIGNING_PASSWORD_FILE": ""}
    for command in (["worker", "--once"], ["serve", "--port", str(free_port())]):
        result = CliRunner().invoke(main, command, env=env)
        assert result.exit_code == 1, result.output
        assert "cannot start" in result.output and "wrong password" in result.output


# ---------------------------------------------------------------- signing in the render

def test_a_rendered_certificate_is_signed_and_validates_against_the_demo_root(act, factory, services, signing_keys):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    iid = approve(act)
    rendering.render_pending(factory, services)
    doc = certificate_of(factory, iid)
    pdf = services.blobs.path(doc.sha256).read_bytes()
    (embedded,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    status = validate_pdf_signature(embedded, ValidationContext(trust_roots=roots(signing_keys)))
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.signing_cert.subject.native["common_name"] == "KInEU (demo)"
    with factory() as s:
        row = s.execute(select(DocumentSignature).where(DocumentSignature.document_id == doc.id)).scalar_one()
        entry = s.execute(select(AuditEvent).where(AuditEvent.action == "document_rendered",
                                                   AuditEvent.object == f"document:{doc.id}")).scalar_one()
    assert row.sha256 == doc.sha256 and row.signer == "KInEU (demo)" and not row.timestamped and row.tsa_error is None
    assert entry.data["signed_by"] == "KInEU (demo)" and entry.data["pdf_sha256"] == doc.sha256
    check = check_pdf(pdf, roots(signing_keys))
    assert check.genuine and check.signer == "KInEU (demo)" and check.signed_revision_sha256 == doc.sha256


# ---------------------------------------------------------------- tampering

@pytest.fixture(scope="module")
def signed_pdf(tmp_path_factory) -> tuple[bytes, list]:
    from processes.documents import render_html_to_pdf

    keys = signing_keys.make_demo_keys(tmp_path_factory.mktemp("keys"))
    signer = signing.load_signer(signing.config_from({"KELISIM_SIGNING_P12": str(keys.p12),
                                                      "KELISIM_SIGNING_PASSWORD_FILE": str(keys.password_file)},
                                                     keys.folder))
    pdf = render_html_to_pdf("<h1>Сертификат</h1><p>Genuine text of the document.</p>")
    return signer.sign(pdf).pdf, roots(keys)


def test_one_byte_changed_inside_the_signed_range_is_reported_as_altered(signed_pdf):
    pdf, trust = signed_pdf
    position = pdf.index(b"Genuine") if b"Genuine" in pdf else len(pdf) // 4
    changed = bytearray(pdf)
    changed[position] ^= 0x01
    result = check_pdf(bytes(changed), trust)
    assert not result.genuine and "altered" in result.problems


def test_a_page_added_by_an_incremental_update_is_reported(signed_pdf):
    from pypdf import PdfWriter

    pdf, trust = signed_pdf
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(pdf)  # appended: the signed bytes are untouched
    result = check_pdf(out.getvalue(), trust)
    assert not result.genuine and result.problems == ["changed_after_signing"]
    assert result.signed_revision_sha256 == check_pdf(pdf, trust).sha256  # still recognisable by its signed content


def test_a_second_signature_by_another_key_is_reported(signed_pdf, tmp_path):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    pdf, trust = signed_pdf
    other = signing_keys.make_demo_keys(tmp_path / "other")
    intruder = signers.SimpleSigner.load_pkcs12(str(other.p12), passphrase=signing_keys.read_password_file(
        other.password_file))
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)),
                           signers.PdfSignatureMetadata(field_name="Intruder"), signer=intruder)
    result = check_pdf(out.getvalue(), trust)
    assert not result.genuine and "second_signature" in result.problems and result.other_signers == ["KInEU (demo)"]
    assert result.signer == "KInEU (demo)"  # the first signature is still the university's


def test_an_unsigned_pdf_and_a_foreign_signature_are_not_genuine(signed_pdf, tmp_path):
    from processes.documents import render_html_to_pdf

    pdf, _trust = signed_pdf
    assert check_pdf(render_html_to_pdf("<p>x</p>"), _trust).problems == ["not_signed"]
    stranger = signing_keys.make_demo_keys(tmp_path / "stranger")
    assert check_pdf(pdf, roots(stranger)).problems == ["untrusted"]


def test_not_a_pdf_and_an_encrypted_pdf_are_refused(signed_pdf):
    from pypdf import PdfReader, PdfWriter

    from processes.pdf_check import PdfRefused

    pdf, trust = signed_pdf
    with pytest.raises(PdfRefused) as refused:
        check_pdf(b"GIF89a not a pdf", trust)
    assert refused.value.reason == "not_pdf"
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt("secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(PdfRefused) as refused:
        check_pdf(out.getvalue(), trust)
    assert refused.value.reason == "encrypted"


# ---------------------------------------------------------------- timestamps: a local RFC 3161 authority

class TimestampAuthority:
    """OpenSSL's `ts -reply` behind http.server, with a TSA certificate (timeStamping EKU) made here."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.url = f"http://127.0.0.1:{port}/tsa"
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")])
        now = datetime.now(UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
                .not_valid_after(now + timedelta(days=30))
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
                .sign(key, hashes.SHA256()))
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        (folder / "tsa.crt").write_bytes(self.cert_pem)
        (folder / "tsa.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
        (folder / "serial").write_text("01\n")
        (folder / "ts.cnf").write_text(
            "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\n"
            f"serial = {folder / 'serial'}\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n"
            "digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = yes\ness_cert_id_alg = sha256\n")
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                query = self.rfile.read(int(self.headers["Content-Length"]))
                with tempfile.TemporaryDirectory(dir=authority.folder) as work:
                    (Path(work) / "q.tsq").write_bytes(query)
                    subprocess.run(["openssl", "ts", "-reply", "-config", str(authority.folder / "ts.cnf"),
                                    "-queryfile", f"{work}/q.tsq", "-inkey", str(authority.folder / "tsa.key"),
                                    "-signer", str(authority.folder / "tsa.crt"), "-out", f"{work}/r.tsr"],
                                   check=True, capture_output=True)
                    reply = (Path(work) / "r.tsr").read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def tsa(tmp_path):
    authority = TimestampAuthority(tmp_path, free_port())
    yield authority
    authority.stop()


@pytest.mark.skipif(not HAS_OPENSSL, reason="needs the openssl command (ts -reply)")
def test_a_timestamp_authority_makes_the_signature_b_t(act, factory, services, tsa, signing_keys):
    tsa.start()
    stamped = with_tsa(services, tsa.url)
    iid = approve(act)
    before = datetime.now(UTC) - timedelta(seconds=5)
    rendering.render_pending(factory, stamped)
    doc = certificate_of(factory, iid)
    with factory() as s:
        row = s.execute(select(DocumentSignature).where(DocumentSignature.document_id == doc.id)).scalar_one()
    assert row.timestamped and row.tsa_error is None and row.tsa_time is not None and row.tsa_time >= before
    pdf = services.blobs.path(doc.sha256).read_bytes()
    result = check_pdf(pdf, [*roots(signing_keys), *load_trust_roots(tsa.cert_pem)])
    assert result.genuine and result.timestamp_kind == "signature"
    assert abs((result.timestamp - row.tsa_time).total_seconds()) < 2


@pytest.mark.skipif(not HAS_OPENSSL, reason="needs the openssl command (ts -reply)")
def test_the_authority_down_signs_without_a_timestamp_and_the_worker_adds_one_later(act, factory, services, tsa,
                                                                                  signing_keys):
    rendering.render_pending(factory, services)  # the seeded policy edition: signed while no authority is set
    stamped = with_tsa(services, tsa.url)  # nothing listens there yet: the authority is down
    iid = approve(act)
    rendering.render_pending(factory, stamped)
    doc = certificate_of(factory, iid)
    first_sha = doc.sha256
    with factory() as s:
        first = s.execute(select(DocumentSignature).where(DocumentSignature.document_id == doc.id)).scalar_one()
        assert signatures.awaiting_timestamp(s, 10) == [first.id]
    assert not first.timestamped and first.tsa_error
    assert retimestamp(factory, stamped) == 0  # still down: nothing changes, it waits

    tsa.start()
    assert retimestamp(factory, stamped) == 1
    assert retimestamp(factory, stamped) == 0  # done once
    doc = certificate_of(factory, iid)
    with factory() as s:
        rows = list(s.execute(select(DocumentSignature).where(DocumentSignature.document_id == doc.id)
                              .order_by(DocumentSignature.id)).scalars())
        entry = s.execute(select(AuditEvent).where(AuditEvent.action == "document_timestamped")).scalar_one()
        assert signatures.awaiting_timestamp(s, 10) == []
    assert [r.sha256 for r in rows] == [first_sha, doc.sha256] and doc.sha256 != first_sha
    assert rows[1].supersedes_id == rows[0].id and rows[1].timestamped and rows[1].tsa_time is not None
    assert entry.data["supersedes_sha256"] == first_sha and entry.data["pdf_sha256"] == doc.sha256
    old_pdf = services.blobs.path(first_sha).read_bytes()  # the old file is kept
    new_pdf = services.blobs.path(doc.sha256).read_bytes()
    assert new_pdf.startswith(old_pdf)  # an incremental update of the signed file
    trust = [*roots(signing_keys), *load_trust_roots(tsa.cert_pem)]
    new = check_pdf(new_pdf, trust)
    assert new.genuine and new.timestamp_kind == "document" and new.signed_revision_sha256 == first_sha
    with factory() as s:
        old_match = signatures.find_match(s, check_pdf(old_pdf, trust))
        new_match = signatures.find_match(s, new)
    assert old_match is not None and old_match.matched_by == "sha256" and old_match.superseded
    assert new_match is not None and new_match.matched_by == "sha256" and not new_match.superseded


def test_signing_needs_no_network_without_an_authority(signed_pdf):
    assert os.environ.get("KELISIM_TSA_URL") in (None, "")
    assert check_pdf(signed_pdf[0], signed_pdf[1]).timestamp is None
