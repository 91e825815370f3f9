"""The PAdES signer (issue 17): pyHanko signs a rendered PDF with the configured key (`processes.signing` loads
it and explains what a signature holds). Imported when the first PDF is signed, not by every command."""
from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

from processes.signing import Signed, TimestampUnavailable

log = logging.getLogger("kelisim.signing")

FIELD = "KelisimSignature"
TSA_TIMEOUT = 5.0  # seconds one request to the timestamp authority may take
RESERVE = 1024  # spare bytes for the CMS beyond the first signature's size (ECDSA signatures vary by a few)
RESERVE_TIMESTAMPED = 4096  # with a timestamp token, whose size varies more


class _Signer(signers.SimpleSigner):
    """pyHanko's in-memory signer, with the private key parsed once instead of on every signature."""

    def __init__(self, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from pyhanko.sign.general import get_pyca_cryptography_hash

        digest = get_pyca_cryptography_hash(digest_algorithm)
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ECDSA(digest))
        return self._key.sign(data, PKCS1v15(), digest)


class DocumentSigner:
    """Signs PDFs with one key (RSA or ECDSA) and its certificate chain."""

    def __init__(self, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, chain: list, tsa_url: str | None) -> None:
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        self.chain = chain
        self.certificate = chain[0]
        asn1_chain = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain]
        names = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        self.name = str(names[0].value) if names else self.certificate.subject.rfc4514_string()
        self.tsa_url = tsa_url
        self._reserved: dict[bool, int | None] = {}  # bytes kept for the CMS, without / with a timestamp token
        self._signer = _Signer(key, signing_cert=asn1_chain[0], signing_key=_key_info(key),
                               cert_registry=SimpleCertificateStore.from_certs(asn1_chain[1:]))
        self._meta = signers.PdfSignatureMetadata(
            field_name=FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
            reason="Issued by Kelisim", location="Kostanay, KZ", name=self.name)

    def chain_pem(self) -> str:
        """The signing certificate and the chain above it, PEM, signer first."""
        return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in self.chain)

    def timestamper(self) -> timestamps.TimeStamper | None:
        return timestamps.HTTPTimeStamper(self.tsa_url, timeout=TSA_TIMEOUT) if self.tsa_url else None

    def sign(self, pdf: bytes) -> Signed:
        """Sign ``pdf``: B-T with the configured authority, else (none, or it failed) B-B."""
        stamper = self.timestamper()
        if stamper is not None:
            try:
                out = self._sign(pdf, stamper)
                return Signed(out, self.name, _now(), True, _tsa_time(out))
            except (TimestampRequestError, SigningError, OSError, ValueError) as exc:
                log.warning("timestamp authority %s failed (%s): signing without a timestamp", self.tsa_url, exc)
                return Signed(self._sign(pdf, None), self.name, _now(), False, None, _reason(exc))
        return Signed(self._sign(pdf, None), self.name, _now(), False)

    def _sign(self, pdf: bytes, stamper: timestamps.TimeStamper | None) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        output = io.BytesIO()
        # pyHanko sizes the signature's room by building the whole CMS once more (a third of the signing time):
        # it is sized once per signer instead, from the first signature, with room for a timestamp token
        timestamped = stamper is not None
        signers.PdfSigner(self._meta, self._signer, timestamper=stamper).sign_pdf(
            writer, output=output, bytes_reserved=self._reserved.get(timestamped))
        out = output.getvalue()
        if timestamped not in self._reserved:
            size = _contents_size(out)
            # pyHanko counts the room in hex digits: two per byte of the CMS
            room = 2 * (size + (RESERVE_TIMESTAMPED if timestamped else RESERVE)) if size else None
            self._reserved[timestamped] = -(-room // 16) * 16 if room else None
        return out

    def timestamp(self, pdf: bytes) -> Signed:
        """Add a document timestamp to a signed PDF (an incremental update); TimestampUnavailable when the
        authority is not configured or does not answer."""
        stamper = self.timestamper()
        if stamper is None:
            raise TimestampUnavailable("no timestamp authority is configured (KELISIM_TSA_URL)")
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
            output = io.BytesIO()
            signers.PdfTimeStamper(stamper).timestamp_pdf(writer, "sha256", output=output)
        except (TimestampRequestError, SigningError, OSError, ValueError) as exc:
            raise TimestampUnavailable(_reason(exc)) from exc
        out = output.getvalue()
        return Signed(out, self.name, _now(), True, _tsa_time(out, document_timestamp=True))


def _key_info(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
    from asn1crypto import keys

    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return keys.PrivateKeyInfo.load(der)


def _contents_size(pdf: bytes) -> int | None:
    """How many bytes the last signature's CMS takes (None when it cannot be read)."""
    sigs = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    return len(sigs[-1].pkcs7_content) if sigs else None


def _tsa_time(pdf: bytes, document_timestamp: bool = False) -> datetime | None:
    """The time the authority gave: in the signature's timestamp token, or the document timestamp's."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    if document_timestamp:
        stamps = reader.embedded_timestamp_signatures
        return _gen_time(stamps[-1].signed_data) if stamps else None
    sigs = reader.embedded_regular_signatures
    if not sigs:
        return None
    from pyhanko.sign.validation.generic_cms import extract_tst_data_iter

    tokens = list(extract_tst_data_iter(sigs[0].signer_info, signed=False))
    return _gen_time(tokens[0]) if tokens else None


def _gen_time(signed_data) -> datetime | None:
    try:
        info = signed_data["encap_content_info"]["content"].parsed
        moment = info["gen_time"].native
    except (KeyError, ValueError, AttributeError):
        return None
    return moment if isinstance(moment, datetime) else None


def _reason(exc: BaseException) -> str:
    return (f"{type(exc).__name__}: {exc}")[:300]


def _now() -> datetime:
    return datetime.now(UTC)
