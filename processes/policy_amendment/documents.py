"""Render the Information Policy itself as PDF: a whole edition, and an addition (§14).

Built on ``processes.documents``: the same templates folder, Jinja environment, trilingual
labels (``per_language``), house stylesheet (plus ``templates/policy.css``, every rule scoped to
``body.policy``), QR code and asset-only URL fetcher.

- An **edition** (``templates/policy_edition.html``) is the full text of the policy as in force
  from a date: edition 1 is the original text, each approved amendment makes the next edition.
  Printed: title block, table of contents with page numbers, preamble, the clauses grouped by
  section (those the latest addition changed or added carry a bar in the margin), the list of
  additions, the verification code and QR.
- An **addition** (``templates/policy_addition.html``) is how an approved amendment is
  formalised (§14.3): base edition → new edition, approval and effective dates (§14.1), the
  proposal and its rationale, each changed clause before/after (a word diff: removed words
  struck through, added words highlighted), the Academic Council's record (§7.1), the
  signatories, the verification code and QR.

The policy text is Kazakh; the fixed labels are trilingual (kk, ru, en) like the other
documents, Kazakh first. All user data is autoescaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from processes.documents import (
    document_gettexts,
    local_date_text,
    local_time,
    qr_data_uri,
    render_document_html,
    render_html_to_pdf,
)
from processes.policy_amendment.policy_text import is_clause_number, word_diff
from processes.policy_amendment.section_titles import section_title
from processes.university_time import date_text, local

TEMPLATES = Path(__file__).resolve().parent / "templates"
STYLESHEET = "policy.css"  # on top of the house style, parsed once (render_html_to_pdf)

CHANGE_KINDS = ("added", "changed", "removed")
COUNCIL_DECISIONS = ("adopted", "not_adopted")
SIGNATORY_ROLES = ("proposer", "mcd", "council_secretary", "rector")


@dataclass(frozen=True)
class EditionClause:
    """One clause of an edition; ``changed`` when the addition that made the edition changed or
    added it. ``text`` may hold line breaks (bullets): they are printed as they are."""

    number: str
    text: str
    changed: bool

    def __post_init__(self) -> None:
        """Refuse a clause that cannot be printed as a numbered clause."""
        _require_clause_number(self.number)
        _require_text(self.text, f"text of clause {self.number}")
        if not isinstance(self.changed, bool):
            raise ValueError("changed must be a bool")


@dataclass(frozen=True)
class AdditionRef:
    """One addition in an edition's list of additions: the edition it created and its dates."""

    edition: int
    reg_number: str
    approved_at: datetime
    effective_from: date
    summary: str

    def __post_init__(self) -> None:
        """Refuse an entry that would misdate or misnumber an addition."""
        _require_count(self.edition, "edition of an addition", minimum=2)
        _require_nonblank(self.reg_number, "reg_number of an addition")
        _require_aware(self.approved_at, "approved_at of an addition")
        _require_effective(self.effective_from, self.approved_at)
        _require_text(self.summary, "summary of an addition")


@dataclass(frozen=True)
class EditionDocument:
    """The data printed on an edition of the Information Policy.

    ``additions`` lists every addition up to this edition, oldest first: the additions that
    created editions 2, 3, …, ``number`` (none for edition 1, the original text). The last one
    is the addition that made this edition: its approval and effective dates are the edition's.
    """

    number: int
    effective_from: date
    approved_at: datetime | None
    preamble: str
    sections: dict[int, str]
    clauses: tuple[EditionClause, ...]
    additions: tuple[AdditionRef, ...]
    reg_number: str
    verification_code: str
    verify_url: str

    def __post_init__(self) -> None:
        """Freeze the lists and refuse data that would print a misleading edition."""
        object.__setattr__(self, "clauses", tuple(self.clauses))
        object.__setattr__(self, "additions", tuple(self.additions))
        object.__setattr__(self, "sections", _section_headings(self.sections))
        _require_count(self.number, "edition number", minimum=1)
        _require_date(self.effective_from, "effective_from")
        _require_text(self.preamble, "preamble")
        _require_nonblank(self.reg_number, "reg_number")
        _require_nonblank(self.verification_code, "verification_code")
        _require_url(self.verify_url)
        self._check_clauses()
        self._check_additions()

    def _check_clauses(self) -> None:
        """At least one clause, each once, sections in order; the original text changes nothing."""
        if not self.clauses:
            raise ValueError("an edition has at least one clause")
        if not all(isinstance(clause, EditionClause) for clause in self.clauses):
            raise ValueError("clauses must be EditionClause entries")
        numbers = [clause.number for clause in self.clauses]
        if len(set(numbers)) != len(numbers):
            raise ValueError("an edition lists each clause number once")
        sections = [_section_of(number) for number in numbers]
        if sections != sorted(sections):
            raise ValueError("clauses must be in the order of their sections")
        if self.number == 1 and any(clause.changed for clause in self.clauses):
            raise ValueError("edition 1 is the original text: no clause is marked changed")

    def _check_additions(self) -> None:
        """Additions 2…number in order; the last one dates this edition."""
        if not all(isinstance(item, AdditionRef) for item in self.additions):
            raise ValueError("additions must be AdditionRef entries")
        editions = [item.edition for item in self.additions]
        if editions != list(range(2, self.number + 1)):
            raise ValueError(
                f"edition {self.number} lists the additions that created editions 2 to "
                f"{self.number}, oldest first (got {editions})"
            )
        if self.number == 1:
            if self.approved_at is not None:
                _require_aware(self.approved_at, "approved_at")
            return
        _require_aware(self.approved_at, "approved_at")
        latest = self.additions[-1]
        if latest.approved_at != self.approved_at or latest.effective_from != self.effective_from:
            raise ValueError("the edition's dates must be those of the addition that made it")

    @property
    def latest_addition(self) -> AdditionRef | None:
        """The addition that made this edition (None for the original text)."""
        return self.additions[-1] if self.additions else None


