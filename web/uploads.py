"""Uploads written to disk once: Werkzeug's multipart parser streams each file part straight
into a Spool of the BlobStore (hashed as it is written); `BlobStore.put` then adopts it by
fsync + rename. Non-file fields stay in memory (bounded by MAX_FORM_MEMORY_SIZE); spools that
no use case adopted (refused, invalid or broken requests) are deleted when the request ends.
"""
from __future__ import annotations

from typing import IO

from flask import Request, current_app, has_app_context

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
        self.__dict__.setdefault(_SPOOLS, []).append(spool)
        return spool

    def close(self) -> None:
        """Close the files (Werkzeug), then every spool of this request: unadopted ones are deleted."""
        try:
            super().close()
        finally:
            for spool in self.__dict__.pop(_SPOOLS, ()):
                spool.close()
