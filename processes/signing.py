"""PAdES signatures of issued PDFs (issue 17, part 1), with pyHanko.

Every PDF the render queue stores is signed right after its layout (`processes.rendering`): PAdES B-B
(``ETSI.CAdES.detached``, SHA-256, an invisible signature field), and B-T when a timestamp authority is
configured (RFC 3161, `KELISIM_TSA_URL`): the authority's token over the signature is embedded with it. When the
authority does not answer, the PDF is signed without a timestamp (`Signed.timestamped` False, the reason in
`Signed.tsa_error`); `timestamp` later adds a document timestamp as an incremental update, which makes a new
file whose first revision is the signed one.

The key comes from configuration, never from the database: a PKCS#12 file (`KELISIM_SIGNING_P12`, by default
the demo key under ``<data dir>/keys/``, see `processes.signing_keys`) and its password
(`KELISIM_SIGNING_PASSWORD`, or the first line of `KELISIM_SIGNING_PASSWORD_FILE`). `SignerHandle.get` loads it
once and refuses (`SigningKeyError`, a message for the operator) a missing file, a wrong password, a key of an
unsupported kind, or a certificate expired or not yet valid: the server and the worker load it before they start.
No Flask here.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from processes import signing_keys

if TYPE_CHECKING:
    from processes.pades import DocumentSigner

log = logging.getLogger("kelisim.signing")

VARIABLES = ("KELISIM_SIGNING_P12", "KELISIM_SIGNING_PASSWORD", "KELISIM_SIGNING_PASSWORD_FILE", "KELISIM_TSA_URL")


class SigningKeyError(RuntimeError):
    """The signing key cannot be used; the message tells the operator what to do."""


class TimestampUnavailable(RuntimeError):
    """The timestamp authority did not give a timestamp."""


@dataclass(frozen=True)
class SigningConfig:
    """Where the key is and how it opens; which timestamp authority to ask (None: no timestamps)."""

    p12: Path
    password: bytes | None = field(default=None, repr=False)
    password_file: Path | None = None
    tsa_url: str | None = None
    production: bool = True
    default_key: bool = False  # the P12 is the demo key's default place (no variable named one)


def config_from(environ: Mapping[str, str], data_dir: Path, production: bool = True) -> SigningConfig:
    """The signing configuration from the environment (or a Flask config's SIGNING_* overrides, same names
    without the KELISIM_ prefix): by default the demo key under ``<data dir>/keys/`` and its password file."""
    def get(name: str) -> str | None:
        value = environ.get(name)
        return value if value else None

    demo = signing_keys.demo_paths(Path(data_dir) / "keys")
    named = get("KELISIM_SIGNING_P12")
    p12 = Path(named) if named else demo.p12
    password = get("KELISIM_SIGNING_PASSWORD")
    password_file = get("KELISIM_SIGNING_PASSWORD_FILE")
    return SigningConfig(
        p12=p12, password=password.encode() if password is not None else None,
        password_file=Path(password_file) if password_file else (demo.password_file if not named else None),
        tsa_url=get("KELISIM_TSA_URL"), production=production, default_key=not named)


def from_environment() -> SignerHandle:
    """A handle on the key the environment names (for services built without a configuration, e.g. scripts)."""
    data_dir = Path(os.environ.get("KELISIM_DATA_DIR", "instance")).resolve()
    return SignerHandle(config_from(os.environ, data_dir, os.environ.get("KELISIM_ENV", "production") != "development"))


@dataclass(frozen=True)
class Signed:
    """A signed (or re-timestamped) PDF and what its signature says."""

    pdf: bytes
    signer: str
    signed_at: datetime
    timestamped: bool
    tsa_time: datetime | None = None
    tsa_error: str | None = None


class SignerHandle:
    """The configured signer, loaded on first use (and by the server and worker before they start)."""

    def __init__(self, config: SigningConfig) -> None:
        self.config = config
        self._signer: DocumentSigner | None = None
        self._lock = threading.Lock()

    def get(self) -> DocumentSigner:
        if self._signer is None:
            with self._lock:
                if self._signer is None:
                    self._signer = load_signer(self.config)
        return self._signer


def load_signer(config: SigningConfig, now: datetime | None = None) -> DocumentSigner:
    """Open the PKCS#12 file and check its certificate; any problem is a SigningKeyError naming what to do."""
    now = now or datetime.now(UTC)
    if not config.p12.is_file():
        if config.default_key and not config.production:
            made = signing_keys.make_demo_keys(config.p12.parent)  # development: the demo key, made once
            log.warning("no signing key configured: signing with the demo key made in %s", made.folder)
        elif config.default_key:
            raise SigningKeyError(
                f"no signing key: {config.p12} does not exist. Run `kelisim keys demo` to make the demo key there, "
                "or set KELISIM_SIGNING_P12 to the university's PKCS#12 file and KELISIM_SIGNING_PASSWORD or "
                "KELISIM_SIGNING_PASSWORD_FILE to its password (KELISIM_TSA_URL: a timestamp authority, optional).")
        else:
            raise SigningKeyError(f"KELISIM_SIGNING_P12 names {config.p12}, which is not a readable file.")
    password = config.password
    if password is None and config.password_file is not None:
        try:
            password = signing_keys.read_password_file(config.password_file)
        except (OSError, IndexError) as exc:
            raise SigningKeyError(f"cannot read the signing key's password file {config.password_file}: "
                                  f"{exc}") from None
    data = config.p12.read_bytes()
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        raise SigningKeyError(
            f"cannot open the signing key {config.p12}: wrong password (KELISIM_SIGNING_PASSWORD or "
            "KELISIM_SIGNING_PASSWORD_FILE), or not a PKCS#12 file with an RSA or ECDSA key (keys on GOST 34.310 "
            "curves are not supported).") from None
    if key is None or cert is None:
        raise SigningKeyError(f"{config.p12} holds no private key with its certificate.")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningKeyError(f"the key in {config.p12} is neither RSA nor ECDSA: not supported.")
    subject = cert.subject.rfc4514_string()
    if cert.not_valid_before_utc > now:
        raise SigningKeyError(f"the signing certificate ({subject}) is not valid yet: it is valid from "
                              f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC.")
    if cert.not_valid_after_utc <= now:
        raise SigningKeyError(f"the signing certificate ({subject}) expired on "
                              f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC.")
    from processes.pades import DocumentSigner  # pyHanko is imported by what signs or checks, not by every command

    return DocumentSigner(key, [cert, *others], config.tsa_url)