@dataclass(frozen=True)
class ChangeLine:
    """One clause an addition adds, changes or removes, with its text before and after."""

    number: str
    kind: str
    before: str
    after: str

    def __post_init__(self) -> None:
        """Refuse a change whose texts contradict its kind."""
        _require_clause_number(self.number)
        if self.kind not in CHANGE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(CHANGE_KINDS)}")
        _require_text(self.before, f"before of clause {self.number}")
        _require_text(self.after, f"after of clause {self.number}")
        has_before, has_after = bool(self.before.strip()), bool(self.after.strip())
        if self.kind == "added" and (self.before or not has_after):
            raise ValueError(f"an added clause ({self.number}) has no text before and a text after")
        if self.kind == "removed" and (self.after or not has_before):
            raise ValueError(f"a removed clause ({self.number}) has a text before and none after")
        if self.kind == "changed" and (not has_before or not has_after or self.before == self.after):
            raise ValueError(f"a changed clause ({self.number}) has two different texts")


@dataclass(frozen=True)
class CouncilRecord:
    """The Academic Council's part (§7.1): whether its adoption was required, and its vote."""

    required: bool
    meeting_date: date | None
    decision: str | None
    votes_for: int | None
    votes_against: int | None
    votes_abstained: int | None

    def __post_init__(self) -> None:
        """Refuse a record with impossible votes, or a required adoption without its meeting."""
        if not isinstance(self.required, bool):
            raise ValueError("required must be a bool")
        if self.meeting_date is not None:
            _require_date(self.meeting_date, "meeting_date")
        if self.decision is not None and self.decision not in COUNCIL_DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(COUNCIL_DECISIONS)} or None")
        for name in ("votes_for", "votes_against", "votes_abstained"):
            value = getattr(self, name)
            if value is not None:
                _require_count(value, name, minimum=0)
        if self.required and (
            self.meeting_date is None or self.decision is None or None in self.votes
        ):
            raise ValueError(
                "a required adoption by the Academic Council records its meeting date, "
                "decision and votes"
            )

    @property
    def votes(self) -> tuple[int | None, int | None, int | None]:
        """(for, against, abstained)."""
        return (self.votes_for, self.votes_against, self.votes_abstained)

    @property
    def has_votes(self) -> bool:
        """Whether any vote count is recorded."""
        return any(value is not None for value in self.votes)


@dataclass(frozen=True)
class Signatory:
    """One signature on an addition: who, in which role, what they decided, and when."""

    role: str
    name: str
    position: str | Mapping[str, str]  # {"kk", "ru", "en"}, or one text (additions issued before)
    decision: str
    at: datetime

    def __post_init__(self) -> None:
        """Refuse an unknown role or a time that cannot be shown in Almaty time."""
        if self.role not in SIGNATORY_ROLES:
            raise ValueError(f"role must be one of {', '.join(SIGNATORY_ROLES)}")
        _require_nonblank(self.name, "signatory name")
        if isinstance(self.position, Mapping):
            for text in self.position.values():
                _require_text(text, "signatory position")
        else:
            _require_text(self.position, "signatory position")
        _require_nonblank(self.decision, "signatory decision")
        _require_aware(self.at, "signatory time")


