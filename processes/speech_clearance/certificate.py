"""The speech text clearance certificate (§8.6) as a PDF, on the shared document pipeline."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from forms.validate import N_
from processes.documents import (
    document_gettexts,
    fingerprint_lines,
    is_sha256_hex,
    language_texts,
    local_time,
    qr_data_uri,
    render_document_html,
    render_html_to_pdf,
)
from processes.university_time import date_text

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Certificate:
    """The data printed on a speech text clearance certificate (§8.6)."""

    reg_number: str
    employee_name: str
    event_name: str
    event_date: date
    organizer: str
    title: str
    approver_name: str
    approver_position: str | Mapping[str, str]  # {"kk", "ru", "en"}, or one text (certificates issued before)
    approved_at: datetime
    fingerprint: str
    content_version: int
    verification_code: str
    verify_url: str
    acting_for: str | None = None  # the absent public person a substitute cleared it for (none before)

    def __post_init__(self) -> None:
        """Refuse data that would print a misleading certificate."""
        if not is_sha256_hex(self.fingerprint):
            raise ValueError("fingerprint must be a SHA-256 hex digest")
        if self.approved_at.utcoffset() is None:
            raise ValueError("approved_at must be timezone-aware")
        if urlsplit(self.verify_url).scheme not in ("https", "http"):
            raise ValueError("verify_url must be an absolute http(s) URL")


def render_certificate(cert: Certificate, translations_dir: Path | None = None) -> bytes:
    """Render the speech text clearance certificate as an A4 PDF."""
    return render_html_to_pdf(render_certificate_html(cert, translations_dir), TEMPLATES)


def render_certificate_html(cert: Certificate, translations_dir: Path | None = None) -> str:
    """Render the certificate's HTML (all user data autoescaped)."""
    gettexts = document_gettexts(translations_dir)
    return render_document_html(
        "certificate.html",
        gettexts,
        TEMPLATES,
        cert=cert,
        position=acting_position(cert.approver_position, gettexts) if cert.acting_for else cert.approver_position,
        event_date=date_text(cert.event_date),
        approved_at=local_time(cert.approved_at),
        fingerprint_lines=fingerprint_lines(cert.fingerprint),
        qr_uri=qr_data_uri(cert.verify_url),
    )


def acting_position(position: str | Mapping[str, str], gettexts: Mapping[str, Callable[[str], str]]
                    ) -> dict[str, str]:
    """A position held by a substitute, in each document language: "м.а. …" (kk), "и.о. …" (ru), "acting …"."""
    texts = dict(language_texts(position))
    return {lang: f"{gettext(ACTING)} {texts[lang]}" for lang, gettext in gettexts.items() if lang in texts}


ACTING = N_("acting")  # kk "м.а.", ru "и.о.": before the position of the person a substitute acts for
