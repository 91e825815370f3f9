"""Render the external material sign-off sheet (§7.5) as PDF.

Built on ``processes.documents``: the same templates folder, Jinja environment, trilingual
labels, house stylesheet, QR code and asset-only URL fetcher. Codes (material types,
channels, audiences, checklist items, roles, decisions) become translated labels in
``templates/signoff_sheet.html``; unknown codes are printed as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from processes.documents import (
    document_gettexts,
    file_size_texts,
    fingerprint_lines,
    is_sha256_hex,
    local_time,
    qr_data_uri,
    render_document_html,
    render_html_to_pdf,
)
from processes.university_time import date_text

TEMPLATES = Path(__file__).resolve().parent / "templates"



@dataclass(frozen=True)
class SheetFile:
    """One approved file version and the fingerprint of its bytes."""

    name: str
    version: int
    size: int
    sha256: str

    def __post_init__(self) -> None:
        """Refuse a file entry that would misidentify the approved bytes."""
        if not is_sha256_hex(self.sha256):
            raise ValueError(f"sha256 of {self.name!r} must be a SHA-256 hex digest")
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ValueError("version must be a positive integer")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise ValueError("size must be a non-negative integer")


@dataclass(frozen=True)
class ChecklistLine:
    """One brand-guideline check: item code, whether it passed, the specialist's remark."""

    item: str
    ok: bool
    remark: str = ""


@dataclass(frozen=True)
class Reviewer:
    """One decision on the material: who took it, in which role, and when."""

    role: str
    name: str
    position: str | Mapping[str, str]  # {"kk", "ru", "en"}, or one text (sheets issued before)
    decision: str
    at: datetime

    def __post_init__(self) -> None:
        """Refuse a decision time that cannot be shown in Almaty time."""
        _require_aware(self.at, "reviewer time")


@dataclass(frozen=True)
class SignoffSheet:
    """The data printed on an external material sign-off sheet (§7.5)."""

    reg_number: str
    unit_name: str | Mapping[str, str]  # {"kk", "ru", "en"}, or one text
    title: str
    material_type: str
    channel: str
    audiences: Sequence[str]
    planned_date: date
    files: Sequence[SheetFile]
    checklist: Sequence[ChecklistLine]
    override_reason: str | None
    reviewers: Sequence[Reviewer]
    approved_at: datetime
    verification_code: str
    verify_url: str

    def __post_init__(self) -> None:
        """Freeze the lists and refuse data that would print a misleading sheet."""
        for name in ("audiences", "files", "checklist", "reviewers"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.files:
            raise ValueError("a sign-off sheet lists at least one approved file")
        if not all(isinstance(item, SheetFile) for item in self.files):
            raise ValueError("files must be SheetFile entries")
        if not self.reviewers:
            raise ValueError("a sign-off sheet names at least one reviewer")
        if any(not line.ok for line in self.checklist) and not self.override_reason:
            raise ValueError("a failed checklist item needs an override reason")
        _require_aware(self.approved_at, "approved_at")
        if urlsplit(self.verify_url).scheme not in ("https", "http"):
            raise ValueError("verify_url must be an absolute http(s) URL")


def render_signoff_sheet(sheet: SignoffSheet, translations_dir: Path | None = None) -> bytes:
    """Render the external material sign-off sheet as an A4 PDF (one page or more)."""
    return render_html_to_pdf(render_signoff_sheet_html(sheet, translations_dir), TEMPLATES)


def render_signoff_sheet_html(sheet: SignoffSheet, translations_dir: Path | None = None) -> str:
    """Render the sign-off sheet's HTML (all user data autoescaped)."""
    gettexts = document_gettexts(translations_dir)
    files = [
        {
            "file": item,
            "size_texts": file_size_texts(item.size, gettexts),
            "fingerprint_lines": fingerprint_lines(item.sha256),
        }
        for item in sheet.files
    ]
    return render_document_html(
        "signoff_sheet.html",
        gettexts,
        TEMPLATES,
        sheet=sheet,
        files=files,
        planned_date=date_text(sheet.planned_date),
        approved_at=local_time(sheet.approved_at),
        reviewer_times=[local_time(reviewer.at) for reviewer in sheet.reviewers],
        qr_uri=qr_data_uri(sheet.verify_url),
    )


def _require_aware(moment: datetime, what: str) -> None:
    """Raise ValueError unless ``moment`` is a timezone-aware datetime."""
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")
