"""Benchmark of the provable audit log (storage/audit_log.py, issue 17) at 1,000,000 entries.

Built: a fresh database (SQLite in a temporary directory, or `--url` PostgreSQL, a database of its own: it is
migrated from empty, so never give it one in use) whose Merkle tree holds 1,000,000 leaves. For speed the
leaves are not made from 1,000,000 audit entries: synthetic leaf hashes are appended in memory
(storage/merkle.py `extend`, the same code the checkpoint step runs) and every node is bulk-inserted into
`audit_tree_nodes`; one audit entry with seq 1,000,000 is inserted as the chain's head. Then 1,000 real
entries are appended with `audit.append` and timed:
- the checkpoint: extending the tree over those 1,000 entries (read, chain-checked, hashed, nodes inserted),
  the root, the Ed25519 signature, the row (`audit_log.make_checkpoint`), one transaction;
- inclusion proofs (`audit_log.inclusion`) of random entries against the checkpoint, and consistency proofs
  (`audit_log.consistency`) from random older sizes to it: each in its own session, median and p95;
  a sample of them is verified against the roots.
Target (issue 17): a proof ≤ 50 ms. Usage: `.venv/bin/python bench/audit_proofs.py [--size N] [--proofs N]
[--url postgresql://postgres@127.0.0.1:5432/kelisim_bench_audit]`.
"""
from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from storage import audit, audit_log, merkle  # noqa: E402
from storage.audit import Actor  # noqa: E402
from storage.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import AuditEvent, AuditTreeNode, utcnow  # noqa: E402

TARGET_S = 0.05
CHUNK = 20_000


def build(factory, size: int) -> float:
    """Append `size` synthetic leaves in memory and insert every node; return the seconds it took."""
    started = time.perf_counter()
    nodes: dict[merkle.Node, bytes] = {}
    done = 0
    with transaction(factory) as s:
        while done < size:
            n = min(CHUNK, size - done)
            leaves = [hashlib.sha256(b"\x00bench-leaf-%d" % i).digest() for i in range(done, done + n)]
            new = merkle.extend(nodes.get, done, leaves)
            s.execute(insert(AuditTreeNode), [{"level": lv, "idx": i, "hash": h} for (lv, i), h in new])
            nodes.update(new)
            done += n
            nodes = {node: nodes[node] for node in merkle.frontier(done)}
        head_hash = hashlib.sha256(b"bench head").hexdigest()
        s.execute(insert(AuditEvent), [{"seq": size, "at": utcnow(), "actor": None, "role": "system",
                                        "action": "bench_head", "data": {}, "prev_hash": audit.GENESIS,
                                        "hash": head_hash}])
        s.execute(text("UPDATE audit_head SET seq = :seq, hash = :h WHERE id = 1"), {"seq": size, "h": head_hash})
    return time.perf_counter() - started


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=300)
    parser.add_argument("--url", help="a PostgreSQL database of its own (migrated from empty)")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="kelisim-bench-audit-")
    url = args.url or f"sqlite:///{tmp.name}/bench.sqlite3"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    settings = audit_log.CheckpointSettings(key_path=Path(tmp.name) / "keys" / audit_log.KEY_FILE,
                                            origin="bench.kelisim/kelisim-audit")
    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    print(f"tree of {args.size:,} leaves built and inserted (synthetic leaves, bulk insert): "
          f"{build(factory, args.size):.1f} s")

    with transaction(factory) as s:  # the first checkpoint, at the synthetic size, and the key
        first = audit_log.make_checkpoint(s, settings, utcnow(), force=True)
        assert first is not None
    with transaction(factory) as s:
        for i in range(1000):
            audit.append(s, Actor("bench", "system"), "bench_event", data={"i": i}, comment="bench")
    started = time.perf_counter()
    with transaction(factory) as s:
        checkpoint = audit_log.make_checkpoint(s, settings, utcnow(), force=True)
        assert checkpoint is not None
        size, root = checkpoint.tree_size, bytes.fromhex(checkpoint.root_hash)
    print(f"checkpoint over 1,000 new entries at {size:,}: {(time.perf_counter() - started) * 1000:.1f} ms")

    rng = random.Random(17)
    inclusion: list[float] = []
    for k in range(args.proofs):
        seq = rng.randint(1, size)
        started = time.perf_counter()
        with factory() as s:
            proof = audit_log.inclusion(s, seq, size)
        inclusion.append(time.perf_counter() - started)
        if k % 20 == 0:
            assert merkle.verify_inclusion(seq - 1, size, proof.leaf_hash, proof.hashes, root)
    consistency: list[float] = []
    for k in range(args.proofs):
        old = rng.randint(1, size)
        started = time.perf_counter()
        with factory() as s:
            hashes = audit_log.consistency(s, old, size)
        consistency.append(time.perf_counter() - started)
        if k % 20 == 0:
            with factory() as s:
                old_root = audit_log.root_at(s, old)
            assert merkle.verify_consistency(old, size, old_root, root, hashes)
    for name, times in (("inclusion proof", inclusion), ("consistency proof", consistency)):
        median, p95 = statistics.median(times) * 1000, pct(times, 0.95) * 1000
        verdict = "ok" if p95 <= TARGET_S * 1000 else "OVER TARGET"
        print(f"{name} at {size:,}: median {median:.2f} ms, p95 {p95:.2f} ms, max {max(times) * 1000:.2f} ms "
              f"({len(times)} proofs; target {TARGET_S * 1000:.0f} ms: {verdict})")
    engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
