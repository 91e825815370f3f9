"""Files attached to instances, and the issued documents: upload, permission-checked download."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

from sqlalchemy import func, select

from forms.validate import N_, Message
from processes.catalog import kind_of, open_document_kinds
from processes.usecases import instances
from processes.usecases.access import reads_everything
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, Invalid, NotFound, TooLarge, denied
from storage import audit, blobs, filetypes
from storage.models import BrandBookFile, ContentVersion, Document, DocumentSignature, Instance, StoredFile

VIDEO = {"mp4"}
CASE_FILE = "case_file"  # an auditor's case file of an instance (processes/case_file.py): not a document of it


DIGEST_MISMATCH = N_("The file's SHA-256 is not the one its Content-Digest header gives: it was changed or cut "
                     "short on the way. Nothing was kept.")


def upload(ctx: Ctx, instance_id: int, name: str, stream: IO[bytes], *, size: int | None = None,
           sha256: str | None = None) -> StoredFile:
    """Store a file for a task the user holds in this instance; the bytes must match the name. `size`: the
    length the client declared (refused at once when over the limit); `sha256`: the digest it declared
    (hex), compared with the bytes received before anything is kept."""
    instance = instances.get_instance(ctx, instance_id)
    takes_files = [t for t in instances.ready_tasks(ctx, instance) if t.form and _takes_files(instances.form_of(t))]
    if not takes_files:
        raise denied(Forbidden(N_("You hold no open task in this instance to attach files to.")),
                     f"instance:{instance_id}", "upload")
    name, blob, content_type = store_checked(ctx, instance.process_key, name, stream, size=size, sha256=sha256)
    return record(ctx, instance.id, name, blob, content_type)


def store_checked(ctx: Ctx, process_key: str, name: str, stream: IO[bytes], *, size: int | None = None,
                  sha256: str | None = None) -> tuple[str, blobs.Blob, str]:
    """Check a file (its name, size and whole content) and keep its bytes in the blob store, no row yet:
    (clean name, blob, content type). Too large: TooLarge; refused: Invalid at `file`."""
    try:
        name = filetypes.clean_name(name)
        allowed = kind_of(process_key).accepted
        filetypes.check_extension(name, allowed)
        limit = _limit(ctx, name)
        if size is not None and size > limit:
            raise blobs.TooLarge(f"declared {size} bytes, more than {limit}")
        with _spooled(ctx, stream, limit) as spool:
            if sha256 is not None and spool.sha256 != sha256:
                raise Invalid({"file": Message(DIGEST_MISMATCH)})
            # the whole file is checked on disk before it is kept: a refused one is never stored
            content_type = filetypes.check(name, spool.path, allowed)
            blob = ctx.services.blobs.put(cast("IO[bytes]", spool), limit)
    except blobs.TooLarge as exc:
        raise TooLarge(N_("The file is larger than %(n)s MB."), n=_limit(ctx, name) // (1024 * 1024)) from exc
    except filetypes.FileRejected as exc:
        raise Invalid({"file": Message(exc.msgid, exc.params)}) from exc
    return name, blob, content_type


def record(ctx: Ctx, instance_id: int, name: str, blob: blobs.Blob, content_type: str) -> StoredFile:
    """A stored blob becomes a file of the instance (the next version of a file of that name), audited."""
    instance = instances.get_instance(ctx, instance_id)
    row = StoredFile(instance_id=instance.id, name=name, size=blob.size, sha256=blob.sha256,
                     content_type=content_type, uploaded_by_id=ctx.me.id, created_at=ctx.now(),
                     version=_next_version(ctx, instance.id, name))
    ctx.session.add(row)
    ctx.session.flush()
    audit.append(ctx.session, ctx.actor, "file_uploaded", instance_id=instance.id, object=f"file:{row.id}",
                 data={"name": name, "version": row.version, "size": blob.size, "sha256": blob.sha256,
                       "content_type": content_type}, request_id=ctx.request_id)
    return row


@contextmanager
def _spooled(ctx: Ctx, stream: IO[bytes], limit: int) -> Iterator[blobs.Spool]:
    """The upload as a finished spool of the blob store, at most `limit` bytes: the one Werkzeug's
    parser wrote (web/uploads.py; its request deletes it unless adopted), or else a copy of the
    stream, deleted on leaving unless `BlobStore.put` adopted it."""
    store = ctx.services.blobs
    spool = stream if isinstance(stream, blobs.Spool) else getattr(stream, "stream", None)
    if (isinstance(spool, blobs.Spool) and spool.store.tmp == store.tmp and spool.finished and not spool.closed
            and not spool.adopted and spool.tell() == 0):
        if spool.size > limit:
            raise blobs.TooLarge(f"file is larger than {limit} bytes")
        spool.fileno()  # its file exists (even when empty) and is flushed, for the check to read
        spool.flush()
        spool.start_sync()  # the disk catches up while the file is checked
        yield spool
        return
    copy = store.new_spool()
    try:
        while chunk := stream.read(blobs.CHUNK):
            if copy.size + len(chunk) > limit:
                raise blobs.TooLarge(f"file is larger than {limit} bytes")
            copy.write(chunk)
        copy.finish().fileno()
        copy.flush()
        copy.start_sync()
        yield copy
    finally:
        copy.close()


def _takes_files(form) -> bool:
    """A form takes files when it has `file_ids` or a field shown as a file upload (e.g. the minutes)."""
    props = form.schema.get("properties", {})
    return "file_ids" in props or any(form.ui.get(name, {}).get("ui:widget") == "file" for name in props)


def _limit(ctx: Ctx, name: str) -> int:
    settings = ctx.services.settings
    return settings.max_video_size if filetypes.extension(name) in VIDEO else settings.max_file_size


def _next_version(ctx: Ctx, instance_id: int, name: str) -> int:
    """Files of one instance with the same name are versions of one document."""
    count = ctx.session.execute(select(func.count()).select_from(StoredFile).where(
        StoredFile.instance_id == instance_id, func.lower(StoredFile.name) == name.lower())).scalar_one()
    return count + 1


def same_document(ctx: Ctx, file_id: int, other: StoredFile) -> bool:
    """True when a file is another version of the same document (same instance, same name)."""
    row = ctx.session.get(StoredFile, file_id)
    return row is not None and row.instance_id == other.instance_id and row.name.lower() == other.name.lower()


def unknown_file(ctx: Ctx, instance_id: int, file_ids: list[int]) -> int | None:
    """The first id that is not a file the current user uploaded to this instance, or None."""
    for fid in file_ids:
        row = ctx.session.get(StoredFile, fid)
        if row is None or row.instance_id != instance_id or row.uploaded_by_id != ctx.me.id:
            return fid
    return None


def get_file(ctx: Ctx, file_id: int) -> StoredFile:
    row = ctx.session.get(StoredFile, file_id)
    if row is None:
        raise NotFound(N_("No such file."))
    instances.get_instance(ctx, row.instance_id)
    return row


def get_document(ctx: Ctx, document_id: int) -> Document:
    """A document the user may read: those its process opens to everyone logged in (the policy's
    editions and additions); any other document to those who may see its instance."""
    row = ctx.session.get(Document, document_id)
    if row is None or ctx.user is None:
        raise NotFound(N_("No such document."))
    if row.kind in open_document_kinds():
        return row
    if row.kind == CASE_FILE and not reads_everything(ctx.user):  # an auditor's case file: auditors only
        raise denied(Forbidden(N_("Only auditors may have the case file.")), f"document:{document_id}", "read")
    if row.instance_id is None:  # pragma: no cover - only the policy's documents have no instance
        raise NotFound(N_("No such document."))
    instances.get_instance(ctx, row.instance_id)
    return row


def instance_files(ctx: Ctx, instance_id: int) -> list[StoredFile]:
    return list(ctx.session.execute(select(StoredFile).where(StoredFile.instance_id == instance_id)
                                    .order_by(StoredFile.id)).scalars())


def files_by_ids(ctx: Ctx, instance_id: int, file_ids: object) -> list[StoredFile]:
    """The files of an instance among the given ids (as submitted data records them), in that order;
    anything else (another instance's file, an unknown id, not a list) is left out."""
    if not isinstance(file_ids, list):
        return []
    rows = [ctx.session.get(StoredFile, i) for i in file_ids if isinstance(i, int) and not isinstance(i, bool)]
    return [r for r in rows if r is not None and r.instance_id == instance_id]


def version_file_changes(ctx: Ctx, instance: Instance) -> list[dict[str, Any]]:
    """Each file of the latest submitted version (round) against the one before, matched by name: `new`,
    `changed` (another SHA-256), `unchanged` or `dropped`; [{"status", "file", "previous"}]. With a single
    version every file is `new`."""
    rows = list(ctx.session.execute(select(ContentVersion).where(ContentVersion.instance_id == instance.id)
                                    .order_by(ContentVersion.number.desc()).limit(2)).scalars())
    if not rows:
        return []

    def by_name(version: ContentVersion) -> dict[str, StoredFile]:
        ids = (version.data or {}).get("file_ids")
        listed = files_by_ids(ctx, instance.id, ids)
        if not listed and version.file_id is not None:
            listed = files_by_ids(ctx, instance.id, [version.file_id])
        return {f.name.lower(): f for f in sorted(listed, key=lambda f: f.name.lower())}

    current = by_name(rows[0])
    before = by_name(rows[1]) if len(rows) > 1 else {}
    changes = []
    for key in sorted(current.keys() | before.keys()):
        now, then = current.get(key), before.get(key)
        status = ("new" if then is None else "dropped" if now is None
                  else "unchanged" if now.sha256 == then.sha256 else "changed")
        changes.append({"status": status if len(rows) > 1 else "new", "file": now or then, "previous": then})
    return changes


def instance_documents(ctx: Ctx, instance_id: int) -> list[Document]:
    """The documents issued in a case; the auditors' case files of it are not among them."""
    return list(ctx.session.execute(select(Document).where(Document.instance_id == instance_id,
                                                           Document.kind != CASE_FILE)
                                    .order_by(Document.id)).scalars())


def normalise_code(raw: str) -> str:
    """A verification code as typed from paper: without spaces and dashes, in capitals ("abcd efgh-…")."""
    return "".join(ch for ch in raw if not ch.isspace() and ch not in "-‐‑–—").upper()[:64]


def verify_document(ctx: Ctx, code: str) -> Document | None:
    """Public check of a verification code; returns only what the document itself shows."""
    if not code or len(code) > 32:
        return None
    return ctx.session.execute(select(Document).where(Document.verification_code == code.upper()))\
        .scalar_one_or_none()


def referenced_blobs(ctx: Ctx) -> set[str]:
    files = ctx.session.execute(select(StoredFile.sha256)).scalars()
    docs = ctx.session.execute(select(Document.sha256)).scalars()
    brand = ctx.session.execute(select(BrandBookFile.sha256)).scalars()  # the brand guideline's editions (§6.4)
    signed = ctx.session.execute(select(DocumentSignature.sha256)).scalars()  # every signed file, superseded too
    return (set(files) | set(brand) | set(signed)
            | {sha for sha in docs if sha is not None})  # None: a document not rendered yet
