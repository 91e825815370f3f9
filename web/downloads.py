"""Permission-checked downloads: as attachments (PDFs and images may also open in the browser, sandboxed),
never sniffed, never cached."""
from __future__ import annotations

from flask import send_file

from processes.usecases.context import Ctx
from storage.models import Document, StoredFile

# Types a browser shows by itself (its PDF viewer, its image view); nothing else is ever sent inline.
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
# A file opened in the browser is a sandboxed document of its own: no script runs, nothing is fetched but
# its own images, no form posts, no framing. Chromium's PDF viewer works under it (tests/e2e).
INLINE_CSP = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; "
              "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox")


def file_response(c: Ctx, row: StoredFile):
    return _attachment(c, row.sha256, row.name, row.content_type)


def file_view_response(c: Ctx, row: StoredFile):
    """Open a PDF or a PNG/JPEG image in the browser (inline, sandboxed); any other type downloads."""
    if row.content_type not in INLINE_TYPES:
        return file_response(c, row)
    response = send_file(c.services.blobs.path(row.sha256), mimetype=row.content_type, as_attachment=False,
                         download_name=row.name, conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = INLINE_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


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
