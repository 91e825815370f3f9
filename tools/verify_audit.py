#!/usr/bin/env python3
"""Check Kelisim's provable audit log outside Kelisim: the standard library and `cryptography` only.

    verify_audit.py bundle FILE --key KEYLINE
        A proof bundle of `kelisim audit prove SEQ`: the checkpoint is signed by KEYLINE, the entry's bytes hash
        to the leaf, and the inclusion proof leads from the leaf to the checkpoint's root.

    verify_audit.py consistency OLD_CHECKPOINT NEW_CHECKPOINT PROOF.json --key KEYLINE
    verify_audit.py consistency OLD_CHECKPOINT --url https://kelisim.example --token TOKEN --key KEYLINE
        A checkpoint kept outside Kelisim (OLD) and a newer one: both signed by KEYLINE, and the consistency
        proof (`GET /api/v1/audit/proof/consistency?from=&to=`) shows the newer tree extends the older one,
        i.e. no entry the old checkpoint covered was changed, removed or reordered since. With --url the newer
        checkpoint and the proof are fetched from the server (the proof needs an auditor's token).

KEYLINE is the verifier key `<name>+<hex key hash>+<base64(0x01 ‖ Ed25519 public key)>`
(`GET /api/v1/audit/checkpoint-key`); take it from a copy kept outside Kelisim, not from the bundle.
Exit status 0: verified; 1: it does not verify (the reason is printed); 2: the input cannot be read.

Hashing is RFC 6962: leaf = SHA-256(0x00 ‖ bytes), node = SHA-256(0x01 ‖ left ‖ right); the verification
algorithms are RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency); the note format is C2SP signed-note.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
import urllib.parse
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Failed(Exception):
    """The material does not verify."""


class Unreadable(Exception):
    """The material cannot be read."""


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, path: list[bytes]) -> bool:
    if old == new:
        return not path and old_root == new_root
    if not 0 < old < new or not path:
        return False
    proof = ([old_root] if old & (old - 1) == 0 else []) + list(path)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


def parse_key(line: str) -> tuple[str, bytes, Ed25519PublicKey]:
    try:
        name, hash_hex, key_b64 = line.strip().split("+", 2)
        raw = base64.b64decode(key_b64, validate=True)
        key_hash = bytes.fromhex(hash_hex)
    except (ValueError, binascii.Error) as exc:
        raise Unreadable(f"not a verifier key: {exc}") from exc
    if len(raw) != 33 or raw[0] != 1 or len(key_hash) != 4:
        raise Unreadable("not an Ed25519 verifier key (0x01 and 32 bytes, a 4-byte key hash)")
    if hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4] != key_hash:
        raise Unreadable("the verifier key's hash does not match its name and key")
    return name, key_hash, Ed25519PublicKey.from_public_bytes(raw[1:])


def open_checkpoint(note: str, key: tuple[str, bytes, Ed25519PublicKey]) -> tuple[str, int, bytes]:
    """(origin, size, root) of a checkpoint note signed by `key`; Failed when no valid signature of it is there."""
    name, key_hash, public = key
    text, sep, signatures = note.partition("\n\n")
    if not sep or not text or "\n\n" in signatures.rstrip("\n") or not note.endswith("\n"):
        raise Unreadable("not a signed note (text, a blank line, signature lines)")
    body = text + "\n"
    good = False
    for line in signatures.splitlines():
        if not line.startswith("\u2014 "):
            raise Unreadable(f"not a signature line: {line!r}")
        try:
            signer, sig_b64 = line[2:].split(" ")
            blob = base64.b64decode(sig_b64, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise Unreadable(f"not a signature line: {line!r}") from exc
        if signer != name or blob[:4] != key_hash:
            continue  # another signer's (a witness's cosignature, say): not the key asked about
        try:
            public.verify(blob[4:], body.encode("utf-8"))
            good = True
        except InvalidSignature:
            raise Failed("the checkpoint's signature is not valid: it was changed or signed by another key") \
                from None
    if not good:
        raise Failed(f"the checkpoint carries no signature of {name}")
    lines = body.split("\n")
    try:
        origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
    except (IndexError, ValueError, binascii.Error) as exc:
        raise Unreadable(f"not a checkpoint (origin, size, root hash): {exc}") from exc
    if origin != name:
        raise Failed(f"the checkpoint's origin {origin!r} is not the key's name {name!r}")
    if len(root) != 32 or size < 0:
        raise Unreadable("not a checkpoint: the root hash is not 32 bytes")
    return origin, size, root


def _hashes(values: object) -> list[bytes]:
    if not isinstance(values, list):
        raise Unreadable("hashes must be a list")
    try:
        out = [base64.b64decode(v, validate=True) for v in values]
    except (TypeError, ValueError, binascii.Error) as exc:
        raise Unreadable(f"a hash is not base64: {exc}") from exc
    if any(len(h) != 32 for h in out):
        raise Unreadable("a hash is not 32 bytes")
    return out


def check_bundle(bundle: dict, key_line: str) -> str:
    key = parse_key(key_line)
    if bundle.get("key") and bundle["key"].strip() != key_line.strip():
        print("note: the bundle names another verifier key; checked against the one given", file=sys.stderr)
    _, size, root = open_checkpoint(bundle["checkpoint"], key)
    proof = bundle["inclusion"]
    seq, leaf = int(bundle["seq"]), base64.b64decode(bundle["leaf"], validate=True)
    if json.loads(leaf) != bundle["entry"]:
        raise Failed("the entry shown is not the entry whose bytes are proved")
    if json.loads(leaf).get("seq") != seq:
        raise Failed("the entry's seq is not the proof's")
    if int(proof["tree_size"]) != size:
        raise Failed(f"the proof is for a tree of {proof['tree_size']} entries, the checkpoint for {size}")
    leaf_hash = _leaf(leaf)
    if base64.b64decode(proof["leaf_hash"]) != leaf_hash:
        raise Failed("the entry's bytes do not hash to the proof's leaf")
    if not verify_inclusion(seq - 1, size, leaf_hash, _hashes(proof["hashes"]), root):
        raise Failed(f"entry {seq} is not in the tree of the checkpoint (the inclusion proof fails)")
    return f"ok: entry {seq} is entry {seq} of the log of {size} entries signed by {key[0]}"


def check_consistency(old_note: str, new_note: str, proof: dict, key_line: str) -> str:
    key = parse_key(key_line)
    _, old, old_root = open_checkpoint(old_note, key)
    _, new, new_root = open_checkpoint(new_note, key)
    if new < old:
        raise Failed(f"the newer checkpoint ({new} entries) is smaller than the older ({old}): the log shrank")
    if int(proof.get("from", -1)) != old or int(proof.get("to", -1)) != new:
        raise Failed(f"the proof is from {proof.get('from')} to {proof.get('to')}, the checkpoints {old} and {new}")
    if not verify_consistency(old, new, old_root, new_root, _hashes(proof.get("hashes"))):
        raise Failed(f"the log of {new} entries does not extend the one of {old} kept outside: entries up to "
                     f"{old} were changed, removed or reordered since")
    return f"ok: the log of {new} entries extends the checkpoint of {old} entries ({key[0]})"


def _fetch(url: str, token: str | None) -> bytes:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310 - the user's own server
        return response.read()


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bundle", help="check a proof bundle of `kelisim audit prove`")
    b.add_argument("file")
    b.add_argument("--key", required=True, help="the verifier key line")
    c = sub.add_parser("consistency", help="check a newer checkpoint against an older one kept outside")
    c.add_argument("old")
    c.add_argument("new", nargs="?")
    c.add_argument("proof", nargs="?")
    c.add_argument("--key", required=True, help="the verifier key line")
    c.add_argument("--url", help="fetch the newer checkpoint and the proof from this Kelisim")
    c.add_argument("--token", help="an auditor's API token (with --url)")
    args = parser.parse_args(argv)
    try:
        if args.command == "bundle":
            print(check_bundle(json.loads(_read(args.file)), args.key))
            return 0
        old_note = _read(args.old)
        if args.url:
            base = args.url.rstrip("/")
            new_note = _fetch(f"{base}/api/v1/audit/checkpoint", None).decode("utf-8")
            old_size, new_size = old_note.split("\n")[1], new_note.split("\n")[1]
            query = urllib.parse.urlencode({"from": old_size, "to": new_size})
            proof = json.loads(_fetch(f"{base}/api/v1/audit/proof/consistency?{query}", args.token))
        elif args.new and args.proof:
            new_note, proof = _read(args.new), json.loads(_read(args.proof))
        else:
            parser.error("give NEW_CHECKPOINT and PROOF.json, or --url")
        print(check_consistency(old_note, new_note, proof, args.key))
        return 0
    except Failed as exc:
        print(f"FAILED: {exc}")
        return 1
    except (Unreadable, OSError, ValueError, KeyError, TypeError) as exc:
        print(f"cannot read the input: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
