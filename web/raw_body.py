"""Raw-body uploads (`PUT /api/v1/instances/<id>/files/<name>`) received by Waitress straight into the blob store.

Waitress reads a request's whole body before a thread runs the application (web/server.py), and keeps a
body over `inbuf_overflow` (512 KiB) in a temporary file of its own: the application would read that file
and write every byte again into the blob store. For a raw upload, the parser installed here (`install`,
in each server process) gives Waitress a body buffer that *is* a Spool of the blob store: as the bytes
arrive they are hashed (SHA-256) and written once, into the store's `tmp/`, the kernel starting to write
them to the disk every few MiB (storage/blobs.py); the application gets that spool as `wsgi.input`
(`received_spool`), checks the file where it lies and adopts it with one fsync and a rename. The server's
memory holds one received chunk at a time, whatever the size of the body.

A spool nobody adopts is deleted: at the end of the request (refused or failed: web/uploads.py closes it),
when Waitress closes the request, or when a half-received request is dropped with its connection; a
killed process's `*.part` files are removed by `BlobStore.sweep`. Any other server, and the test client,
give the application a plain `wsgi.input`, which the upload copies into a spool as it reads it, hashing
in the same pass.
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import IO, TYPE_CHECKING, Any, ClassVar, cast

from flask import abort, request
from flask_babel import gettext
from waitress.parser import HTTPRequestParser
from waitress.receiver import ChunkedReceiver, FixedStreamReceiver
from werkzeug.exceptions import ClientDisconnected
from werkzeug.routing import PathConverter

from processes.usecases import files
from storage.blobs import BlobStore, Spool
from web.unit_of_work import ctx
from web.uploads import SERVICES, track_spool

if TYPE_CHECKING:
    from flask import Blueprint, Flask, Request
    from flask.blueprints import BlueprintSetupState

    from storage.models import StoredFile

# the path Waitress parsed (percent-decoded); a name with a slash still matches, and is refused by the upload
RAW_UPLOAD = re.compile(r"/api/v1/instances/[0-9]{1,10}/files/.")


class SpoolBuffer:
    """The body buffer Waitress appends a request body to (the part of its buffer interface a request
    body uses: append, len, getfile, close), writing into a Spool."""

    def __init__(self, spool: Spool):
        self.spool = spool

    def __len__(self) -> int:
        return self.spool.size

    def __bool__(self) -> bool:
        return True

    def append(self, data: bytes) -> None:
        self.spool.write(data)

    def getfile(self) -> Spool:
        """The body, for `wsgi.input`: the spool, finished and rewound."""
        return self.spool.finish()

    def close(self) -> None:
        self.spool.close()  # deletes the file unless the upload adopted it


class SpoolingParser(HTTPRequestParser):
    """Waitress's request parser; the body of a raw upload goes into a Spool of `store`."""

    store: ClassVar[BlobStore | None] = None

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        store = type(self).store
        if store is None or self.command != "PUT" or not RAW_UPLOAD.match(self.path or ""):
            return
        if self.content_length >= self.adj.max_request_body_size:
            return  # Waitress answers 413 without reading the body
        receiver: Any = self.body_rcv  # type: ignore[has-type]  # nothing received into it yet
        if isinstance(receiver, FixedStreamReceiver | ChunkedReceiver):
            buffer = SpoolBuffer(store.new_spool())
            self.body_rcv = (FixedStreamReceiver(self.content_length, buffer)
                             if isinstance(receiver, FixedStreamReceiver) else ChunkedReceiver(buffer))


def install(app: Flask) -> None:
    """In a server process: Waitress receives raw uploads into `app`'s blob store."""
    from waitress.channel import HTTPChannel

    SpoolingParser.store = app.extensions[SERVICES].blobs
    HTTPChannel.parser_class = SpoolingParser


def received_spool(request: Request, store: BlobStore) -> Spool | None:
    """The request's body as the server received it into a spool of `store` (finished, not yet adopted),
    now deleted at the end of the request unless adopted; None when the body is a plain stream."""
    body: Any = request.environ.get("wsgi.input")
    if (isinstance(body, Spool) and body.store.tmp == store.tmp and body.finished and not body.closed
            and not body.adopted):
        track_spool(request, body)
        return body
    return None


class FileNameConverter(PathConverter):
    """`<filename:name>`: the rest of the path, whatever it holds (slashes, `..`, control characters, a line
    break), so that the upload refuses a bad name with its reason rather than the router with a 404."""

    regex = r"[\s\S]+?"
    part_isolating = False  # it spans slashes


def add_name_converter(blueprint: Blueprint) -> None:
    """Make `<filename:…>` known to the application before the blueprint's rules are added."""
    def add(state: BlueprintSetupState) -> None:
        state.app.url_map.converters.setdefault("filename", FileNameConverter)

    blueprint.record_once(add)


def upload(instance_id: int, name: str) -> StoredFile:
    """The view's work for `PUT /api/v1/instances/<id>/files/<name>`: the body is the file (any
    Content-Type), its length given by Content-Length or by chunked transfer; an optional
    `Content-Digest: sha-256=:<base64>:` (RFC 9530) is compared with the bytes received. The access and
    file checks, the audit entry and the answer are the multipart upload's (files.upload)."""
    expected = content_digest()
    c = ctx()
    spool = received_spool(request, c.services.blobs)
    if spool is not None:
        if request.content_length is not None and spool.size != request.content_length:
            abort(400, description=_cut_short())
        return files.upload(c, instance_id, name, cast("IO[bytes]", spool), size=spool.size, sha256=expected)
    length = request.content_length
    if length is None and not request.environ.get("wsgi.input_terminated"):
        abort(411, description=gettext("Give the file's length in Content-Length, or send it with "
                                       "Transfer-Encoding: chunked."))
    try:  # request.stream: at most Content-Length bytes; fewer is ClientDisconnected
        return files.upload(c, instance_id, name, request.stream, size=length, sha256=expected)
    except ClientDisconnected:
        abort(400, description=_cut_short())


def content_digest() -> str | None:
    """The SHA-256 (hex) of `Content-Digest: sha-256=:<base64>:` (other algorithms listed beside it are
    ignored); None without the header; 400 when it is there without a well-formed sha-256."""
    header = request.headers.get("Content-Digest")
    if header is None:
        return None
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key.strip().lower() != "sha-256":
            continue
        value = value.strip()
        try:
            digest = base64.b64decode(value[1:-1], validate=True) if value[:1] == value[-1:] == ":" else b""
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) == 32:
            return digest.hex()
        break
    abort(400, description=gettext("Content-Digest must give the file's SHA-256 as sha-256=:<base64>:."))


def _cut_short() -> str:
    return gettext("The body ended before the length its Content-Length gives. Nothing was kept.")
