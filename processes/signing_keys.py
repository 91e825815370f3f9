"""The demo signing keys (issue 17): a demo root CA and the university's demo signing certificate.

`kelisim keys demo` (and `kelisim seed-demo` when they are absent) writes under ``<data dir>/keys/``:

- ``demo-root.pem``: the demo root CA's certificate (public: the trust root a checker is given);
- ``signing.p12``: the signing key with its certificate and the root's (PKCS#12, mode 0600);
- ``signing.password``: the PKCS#12 file's password (mode 0600).

ECDSA P-256 by default (a signature costs well under a millisecond); RSA is supported for keys issued to the
university (``processes.signing`` loads either). The signing certificate is valid for three years from its
making, so the demo key never expires within a year of `make run`; a demo key that would is made anew.
Nothing here touches the database.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID, ObjectIdentifier

ROOT_PEM = "demo-root.pem"
P12 = "signing.p12"
PASSWORD = "signing.password"
SIGNER_NAME = "KInEU (demo)"
ROOT_NAME = "KInEU Demo Root CA"
SIGNING_YEARS = 3
# a demo certificate is valid from well before it was made, so a test (or a demo) whose clock is set back a
# year still signs; a real key's validity is whatever its CA gave it
BACKDATE = timedelta(days=2 * 365)
ROOT_YEARS = 10
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning (RFC 9336)
RENEW_WITHIN = timedelta(days=366)  # a demo certificate ending sooner than this is made anew


@dataclass(frozen=True)
class DemoKeys:
    """Where the demo keys are, and whether this call made them."""

    folder: Path
    p12: Path
    password_file: Path
    root_pem: Path
    created: bool


def demo_paths(keys_dir: Path) -> DemoKeys:
    keys_dir = Path(keys_dir)
    return DemoKeys(keys_dir, keys_dir / P12, keys_dir / PASSWORD, keys_dir / ROOT_PEM, False)


def make_demo_keys(keys_dir: Path, algorithm: str = "ecdsa", now: datetime | None = None) -> DemoKeys:
    """Make the demo root CA and signing certificate in ``keys_dir`` unless a usable set is there (idempotent)."""
    paths = demo_paths(keys_dir)
    now = now or datetime.now(UTC)
    if _usable(paths, now):
        return paths
    paths.folder.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.folder, 0o700)
    root_key = _new_key(algorithm)
    root_subject = _name(ROOT_NAME)
    root = (x509.CertificateBuilder().subject_name(root_subject).issuer_name(root_subject)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + timedelta(days=365 * ROOT_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    key = _new_key(algorithm)
    cert = (x509.CertificateBuilder().subject_name(_name(SIGNER_NAME)).issuer_name(root_subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + timedelta(days=365 * SIGNING_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    password = secrets.token_urlsafe(24)
    data = pkcs12.serialize_key_and_certificates(
        SIGNER_NAME.encode(), key, cert, [root],
        serialization.BestAvailableEncryption(password.encode()))
    _write_private(paths.password_file, password.encode() + b"\n")
    _write_private(paths.p12, data)
    _write(paths.root_pem, root.public_bytes(serialization.Encoding.PEM), 0o644)
    return DemoKeys(paths.folder, paths.p12, paths.password_file, paths.root_pem, True)


def read_password_file(path: Path) -> bytes:
    """A password kept in a file: its first line (the trailing newline is not part of it)."""
    return Path(path).read_bytes().splitlines()[0] if Path(path).read_bytes().strip() else b""


def _usable(paths: DemoKeys, now: datetime) -> bool:
    """Whether the demo keys exist, open with their password and stay valid for more than a year."""
    if not (paths.p12.is_file() and paths.password_file.is_file() and paths.root_pem.is_file()):
        return False
    try:
        _key, cert, _others = pkcs12.load_key_and_certificates(paths.p12.read_bytes(),
                                                               read_password_file(paths.password_file))
    except (ValueError, OSError):
        return False
    return cert is not None and cert.not_valid_after_utc - now > RENEW_WITHIN


def _new_key(algorithm: str) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    if algorithm == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if algorithm == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"a demo key is ecdsa or rsa, not {algorithm!r}")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "KInEU (demo)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_private(path: Path, data: bytes) -> None:
    _write(path, data, 0o600)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write aside, then rename: a reader never sees half a key; private files are never readable by others."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(partial, mode)
    os.replace(partial, path)
