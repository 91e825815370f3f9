"""The Information Policy as data (§14): editions, clauses, their history, and amendment proposals.

Edition 1 is the source text (`kelisim policy import`, or `seed-demo`). An approved amendment makes
edition N+1 as an addition (§14.3): the whole text with the changes applied, the list of changes,
and the link to the amendment instance. Editions are never changed once written; two approvals
can never both make N+1 (the number is unique). A proposal is based on the edition current when it
was made or last consolidated; approving it after that edition changed in the same clauses is
refused until MCD consolidates it again (no silent overwrite); changes elsewhere are merged.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from forms.validate import N_, Message
from processes.policy_amendment.policy_text import (
    ClauseChange,
    clause_key,
    diff_editions,
    is_clause_number,
    load_policy,
    parent_of,
    section_of,
    word_diff,
)
from processes.usecases import numbering
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Invalid, NotFound
from storage import audit
from storage.models import (
    Document,
    Instance,
    PolicyChange,
    PolicyClause,
    PolicyEdition,
    PolicyProposal,
    ProposalClause,
    User,
)

EDITION_DOC = "policy_edition"
ADDITION_DOC = "policy_addition"
POLICY_DOCS = frozenset({EDITION_DOC, ADDITION_DOC})
TEXT_MAX = 20000


# --- reading ----------------------------------------------------------------------------------

def current_edition(ctx: Ctx) -> PolicyEdition:
    """The newest edition (the one amendments are made against)."""
    row = ctx.session.execute(select(PolicyEdition).order_by(PolicyEdition.number.desc()).limit(1)
                              ).scalar_one_or_none()
    if row is None:
        raise NotFound(N_("The policy text has not been imported yet (kelisim policy import)."))
    return row


def in_force(ctx: Ctx, on: date) -> PolicyEdition | None:
    """The edition in force on a day: the newest whose effective date has come."""
    return ctx.session.execute(select(PolicyEdition).where(PolicyEdition.effective_from <= on)
                               .order_by(PolicyEdition.number.desc()).limit(1)).scalar_one_or_none()


def editions(ctx: Ctx) -> list[PolicyEdition]:
    return list(ctx.session.execute(select(PolicyEdition).order_by(PolicyEdition.number)).scalars())


def edition(ctx: Ctx, number: int) -> PolicyEdition:
    row = ctx.session.execute(select(PolicyEdition).where(PolicyEdition.number == number)).scalar_one_or_none()
    if row is None:
        raise NotFound(N_("No such edition of the policy."))
    return row


def clauses_of(ctx: Ctx, ed: PolicyEdition) -> list[PolicyClause]:
    return list(ctx.session.execute(select(PolicyClause).where(PolicyClause.edition_id == ed.id)
                                    .order_by(PolicyClause.position)).scalars())


def texts_of(ctx: Ctx, ed: PolicyEdition) -> dict[str, str]:
    """Clause number -> text, for one edition."""
    return dict(ctx.session.execute(select(PolicyClause.number, PolicyClause.text)
                                    .where(PolicyClause.edition_id == ed.id)).tuples().all())


def clause(ctx: Ctx, ed: PolicyEdition, number: str) -> PolicyClause:
    row = ctx.session.execute(select(PolicyClause).where(PolicyClause.edition_id == ed.id,
                                                         PolicyClause.number == number)).scalar_one_or_none()
    if row is None:
        raise NotFound(N_("No clause %(number)s in edition %(edition)s."), number=number, edition=ed.number)
    return row


def search(ctx: Ctx, ed: PolicyEdition, text: str) -> list[PolicyClause]:
    """Clauses whose number or text contains every word of `text` (case-insensitive in any script)."""
    words = [w.casefold() for w in text.split() if w.strip()]
    if not words:
        return []
    return [c for c in clauses_of(ctx, ed)
            if all(w in c.text.casefold() or c.number.startswith(w) for w in words)]


@dataclass(frozen=True)
class HistoryEntry:
    """How one clause read in one edition, and what changed it there."""

    edition: int
    effective_from: date
    approved_at: datetime | None
    text: str | None  # None: the clause does not exist in this edition (removed)
    change: str | None  # added | changed | removed | None (carried over unchanged)
    instance_id: int | None  # the amendment that made this edition
    segments: tuple[tuple[str, str], ...]  # word diff against the previous edition's text
    proposer: User | None = None  # who proposed that amendment


def clause_history(ctx: Ctx, number: str) -> list[HistoryEntry]:
    """Every edition the clause appeared in (or was removed in), oldest first, with the amendment
    that changed it: who changed §7.10.2, when, and on whose proposal."""
    if not is_clause_number(number):
        raise NotFound(N_("No such clause."))
    eds = editions(ctx)
    texts = dict(ctx.session.execute(select(PolicyClause.edition_id, PolicyClause.text)
                                     .where(PolicyClause.number == number)).tuples().all())
    changes = dict(ctx.session.execute(select(PolicyChange.edition_id, PolicyChange.kind)
                                       .where(PolicyChange.number == number)).tuples().all())
    out: list[HistoryEntry] = []
    previous: str | None = None
    for ed in eds:
        text = texts.get(ed.id)
        change = changes.get(ed.id)
        if text is None and change != "removed":
            previous = None
            continue
        segments = tuple(word_diff(previous or "", text or "")) if change else ()
        amendment = ctx.session.get(Instance, ed.instance_id) if ed.instance_id else None
        out.append(HistoryEntry(ed.number, ed.effective_from, ed.approved_at, text, change, ed.instance_id,
                                segments, amendment.started_by if amendment else None))
        previous = text
    if not out:
        raise NotFound(N_("No such clause."))
    return out


# --- import -----------------------------------------------------------------------------------

def import_policy(ctx: Ctx, path: Path | None = None, effective_from: date | None = None) -> PolicyEdition | None:
    """Load the source text as edition 1, once; None when an edition exists already."""
    exists = ctx.session.execute(select(func.count()).select_from(PolicyEdition)).scalar_one()
    if exists:
        return None
    parsed = load_policy(path)
    ed = PolicyEdition(number=1, base_number=None, effective_from=effective_from or date(2000, 1, 1),
                       approved_at=None, instance_id=None, preamble=parsed.preamble,
                       sections={str(k): v for k, v in parsed.sections.items()}, created_at=ctx.now())
    ctx.session.add(ed)
    ctx.session.flush()
    ctx.session.add_all(PolicyClause(edition_id=ed.id, number=c.number, position=i, text=c.text, changed=False)
                        for i, c in enumerate(parsed.clauses))
    ctx.session.flush()
    ed.document_id = _issue_edition_document(ctx, ed, None).id
    audit.append(ctx.session, ctx.actor, "policy_imported", object="policy:edition:1",
                 data={"edition": 1, "clauses": len(parsed.clauses)}, clause="§14", request_id=ctx.request_id)
    return ed


def import_report(ctx: Ctx, path: Path | None = None) -> str:
    """Import the policy's text as edition 1 unless an edition exists; say what happened."""
    edition = import_policy(ctx, path)
    if edition is None:
        return "policy: an edition exists already; nothing imported"
    return f"policy: edition 1 imported ({len(clauses_of(ctx, edition))} clauses)"


