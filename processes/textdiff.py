"""Word-level differences between two texts (pure functions): what the policy's editions, a speech
text's versions and any other text shown against its previous version use.

A text is split into runs of word characters, runs of whitespace and single other characters, so that
"".join of the equal and delete segments gives the old text back, of the equal and insert segments the
new one.
"""
from __future__ import annotations

import difflib
import re
from typing import Literal

__all__ = ["Op", "word_diff"]

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")

Op = Literal["equal", "insert", "delete"]


def _tokens(text: str) -> list[str]:
    """Runs of word characters, runs of whitespace, single other characters; "".join() gives text back."""
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[tuple[Op, str]]:
    """Word-level diff of old into new: [(op, text)], adjacent segments of one op merged.

    "".join of the equal and delete segments is old, of the equal and insert segments is new. Within a
    change the deletion comes before the insertion; a whitespace-only equal stretch between two changes
    is folded into them, so that a replaced phrase reads as one deletion and one insertion.
    """
    if old == new:
        return [("equal", old)] if old else []
    a, b = _tokens(old), _tokens(new)
    # the common head and tail are equal as they stand: match only what lies between (much faster)
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    a_mid, b_mid = a[head:len(a) - tail], b[head:len(b) - tail]
    raw: list[tuple[str, str]] = [("equal", "".join(a[:head]))] if head else []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a_mid, b_mid, autojunk=False).get_opcodes():
        if tag == "equal":
            raw.append(("equal", "".join(a_mid[i1:i2])))
            continue
        if i2 > i1:
            raw.append(("delete", "".join(a_mid[i1:i2])))
        if j2 > j1:
            raw.append(("insert", "".join(b_mid[j1:j2])))
    if tail:
        raw.append(("equal", "".join(a[len(a) - tail:])))
    raw = _merged(raw)
    last = len(raw) - 1
    out: list[tuple[Op, str]] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            out.append(("delete", "".join(deleted)))
        if inserted:
            out.append(("insert", "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for k, (op, text) in enumerate(raw):
        if op == "equal":
            # no two equal stretches are side by side (merged above): the neighbours are changes
            if text.isspace() and 0 < k < last:
                deleted.append(text)  # whitespace between two changes: part of both
                inserted.append(text)
                continue
            flush()
            out.append(("equal", text))
        else:
            (deleted if op == "delete" else inserted).append(text)
    flush()
    return _words_first(out)


def _merged(segments: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Adjacent equal segments joined (the common head or tail next to an equal stretch of the middle)."""
    out: list[tuple[str, str]] = []
    for op, text in segments:
        if out and op == "equal" and out[-1][0] == "equal":
            out[-1] = ("equal", out[-1][1] + text)
        else:
            out.append((op, text))
    return out


_LEADING_SPACE = re.compile(r"\s+")


def _words_first(segments: list[tuple[Op, str]]) -> list[tuple[Op, str]]:
    """Slide a lone insertion or deletion that starts with whitespace one step right when the text after
    it starts with the same whitespace: "МКБ[ жедел] жауап" reads "МКБ [жедел ]жауап" (same strings)."""
    out: list[tuple[Op, str]] = []
    pending = list(segments)
    while pending:
        op, text = pending.pop(0)
        lone = op != "equal" and (not out or out[-1][0] == "equal") and pending and pending[0][0] == "equal"
        space = _LEADING_SPACE.match(text) if lone else None
        if space and not text[-1].isspace() and pending[0][1].startswith(space.group()):
            w, after = space.group(), pending[0][1]
            if len(after) > len(w) or len(pending) == 1:  # never leave two changes side by side
                if out:
                    out[-1] = ("equal", out[-1][1] + w)
                else:
                    out.append(("equal", w))
                text = text[len(w):] + w
                pending[0] = ("equal", after[len(w):])
        out.append((op, text))
    return [segment for segment in out if segment[1]]
