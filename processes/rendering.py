"""Render issued documents to PDF after their transaction commits, outside every lock.

The decision and the document's content commit first (with the `document_issued` audit entry);
the PDF follows in a short transaction of its own (`document_rendered`, with the PDF's hash).
If the process dies in between, the next worker tick renders what is still pending.
"""
from __future__ import annotations

import logging

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from processes.catalog import renderer as renderer_of
from processes.usecases.context import Services
from storage import audit
from storage.db import transaction
from storage.models import Document, utcnow

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
                   limit: int = 50) -> int:
    """Render documents whose PDF is missing (of one instance, or all); return how many were stored."""
    with transaction(factory) as session:
        query = select(Document).where(Document.sha256.is_(None)).order_by(Document.id).limit(limit)
        if instance_id is not None:
            query = query.where(Document.instance_id == instance_id)
        pending = list(session.execute(query).scalars())
        session.expunge_all()
    return sum(_render_one(factory, services, doc) for doc in pending)


def _render_one(factory: sessionmaker[Session], services: Services, doc: Document) -> bool:
    renderer = renderer_of(doc.kind)
    if renderer is None:
        log.error("no renderer for document kind %s", doc.kind)
        return False
    blob = services.blobs.put_bytes(renderer(doc, services.settings))
    with transaction(factory) as session:
        row = session.execute(select(Document).where(Document.id == doc.id).with_for_update()).scalar_one()
        if row.sha256 is not None:
            return False  # rendered concurrently; the spare file is swept as an orphan
        row.sha256, row.size, row.rendered_at = blob.sha256, blob.size, utcnow()
        audit.append(session, audit.Actor.system(), "document_rendered", instance_id=row.instance_id,
                     object=f"document:{row.id}", data={"kind": row.kind, "reg_number": row.reg_number,
                                                        "pdf_sha256": blob.sha256, "size": blob.size})
    return True
