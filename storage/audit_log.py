"""The provable audit log (issue 17): the Merkle tree over the audit entries, signed checkpoints, proofs.

The tree (RFC 6962, storage/merkle.py) has one leaf per audit entry in seq order: leaf seq − 1 is
SHA-256(0x00 ‖ `audit.leaf_bytes(entry)`). Every complete subtree is kept in `audit_tree_nodes`, so an
inclusion or consistency proof at any size up to the tree's reads O(log n) rows in one query.

The tree is extended by the checkpoint step (`extend_tree`, from the worker's tick), never by an audit append,
so appends stay as cheap as before. It is extended only over entries that match their chain hash and link to
the entry before: a checkpoint vouches for nothing that `audit verify` would reject.

A checkpoint is a C2SP signed note (https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint):

    <origin>\\n<tree size>\\n<base64 root hash>\\n\\n— <key name> <base64(key hash ‖ Ed25519 signature)>\\n

signed with the Ed25519 key of `KELISIM_CHECKPOINT_KEY` (PEM, PKCS#8). The key never enters the database: whoever
can write the database can recompute the hash chain and the tree, but cannot sign a checkpoint, and cannot make
the new tree consistent with a checkpoint kept outside (`kelisim audit prove`, tools/verify_audit.py).

Making a checkpoint writes no audit entry: the checkpoint is itself an insert-only, signed record of the log,
and an entry for it would be a new leaf that the next checkpoint must cover, so the log would never stop
growing by itself (one entry and one checkpoint a minute, forever, on an idle system).
"""
from __future__ import annotations

import base64
import hashlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session

from storage import audit, merkle
from storage.models import AuditCheckpoint, AuditEvent, AuditTreeNode

log = logging.getLogger("kelisim.audit_log")

KEY_FILE = "checkpoint-ed25519.pem"
BATCH = 5000


class CheckpointKeyError(RuntimeError):
    """The checkpoint key is configured but missing or unreadable, or not an Ed25519 key."""


def N_(msgid: str) -> str:  # marks a message for translation; the web layer translates it
    return msgid


class ProofError(ValueError):
    """A proof was asked for outside the tree (seq beyond it, size smaller than seq, from > to …)."""

    def __init__(self, msgid: str, **params: int) -> None:
        super().__init__(msgid % params)
        self.msgid, self.params = msgid, params


@dataclass(frozen=True)
class CheckpointSettings:
    key_path: Path
    origin: str
    key_configured: bool = False  # False: the default file, made at first use when absent
    interval: float = 60.0  # seconds: a new checkpoint at most this often (when entries were added)
    witnesses: tuple[str, ...] = ()
    witness_interval: float = 3600.0  # seconds: at most one mail per witness per this interval


def default_origin(base_url: str) -> str:
    """`<host[:port]>/kelisim-audit` from the base URL (a checkpoint's origin line and its key's name)."""
    host = urlparse(base_url).netloc or "localhost"
    return f"{host}/kelisim-audit"


def settings_from(environ: dict[str, str] | os._Environ[str], data_dir: Path, base_url: str) -> CheckpointSettings:
    """Read KELISIM_CHECKPOINT_KEY, _ORIGIN, _INTERVAL, _WITNESSES and _WITNESS_INTERVAL."""
    key = environ.get("KELISIM_CHECKPOINT_KEY") or ""
    witnesses = tuple(w.strip() for w in environ.get("KELISIM_CHECKPOINT_WITNESSES", "").split(",") if w.strip())
    origin = environ.get("KELISIM_CHECKPOINT_ORIGIN") or default_origin(base_url)
    if any(c.isspace() or c == "+" for c in origin):
        raise ValueError("KELISIM_CHECKPOINT_ORIGIN may not contain spaces or '+'")
    return CheckpointSettings(
        key_path=Path(key) if key else Path(data_dir) / "keys" / KEY_FILE, origin=origin,
        key_configured=bool(key), interval=float(environ.get("KELISIM_CHECKPOINT_INTERVAL", "60")),
        witnesses=witnesses, witness_interval=float(environ.get("KELISIM_CHECKPOINT_WITNESS_INTERVAL", "3600")))


