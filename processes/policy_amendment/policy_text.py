"""The Information Policy's text as clauses, and word-level diffs between editions (pure functions).

The source is a plain-text export of a Word document (`processes/policy/information-policy.kk.txt`):

- unnumbered preamble paragraphs (introduction, abbreviations, definitions) before the first clause;
- numbered clauses `1.1` … `14.4`, with sub-clauses such as `3.1.1` or `7.10.2`: the number starts a
  line, sometimes after a leading space, and is followed by a space or a TAB;
- lines without a number belong to the clause above them (bullets starting with `-`, `·` or a TAB,
  plain sub-headings such as ` Ішкі мақсатты аудиториялар:`); blank lines are noise;
- a few sections have a heading line: the section number, sometimes a Word bookmark artefact
  (`[bookmark: _bookmark8]`), and the title in capitals. Word bookmark artefacts are dropped wherever
  they occur (one, `[bookmark: _GoBack]`, sits inside a bullet of 7.8).

A line opens a clause only if it starts with `\\s*[0-9]{1,2}(\\.[0-9]{1,2}){1,3}` then whitespace, the
number is well formed (`CLAUSE_NUMBER`) and plausible: its section is the current one (that of the last
clause or heading) or the next one, so that a line starting with some other number stays text.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from processes.textdiff import Op, word_diff

__all__ = [
    "CLAUSE_NUMBER", "Clause", "ClauseChange", "Op", "ParsedPolicy", "clause_key", "diff_editions",
    "is_clause_number", "load_policy", "parent_of", "parse_policy", "section_of", "word_diff",
]

POLICY_PATH = Path(__file__).resolve().parent / "policy_source" / "information-policy.kk.txt"

# A valid clause number: 2 to 4 parts of 1 to 3 ASCII digits, no leading zeros (and no part 0: numbering starts at 1).
CLAUSE_NUMBER = re.compile(r"[1-9][0-9]{0,2}(?:\.[1-9][0-9]{0,2}){1,3}")

_CLAUSE_LINE = re.compile(r"^\s*([0-9]{1,2}(?:\.[0-9]{1,2}){1,3})[\s]")
_HEADING_LINE = re.compile(r"^\s*([0-9]{1,2})\s+(\S.*)$")
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")


@dataclass(frozen=True)
class Clause:
    number: str  # "7.10.2"
    text: str  # the body without its number; continuation lines joined with "\n", each stripped


@dataclass(frozen=True)
class ParsedPolicy:
    preamble: str  # the unnumbered paragraphs before the first clause, joined with "\n"
    sections: dict[int, str]  # section number -> heading text, only for the sections with a heading
    clauses: tuple[Clause, ...]  # in document order


# --- clause numbers ---------------------------------------------------------------------------------

def is_clause_number(value: object) -> bool:
    """Whether value is a well-formed clause number such as "7.10.2"."""
    return isinstance(value, str) and CLAUSE_NUMBER.fullmatch(value) is not None


def clause_key(number: str) -> tuple[int, ...]:
    """Sort key of a clause number ("7.10" sorts after "7.9"); ValueError when malformed."""
    if not is_clause_number(number):
        raise ValueError(f"not a clause number: {number!r}")
    return tuple(int(part) for part in number.split("."))


def section_of(number: str) -> int:
    """The section a clause belongs to: "7.10.2" -> 7."""
    return clause_key(number)[0]


def parent_of(number: str) -> str | None:
    """The enclosing clause: "7.10.2" -> "7.10"; None for a section's own clause ("7.10")."""
    parts = clause_key(number)
    if len(parts) <= 2:
        return None
    return ".".join(str(part) for part in parts[:-1])


# --- parsing ----------------------------------------------------------------------------------------

def _clean(line: str) -> str:
    """A line without Word bookmark artefacts and surrounding whitespace."""
    return _BOOKMARK.sub("", line).strip()


def _heading(line: str, current: int) -> tuple[int, str] | None:
    """(section, title) if line is a plausible section heading: a number, then a title in capitals."""
    match = _HEADING_LINE.match(line)
    if not match:
        return None
    section = int(match.group(1))
    title = " ".join(_BOOKMARK.sub(" ", match.group(2)).split())
    letters = [ch for ch in title if ch.isalpha()]
    if not letters or any(ch.islower() for ch in letters):
        return None
    if section not in (current, current + 1) or section == 0:
        return None
    return section, title


def parse_policy(text: str) -> ParsedPolicy:
    """Split the policy's text into preamble, section headings and clauses.

    Raises ValueError naming the line on a duplicate clause number or a repeated section heading.
    Text after a heading and before that section's first clause (none in the real text) stays with the
    clause above it, as any unnumbered line does.
    """
    preamble: list[str] = []
    sections: dict[int, str] = {}
    clauses: list[tuple[str, list[str]]] = []
    first_line: dict[str, int] = {}
    current = 0  # the section of the last clause or heading

    for lineno, raw in enumerate(text.split("\n"), start=1):  # numbered as editors do (a CR is whitespace)
        match = _CLAUSE_LINE.match(raw)
        if match and is_clause_number(match.group(1)) and section_of(match.group(1)) in (current, current + 1):
            number = match.group(1)
            if number in first_line:
                raise ValueError(f"line {lineno}: duplicate clause number {number} (first on line "
                                 f"{first_line[number]}): {raw.strip()[:80]!r}")
            first_line[number] = lineno
            current = section_of(number)
            body = _clean(raw[match.end():])
            clauses.append((number, [body] if body else []))
            continue
        heading = _heading(raw, current)
        if heading:
            section, title = heading
            if section in sections:
                raise ValueError(f"line {lineno}: a second heading for section {section}: {raw.strip()[:80]!r}")
            sections[section] = title
            current = section
            continue
        line = _clean(raw)
        if not line:
            continue
        (clauses[-1][1] if clauses else preamble).append(line)

    return ParsedPolicy(preamble="\n".join(preamble), sections=sections,
                        clauses=tuple(Clause(number, "\n".join(lines)) for number, lines in clauses))


def load_policy(path: Path | None = None) -> ParsedPolicy:
    """Parse the policy file (default: processes/policy/information-policy.kk.txt)."""
    return parse_policy(Path(path or POLICY_PATH).read_text(encoding="utf-8-sig"))


# --- editions ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClauseChange:
    number: str
    kind: Literal["added", "changed", "removed"]
    before: str  # "" when added
    after: str  # "" when removed
    segments: tuple[tuple[str, str], ...]  # word_diff(before, after)


def diff_editions(old: Mapping[str, str], new: Mapping[str, str]) -> list[ClauseChange]:
    """The clauses added, changed and removed from edition old to edition new (clause number -> text),
    sorted by clause number; unchanged clauses are left out. ValueError on a malformed clause number."""
    changes = []
    for number in sorted(old.keys() | new.keys(), key=clause_key):
        before, after = old.get(number), new.get(number)
        if before == after:
            continue
        kind: Literal["added", "changed", "removed"] = (
            "added" if before is None else "removed" if after is None else "changed")
        before, after = before or "", after or ""
        changes.append(ClauseChange(number, kind, before, after, tuple(word_diff(before, after))))
    return changes
