"""Uploads written to disk once: Werkzeug's multipart parser streams each file part straight
into a Spool of the BlobStore (hashed as it is written); `BlobStore.put` then adopts it by
fsync + rename. Non-file fields stay in memory (bounded by MAX_FORM_MEMORY_SIZE); spools that
no use case adopted (refused, invalid or broken requests) are deleted when the request ends.
"""
from __future__ import annotations

from typing import IO, TYPE_CHECKING

from flask import Request, current_app, has_app_context

if TYPE_CHECKING:
    from storage.blobs import Spool

SERVICES = "kelisim.services"
_SPOOLS = "_kelisim_spools"


class UploadRequest(Request):
    """A request whose uploaded files are Spools in the application's BlobStore."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        services = current_app.extensions.get(SERVICES) if has_app_context() else None
        if services is None:  # outside the application: Werkzeug's own spooled temp file
            return super()._get_file_stream(total_content_length, content_type, filename, content_length)
        spool = services.blobs.new_spool()
        # kept here too: a part whose parsing fails never reaches request.files, which Werkzeug closes
        track_spool(self, spool)
        return spool

    def close(self) -> None:
        """Close the files (Werkzeug), then every spool of this request: unadopted ones are deleted; so is
        a body the server received into a spool (web/raw_body.py) that no view adopted (e.g. refused 401),
        before the answer is sent."""
        from storage.blobs import Spool

        try:
            super().close()
        finally:
            body = self.environ.get("wsgi.input")
            for spool in [*self.__dict__.pop(_SPOOLS, ()), *([body] if isinstance(body, Spool) else [])]:
                spool.close()


def track_spool(request: Request, spool: Spool) -> None:
    """Close `spool` when `request` ends (deleting its file unless a use case adopted it)."""
    request.__dict__.setdefault(_SPOOLS, []).append(spool)
