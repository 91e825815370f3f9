"""The case file of an instance as a PDF (issue 14, point 4), rendered from what was fixed when it was issued.

Issued by `processes.usecases.case_files.issue` (auditors only); no process issues it, so the catalog finds its
renderer among the general ones (`catalog.GENERAL_RENDERERS`). Like a letter it speaks ONE language, the one the
auditor chose (kk, ru or en): every fixed phrase of ``templates/case_file.html`` is an English msgid translated
through that language's catalog, and every code was named in that language when the file was issued (the
snapshot in `Document.public`). The diagram with the path taken is the SVG drawn then, embedded as an image.
"""
from __future__ import annotations

import base64
from datetime import datetime
from typing import TYPE_CHECKING, Any

from forms.validate import N_
from processes.documents import (
    document_gettexts,
    file_size_texts,
    fingerprint_lines,
    local_time,
    qr_data_uri,
    render_document_html,
    render_html_to_pdf,
)
from processes.university_time import date_text, deadline_day, ends_with_day

if TYPE_CHECKING:
    from processes.usecases.context import Settings
    from storage.models import Document

KIND = "case_file"
TITLE = N_("Case file")  # the document kind's label (web/labels.py)
LANGUAGES = ("kk", "ru", "en")
STYLESHEET = "case_file.css"  # in processes/templates, on top of the house style


def render_case_file(doc: Document, settings: Settings) -> bytes:
    """Render a case file to PDF (A4 landscape) from its snapshot."""
    return render_html_to_pdf(render_case_file_html(doc, settings), None, STYLESHEET)


def render_case_file_html(doc: Document, settings: Settings) -> str:
    """The case file's HTML in its one language (all data autoescaped; the diagram as a data: image)."""
    p = doc.public
    lang = p["lang"]
    gettext = document_gettexts(settings.translations_dir)[lang]

    def when(value: str | None) -> str:
        return local_time(datetime.fromisoformat(value)) if value else "—"

    def due(value: str | None) -> str:
        if not value:
            return "—"
        moment = datetime.fromisoformat(value)
        if ends_with_day(moment):
            day = deadline_day(moment)
            assert day is not None  # a moment has its day
            return gettext("by %(day)s, end of day") % {"day": date_text(day)}
        return gettext("by %(moment)s") % {"moment": local_time(moment)}

    def size(value: Any) -> str:
        return file_size_texts(value, {lang: gettext})[0][1] if isinstance(value, int) else "—"

    svg = p.get("diagram")
    verify_url = f"{settings.base_url.rstrip('/')}/verify/{doc.verification_code}"
    return render_document_html(
        "case_file.html",
        {lang: gettext},
        None,
        _=gettext,
        doc=doc,
        p=p,
        s=p["summary"],
        lang=lang,
        chain=p["chain"],
        university_name=gettext("M. Dulatov Kostanay Engineering and Economics University"),
        when=when,
        due=due,
        size=size,
        fingerprint_lines=fingerprint_lines,
        diagram_uri=("data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii"))
        if svg else None,
        verify_url=verify_url,
        qr_uri=qr_data_uri(verify_url),
    )
