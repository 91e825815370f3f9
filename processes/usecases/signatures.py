"""Signed documents (issue 17): what the register knows of each signed file, the check of an uploaded PDF against
it, and the later timestamping of files signed while the timestamp authority was down.

Every file ever stored for a document has a `DocumentSignature` row; a document timestamp added later makes a new
file and a new row that supersedes the old one (`supersedes_id`), and the document points to the newest
(`Document.sha256`). Both stay in the blob store and both are recognised: an uploaded PDF matches a row by its
SHA-256, or, when later revisions were appended, by the SHA-256 of the revision its first signature covers.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from processes.pdf_check import PdfCheck, check_pdf, load_trust_roots
from processes.rendering import signature_row
from processes.signing import TimestampUnavailable
from processes.usecases.context import Ctx, Services
from storage import audit
from storage.db import transaction, writing
from storage.models import Document, DocumentSignature

log = logging.getLogger("kelisim.signatures")


@dataclass(frozen=True)
class Match:
    """The register's entry an uploaded file matches."""

    document: Document
    signature: DocumentSignature
    matched_by: str  # "sha256": the very file issued; "signed_content": the signed revision of an issued file
    superseded: bool  # a newer file of the document replaced this one (e.g. the same with a timestamp)


@dataclass(frozen=True)
class UploadCheck:
    check: PdfCheck
    match: Match | None

    @property
    def genuine(self) -> bool:
        return self.check.genuine and self.match is not None


def trust_roots(services: Services) -> list:
    """The roots a file signed by this installation chains to: the top of the configured certificate chain."""
    from cryptography.hazmat.primitives import serialization

    top = services.signer.get().chain[-1]
    return load_trust_roots(top.public_bytes(serialization.Encoding.PEM))


def check_upload(ctx: Ctx, data: bytes) -> UploadCheck:
    """Check an uploaded PDF's signature and find the register's entry it is (PdfRefused: not a PDF, encrypted)."""
    check = check_pdf(data, trust_roots(ctx.services))
    return UploadCheck(check, find_match(ctx.session, check))


def find_match(session: Session, check: PdfCheck) -> Match | None:
    for digest, how in ((check.sha256, "sha256"), (check.signed_revision_sha256, "signed_content")):
        if digest is None:
            continue
        row = session.execute(select(DocumentSignature).where(DocumentSignature.sha256 == digest)
                              .order_by(DocumentSignature.id).limit(1)).scalar_one_or_none()
        if row is not None:
            doc = session.get(Document, row.document_id)
            assert doc is not None  # a foreign key
            return Match(doc, row, how, is_superseded(session, row))
    return None


def is_superseded(session: Session, row: DocumentSignature) -> bool:
    return session.execute(select(DocumentSignature.id).where(DocumentSignature.supersedes_id == row.id)
                           .limit(1)).first() is not None


def current_signature(session: Session, doc: Document) -> DocumentSignature | None:
    """The record of the document's stored PDF (None: pending, or rendered before documents were signed)."""
    if doc.sha256 is None:
        return None
    return session.execute(select(DocumentSignature).where(DocumentSignature.document_id == doc.id,
                                                           DocumentSignature.sha256 == doc.sha256)
                           .order_by(DocumentSignature.id.desc()).limit(1)).scalar_one_or_none()


def earlier_files(session: Session, doc: Document) -> list[DocumentSignature]:
    """The document's files that a newer one superseded, oldest first."""
    return [row for row in session.execute(select(DocumentSignature).where(DocumentSignature.document_id == doc.id)
                                           .order_by(DocumentSignature.id)).scalars() if row.sha256 != doc.sha256]


def awaiting_timestamp(session: Session, limit: int) -> list[int]:
    """Signature rows signed while the timestamp authority failed, not yet superseded by a timestamped file."""
    newer = select(DocumentSignature.supersedes_id).where(DocumentSignature.supersedes_id.is_not(None))
    return list(session.execute(select(DocumentSignature.id).where(
        DocumentSignature.tsa_error.is_not(None), DocumentSignature.timestamped.is_(False),
        DocumentSignature.id.not_in(newer)).order_by(DocumentSignature.id).limit(limit)).scalars())


def retimestamp_pending(factory: sessionmaker[Session], services: Services, limit: int = 20) -> int:
    """Add a document timestamp to each file signed without one while the authority was down (worker): the
    timestamped file is stored as a new blob, recorded as superseding the old one (kept), and becomes the
    document's PDF (`document_timestamped` audited). Stops at the first failure of the authority (it is asked
    again on the next tick). Returns how many files were timestamped."""
    if not services.signer.config.tsa_url:
        return 0
    with transaction(factory) as session:
        ids = awaiting_timestamp(session, limit)
    done = 0
    for row_id in ids:
        with transaction(factory) as session:
            row = session.get(DocumentSignature, row_id)
            if row is None:
                continue
            pdf = services.blobs.path(row.sha256).read_bytes()
        try:
            stamped = services.signer.get().timestamp(pdf)
        except TimestampUnavailable as exc:
            log.info("timestamp authority still unavailable (%s): files stay untimestamped until the next tick", exc)
            break
        blob = services.blobs.put_bytes(stamped.pdf)
        with writing(), transaction(factory) as session:
            row = session.get(DocumentSignature, row_id)
            assert row is not None
            if is_superseded(session, row):
                continue  # another worker did it meanwhile; the spare file is swept as an orphan
            doc = session.get(Document, row.document_id)
            assert doc is not None
            new = signature_row(doc, blob.sha256, blob.size, stamped, supersedes=row)
            new.signer, new.signed_at = row.signer, row.signed_at  # the signature is still the one made then
            session.add(new)
            previous = doc.sha256
            if doc.sha256 == row.sha256:
                doc.sha256, doc.size = blob.sha256, blob.size
            session.flush()
            audit.append(session, audit.Actor.system(), "document_timestamped", instance_id=doc.instance_id,
                         object=f"document:{doc.id}",
                         data={"kind": doc.kind, "reg_number": doc.reg_number, "pdf_sha256": blob.sha256,
                               "supersedes_sha256": previous, "tsa_time": _iso(stamped.tsa_time)})
        done += 1
    return done


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
