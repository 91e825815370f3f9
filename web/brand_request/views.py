"""The brand guideline library (§6.2–6.4): the editions page with MCD's upload form, the audited file downloads,
and the same as JSON under /api/v1/brand-book. Only MCD, the management and auditors get anything (403 for
everyone else); unit heads ask for elements through the `brand_request` process instead."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required

from forms.validate import N_
from processes.brand_book import library
from processes.university_time import today_local
from processes.usecases.errors import Conflict, Invalid
from storage.db import writing
from storage.models import BrandBookEdition, BrandBookFile
from web import messages, paging
from web.auth import api_auth
from web.process_pages import NavItem
from web.unit_of_work import commit, ctx, db

bp = Blueprint("brand_request", __name__)
LIST = "brand_book_editions"
NAV = [NavItem("brand_request.library_page", N_("Brand book"), library.READERS, order=35, group="media")]
FIELDS = ("version", "effective_on", "note")


def _uploads() -> list[tuple[str, Any]]:
    return [(u.filename, u.stream) for u in request.files.getlist("file") if u.filename]


def _render(c, *, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
            summary: dict[str, str] | None = None, status: int = 200):
    rows = library.editions(c)
    current = library.in_force(c)
    return render_template("brand_request/library.html", editions=rows, current=current,
                           may_upload=library.may_upload(c.user), errors=errors or {}, values=values or {},
                           summary=summary or {}, today=today_local(c.now())), status


@bp.get("/brand-book")
@login_required
def library_page():
    return _render(ctx())


@bp.post("/brand-book")
@login_required
def upload():
    c = ctx()
    library.require_uploader(c)
    body = {k: request.form.get(k, "") for k in FIELDS}
    try:
        row = library.upload_edition(c, body["version"], body["effective_on"], body["note"], _uploads())
    except Invalid as error:
        db().rollback()
        return _render(ctx(), errors=messages.field_errors(error.errors), values=body, status=422,
                       summary=messages.summary(error.errors))
    except Conflict as error:  # the version label is taken: said at the field, nothing kept
        db().rollback()
        found = {"version": error.message}
        return _render(ctx(), errors=messages.field_errors(found), values=body, status=409,
                       summary=messages.summary(found))
    flash(_("Edition %(version)s of the brand guideline was uploaded.", version=row.version), "success")
    return redirect(url_for("brand_request.library_page"), 303)


def _download(file_id: int):
    c = ctx()
    library.require_reader(c, f"brand_book_file:{file_id}")  # a refusal is audited before anything is read
    db().rollback()  # a read so far: the opening is audited in a transaction that takes the write lock first
    with writing():
        c = ctx()
        row = library.open_file(c, file_id)
        commit()
    # always an attachment (never shown inline), never sniffed, never cached
    response = send_file(c.services.blobs.path(row.sha256), mimetype=row.content_type, as_attachment=True,
                         download_name=row.name, conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/brand-book/files/<int:file_id>")
@login_required
def download(file_id: int):
    """A file of an edition, as an attachment, never cached; the opening is audited (§6.4)."""
    return _download(file_id)


# --- JSON API ----------------------------------------------------------------------------------------

def file_json(row: BrandBookFile) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "size": row.size, "sha256": row.sha256,
            "content_type": row.content_type, "url": url_for("brand_request.api_file", file_id=row.id)}


def edition_json(row: BrandBookEdition, current: BrandBookEdition | None) -> dict[str, Any]:
    return {"id": row.id, "version": row.version, "effective_on": row.effective_on.isoformat(), "note": row.note,
            "in_force": current is not None and current.id == row.id,
            "uploaded_by": row.uploaded_by.username, "uploaded_at": row.created_at.isoformat(),
            "files": [file_json(f) for f in row.files]}


@bp.get("/api/v1/brand-book/editions")
@api_auth
def api_editions():
    """The editions (MCD, management, auditors), the latest effective date first; a page at a time."""
    c = ctx()
    page_ = library.editions_page(c, **paging.position(LIST))
    current = library.in_force(c)
    return paging.link_header(jsonify([edition_json(r, current) for r in page_.items]), LIST, page_)


@bp.get("/api/v1/brand-book/in-force")
@api_auth
def api_in_force():
    """The edition in force today, or 404 when none has taken effect yet."""
    c = ctx()
    library.require_reader(c)
    current = library.in_force(c)
    if current is None:
        return jsonify(error=_("No edition of the brand guideline is in force yet.")), 404
    return jsonify(edition_json(current, current))


@bp.get("/api/v1/brand-book/editions/<int:edition_id>")
@api_auth
def api_edition(edition_id: int):
    c = ctx()
    return jsonify(edition_json(library.get_edition(c, edition_id), library.in_force(c)))


@bp.post("/api/v1/brand-book/editions")
@api_auth
def api_upload():
    """A new edition (MCD): multipart with `version`, `effective_on` (YYYY-MM-DD), `note` and one or more `file`."""
    c = ctx()
    library.require_uploader(c)
    row = library.upload_edition(c, request.form.get("version"), request.form.get("effective_on"),
                                 request.form.get("note", ""), _uploads())
    return jsonify(edition_json(row, library.in_force(c))), 201


@bp.get("/api/v1/brand-book/files/<int:file_id>")
@api_auth
def api_file(file_id: int):
    """A file of an edition, as an attachment; the opening is audited (§6.4)."""
    return _download(file_id)


CSRF_EXEMPT = (api_upload,)
