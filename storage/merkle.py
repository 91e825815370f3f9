"""Merkle tree arithmetic of RFC 6962 / RFC 9162 §2.1, without a database.

Leaves are numbered from 0 (the audit entry with seq 1 is leaf 0). The hash of a leaf is
SHA-256(0x00 ‖ bytes), of an inner node SHA-256(0x01 ‖ left ‖ right); the tree of n leaves splits at
the largest power of two below n (RFC 6962 §2.1). Every range the proofs need starts at a multiple of
the largest power of two in it, so it is a run of *complete* subtrees ("nodes": level l, index i covers
leaves [i·2^l, (i+1)·2^l)), largest first, folded from the right. A store that keeps every complete
node (storage/audit_log.py) thus answers any proof with O(log n) lookups: `inclusion_nodes` /
`consistency_nodes` say which, `inclusion_proof` / `consistency_proof` compute the proof from them.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step; tools/verify_audit.py carries its own
copy of the two verifiers (it must run with the standard library and `cryptography` only).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

Node = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # leaves [start, end)

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def decompose(start: int, end: int) -> list[Node]:
    """The complete subtrees that make up leaves [start, end), largest first (start must be aligned to the
    largest of them, as every range of the RFC's recursion is)."""
    nodes: list[Node] = []
    pos = start
    while pos < end:
        level = (end - pos).bit_length() - 1
        while pos % (1 << level):
            level -= 1
        nodes.append((level, pos >> level))
        pos += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The root of a range from its complete subtrees' hashes, largest first (folded from the right)."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose roots form PATH(index, D[0:size]), bottom first (RFC 6962 §2.1.1)."""
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")
    out: list[Range] = []
    start, n, m = 0, size, index
    while n > 1:
        k = split_point(n)
        if m < k:
            out.append((start + k, start + n))
            n = k
        else:
            out.append((start, start + k))
            start, n, m = start + k, n - k, m - k
    out.reverse()
    return out


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The ranges whose roots form PROOF(old, D[0:new]) (RFC 6962 §2.1.2), in the proof's order."""
    if not 0 < old <= new:
        raise ValueError("sizes must satisfy 0 < old <= new")
    out: list[Range] = []
    start, n, m, complete = 0, new, old, True
    while m != n:
        k = split_point(n)
        if m <= k:
            out.append((start + k, start + n))
            n = k
        else:
            out.append((start, start + k))
            start, n, m, complete = start + k, n - k, m - k, False
    if not complete:
        out.append((start, start + n))
    out.reverse()
    return out


def nodes_of(ranges: Iterable[Range]) -> set[Node]:
    return {node for start, end in ranges for node in decompose(start, end)}


def inclusion_nodes(index: int, size: int) -> set[Node]:
    return nodes_of(inclusion_ranges(index, size))


def consistency_nodes(old: int, new: int) -> set[Node]:
    return nodes_of(consistency_ranges(old, new))


def root_nodes(size: int) -> list[Node]:
    return decompose(0, size)


def range_hash(nodes: Mapping[Node, bytes], start: int, end: int) -> bytes:
    return fold([nodes[node] for node in decompose(start, end)])


def inclusion_proof(nodes: Mapping[Node, bytes], index: int, size: int) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `size` leaves, from the nodes `inclusion_nodes` named."""
    return [range_hash(nodes, s, e) for s, e in inclusion_ranges(index, size)]


def consistency_proof(nodes: Mapping[Node, bytes], old: int, new: int) -> list[bytes]:
    """The consistency proof between the trees of `old` and `new` leaves (empty when they are equal)."""
    return [range_hash(nodes, s, e) for s, e in consistency_ranges(old, new)]


def root(nodes: Mapping[Node, bytes], size: int) -> bytes:
    return range_hash(nodes, 0, size)


class MemoryTree:
    """All complete nodes of a list of leaves, in memory (tests, the bench's cross-checks)."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.nodes: dict[Node, bytes] = {}
        self.size = 0
        for data in leaves:
            self.append(data)

    def append(self, data: bytes) -> None:
        for node, value in extend(self.nodes.get, self.size, [leaf_hash(data)]):
            self.nodes[node] = value
        self.size += 1

    def root(self, size: int | None = None) -> bytes:
        return root(self.nodes, self.size if size is None else size)


def frontier(size: int) -> list[Node]:
    """The complete subtrees on the right edge of a tree of `size` leaves: what appending needs."""
    return root_nodes(size)


def extend(get: Callable[[Node], bytes | None], size: int, leaf_hashes: Iterable[bytes]) -> list[tuple[Node, bytes]]:
    """The new nodes (leaves and the complete parents they finish) when leaf hashes are appended to a tree of
    `size` leaves; `get` reads the existing frontier nodes (`frontier(size)`)."""
    pending: dict[Node, bytes] = {}

    def lookup(node: Node) -> bytes:
        found = pending.get(node)
        if found is None:
            found = get(node)
        if found is None:
            raise LookupError(f"node {node} missing from the tree")
        return found

    out: list[tuple[Node, bytes]] = []
    for h in leaf_hashes:
        index, level, value = size, 0, h
        out.append(((0, index), value))
        pending[(0, index)] = value
        while index & 1:
            value = node_hash(lookup((level, index - 1)), value)
            index, level = index >> 1, level + 1
            out.append(((level, index), value))
            pending[(level, index)] = value
        size += 1
    return out


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root_hash: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `path` prove that leaf hash `leaf` is leaf `index` of the tree with `root_hash`?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root_hash


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does `path` prove the tree of `old` leaves is a prefix of the tree of `new` leaves?"""
    if old == new:
        return not path and old_root == new_root
    if not 0 < old < new or not path:
        return False
    proof = list(path)
    if old & (old - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        proof.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0
