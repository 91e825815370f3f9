"""Permission-checked downloads: always as attachments, never sniffed, never cached."""
from __future__ import annotations

from flask import send_file

from processes.usecases.context import Ctx
from storage.models import Document, StoredFile


def file_response(c: Ctx, row: StoredFile):
    return _attachment(c, row.sha256, row.name, row.content_type)


def document_response(c: Ctx, row: Document):
    sha256 = row.sha256
    if sha256 is None:  # issued, but its PDF was not rendered yet (interrupted): render it now
        from web.unit_of_work import render_now

        doc_id = row.id
        render_now(row.instance_id)
        fresh = c.session.get(Document, doc_id)
        if fresh is None or fresh.sha256 is None:
            from forms.validate import N_
            from processes.usecases.errors import Conflict

            raise Conflict(N_("The document is still being prepared; try again in a moment."))
        row, sha256 = fresh, fresh.sha256
    return _attachment(c, sha256, f"{row.reg_number}.pdf", "application/pdf")


def _attachment(c: Ctx, sha256: str, name: str, mimetype: str):
    response = send_file(c.services.blobs.path(sha256), mimetype=mimetype, as_attachment=True,
                         download_name=name, conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
