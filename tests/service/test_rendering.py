"""Issued documents commit with the decision; their PDFs are rendered afterwards, outside the locks."""
from __future__ import annotations

from sqlalchemy import select

from processes.rendering import render_pending
from processes.usecases import instances
from processes.worker import tick
from storage import audit
from storage.models import AuditEvent, Document
from tests.engine.pdf_helpers import pdf_text
from tests.service.helpers import my_task, start_and_submit


def approve(act) -> int:
    iid = start_and_submit(act)
    act("vr.finance", instances.complete_task, my_task(act, "vr.finance", iid).id, {"decision": "approve"})
    return iid


def doc_of(factory, iid) -> Document:
    with factory() as s:
        return s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()


def test_pdf_follows_the_commit_and_is_audited(act, factory, services):
    iid = approve(act)
    pending = doc_of(factory, iid)
    assert pending.sha256 is None and pending.public["fingerprint"]
    assert render_pending(factory, services, iid) == 1
    assert render_pending(factory, services, iid) == 0  # once only
    doc = doc_of(factory, iid)
    assert services.blobs.path(doc.sha256).read_bytes()[:5] == b"%PDF-"
    with factory() as s:
        entry = s.execute(select(AuditEvent).where(AuditEvent.action == "document_rendered")).scalar_one()
        assert entry.data["pdf_sha256"] == doc.sha256 and audit.verify(s).ok


def test_worker_renders_what_an_interrupted_request_left(act, factory, services):
    iid = approve(act)  # as if the process died right after the commit
    tick(factory, services)
    assert doc_of(factory, iid).sha256 is not None


def test_rendered_certificate_names_the_approved_fingerprint(act, factory, services, tmp_path):
    iid = approve(act)
    render_pending(factory, services, iid)
    doc = doc_of(factory, iid)
    text = pdf_text(services.blobs.path(doc.sha256).read_bytes(), tmp_path)
    assert doc.public["fingerprint"] in "".join(text.split())
    assert doc.reg_number in text