# -- the key ---------------------------------------------------------------------------------------------------

def make_demo_checkpoint_key(keys_dir: Path) -> Path:
    """Write a new Ed25519 checkpoint key (PEM, PKCS#8, readable by its owner only) as
    `<keys_dir>/checkpoint-ed25519.pem` unless one is there already (a new key would strand the witnesses'
    copies of the old checkpoints' signatures); return its path."""
    keys_dir = Path(keys_dir)
    keys_dir.mkdir(parents=True, exist_ok=True)
    path = keys_dir / KEY_FILE
    if path.exists():
        return path
    pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    try:
        os.link(partial, path)  # never over a key another process wrote meanwhile
    except FileExistsError:
        pass
    finally:
        partial.unlink()
    return path


@dataclass(frozen=True)
class Signer:
    name: str
    private: Ed25519PrivateKey

    @property
    def public_bytes(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_hash(self) -> bytes:
        return key_hash(self.name, self.public_bytes)

    def verifier_key(self) -> str:
        """`<name>+<hex key hash>+<base64(0x01 ‖ public key)>` (C2SP signed-note verifier key)."""
        encoded = base64.b64encode(bytes([1]) + self.public_bytes).decode()
        return f"{self.name}+{self.key_hash.hex()}+{encoded}"

    def sign(self, body: str) -> str:
        """The signed note: the body (ending in a newline), a blank line, this key's signature line."""
        if not body.endswith("\n"):
            raise ValueError("a note's text ends with a newline")
        sig = self.private.sign(body.encode("utf-8"))
        return f"{body}\n\u2014 {self.name} {base64.b64encode(self.key_hash + sig).decode()}\n"


def key_hash(name: str, public: bytes) -> bytes:
    """The first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n\x01" + public).digest()[:4]


def signer(settings: CheckpointSettings) -> Signer:
    """The checkpoint key; the default file is made at first use when absent (a configured one must exist)."""
    path = settings.key_path
    if not path.exists():
        if settings.key_configured:
            raise CheckpointKeyError(f"KELISIM_CHECKPOINT_KEY: no key file at {path}")
        log.warning("no checkpoint key: a new one is made at %s (set KELISIM_CHECKPOINT_KEY for a real one)", path)
        make_demo_checkpoint_key(path.parent)
    stat = path.stat()
    return _load(str(path), stat.st_mtime_ns, settings.origin)


@lru_cache(maxsize=4)
def _load(path: str, _mtime: int, name: str) -> Signer:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise CheckpointKeyError(f"checkpoint key {path} cannot be read: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointKeyError(f"checkpoint key {path} is not an Ed25519 key")
    return Signer(name=name, private=key)


def parse_verifier_key(line: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """(name, key hash, public key) of a verifier key line; ValueError when it is not one or does not add up."""
    name, hash_hex, key_b64 = line.strip().split("+", 2)
    raw = base64.b64decode(key_b64, validate=True)
    if len(raw) != 33 or raw[0] != 1:
        raise ValueError("not an Ed25519 verifier key")
    kh = bytes.fromhex(hash_hex)
    if kh != key_hash(name, raw[1:]):
        raise ValueError("the verifier key's hash does not match its name and key")
    return name, kh, Ed25519PublicKey.from_public_bytes(raw[1:])


# -- the tree --------------------------------------------------------------------------------------------------

def tree_size(session: Session) -> int:
    last = session.execute(select(func.max(AuditTreeNode.idx)).where(AuditTreeNode.level == 0)).scalar()
    return 0 if last is None else last + 1


def fetch_nodes(session: Session, nodes: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    wanted = sorted(set(nodes))
    found: dict[merkle.Node, bytes] = {}
    by_level: dict[int, list[int]] = {}
    for level, idx in wanted:
        by_level.setdefault(level, []).append(idx)
    levels = sorted(by_level)
    for start in range(0, len(levels), 16):
        # one `level = ? AND idx IN (…)` per level: each an index range on the primary key (a row-value IN list
        # is not one on SQLite, which would scan the table)
        where = or_(*(and_(AuditTreeNode.level == level, AuditTreeNode.idx.in_(by_level[level]))
                      for level in levels[start:start + 16]))
        rows = session.execute(select(AuditTreeNode.level, AuditTreeNode.idx, AuditTreeNode.hash).where(where))
        found.update({(level, idx): bytes(h) for level, idx, h in rows})
    missing = [n for n in wanted if n not in found]
    if missing:
        raise LookupError(f"Merkle tree nodes missing: {missing[:5]}")
    return found


@dataclass(frozen=True)
class Extension:
    size: int  # the tree's size afterwards
    added: int
    stopped_at: int | None = None  # the seq of an entry the tree was not extended over (damaged, broken chain)
    reason: str | None = None


def extend_tree(session: Session, limit: int | None = None, batch: int = BATCH) -> Extension:
    """Append the audit entries past the tree's size as leaves (at most `limit`), with the parents they complete;
    stop before an entry that is damaged or does not match its chain hash (logged; it stays uncovered)."""
    if session.get_bind().dialect.name == "postgresql":  # one extender at a time
        session.execute(select(func.pg_advisory_xact_lock(1762026)))
    size = start = tree_size(session)
    known = fetch_nodes(session, merkle.frontier(size))
    prev = audit.GENESIS if size == 0 else session.execute(
        select(AuditEvent.hash).where(AuditEvent.seq == size)).scalar_one()
    while limit is None or size - start < limit:
        take = batch if limit is None else min(batch, limit - (size - start))
        rows = audit.entries(session, AuditEvent.seq > size, limit=take)
        if not rows:
            break
        leaves: list[bytes] = []
        stop: tuple[int, str] | None = None
        for ev in rows:
            expected = size + len(leaves) + 1
            if ev.damaged or ev.seq != expected:
                stop = (expected, "damaged entry" if ev.damaged else "missing or reordered entry")
                break
            data = audit.leaf_bytes(ev)
            assert ev.prev_hash is not None
            if ev.prev_hash != prev or hashlib.sha256(data + ev.prev_hash.encode("ascii")).hexdigest() != ev.hash:
                stop = (expected, "entry does not match its hash")
                break
            assert ev.hash is not None
            prev = ev.hash
            leaves.append(merkle.leaf_hash(data))
        new = merkle.extend(known.get, size, leaves)
        if new:
            session.execute(insert(AuditTreeNode), [{"level": lv, "idx": i, "hash": h} for (lv, i), h in new])
            known.update(new)
            size += len(leaves)
            known = {n: known[n] for n in merkle.frontier(size)}
        if stop is not None:
            log.error("audit log: the tree stops before seq %s (%s); run `kelisim audit verify`", *stop)
            return Extension(size, size - start, *stop)
        if len(rows) < take:
            break
    return Extension(size, size - start)


def root_at(session: Session, size: int) -> bytes:
    if size == 0:
        return merkle.EMPTY_ROOT
    return merkle.root(fetch_nodes(session, merkle.root_nodes(size)), size)


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]

    def as_json(self) -> dict[str, object]:
        return {"seq": self.seq, "tree_size": self.tree_size, "leaf_hash": b64(self.leaf_hash),
                "hashes": [b64(h) for h in self.hashes]}


def inclusion(session: Session, seq: int, size: int) -> InclusionProof:
    current = tree_size(session)
    if seq < 1:
        raise ProofError(N_("seq must be 1 or more."))
    if seq > current:
        raise ProofError(N_("seq %(seq)s is beyond the tree (size %(size)s)."), seq=seq, size=current)
    if size > current:
        raise ProofError(N_("size %(asked)s is beyond the tree (size %(size)s)."), asked=size, size=current)
    if size < seq:
        raise ProofError(N_("size %(size)s is smaller than seq %(seq)s."), size=size, seq=seq)
    index = seq - 1
    nodes = fetch_nodes(session, merkle.inclusion_nodes(index, size) | {(0, index)})
    return InclusionProof(seq, size, nodes[(0, index)], merkle.inclusion_proof(nodes, index, size))


def consistency(session: Session, old: int, new: int) -> list[bytes]:
    current = tree_size(session)
    if old < 1:
        raise ProofError(N_("from must be 1 or more."))
    if old > new:
        raise ProofError(N_("from (%(old)s) is larger than to (%(new)s)."), old=old, new=new)
    if new > current:
        raise ProofError(N_("to (%(new)s) is beyond the tree (size %(size)s)."), new=new, size=current)
    return merkle.consistency_proof(fetch_nodes(session, merkle.consistency_nodes(old, new)), old, new)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- checkpoints -----------------------------------------------------------------------------------------------

def note_body(origin: str, size: int, root_hash: bytes) -> str:
    return f"{origin}\n{size}\n{b64(root_hash)}\n"


def latest(session: Session) -> AuditCheckpoint | None:
    return session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)).scalar()


def in_force_at(session: Session, seq: int, made_at: datetime | None = None) -> AuditCheckpoint | None:
    """The first checkpoint that covers entry `seq` (made at or before `made_at` when given)."""
    query = select(AuditCheckpoint).where(AuditCheckpoint.tree_size >= seq)
    if made_at is not None:
        query = query.where(AuditCheckpoint.made_at <= made_at)
    return session.execute(query.order_by(AuditCheckpoint.tree_size).limit(1)).scalar()


def make_checkpoint(session: Session, settings: CheckpointSettings, now: datetime,
                    force: bool = False) -> AuditCheckpoint | None:
    """Extend the tree and sign a checkpoint of it when entries were added since the last one and that one is
    `settings.interval` old (or `force`); None when there is nothing new or it is too early."""
    grown = extend_tree(session)
    last = latest(session)
    if grown.size == 0 or (last is not None and last.tree_size >= grown.size):
        return None
    if not force and last is not None and now - last.made_at < timedelta(seconds=settings.interval):
        return None
    key = signer(settings)
    root_hash = root_at(session, grown.size)
    checkpoint = AuditCheckpoint(tree_size=grown.size, root_hash=root_hash.hex(), made_at=now,
                                 origin=settings.origin, note=key.sign(note_body(settings.origin, grown.size,
                                                                                 root_hash)))
    session.add(checkpoint)
    session.flush()
    return checkpoint


def bundle(session: Session, settings: CheckpointSettings, seq: int) -> dict[str, Any]:
    """An offline proof bundle of entry `seq` (`kelisim audit prove`, checked by tools/verify_audit.py): the
    entry, its canonical bytes, its inclusion proof against the latest checkpoint, that checkpoint, the key."""
    import json

    checkpoint = latest(session)
    if checkpoint is None or checkpoint.tree_size < seq:
        covered = 0 if checkpoint is None else checkpoint.tree_size
        raise ProofError(N_("entry %(seq)s is not yet covered by a checkpoint (the latest covers %(size)s "
                            "entries); a checkpoint is made every minute."), seq=seq, size=covered)
    found = audit.entries(session, AuditEvent.seq == seq)
    if not found or found[0].damaged:
        raise ProofError(N_("entry %(seq)s cannot be read."), seq=seq)
    leaf = audit.leaf_bytes(found[0])
    proof = inclusion(session, seq, checkpoint.tree_size)
    if proof.leaf_hash != merkle.leaf_hash(leaf):
        raise ProofError(N_("entry %(seq)s was changed after the tree covered it."), seq=seq)
    return {"format": "kelisim-audit-proof/1", "seq": seq, "entry": json.loads(leaf), "leaf": b64(leaf),
            "inclusion": proof.as_json(), "checkpoint": checkpoint.note,
            "key": signer(settings).verifier_key()}
