"""Is this PDF the genuine one? (issue 17, part 2): the PAdES check of a PDF, offline, with pyHanko's validator.

`check_pdf(data, trust_roots)` reads the PDF's signatures and says, without any database:

- whether the first signature is intact (its digest matches the bytes it covers), cryptographically valid and
  made by a certificate that chains to one of ``trust_roots``; its signer, the signing time it states, and the
  time of its RFC 3161 timestamp (B-T) or of a later document timestamp;
- whether anything was changed after signing: bytes outside the signed range that are more than document
  timestamps and validation data (an incremental update adding a page, editing content or filling a field), or a
  second signature (by another key, or even by the same one);
- the SHA-256 of the whole file and of the signed revision (the bytes the first signature covers, up to the end of
  its revision): the registry knows issued files by the first, and recognises a file with later additions by the
  second.

Not a PDF, or an encrypted one: `PdfRefused` (the caller answers 4xx). Problems are codes (`PROBLEMS`); the web
layer and `kelisim verify-pdf` word them.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

log = logging.getLogger("kelisim.pdf_check")

# what can be wrong with a PDF, in the order a reader should learn it
PROBLEMS = ("not_signed", "altered", "invalid_signature", "untrusted", "changed_after_signing", "second_signature",
            "bad_timestamp")


class PdfRefused(ValueError):
    """The upload cannot be checked: ``reason`` is "not_pdf" or "encrypted"."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass
class PdfCheck:
    """What a PDF's signatures say; ``genuine`` only when nothing is wrong."""

    sha256: str
    size: int
    signed_revision_sha256: str | None = None
    signer: str | None = None
    signer_certificate_sha256: str | None = None
    signed_at: datetime | None = None  # the time the signature states (/M), not proven by itself
    timestamp: datetime | None = None  # the RFC 3161 time: the signature's token, else a document timestamp
    timestamp_kind: str | None = None  # "signature" (B-T) or "document" (added later)
    problems: list[str] = field(default_factory=list)
    other_signers: list[str] = field(default_factory=list)

    @property
    def genuine(self) -> bool:
        return not self.problems


def load_trust_roots(pem_or_der: bytes) -> list[asn1_x509.Certificate]:
    """Certificates from a PEM file (one or more) or one DER certificate."""
    if pem.detect(pem_or_der):
        return [asn1_x509.Certificate.load(der) for _type, _headers, der in pem.unarmor(pem_or_der, multiple=True)]
    return [asn1_x509.Certificate.load(pem_or_der)]


def check_pdf(data: bytes, trust_roots: list[asn1_x509.Certificate]) -> PdfCheck:
    """Check ``data`` against ``trust_roots``; PdfRefused when it is not a PDF or is encrypted."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader

    result = PdfCheck(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    if b"%PDF-" not in data[:1024]:
        raise PdfRefused("not_pdf", "no PDF header")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        encrypted = reader.encrypt_dict is not None
    except (PdfReadError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise PdfRefused("not_pdf", str(exc)[:200]) from None
    if encrypted:
        raise PdfRefused("encrypted")
    try:
        regular = list(reader.embedded_regular_signatures)
        stamps = list(reader.embedded_timestamp_signatures)
    except (PdfReadError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise PdfRefused("not_pdf", str(exc)[:200]) from None
    if not regular:
        result.problems.append("not_signed")
        return result
    try:
        asyncio.run(_check(result, data, regular, stamps, trust_roots))
    except (PdfReadError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.info("signature check failed: %s", exc)
        if "invalid_signature" not in result.problems:
            result.problems.append("invalid_signature")
    result.problems.sort(key=PROBLEMS.index)
    return result


async def _check(result: PdfCheck, data: bytes, regular: list, stamps: list,
                 trust_roots: list[asn1_x509.Certificate]) -> None:
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    first = regular[0]
    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
    byte_range = list(first.byte_range)
    if len(byte_range) == 4:
        end = int(byte_range[2]) + int(byte_range[3])
        result.signed_revision_sha256 = hashlib.sha256(data[:end]).hexdigest()
    cert = first.signer_cert
    result.signer = _common_name(cert)
    result.signer_certificate_sha256 = hashlib.sha256(cert.dump()).hexdigest()
    result.signed_at = first.self_reported_timestamp
    status = await async_validate_pdf_signature(first, context, ts_validation_context=context)
    if not status.intact:
        result.problems.append("altered")
    elif not status.valid:
        result.problems.append("invalid_signature")
    elif not status.trusted:
        result.problems.append("untrusted")
    coverage_ok = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION and status.modification_level is not None
        and status.modification_level <= ModificationLevel.LTA_UPDATES)
    if not coverage_ok and status.intact:
        result.problems.append("changed_after_signing")
    ts = status.timestamp_validity
    if ts is not None:
        if ts.intact and ts.valid:
            result.timestamp, result.timestamp_kind = ts.timestamp, "signature"
        else:
            result.problems.append("bad_timestamp")
    for other in regular[1:]:
        result.other_signers.append(_common_name(other.signer_cert))
        if "second_signature" not in result.problems:
            result.problems.append("second_signature")
    for stamp in stamps:
        stamp_status = await async_validate_pdf_timestamp(stamp, context)
        if not (stamp_status.intact and stamp_status.valid):
            result.problems.append("bad_timestamp")
        elif result.timestamp is None:
            result.timestamp, result.timestamp_kind = stamp_status.timestamp, "document"


def _common_name(cert: asn1_x509.Certificate) -> str:
    subject = cert.subject.native
    return str(subject.get("common_name") or cert.subject.human_friendly)
