"""Render the answer or refusal letter to a written information request (§11) as PDF.

Built on ``processes.documents``: the same templates folder, Jinja environment, house
stylesheet (plus ``templates/letter.css``), QR code and asset-only URL fetcher. Unlike the
trilingual certificate, a letter is an official outgoing letter of the university in ONE
language, the request's (kk or ru): every fixed phrase of ``templates/letter.html`` is an
English msgid translated through that language's catalog only.

What the letter cites (Information Policy): §11.2 (the information or a reasoned refusal
within 10 working days), §11.4 (the rector decides), and for a refusal its lawful ground:
commercial or service secret (§12), personal data protection (§3.2.6), state secret (§2.4),
or another ground the law provides (``law_reference``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from processes.documents import (
    document_gettexts,
    file_size_texts,
    fingerprint_lines,
    is_sha256_hex,
    local_date_text,
    qr_data_uri,
    render_document_html,
    render_html_to_pdf,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
STYLESHEET = "letter.css"  # on top of the house style, parsed once (render_html_to_pdf)

KINDS = ("answer_letter", "refusal_letter")
LETTER_LANGUAGES = ("kk", "ru")
GROUNDS = ("commercial_secret", "service_secret", "personal_data", "state_secret", "other_legal")

# The letterhead, per letter language. Change them here: nothing else repeats them.
UNIVERSITY_NAMES = {
    "kk": "М. Дулатов атындағы Қостанай инженерлік-экономикалық университеті",
    "ru": "Костанайский инженерно-экономический университет имени М. Дулатова",
}
UNIVERSITY_ADDRESSES = {
    "kk": "110007, Қостанай қ., Чернышевский к-сі, 59",
    "ru": "110007, г. Костанай, ул. Чернышевского, 59",
}
UNIVERSITY_ABBREVIATIONS = {"kk": "ҚИнЭУ", "ru": "КИнЭУ"}

_OPTIONAL_TEXTS = ("postal_address", "email", "answer_text", "law_reference", "reason", "unit_name")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


@dataclass(frozen=True)
class LetterFile:
    """One enclosed file and the fingerprint of its bytes."""

    name: str
    size: int
    sha256: str

    def __post_init__(self) -> None:
        """Refuse an enclosure that would misidentify the bytes sent."""
        if not is_sha256_hex(self.sha256):
            raise ValueError(f"sha256 of {self.name!r} must be a SHA-256 hex digest")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise ValueError("size must be a non-negative integer")


@dataclass(frozen=True)
class Letter:
    """The data printed on an answer or refusal letter to a written information request."""

    kind: str
    language: str
    out_number: str
    issued_at: datetime
    request_number: str
    received_at: datetime
    requester_name: str
    postal_address: str
    email: str
    subject: str
    partial: bool
    answer_text: str
    files: tuple[LetterFile, ...]
    ground: str | None
    law_reference: str
    reason: str
    unit_name: str
    signatory_name: str
    signatory_position: str
    verification_code: str
    verify_url: str

    def __post_init__(self) -> None:
        """Freeze the enclosures and refuse data that would print a misleading letter.

        Lenient only where nothing can be misread: the optional texts may come as None (kept
        as ""), and a full answer's ground as "" (kept as None).
        """
        object.__setattr__(self, "files", tuple(self.files))
        for name in _OPTIONAL_TEXTS:
            if getattr(self, name) is None:
                object.__setattr__(self, name, "")
        if self.ground == "":
            object.__setattr__(self, "ground", None)
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if self.language not in LETTER_LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LETTER_LANGUAGES)}")
        _require_aware(self.issued_at, "issued_at")
        _require_aware(self.received_at, "received_at")
        url = urlsplit(self.verify_url) if isinstance(self.verify_url, str) else None
        if url is None or url.scheme not in ("https", "http") or not url.netloc:
            raise ValueError("verify_url must be an absolute http(s) URL")
        if not all(isinstance(item, LetterFile) for item in self.files):
            raise ValueError("files must be LetterFile entries")
        if self.ground is not None and self.ground not in GROUNDS:
            raise ValueError(f"ground must be None or one of {', '.join(GROUNDS)}")
        if self.kind == "refusal_letter":
            self._check_refusal()
        else:
            self._check_answer()

    def _check_answer(self) -> None:
        """An answer says something; only a partial one carries a refusal ground."""
        if not self.answer_text.strip() and not self.files:
            raise ValueError("an answer letter needs an answer text or enclosures")
        if self.partial:
            self._check_ground()
        elif self.ground is not None:
            raise ValueError("a full answer has no refusal ground (set partial=True)")

    def _check_refusal(self) -> None:
        """A refusal provides nothing and is reasoned and lawful (§11.2)."""
        if self.partial:
            raise ValueError("a refusal letter cannot be partial: use an answer letter")
        if self.answer_text.strip() or self.files:
            raise ValueError("a refusal letter has no answer text and no enclosures")
        self._check_ground()

    def _check_ground(self) -> None:
        """A refusal (or a refused part) names its lawful ground and a written reason."""
        if self.ground is None:
            raise ValueError("a refusal needs a lawful ground")
        if self.ground == "other_legal" and not self.law_reference.strip():
            raise ValueError("ground other_legal needs the law cited in law_reference")
        if not self.reason.strip():
            raise ValueError("a refusal needs a written reason")

    @property
    def is_refusal(self) -> bool:
        """Whether the letter refuses the whole request."""
        return self.kind == "refusal_letter"


def render_letter(letter: Letter, translations_dir: Path | None = None) -> bytes:
    """Render the answer or refusal letter as an A4 PDF (one page or more)."""
    return render_html_to_pdf(render_letter_html(letter, translations_dir), TEMPLATES, STYLESHEET)


def render_letter_html(letter: Letter, translations_dir: Path | None = None) -> str:
    """Render the letter's HTML in its one language (all user data autoescaped)."""
    gettext = document_gettexts(translations_dir)[letter.language]
    one_language = {letter.language: gettext}
    files = [
        {
            "file": item,
            "size": file_size_texts(item.size, one_language)[0][1],
            "fingerprint_lines": fingerprint_lines(item.sha256),
        }
        for item in letter.files
    ]
    return render_document_html(
        "letter.html",
        one_language,
        TEMPLATES,
        _=gettext,
        letter=letter,
        university_name=UNIVERSITY_NAMES[letter.language],
        university_address=UNIVERSITY_ADDRESSES[letter.language],
        university_abbreviation=UNIVERSITY_ABBREVIATIONS[letter.language],
        issued_date=local_date_text(letter.issued_at),
        received_date=local_date_text(letter.received_at),
        answer_paragraphs=paragraphs(letter.answer_text),
        reason_paragraphs=paragraphs(letter.reason),
        files=files,
        shows_answer=not letter.is_refusal,
        shows_refusal=letter.is_refusal or letter.partial,
        qr_uri=qr_data_uri(letter.verify_url),
    )


def paragraphs(text: str) -> list[str]:
    """Split text into paragraphs at blank lines; single line breaks stay inside a paragraph."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return [part.strip("\n") for part in _PARAGRAPH_BREAK.split(text) if part.strip()] if text else []


def _require_aware(moment: datetime, what: str) -> None:
    """Raise ValueError unless ``moment`` is a timezone-aware datetime."""
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")