# --- proposals --------------------------------------------------------------------------------

def normalise_changes(raw: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The changes as stored: clause numbers trimmed, texts with LF line ends and no outer blanks."""
    return [{"clause": str(c["clause"]).strip(),
             "text": str(c.get("text", "")).replace("\r\n", "\n").strip()} for c in raw]


def check_changes(current: Mapping[str, str], changes: list[dict[str, str]], field: str = "changes") -> None:
    """Refuse a change list that does not apply to the current text (422, each problem named)."""
    errors: dict[str, Message] = {}
    seen: set[str] = set()
    adding = {c["clause"] for c in changes if c["clause"] not in current and c["text"]}
    sections = {section_of(n) for n in current}
    for i, change in enumerate(changes):
        number, text, key = change["clause"], change["text"], f"{field}.{i}"
        if not is_clause_number(number):
            errors[f"{key}.clause"] = Message(N_("Not a clause number (e.g. 7.10.2)."))
            continue
        if number in seen:
            errors[f"{key}.clause"] = Message(N_("Clause %(number)s is changed twice."), {"number": number})
            continue
        seen.add(number)
        if number in current:
            if text == current[number]:
                errors[f"{key}.text"] = Message(N_("The text of %(number)s is unchanged."), {"number": number})
        elif not text:
            errors[f"{key}.clause"] = Message(N_("There is no clause %(number)s to remove."), {"number": number})
        else:
            parent = parent_of(number)
            if parent is None and section_of(number) not in sections:
                errors[f"{key}.clause"] = Message(N_("There is no section %(section)s to add %(number)s to."),
                                                  {"section": section_of(number), "number": number})
            elif parent is not None and parent not in current and parent not in adding:
                errors[f"{key}.clause"] = Message(N_("There is no clause %(parent)s to add %(number)s under."),
                                                  {"parent": parent, "number": number})
        if len(text) > TEXT_MAX:
            errors[f"{key}.text"] = Message(N_("At most %(n)s characters."), {"n": TEXT_MAX})
    if not changes:
        errors[field] = Message(N_("Propose at least one change."))
    if errors:
        raise Invalid(errors)


def apply_changes(current: Mapping[str, str], changes: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """The clauses after the changes, in clause order."""
    texts = dict(current)
    for change in changes:
        if change["text"]:
            texts[change["clause"]] = change["text"]
        else:
            texts.pop(change["clause"], None)
    return {n: texts[n] for n in sorted(texts, key=clause_key)}


def proposal_of(ctx: Ctx, instance: Instance) -> PolicyProposal:
    row = ctx.session.execute(select(PolicyProposal).where(PolicyProposal.instance_id == instance.id)
                              ).scalar_one_or_none()
    if row is None:
        raise Conflict(N_("The proposal has not been submitted yet."))
    return row


def save_proposal(ctx: Ctx, instance: Instance, changes: list[dict[str, str]], rationale: str | None,
                  proposed: bool) -> PolicyProposal:
    """Record the proposal's current changes against the current edition (the new base)."""
    base = current_edition(ctx)
    row = ctx.session.execute(select(PolicyProposal).where(PolicyProposal.instance_id == instance.id)
                              ).scalar_one_or_none()
    if row is None:
        row = PolicyProposal(instance_id=instance.id, base_edition=base.number, changes=changes, proposed=changes,
                             rationale=rationale or "", status="open", updated_at=ctx.now())
        ctx.session.add(row)
    row.base_edition, row.changes, row.updated_at = base.number, changes, ctx.now()
    if proposed:
        row.proposed = changes
    if rationale is not None:
        row.rationale = rationale
    touched = {c["clause"] for c in changes}
    for old in ctx.session.execute(select(ProposalClause).where(ProposalClause.instance_id == instance.id)).scalars():
        if old.number not in touched:
            ctx.session.delete(old)
        touched.discard(old.number)
    ctx.session.add_all(ProposalClause(instance_id=instance.id, number=n) for n in sorted(touched))
    ctx.session.flush()
    return row


def conflicts(ctx: Ctx, instance: Instance) -> list[tuple[Instance, list[str]]]:
    """Other open proposals touching a clause this one touches, with those clauses."""
    mine = select(ProposalClause.number).where(ProposalClause.instance_id == instance.id)
    rows = ctx.session.execute(
        select(ProposalClause.instance_id, ProposalClause.number)
        .join(PolicyProposal, PolicyProposal.instance_id == ProposalClause.instance_id)
        .where(ProposalClause.number.in_(mine), ProposalClause.instance_id != instance.id,
               PolicyProposal.status == "open").order_by(ProposalClause.instance_id)).all()
    by_instance: dict[int, list[str]] = {}
    for iid, number in rows:
        by_instance.setdefault(iid, []).append(number)
    return [(ctx.session.get_one(Instance, iid), sorted(nums, key=clause_key)) for iid, nums in by_instance.items()]


def changed_between(ctx: Ctx, older: int, newer: int) -> set[str]:
    """The clause numbers whose text differs between two editions."""
    if older == newer:
        return set()
    return {c.number for c in diff_editions(texts_of(ctx, edition(ctx, older)), texts_of(ctx, edition(ctx, newer)))}


def check_base(ctx: Ctx, proposal: PolicyProposal) -> PolicyEdition:
    """The edition to apply the proposal to: the current one, if the clauses it touches did not change
    since its base; otherwise 409 (MCD must consolidate it again)."""
    current = current_edition(ctx)
    if current.number != proposal.base_edition:
        touched = {c["clause"] for c in proposal.changes}
        overlap = sorted(changed_between(ctx, proposal.base_edition, current.number) & touched, key=clause_key)
        if overlap:
            raise Conflict(N_("Edition %(current)s changed %(clauses)s after this proposal was based on edition "
                              "%(base)s: return it to MCD to consolidate it against the current text."),
                           current=current.number, base=proposal.base_edition, clauses=", ".join(overlap))
    return current


def proposal_diff(ctx: Ctx, proposal: PolicyProposal) -> list[ClauseChange]:
    """The proposal against the current edition, word by word."""
    current = texts_of(ctx, current_edition(ctx))
    return diff_editions(current, apply_changes(current, proposal.changes))


# --- approval: the next edition ----------------------------------------------------------------

def create_edition(ctx: Ctx, instance: Instance, proposal: PolicyProposal, effective_from: date) -> PolicyEdition:
    """Make edition N+1 from the current one with the proposal's changes, as an addition (§14.3)."""
    base = check_base(ctx, proposal)
    before = texts_of(ctx, base)
    check_changes(before, proposal.changes)
    after = apply_changes(before, proposal.changes)
    diff = diff_editions(before, after)
    ed = PolicyEdition(number=base.number + 1, base_number=base.number, effective_from=effective_from,
                       approved_at=ctx.now(), instance_id=instance.id, preamble=base.preamble,
                       sections=dict(base.sections or {}), created_at=ctx.now())
    ctx.session.add(ed)
    ctx.session.flush()  # the unique edition number: a concurrent approval of N+1 fails here
    changed = {c.number for c in diff}
    ctx.session.add_all(PolicyClause(edition_id=ed.id, number=n, position=i, text=t, changed=n in changed)
                        for i, (n, t) in enumerate(after.items()))
    ctx.session.add_all(PolicyChange(edition_id=ed.id, number=c.number, kind=c.kind, before=c.before, after=c.after)
                        for c in diff)
    proposal.status = "approved"
    if proposal.base_edition != base.number:
        audit.append(ctx.session, ctx.actor, "proposal_rebased", instance_id=instance.id,
                     data={"from": proposal.base_edition, "to": base.number}, clause="§14.3",
                     request_id=ctx.request_id)
        proposal.base_edition = base.number
    ctx.session.flush()
    audit.append(ctx.session, ctx.actor, "policy_edition_created", instance_id=instance.id,
                 object=f"policy:edition:{ed.number}",
                 data={"edition": ed.number, "base": base.number, "effective_from": effective_from.isoformat(),
                       "changes": [{"clause": c.number, "kind": c.kind} for c in diff]},
                 clause="§14.3", request_id=ctx.request_id)
    return ed


def summary_of(changes: Iterable[PolicyChange | ClauseChange]) -> str:
    return "; ".join(f"{c.number} {c.kind}" for c in changes)


def _issue_edition_document(ctx: Ctx, ed: PolicyEdition, instance: Instance | None) -> Document:
    """The whole edition as an issued document (its PDF is rendered after the commit)."""
    clauses = clauses_of(ctx, ed)
    additions = []
    for other in editions(ctx):
        if other.number > ed.number or other.number == 1 or other.addition_document_id is None:
            continue
        doc = ctx.session.get_one(Document, other.addition_document_id)
        if other.approved_at is None:  # an edition with an addition was made by an approval
            raise ValueError(f"edition {other.number} has an addition but no approval time")
        changes = ctx.session.execute(select(PolicyChange).where(PolicyChange.edition_id == other.id)).scalars()
        additions.append({"edition": other.number, "reg_number": doc.reg_number,
                          "approved_at": other.approved_at.isoformat(),
                          "effective_from": other.effective_from.isoformat(), "summary": summary_of(changes)})
    public = {"number": ed.number, "effective_from": ed.effective_from.isoformat(),
              "approved_at": ed.approved_at.isoformat() if ed.approved_at else None, "preamble": ed.preamble,
              "sections": ed.sections, "clauses": [[c.number, c.text, c.changed] for c in clauses],
              "additions": additions}
    reg_number = f"IP-ED-{ed.number:03d}"
    doc = Document(instance_id=instance.id if instance else None, kind=EDITION_DOC, title=reg_number,
                   reg_number=reg_number, verification_code=numbering.verification_code(), public=public,
                   issued_at=ctx.now())
    ctx.session.add(doc)
    ctx.session.flush()
    audit.append(ctx.session, ctx.actor, "document_issued", instance_id=instance.id if instance else None,
                 object=f"document:{doc.id}", data={"kind": EDITION_DOC, "reg_number": reg_number,
                                                    "edition": ed.number, "clauses": len(clauses)},
                 clause="§14.3", request_id=ctx.request_id)
    return doc


def issue_documents(ctx: Ctx, instance: Instance, ed: PolicyEdition, addition: dict[str, Any]) -> None:
    """Issue the addition and the new edition's documents for an approved amendment."""
    reg_number = numbering.next_number(ctx, "PA")
    doc = Document(instance_id=instance.id, kind=ADDITION_DOC, title=reg_number, reg_number=reg_number,
                   verification_code=numbering.verification_code(), public=addition, issued_at=ctx.now())
    ctx.session.add(doc)
    ctx.session.flush()
    ed.addition_document_id = doc.id
    audit.append(ctx.session, ctx.actor, "document_issued", instance_id=instance.id, object=f"document:{doc.id}",
                 data={"kind": ADDITION_DOC, "reg_number": reg_number, "edition": ed.number},
                 clause="§14.3", request_id=ctx.request_id)
    ctx.session.flush()
    ed.document_id = _issue_edition_document(ctx, ed, instance).id
