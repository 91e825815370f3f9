"""Render the release record of a media inquiry (§10.2, §3.8) as PDF.

Built like the information request's letter (``processes.information_request.letters``) on
``processes.documents``: the shared templates (``document_base.html``, ``document_macros.html``),
the house stylesheet plus ``templates/release.css``, the QR code and the asset-only URL fetcher.
The record is in ONE language, the inquiry's answer language (kk, ru or en): every fixed phrase is
an English msgid translated through that language's catalog only, and every code (release method,
urgency, status) is printed as its label from ``labels.py`` in that language.

What it records is what ``kind.issue_release`` fixed in ``doc.public`` when the inquiry ended: the
outlet and journalist, the questions, the single source (§3.8), the cleared answer with its SHA-256,
the enclosed files with theirs, the clearance and the release, and each unit asked with its urgency,
due time and answer time (§7.10.2: on time, or late by how much). Times are Asia/Almaty.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from processes.documents import (
    document_gettexts,
    file_size_texts,
    fingerprint_lines,
    local_time,
    qr_data_uri,
    render_document_html,
    render_html_to_pdf,
)
from processes.information_request.letters import UNIVERSITY_ABBREVIATIONS, UNIVERSITY_ADDRESSES, UNIVERSITY_NAMES
from processes.information_request.letters import paragraphs as _paragraphs
from processes.media_inquiry.labels import VALUES
from processes.usecases.context import Settings
from storage.models import Document

TEMPLATES = Path(__file__).resolve().parent / "templates"
STYLESHEET = "release.css"
RELEASE_LANGUAGES = ("kk", "ru", "en")

# The letterhead in English (kk and ru come from the information request's letters, the one place they live).
NAMES = {**UNIVERSITY_NAMES, "en": "M. Dulatov Kostanay Engineering and Economics University"}
ADDRESSES = {**UNIVERSITY_ADDRESSES, "en": "59 Chernyshevsky St., Kostanay, 110007, Kazakhstan"}
ABBREVIATIONS = {**UNIVERSITY_ABBREVIATIONS, "en": "KInEU"}

Gettext = Callable[[str], str]


def render_release(doc: Document, settings: Settings) -> bytes:
    """The release record of ``doc`` (kind media_release) as an A4 PDF."""
    return render_html_to_pdf(render_release_html(doc, settings), TEMPLATES, STYLESHEET)


def render_release_html(doc: Document, settings: Settings) -> str:
    """The record's HTML in its one language (all data autoescaped)."""
    p: dict[str, Any] = doc.public or {}
    language = str(p.get("language")) if p.get("language") in RELEASE_LANGUAGES else "kk"
    gettext = document_gettexts(settings.translations_dir)[language]
    verify_url = f"{settings.base_url.rstrip('/')}/verify/{doc.verification_code}"
    files = [{"name": f.get("name", ""), "size": file_size_texts(int(f.get("size") or 0), {language: gettext})[0][1],
              "fingerprint_lines": fingerprint_lines(str(f.get("sha256", "")))} for f in p.get("files") or []]
    units = [_unit_row(u, language, gettext) for u in p.get("units") or []]
    positions = p.get("source_positions") or {}
    position = positions.get(language) if isinstance(positions, dict) else None
    return render_document_html(
        "release.html",
        {language: gettext},
        TEMPLATES,
        _=gettext,
        p=p,
        language=language,
        reg_number=doc.reg_number or p.get("reg_number", ""),
        verification_code=doc.verification_code,
        verify_url=verify_url,
        qr_uri=qr_data_uri(verify_url),
        university_name=NAMES[language],
        university_address=ADDRESSES[language],
        university_abbreviation=ABBREVIATIONS[language],
        issued=_when(p.get("issued_at")) or (local_time(doc.issued_at) if doc.issued_at else ""),
        cleared=_when(p.get("cleared_at")),
        released=_when(p.get("released_at")),
        method=_value(gettext, "method", p.get("release_method")),
        source_position=position or p.get("source_position") or "",
        questions=[str(q) for q in p.get("questions") or []],
        answer_paragraphs=_paragraphs(str(p.get("answer_text") or "")),
        answer_fingerprint=fingerprint_lines(str(p.get("answer_sha256") or "")),
        files=files,
        units=units,
    )


def _unit_row(u: dict[str, Any], language: str, gettext: Gettext) -> dict[str, Any]:
    names = u.get("names") or {}
    late = u.get("late_seconds")
    status = u.get("status")
    if status == "answered" or status == "not_competent":
        timing = late_text(late, gettext) if late else gettext("on time")
    else:
        timing = _value(gettext, "status", status)
    return {"name": names.get(language) or names.get("kk") or u.get("unit", ""),
            "urgency": _value(gettext, "urgency", u.get("urgency")),
            "sent": _when(u.get("sent_at")), "due": _when(u.get("due_at")),
            "answered": _when(u.get("answered_at")), "late": bool(late),
            "timing": timing, "not_competent": status == "not_competent",
            "status": _value(gettext, "status", status)}


def _value(gettext: Gettext, key: str, code: Any) -> str:
    """A code as its label in the record's language; never the bare code, "—" for none."""
    msgid = VALUES.get(key, {}).get(str(code)) if code else None
    return gettext(msgid) if msgid else "—"


def _when(value: Any) -> str:
    if not value:
        return ""
    try:
        return local_time(datetime.fromisoformat(str(value)))
    except ValueError:
        return ""


def duration_text(seconds: int | float, gettext: Gettext) -> str:
    """A length of time as "1 d 2 h 15 min" (the non-zero parts; at least "0 min"), in gettext's language."""
    minutes = max(0, int(seconds // 60))
    days, hours, mins = minutes // 1440, (minutes % 1440) // 60, minutes % 60
    parts = []
    if days:
        parts.append(gettext("%(n)s d") % {"n": days})
    if hours:
        parts.append(gettext("%(n)s h") % {"n": hours})
    if mins or not parts:
        parts.append(gettext("%(n)s min") % {"n": mins})
    return " ".join(part.replace(" ", "\u00a0") for part in parts)  # "2 h" never split across lines


def late_text(seconds: int | float, gettext: Gettext) -> str:
    """ "late by 2 h 15 min" in gettext's language."""
    return gettext("late by %(time)s") % {"time": duration_text(seconds, gettext)}