@dataclass(frozen=True)
class AdditionDocument:
    """The data printed on an addition to the Information Policy (§14.3)."""

    reg_number: str
    edition: int
    base_edition: int
    approved_at: datetime
    effective_from: date
    proposal: str
    rationale: str
    changes: tuple[ChangeLine, ...]
    council: CouncilRecord
    signatories: tuple[Signatory, ...]
    verification_code: str
    verify_url: str

    def __post_init__(self) -> None:
        """Freeze the lists and refuse data that would print a misleading addition."""
        object.__setattr__(self, "changes", tuple(self.changes))
        object.__setattr__(self, "signatories", tuple(self.signatories))
        _require_nonblank(self.reg_number, "reg_number")
        _require_count(self.base_edition, "base_edition", minimum=1)
        _require_count(self.edition, "edition", minimum=2)
        if self.edition <= self.base_edition:
            raise ValueError("an addition makes a newer edition than the one it amends")
        _require_aware(self.approved_at, "approved_at")
        _require_effective(self.effective_from, self.approved_at)
        _require_text(self.proposal, "proposal")
        _require_text(self.rationale, "rationale")
        _require_nonblank(self.verification_code, "verification_code")
        _require_url(self.verify_url)
        if not self.changes:
            raise ValueError("an addition has at least one change")
        if not all(isinstance(change, ChangeLine) for change in self.changes):
            raise ValueError("changes must be ChangeLine entries")
        numbers = [change.number for change in self.changes]
        if len(set(numbers)) != len(numbers):
            raise ValueError("an addition changes each clause once")
        self._check_council()
        if not self.signatories or not all(isinstance(s, Signatory) for s in self.signatories):
            raise ValueError("an addition names its signatories (Signatory entries)")
        if not any(signatory.role == "rector" for signatory in self.signatories):
            raise ValueError("an addition is approved by the rector (§14.3): name the rector")

    def _check_council(self) -> None:
        """Adopted by the Council where required (§7.1), before the approval."""
        if not isinstance(self.council, CouncilRecord):
            raise ValueError("council must be a CouncilRecord")
        if self.council.required and self.council.decision != "adopted":
            raise ValueError("an addition the Academic Council had to adopt exists only once adopted")
        meeting = self.council.meeting_date
        if meeting is not None and meeting > local(self.approved_at).date():
            raise ValueError("the Academic Council meets before the rector approves")


def render_edition(doc: EditionDocument, translations_dir: Path | None = None) -> bytes:
    """Render an edition of the Information Policy as an A4 PDF."""
    return render_html_to_pdf(render_edition_html(doc, translations_dir), TEMPLATES, STYLESHEET)


def render_edition_html(doc: EditionDocument, translations_dir: Path | None = None) -> str:
    """Render the edition's HTML (all user data autoescaped)."""
    groups: list[_Section] = []
    for clause in doc.clauses:
        section = _section_of(clause.number)
        if not groups or groups[-1].number != section:
            groups.append(_Section(section, section_title(section, "kk", doc.sections)))
        groups[-1].clauses.append(clause)
    listed = {group.number for group in groups}
    # A heading without clauses is listed in the contents too, with no page to point to.
    toc = sorted(
        [*groups, *(_Section(n, section_title(n, "kk", doc.sections) or h, empty=True)
                    for n, h in doc.sections.items() if n not in listed)],
        key=lambda entry: entry.number,
    )
    return render_document_html(
        "policy_edition.html",
        document_gettexts(translations_dir),
        TEMPLATES,
        doc=doc,
        preamble=[line.strip() for line in doc.preamble.splitlines() if line.strip()],
        groups=groups,
        toc=toc,
        effective_from=_date_text(doc.effective_from),
        approved_on=local_date_text(doc.approved_at) if doc.approved_at else None,
        additions=[
            {
                "ref": item,
                "approved_on": local_date_text(item.approved_at),
                "effective_from": _date_text(item.effective_from),
                "changes": summary_changes(item.summary),
            }
            for item in doc.additions
        ],
        latest=doc.latest_addition,
        latest_changes=summary_changes(doc.latest_addition.summary) if doc.latest_addition else [],
        any_changed=any(clause.changed for clause in doc.clauses),
        qr_uri=qr_data_uri(doc.verify_url),
    )


