"""The case file of an instance for auditors (issue 14, point 4): `GET /api/v1/instances/<id>/case-file` (bearer)
and `GET /instances/<id>/case-file` (the instance page's link), each answering a new case file as a PDF.

Each call issues one (numbered, verifiable, audited as `case_file_issued`) in a write transaction of its own,
commits it, renders its PDF at once and answers it: the file shows the case as it stands at that moment. Its
texts are in the language asked for (`?lang=kk|ru|en`; by default the caller's), named here through the page
labels under that locale. Auditors only (403; a refusal is audited as a denial), 404 for an unknown case.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, get_template_attribute, request, send_file
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup

from processes.case_file import LANGUAGES
from processes.usecases import case_files, instances
from storage.db import writing
from storage.models import Document
from web.auth import api_auth
from web.downloads import pending_response
from web.labels import ProcessLabels
from web.unit_of_work import commit, ctx, db, render_now

api_bp = Blueprint("case_file_api", __name__, url_prefix="/api/v1")
bp = Blueprint("case_files", __name__)


def _plain(value: Any) -> str:
    """A label (or a macro's markup) as plain text."""
    return Markup(str(value if value is not None else "")).striptags()


def labels() -> dict[str, Callable[..., str]]:
    """The names of codes for the case file, in the locale in force when they are called."""
    process_labels = ProcessLabels()

    def macro(name: str) -> Callable[..., str]:
        found = get_template_attribute("_labels.html", name)
        return lambda *args: _plain(found(*args))

    return {
        "action": macro("action_label"),
        "role": macro("role_label"),
        "task": lambda name, fallback=None, process=None: _plain(process_labels.task(name, fallback, process)),
        "status": macro("status_label"),
        "outcome": macro("outcome_label"),
        "document": macro("document_kind_label"),
        "process": macro("process_label"),
        "data_key": macro("data_key_label"),
        "data_value": macro("data_value"),
    }


def _lang(default: str) -> str:
    lang = request.args.get("lang", "").strip() or default
    if lang not in LANGUAGES:
        abort(400, description=_("lang must be kk, ru or en."))
    return lang


def _case_file(instance_id: int, default_lang: str) -> Response:
    c = ctx()
    case_files.require_auditor(c, instance_id)  # 403 (audited) before anything is read
    instances.get_instance(c, instance_id)  # 404 for an unknown case
    lang = _lang(default_lang)
    db().rollback()  # a read so far: the file is issued in a transaction that takes the write lock first
    with writing():
        c = ctx()
        with force_locale(lang):
            doc = case_files.issue(c, instances.get_instance(c, instance_id), lang, labels())
        doc_id = doc.id
        commit()
    render_now(instance_id)  # its PDF now (outside the transaction), as the answer needs it
    row = db().get(Document, doc_id, populate_existing=True)  # as the rendering stored it
    if row is None:  # pragma: no cover - committed above
        abort(404)
    if row.sha256 is None:  # the rendering failed: it stays pending, the worker tries again
        return pending_response(row)
    response = send_file(c.services.blobs.path(row.sha256), mimetype="application/pdf", as_attachment=True,
                         download_name=f"case-file-{instance_id}-{row.reg_number}.pdf", conditional=False,
                         etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@api_bp.get("/instances/<id:instance_id>/case-file")
@api_auth
def case_file_api(instance_id: int) -> Response:
    """A new case file of the instance, as PDF (auditors; `?lang=kk|ru|en`, by default the caller's)."""
    user = ctx().user
    return _case_file(instance_id, user.locale if user is not None and user.locale in LANGUAGES else "kk")


@bp.get("/instances/<id:instance_id>/case-file")
@login_required
def case_file_page(instance_id: int) -> Response:
    """The same for an auditor signed in (the instance page's link), by default in the page's language."""
    lang = str(get_locale() or "kk")
    return _case_file(instance_id, lang if lang in LANGUAGES else "kk")

