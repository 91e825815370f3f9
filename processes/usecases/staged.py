"""Files received with a page form that was refused: kept, and handed back, so nobody attaches them twice.

A form sent with files can be refused (a missing field, a business rule, a confirmation still to give).
Its transaction is rolled back, rows and audit entries included, but the checked bytes stay in the
content-addressed blob store (`BlobStore.put` made them durable before the rollback). The form comes back
with one hidden field per received file, a token signed with the application's secret that says which
blob it is (SHA-256, name, size, content type), whose it is (the user) and for which form (the task, or
the process of a new instance), and when it was received. Sending the form again attaches the files by
their tokens, without uploading them again. A token that was altered, or belongs to someone else or to
another form, is refused (400); one older than `MAX_AGE`, or whose blob is gone, asks for the file again.

The blob of a refused form is referenced by no row, so `BlobStore.sweep` would remove it: its grace
period (`blobs.SWEEP_GRACE`) is longer than a token lives, and each round re-signs the tokens and
touches the blobs, so a form session never loses a file it was given.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from forms.validate import N_, Message
from processes.usecases.context import Ctx
from processes.usecases.errors import DomainError, Invalid
from storage import blobs

FIELD = "staged_file"  # the form's hidden field, one per received file
MAX_AGE = 12 * 3600  # seconds a token lives: a form session, however long; under blobs.SWEEP_GRACE
_PURPOSE = b"kelisim.staged-upload.v1\x00"
_SHA = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Staged:
    """A checked file kept in the blob store for a form that was refused; `token` brings it back."""

    sha256: str
    name: str
    size: int
    content_type: str
    token: str = ""

    @property
    def blob(self) -> blobs.Blob:
        return blobs.Blob(self.sha256, self.size, b"")


def scope_of_task(task_id: str) -> str:
    return f"task:{task_id}"


def scope_of_new(process_key: str) -> str:
    return f"new:{process_key}"


def sign(ctx: Ctx, key: bytes, staged: Staged, scope: str) -> Staged:
    """The staged file with a fresh token for this user and form; its blob is touched (kept from the sweep)."""
    payload = {"s": staged.sha256, "n": staged.name, "z": staged.size, "t": staged.content_type,
               "u": ctx.me.id, "o": scope, "at": int(ctx.now().timestamp())}
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    token = f"{body}.{_b64(_mac(key, body))}"
    ctx.services.blobs.touch(staged.sha256)
    return Staged(staged.sha256, staged.name, staged.size, staged.content_type, token)


def verify(ctx: Ctx, key: bytes, token: str, scope: str) -> Staged:
    """The staged file a token names. Altered, malformed, another user's or another form's: 400 (nothing
    is saved). Expired, or its blob gone: Invalid at `file`, asking for the file again."""
    refused = DomainError(N_("A file of the form was altered or belongs to another form: reload the page "
                             "and attach it again."))
    body, _, mac = token.partition(".")
    if not body or len(token) > 2000 or not hmac.compare_digest(_b64(_mac(key, body)), mac):
        raise refused
    try:
        payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        sha, name, size, ctype = payload["s"], payload["n"], payload["z"], payload["t"]
        user, form, at = payload["u"], payload["o"], payload["at"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise refused from exc
    if (not isinstance(sha, str) or len(sha) != 64 or not set(sha) <= _SHA or not isinstance(name, str)
            or not isinstance(size, int) or not isinstance(ctype, str) or not isinstance(at, int)):
        raise refused
    if user != ctx.me.id or form != scope:
        raise refused
    now = int(ctx.now().timestamp())
    if not (now - MAX_AGE <= at <= now + 60) or not ctx.services.blobs.exists(sha):
        raise Invalid({"file": Message(N_("The file %(name)s is no longer held: attach it again."), {"name": name})})
    return Staged(sha, name, size, ctype, token)


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(hashlib.sha256(_PURPOSE + key).digest(), body.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
