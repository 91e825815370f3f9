"""The brand guideline library (§6.2–6.4): MCD uploads editions of the brand book; MCD, the university's management
and auditors read them; every opening of a file is audited.

§6.4: the guideline is not a public document; MCD's staff and the university's management may read it. Here
"management" is the rector and the vice-rectors (the roles `rector` and `vice_rector`); auditors, who read
everything and change nothing, read it too. Unit heads do not: they ask MCD for the elements they need
(the `brand_request` process), and get only the files MCD answers with.

An edition is its version label (unique), the date it takes effect, a note and its files; it never changes.
The edition in force is the latest whose effective date has come (in Almaty); one uploaded to take effect later
waits for its date.
"""
from __future__ import annotations

import re
from datetime import date
from typing import IO

from sqlalchemy import func, select

from forms.validate import N_, Message
from processes.university_time import today_local
from processes.usecases import files as file_cases
from processes.usecases import paging
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound, denied
from storage import audit
from storage.models import BrandBookEdition, BrandBookFile, User

MCD_ROLES = frozenset({"mcd_head", "mcd_specialist"})
MANAGEMENT = frozenset({"rector", "vice_rector"})
READERS = MCD_ROLES | MANAGEMENT | frozenset({"auditor"})
UPLOADERS = MCD_ROLES
# the file types an edition takes: those of an element request's answer (processes/brand_request/kind.py)
FILE_PROCESS = "brand_request"
MAX_FILES = 20
VERSION_RE = re.compile(r"^[\w][\w .\-/()]{0,39}$")


def may_read(user: User | None) -> bool:
    return user is not None and bool(user.role_names & READERS)


def may_upload(user: User | None) -> bool:
    return user is not None and bool(user.role_names & UPLOADERS)


def require_reader(ctx: Ctx, obj: str = "brand_book") -> None:
    """§6.4: the guideline is not public; anyone else is refused (the refusal is audited)."""
    if not may_read(ctx.user):
        raise denied(Forbidden(N_("The brand guideline is not public: only MCD, the university's management and "
                                  "auditors may read it (§6.4). Ask MCD for the elements you need.")), obj, "read")


def require_uploader(ctx: Ctx) -> None:
    if not may_upload(ctx.user):
        raise denied(Forbidden(N_("Only MCD uploads editions of the brand guideline (§6.4, §6.5).")),
                     "brand_book", "upload")


def editions(ctx: Ctx) -> list[BrandBookEdition]:
    """Every edition, the latest effective date first."""
    require_reader(ctx)
    return list(ctx.session.execute(select(BrandBookEdition).order_by(
        BrandBookEdition.effective_on.desc(), BrandBookEdition.id.desc())).scalars())


ORDER = paging.Segment(((BrandBookEdition.effective_on, True), (BrandBookEdition.id, True)))


def editions_page(ctx: Ctx, *, after: paging.Key | None = None, before: paging.Key | None = None,
                  limit: int = paging.DEFAULT_LIMIT) -> paging.Page[BrandBookEdition]:
    """A page of the editions (the JSON API), the latest effective date first."""
    require_reader(ctx)
    return paging.fetch(ctx.session, select(BrandBookEdition), [ORDER], after=after, before=before, limit=limit)


def in_force(ctx: Ctx) -> BrandBookEdition | None:
    """The edition in force today (no access check: callers show it only to readers), or None."""
    today = today_local(ctx.now())
    return ctx.session.execute(select(BrandBookEdition).where(BrandBookEdition.effective_on <= today).order_by(
        BrandBookEdition.effective_on.desc(), BrandBookEdition.id.desc()).limit(1)).scalar_one_or_none()


def get_edition(ctx: Ctx, edition_id: int) -> BrandBookEdition:
    require_reader(ctx, f"brand_book_edition:{edition_id}")
    row = ctx.session.get(BrandBookEdition, edition_id)
    if row is None:
        raise NotFound(N_("No such edition of the brand guideline."))
    return row


def parse_effective(raw: object, errors: dict[str, Message]) -> date | None:
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        errors["effective_on"] = Message(N_("This field is required."))
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        errors["effective_on"] = Message(N_("Give the date as YYYY-MM-DD."))
        return None


def upload_edition(ctx: Ctx, version: object, effective_on: object, note: object,
                   uploads: list[tuple[str, IO[bytes]]]) -> BrandBookEdition:
    """§6.2–6.4: a new edition with its files. Every field and every file is checked before anything is kept;
    a version label already used → Conflict (editions never change)."""
    require_uploader(ctx)
    errors: dict[str, Message] = {}
    label = version.strip() if isinstance(version, str) else ""
    if not label:
        errors["version"] = Message(N_("This field is required."))
    elif not VERSION_RE.match(label):
        errors["version"] = Message(N_("A version label is at most 40 letters, digits, spaces or . - / ( )."))
    day = parse_effective(effective_on, errors)
    text = note.strip() if isinstance(note, str) else ""
    if len(text) > 5000:
        errors["note"] = Message(N_("At most %(n)s characters."), {"n": 5000})
    if not uploads:
        errors["files"] = Message(N_("Attach at least one file of the edition."))
    elif len(uploads) > MAX_FILES:
        errors["files"] = Message(N_("At most %(n)s files."), {"n": MAX_FILES})
    if errors:
        raise Invalid(errors)
    assert day is not None
    taken = ctx.session.execute(select(BrandBookEdition.id).where(
        func.lower(BrandBookEdition.version) == label.lower())).first()
    if taken is not None:
        raise Conflict(N_("An edition with version %(version)s exists already; an edition never changes: give the "
                          "new one its own version."), version=label)
    stored = []
    for name, stream in uploads:
        try:
            stored.append(file_cases.store_checked(ctx, FILE_PROCESS, name, stream))
        except Invalid as exc:
            raise Invalid({"files": exc.errors["file"]}) from exc
    row = BrandBookEdition(version=label, effective_on=day, note=text, uploaded_by_id=ctx.me.id,
                           created_at=ctx.now())
    ctx.session.add(row)
    ctx.session.flush()
    for clean, blob, content_type in stored:
        ctx.session.add(BrandBookFile(edition_id=row.id, name=clean, size=blob.size, sha256=blob.sha256,
                                      content_type=content_type))
    ctx.session.flush()
    ctx.session.refresh(row)
    audit.append(ctx.session, ctx.actor, "brand_edition_uploaded", object=f"brand_book_edition:{row.id}",
                 data={"version": label, "effective_on": day.isoformat(), "note": text,
                       "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in row.files]},
                 clause="§6.2", request_id=ctx.request_id)
    return row


def open_file(ctx: Ctx, file_id: int) -> BrandBookFile:
    """§6.4: a file of an edition, for a reader; every opening is audited (who, which edition and file)."""
    require_reader(ctx, f"brand_book_file:{file_id}")
    row = ctx.session.get(BrandBookFile, file_id)
    if row is None:
        raise NotFound(N_("No such file."))
    edition = ctx.session.get(BrandBookEdition, row.edition_id)
    assert edition is not None
    audit.append(ctx.session, ctx.actor, "brand_file_opened", object=f"brand_book_file:{row.id}",
                 data={"edition": edition.id, "version": edition.version, "name": row.name, "sha256": row.sha256},
                 clause="§6.4", request_id=ctx.request_id)
    return row
