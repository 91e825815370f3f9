"""Render issued documents to PDF after their transaction commits, in the background.

The decision and the document's content commit first (with the `document_issued` audit entry) and
the request answers at once: the document is *pending* (`sha256` null). The worker drains this render
queue (``render_pending``, woken every `RENDER_INTERVAL`): each PDF is stored in a short transaction
of its own (`document_rendered`, with the PDF's hash). A worker that dies mid-render leaves the
document pending; the next one renders it, exactly once. Each PDF is signed (PAdES, `processes.signing`) right
after its layout, before it is stored, and its signature recorded (`document_signatures`). ``render_issued``
renders right after the commit instead, for callers configured with `RENDER_INLINE` (tests of other behaviour,
CLI imports).
"""
from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from processes.catalog import renderer as renderer_of
from processes.signing import Signed
from processes.usecases.context import Services
from storage import audit
from storage.db import read_only, transaction, writing
from storage.models import Document, DocumentSignature, utcnow

log = logging.getLogger("kelisim.rendering")


ISSUED = "kelisim.issued_documents"  # session.info key: instances whose new documents await their PDF


def track_issued_documents(factory: sessionmaker[Session]) -> None:
    """Note on each session of ``factory`` which instances it issued documents for (their PDF is
    rendered by ``render_issued`` once the session has committed; a rollback forgets them)."""
    @event.listens_for(factory, "after_flush")
    def _note(session: Session, _flush_context: object) -> None:
        for row in session.new:  # still the objects this flush inserted
            if isinstance(row, Document) and row.sha256 is None:
                session.info.setdefault(ISSUED, set()).add(row.instance_id)

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(ISSUED, None)


def render_issued(factory: sessionmaker[Session], services: Services, session: Session) -> int:
    """After ``session`` committed: render the documents it issued; return how many were stored."""
    issued = session.info.pop(ISSUED, set())
    if None in issued:  # a document of no instance (the policy's): render whatever is pending
        return render_pending(factory, services)
    return sum(render_pending(factory, services, instance_id) for instance_id in sorted(issued))


def render_pending(factory: sessionmaker[Session], services: Services, instance_id: int | None = None,
                   limit: int = 50, failed: set[int] | None = None) -> int:
    """Drain the render queue (the pending documents of one instance, or all), one document at a time;
    return how many PDFs this call stored. A document whose rendering fails is added to ``failed`` and
    not tried again by this call (it stays pending: a later pass tries it again)."""
    failed = set() if failed is None else failed
    stored = 0
    for _ in range(limit):
        outcome = render_next(factory, services, instance_id, exclude=failed)
        if outcome is None:
            break
        doc_id, done = outcome
        if done:
            stored += 1
        else:
            failed.add(doc_id)
    return stored


def has_pending(factory: sessionmaker[Session]) -> bool:
    """Whether any document waits for its PDF (the partial index `ix_documents_pending`; locks nothing)."""
    with read_only_transaction(factory) as session:
        return session.execute(select(Document.id).where(Document.sha256.is_(None)).limit(1)).first() is not None


def render_next(factory: sessionmaker[Session], services: Services, instance_id: int | None = None,
                exclude: Collection[int] = ()) -> tuple[int, bool] | None:
    """Claim the oldest pending document, render its PDF and store it (`document_rendered` audited);
    return (its id, whether this call stored it), or None when nothing is pending.

    On PostgreSQL the claim is `SELECT … FOR UPDATE SKIP LOCKED`, held while the PDF is rendered: several
    workers each take a different document, none renders one twice, and a worker killed mid-render
    releases its lock with its connection, leaving the document pending for the next one. On SQLite
    (one writer anyway) no lock is held while rendering: the PDF is stored under the write lock after
    checking it is still pending, so a document is stored and audited once."""
    session = factory()
    try:
        postgres = session.get_bind().dialect.name == "postgresql"
        query = select(Document).where(Document.sha256.is_(None)).order_by(Document.id).limit(1)
        if instance_id is not None:
            query = query.where(Document.instance_id == instance_id)
        if exclude:
            query = query.where(Document.id.not_in(list(exclude)))
        if postgres:
            doc = session.execute(query.with_for_update(skip_locked=True)).scalar_one_or_none()
        else:
            with read_only_transaction(factory) as reader:
                doc = reader.execute(query).scalar_one_or_none()
        if doc is None:
            return None
        try:
            # signed after the layout, before it is stored: the document's SHA-256 is the signed file's (issue 17)
            signed = services.signer.get().sign(_pdf(doc, services))
        except Exception:  # noqa: BLE001 - one document must never stop the others; it stays pending
            log.exception("document %s (%s): rendering or signing failed; it stays pending", doc.id, doc.kind)
            return doc.id, False
        blob = services.blobs.put_bytes(signed.pdf)
        with writing():
            if not postgres:  # re-read under the write lock: another process may have stored it meanwhile
                doc = session.execute(select(Document).where(Document.id == doc.id)).scalar_one()
                if doc.sha256 is not None:
                    return doc.id, False  # the spare file is swept as an orphan
            doc.sha256, doc.size, doc.rendered_at = blob.sha256, blob.size, utcnow()
            session.add(signature_row(doc, blob.sha256, blob.size, signed))
            audit.append(session, audit.Actor.system(), "document_rendered", instance_id=doc.instance_id,
                         object=f"document:{doc.id}", data={"kind": doc.kind, "reg_number": doc.reg_number,
                                                            "pdf_sha256": blob.sha256, "size": blob.size,
                                                            "signed_by": signed.signer,
                                                            "timestamped": signed.timestamped})
            session.commit()
        return doc.id, True
    finally:
        session.rollback()
        session.close()


def signature_row(doc: Document, sha256: str, size: int, signed: Signed,
                  supersedes: DocumentSignature | None = None) -> DocumentSignature:
    """The record of a signed file of ``doc`` (a PAdES signature, or a document timestamp added later)."""
    return DocumentSignature(document_id=doc.id, sha256=sha256, size=size, signer=signed.signer,
                             signed_at=signed.signed_at, timestamped=signed.timestamped, tsa_time=signed.tsa_time,
                             tsa_error=signed.tsa_error, supersedes_id=supersedes.id if supersedes else None)


def _pdf(doc: Document, services: Services) -> bytes:
    renderer = renderer_of(doc.kind)
    if renderer is None:
        raise LookupError(f"no renderer for document kind {doc.kind}")
    return renderer(doc, services.settings)


@contextmanager
def read_only_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A short transaction that only reads: on SQLite it takes no write lock (a deferred BEGIN)."""
    token = read_only.set(True)
    try:
        with transaction(factory) as session:
            yield session
            session.expunge_all()  # its rows stay readable once it has ended
    finally:
        read_only.reset(token)