def render_addition(doc: AdditionDocument, translations_dir: Path | None = None) -> bytes:
    """Render an addition to the Information Policy as an A4 PDF."""
    return render_html_to_pdf(render_addition_html(doc, translations_dir), TEMPLATES, STYLESHEET)


def render_addition_html(doc: AdditionDocument, translations_dir: Path | None = None) -> str:
    """Render the addition's HTML (all user data autoescaped)."""
    return render_document_html(
        "policy_addition.html",
        document_gettexts(translations_dir),
        TEMPLATES,
        doc=doc,
        changes=[{"change": change, **change_columns(change)} for change in doc.changes],
        approved_at=local_time(doc.approved_at),
        effective_from=_date_text(doc.effective_from),
        meeting_date=_date_text(doc.council.meeting_date) if doc.council.meeting_date else None,
        signatory_times=[local_time(signatory.at) for signatory in doc.signatories],
        qr_uri=qr_data_uri(doc.verify_url),
    )


@dataclass
class _Section:
    """A section of an edition as the template prints it: its clauses, or none (``empty``)."""

    number: int
    heading: str | None
    clauses: list[EditionClause] = field(default_factory=list)
    empty: bool = False


def change_columns(change: ChangeLine) -> dict[str, list[tuple[str, str]]]:
    """The before and after columns of a change as (op, text) segments of a word diff.

    ``before`` holds the "equal" and "delete" segments (the removed words), ``after`` the
    "equal" and "insert" segments (the added words): "".join of each gives the text back.
    """
    segments = word_diff(change.before, change.after)
    return {
        "before": [(op, text) for op, text in segments if op != "insert"],
        "after": [(op, text) for op, text in segments if op != "delete"],
    }


def _section_headings(sections: Mapping[Any, str]) -> dict[int, str]:
    """Return the section headings keyed by int (JSON's "7" is accepted as 7)."""
    if not isinstance(sections, Mapping):
        raise ValueError("sections must map section numbers to headings")
    headings: dict[int, str] = {}
    for key, heading in sections.items():
        number = int(key) if isinstance(key, str) and key.isdigit() else key
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValueError(f"section number {key!r} must be a positive integer")
        _require_nonblank(heading, f"heading of section {number}")
        headings[number] = heading
    return dict(sorted(headings.items()))


def _section_of(number: str) -> int:
    """The section of a clause: "7.10.2" -> 7."""
    return int(number.split(".", 1)[0])


def _date_text(day: date) -> str:
    """Format a date as dd.mm.yyyy."""
    return date_text(day)


def summary_changes(summary: str) -> list[tuple[str, str]]:
    """An addition's summary ("11.2 changed; 3.1 added", as policy.summary_of writes it) as (clause, kind)
    pairs, for the document to print each kind as a label in every language; a part that is not
    "<clause> <kind>" is kept whole with an empty kind (printed as it is)."""
    pairs = []
    for part in (p.strip() for p in summary.split(";")):
        number, _sep, kind = part.rpartition(" ")
        pairs.append((number, kind) if number and kind in CHANGE_KINDS else (part, ""))
    return [pair for pair in pairs if pair[0]]


def _require_clause_number(number: object) -> None:
    """Raise ValueError unless ``number`` is a clause number such as "7.10.2"."""
    if not is_clause_number(number):
        raise ValueError(f"not a clause number: {number!r}")


def _require_aware(moment: object, what: str) -> None:
    """Raise ValueError unless ``moment`` is a timezone-aware datetime."""
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")


def _require_date(day: object, what: str) -> None:
    """Raise ValueError unless ``day`` is a date (not a datetime)."""
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValueError(f"{what} must be a date")


def _require_effective(effective_from: object, approved_at: datetime) -> None:
    """A change takes effect on the day of its written approval or later (§14.1)."""
    _require_date(effective_from, "effective_from")
    approved_on = local(approved_at).date()
    if effective_from < approved_on:  # type: ignore[operator]
        raise ValueError("effective_from cannot precede the date of approval (§14.1)")


def _require_count(value: object, what: str, minimum: int) -> None:
    """Raise ValueError unless ``value`` is an int (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{what} must be an integer of at least {minimum}")


def _require_text(value: object, what: str) -> None:
    """Raise ValueError unless ``value`` is a string."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string")


def _require_nonblank(value: object, what: str) -> None:
    """Raise ValueError unless ``value`` is a non-blank string."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string")


def _require_url(url: object) -> None:
    """Raise ValueError unless ``url`` is an absolute http(s) URL."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError("verify_url must be an absolute http(s) URL")

