"""Permission-checked downloads: as attachments (PDFs and images may also open in the browser, sandboxed),
never sniffed, never cached."""
from __future__ import annotations

from flask import current_app, jsonify, render_template, request, send_file, url_for
from flask_babel import gettext

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


RETRY_AFTER_S = 2  # a pending document's PDF is usually ready within a second or two


def document_response(c: Ctx, row: Document):
    """The issued PDF; while it is still being rendered in the background (pending), a 409 with
    `Retry-After` and the reason: JSON for the API, a page for people (never a half-written file)."""
    if row.sha256 is None and current_app.config.get("RENDER_INLINE"):
        from web.unit_of_work import render_now

        doc_id, instance_id = row.id, row.instance_id
        render_now(instance_id)
        row = c.session.get(Document, doc_id) or row
    if row.sha256 is None:
        return pending_response(row)
    return _attachment(c, row.sha256, f"{row.reg_number}.pdf", "application/pdf")


def pending_response(row: Document):
    message = gettext("The document is still being prepared; try again in a moment.")
    headers = {"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"}
    if request.path.startswith("/api/"):
        return jsonify(error=message, status="pending", document_id=row.id, retry_after=RETRY_AFTER_S), 409, headers
    back = url_for("pages.instance", instance_id=row.instance_id) if row.instance_id else None
    return render_template("document_pending.html", message=message, back_url=back,
                           retry_after=RETRY_AFTER_S), 409, headers


def _attachment(c: Ctx, sha256: str, name: str, mimetype: str):
    response = send_file(c.services.blobs.path(sha256), mimetype=mimetype, as_attachment=True,
                         download_name=name, conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
