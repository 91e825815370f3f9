"""`kelisim keys demo` and `kelisim verify-pdf` (issue 17): the demo signing keys, and the offline check of a PDF."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from processes import signing_keys
from storage import audit_log

PROBLEMS = {  # the reasons `verify-pdf` prints (the operator's language is English, as the other commands')
    "not_signed": "the file carries no signature",
    "altered": "the file was changed after signing: its signed bytes do not match the signature",
    "invalid_signature": "the signature is not valid",
    "untrusted": "the signer's certificate does not chain to the trusted root",
    "changed_after_signing": "something was added after signing (a page, an edit or a form field)",
    "second_signature": "a second signature was added after the first",
    "bad_timestamp": "the timestamp is not valid",
}


def keys_dir() -> Path:
    from web import config as web_config

    return Path(web_config.from_env()["DATA_DIR"]) / "keys"


def ensure_demo_keys(echo: bool = True) -> signing_keys.DemoKeys:
    """Make the demo keys under the data directory unless they are there and valid for over a year."""
    made = signing_keys.make_demo_keys(keys_dir())
    checkpoint_key = audit_log.make_demo_checkpoint_key(made.folder)  # kept if present: witnesses hold its copies
    if echo:
        click.echo(f"demo signing key {'made' if made.created else 'present'}: {made.p12} "
                   f"(trust root {made.root_pem}); audit checkpoint key: {checkpoint_key}")
    return made


@click.group("keys")
def keys() -> None:
    """Signing keys of the issued documents."""


@keys.command("demo")
def keys_demo() -> None:
    """Make a demo root CA and a signing certificate for "KInEU (demo)" under <data dir>/keys/ (idempotent)."""
    ensure_demo_keys()


@click.command("verify-pdf")
@click.argument("pdf_file", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--trust", "trust", metavar="ROOT.pem", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The trusted root certificate(s), PEM (default: the demo root under <data dir>/keys/).")
def verify_pdf(pdf_file: str, trust: str | None) -> None:
    """Check FILE's signature offline: exit 0 when it is intact, trusted and unchanged since signing, else 1
    (2: not a PDF, encrypted, or no trust root)."""
    from processes.pdf_check import PdfRefused, check_pdf, load_trust_roots

    root = Path(trust) if trust else keys_dir() / signing_keys.ROOT_PEM
    if not root.is_file():
        click.echo(f"no trust root: give --trust ROOT.pem ({root} does not exist)", err=True)
        sys.exit(2)
    try:
        result = check_pdf(Path(pdf_file).read_bytes(), load_trust_roots(root.read_bytes()))
    except PdfRefused as exc:
        click.echo(f"{pdf_file}: cannot be checked: {'not a PDF' if exc.reason == 'not_pdf' else 'encrypted'}",
                   err=True)
        sys.exit(2)
    except ValueError as exc:
        click.echo(f"{root}: not a certificate ({exc})", err=True)
        sys.exit(2)
    click.echo(f"file:      {pdf_file} ({result.size} bytes, SHA-256 {result.sha256})")
    if result.signer:
        click.echo(f"signer:    {result.signer}")
    if result.signed_at:
        click.echo(f"signed at: {result.signed_at.isoformat()} (as the signature states)")
    if result.timestamp:
        click.echo(f"timestamp: {result.timestamp.isoformat()} ({result.timestamp_kind} timestamp)")
    for other in result.other_signers:
        click.echo(f"also signed by: {other}")
    if result.genuine:
        click.echo("GENUINE: the signature is valid, trusted, and the file is unchanged since signing")
        return
    for code in result.problems:
        click.echo(f"NOT GENUINE: {PROBLEMS[code]}")
    sys.exit(1)


def install(main: click.Group) -> None:
    main.add_command(keys)
    main.add_command(verify_pdf)
