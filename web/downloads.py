"""Permission-checked downloads: always as attachments, never sniffed, never cached."""
from __future__ import annotations

from flask import send_file

from processes.usecases.context import Ctx
from storage.models import Document, StoredFile


def file_response(c: Ctx, row: StoredFile):
    return _attachment(c, row.sha256, row.name, row.content_type)


def document_response(c: Ctx, row: Document):
    return _attachment(c, row.sha256, f"{row.reg_number}.pdf", "application/pdf")


def _attachment(c: Ctx, sha256: str, name: str, mimetype: str):
    response = send_file(c.services.blobs.path(sha256), mimetype=mimetype, as_attachment=True,
                         download_name=name, conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
