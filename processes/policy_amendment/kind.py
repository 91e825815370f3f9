"""Policy amendment (§14.1–14.4, §7.1): propose, MCD consolidates, the Council adopts where needed,
the rector approves, and the next edition of the policy is made as an addition."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import select, true

from forms.validate import N_, Message
from processes.engine import Run, UserTask
from processes.policy_amendment import policy
from processes.policy_amendment.labels import LABELS
from processes.policy_amendment.policy_text import ClauseChange, diff_editions
from processes.textdiff import word_diff
from processes.university_time import today_local
from processes.usecases import files, notifications, queries
from processes.usecases.context import Ctx, Settings
from processes.usecases.errors import Forbidden, Invalid, NotFound
from processes.usecases.kinds import ProcessKind
from processes.usecases.routing import holders
from storage.models import AuditEvent, InboxTask, Instance, PolicyEdition, User

KEY = "policy_amendment"
# §14.4: the rector, the vice-rectors, the Academic-Methodological Department and MCD; the
# administrator names others (process_start_roles)
PROPOSERS = frozenset({"rector", "vice_rector", "amd_head", "mcd_head", "mcd_specialist"})
PROPOSE_TASKS = {"Task_Propose", "Task_Revise"}
CLAUSES = {"Task_Propose": "§14.4", "Task_Revise": "§14.4", "Task_Review": "§14.4", "Task_Council": "§7.1",
           "Task_Approve": "§14.3"}
ROLE_OF = {"Task_Propose": "proposer", "Task_Revise": "proposer", "Task_Review": "mcd",
           "Task_Council": "council_secretary", "Task_Approve": "rector"}


class PolicyAmendment(ProcessKind):
    labels = LABELS
    order = 40
    pages = {"details": "details.html", "verify": "verify.html"}
    key = KEY
    start_role = ""
    start_roles = PROPOSERS
    open_to_more_starters = True  # §14.4 "and others"
    accepted = {"pdf", "docx", "odt"}
    lane_roles = {"Proposer": "proposer", "MCD": "mcd_head", "Academic Council": "council_secretary",
                  "Rector": "rector"}

    def clause(self, task_name: str) -> str | None:
        return CLAUSES.get(task_name, "§14")

    def prepare(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
        if task.name in PROPOSE_TASKS:
            changes = policy.normalise_changes(data["changes"])
            policy.check_changes(policy.texts_of(ctx, policy.current_edition(ctx)), changes)
            rationale = data["rationale"].strip()
            policy.save_proposal(ctx, instance, changes, rationale, proposed=True)
            first = changes[0]["clause"]
            instance.title = (f"§{first}" + (f" +{len(changes) - 1}" if len(changes) > 1 else "")
                              + f" · {rationale.splitlines()[0]}")[:500]
            return {**data, "changes": changes, "rationale": rationale}
        if ctx.me.id == instance.started_by_id and task.name in ("Task_Review", "Task_Council"):
            raise Forbidden(N_("Nobody reviews their own submission."))
        step = {"Task_Review": _review, "Task_Council": _council, "Task_Approve": _approve}[task.name]
        return step(ctx, instance, data)

    def assign(self, ctx: Ctx, instance: Instance, task: UserTask) -> tuple[str | None, User | None, Any]:
        if task.name in PROPOSE_TASKS:
            return "proposer", instance.started_by, None
        if task.name == "Task_Approve":
            rector = next(iter(holders(ctx.session, "rector")), None)
            if rector is not None:
                notifications.notify(ctx, rector.id, instance, "task_assigned", title=instance.title)
            return "rector", rector, None
        role = "council_secretary"
        if task.name == "Task_Review":  # MCD's head, unless the head proposed it: then MCD's specialists
            role = "mcd_specialist" if "mcd_head" in instance.started_by.role_names else "mcd_head"
        for user in holders(ctx.session, role):
            if user.id != instance.started_by_id:
                notifications.notify(ctx, user.id, instance, "task_assigned", title=instance.title)
        return role, None, None

    def after_complete(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any],
                       run: Run) -> None:
        if task.name == "Task_Approve" and data["decision"] == "approve":
            proposal = policy.proposal_of(ctx, instance)
            effective = date.fromisoformat(data["effective_date"])
            ed = policy.create_edition(ctx, instance, proposal, effective)
            policy.issue_documents(ctx, instance, ed, addition_public(ctx, instance, ed, proposal))
        elif data.get("decision") in ("revise", "return"):
            target = instance.started_by_id if data["decision"] == "revise" else None
            if target is not None:
                notifications.notify(ctx, target, instance, "revision_requested", title=instance.title,
                                     comment=data.get("comment", ""))

    def on_finish(self, ctx: Ctx, instance: Instance, run: Run) -> None:
        proposal = ctx.session.execute(select(policy.PolicyProposal).where(
            policy.PolicyProposal.instance_id == instance.id)).scalar_one_or_none()
        if proposal is not None and proposal.status == "open":
            proposal.status = instance.outcome or "closed"
        notifications.notify(ctx, instance.started_by_id, instance, "outcome", title=instance.title,
                             outcome=instance.outcome or "")

    decision_tasks = frozenset({"Task_Approve"})  # decided: the rector approved or rejected (a return is not)

    def confirmation(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> Message | None:
        if task.name == "Task_Approve" and data.get("decision") == "approve":
            return Message(N_("Approving makes the next edition of the Information Policy now, in force from "
                              "%(date)s; it cannot be taken back."), {"date": data.get("effective_date", "")})
        if task.name == "Task_Approve" and data.get("decision") == "reject":
            return Message(N_("Rejecting ends the proposal now."))
        return None

    def on_withdraw(self, ctx: Ctx, instance: Instance) -> None:
        """The proposal stays on record, closed as withdrawn."""
        proposal = ctx.session.execute(select(policy.PolicyProposal).where(
            policy.PolicyProposal.instance_id == instance.id)).scalar_one_or_none()
        if proposal is not None and proposal.status == "open":
            proposal.status = instance.outcome or "closed"

    def start_prefill(self, ctx: Ctx, params=None) -> dict[str, Any]:
        """A proposal started from a clause page begins with that clause and its current text."""
        numbers = [n for n in (params or {}).get("clause", "").split(",") if n.strip()][:10]
        try:
            texts = policy.texts_of(ctx, policy.current_edition(ctx))
        except NotFound:
            return {}
        return {"changes": [{"clause": n.strip(), "text": texts.get(n.strip(), "")} for n in numbers]}

    def prefill(self, ctx: Ctx, instance: Instance, task: InboxTask) -> dict[str, Any]:
        row = ctx.session.execute(select(policy.PolicyProposal).where(
            policy.PolicyProposal.instance_id == instance.id)).scalar_one_or_none()
        if row is None:
            return {}
        if task.name == "Task_Revise":
            return {"changes": row.proposed, "rationale": row.rationale}
        if task.name == "Task_Review":
            return {"changes": row.changes}
        return {}

    def seed_demo(self, ctx: Ctx) -> str | None:
        """The demo starts with the policy's Kazakh text as edition 1."""
        return policy.import_report(ctx)

    def readers(self, instance: Instance) -> frozenset[str]:
        """Who takes part in amending the policy may follow every proposal."""
        return frozenset({"mcd_head", "mcd_specialist", "council_secretary", "rector"})

    def readable_where(self, roles: frozenset[str]) -> Any:
        return true() if roles & {"mcd_head", "mcd_specialist", "council_secretary", "rector"} else None

    def details(self, ctx: Ctx, instance: Instance) -> dict[str, Any] | None:
        row = ctx.session.execute(select(policy.PolicyProposal).where(
            policy.PolicyProposal.instance_id == instance.id)).scalar_one_or_none()
        if row is None:
            return None
        current = policy.current_edition(ctx)
        made = ctx.session.execute(select(PolicyEdition).where(PolicyEdition.instance_id == instance.id)
                                   ).scalar_one_or_none()
        diff = policy.proposal_diff(ctx, row) if row.status == "open" else _decided_diff(ctx, row, made)
        stale = sorted(policy.changed_between(ctx, row.base_edition, current.number)
                       & {c["clause"] for c in row.changes}) if row.status == "open" else []
        council = queries.last_completion(ctx, instance, "Task_Council")
        return {"proposal": row, "diff": diff, "conflicts": policy.conflicts(ctx, instance) if row.status == "open"
                else [], "current": current, "edition": made, "stale": stale,
                "proposer_version": row.proposed if row.proposed != row.changes else None,
                "council": council,
                "minutes_files": files.files_by_ids(ctx, instance.id, [council.get("minutes_file_id")]),
                "approval": queries.last_completion(ctx, instance, "Task_Approve")}


def _decided_diff(ctx: Ctx, proposal, made: PolicyEdition | None) -> list[ClauseChange]:
    """What a finished proposal decided on, word by word: the changes the edition it made carries, or
    (rejected, withdrawn) its last changes against the edition it was based on."""
    if made is not None:
        rows = ctx.session.execute(select(policy.PolicyChange).where(policy.PolicyChange.edition_id == made.id)
                                   .order_by(policy.PolicyChange.id)).scalars()
        return [ClauseChange(c.number, cast(Any, c.kind), c.before, c.after, tuple(word_diff(c.before, c.after)))
                for c in rows]
    try:
        base = policy.texts_of(ctx, policy.edition(ctx, proposal.base_edition))
    except NotFound:
        return []
    return diff_editions(base, policy.apply_changes(base, proposal.changes))


def _review(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§14.4: consolidate (optionally editing the changes), revise, or reject."""
    proposal = policy.proposal_of(ctx, instance)
    if data["decision"] != "consolidate":
        data.pop("changes", None)
        return data
    current = policy.texts_of(ctx, policy.current_edition(ctx))
    given = "changes" in data
    changes = policy.normalise_changes(data["changes"]) if given else proposal.changes
    if not given:
        stale = policy.changed_between(ctx, proposal.base_edition, policy.current_edition(ctx).number) \
            & {c["clause"] for c in changes}
        if stale:
            raise Invalid({"changes": Message(
                N_("The current edition changed %(clauses)s since the proposal: give the consolidated text."),
                {"clauses": ", ".join(sorted(stale))})})
    policy.check_changes(current, changes)
    policy.save_proposal(ctx, instance, changes, None, proposed=False)
    return {**data, "changes": changes}


def _council(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§7.1: whether the Council must adopt it, and if so its decision, vote and minutes."""
    errors: dict[str, Message] = {}
    if not data["council_required"]:
        if "rector" in instance.started_by.role_names:
            errors["council_required"] = Message(
                N_("The rector's own proposal needs the Academic Council's adoption: nobody approves their own."))
        for name in ("meeting_date", "council_decision", "votes_for", "votes_against", "votes_abstained",
                     "minutes_file_id"):
            if name in data:
                errors[name] = Message(N_("Only when the Council must adopt the amendment."))
    else:
        if date.fromisoformat(data["meeting_date"]) > today_local(ctx.now()):
            errors["meeting_date"] = Message(N_("The meeting date may not be in the future."))
        votes = data["votes_for"] + data["votes_against"] + data["votes_abstained"]
        if votes == 0:
            errors["votes_for"] = Message(N_("Record the vote."))
        elif data["council_decision"] == "adopted" and data["votes_for"] <= data["votes_against"]:
            errors["council_decision"] = Message(N_("An adopted decision needs more votes for than against."))
        if files.unknown_file(ctx, instance.id, [data["minutes_file_id"]]) is not None:
            errors["minutes_file_id"] = Message(N_("Unknown file: %(id)s."), {"id": data["minutes_file_id"]})
    if errors:
        raise Invalid(errors)
    data.setdefault("council_decision", None)
    return data


def _approve(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§14.1, §14.3: the effective date is not before the approval; the base must still hold."""
    if data["decision"] != "approve":
        return data
    today = today_local(ctx.now())
    if date.fromisoformat(data["effective_date"]) < today:
        raise Invalid({"effective_date": Message(
            N_("The effective date may not be before the date of approval (§14.1)."))})
    proposal = policy.proposal_of(ctx, instance)
    policy.check_base(ctx, proposal)
    return data


def _signatories(ctx: Ctx, instance: Instance) -> list[dict[str, Any]]:
    """Who made the amendment what it is, from the audit trail: the proposer's last version, MCD's
    last consolidation, the Council's record, and the rector's approval (the latest act of each)."""
    events = ctx.session.execute(select(AuditEvent).where(
        AuditEvent.instance_id == instance.id, AuditEvent.action == "task_completed")
        .order_by(AuditEvent.seq)).scalars()
    users = {u.username: u for u in ctx.session.execute(select(User)).scalars()}
    latest: dict[str, dict[str, Any]] = {}
    for ev in events:
        data = ev.data or {}
        if ev.task in PROPOSE_TASKS:
            word = "proposed"
        elif ev.task == "Task_Review" and data.get("decision") == "consolidate":
            word = "consolidated"
        elif ev.task == "Task_Council":
            word = data.get("council_decision") or "not_required"
        elif ev.task == "Task_Approve" and data.get("decision") == "approve":
            word = "approved"
        else:
            continue
        user = users.get(ev.actor) if ev.actor is not None else None
        latest[ROLE_OF[ev.task]] = {"role": ROLE_OF[ev.task], "name": user.full_name if user else ev.actor,
                                    "position": user.positions if user else "", "decision": word,
                                    "at": ev.at.isoformat()}
    return [latest[r] for r in ("proposer", "mcd", "council_secretary", "rector") if r in latest]


def addition_public(ctx: Ctx, instance: Instance, ed: PolicyEdition, proposal) -> dict[str, Any]:
    """What the addition shows, fixed when it is issued."""
    changes = ctx.session.execute(select(policy.PolicyChange).where(policy.PolicyChange.edition_id == ed.id)
                                  ).scalars()
    council = queries.last_completion(ctx, instance, "Task_Council")
    if ed.approved_at is None:  # an addition comes from an approval: create_edition sets the time
        raise ValueError(f"edition {ed.number} was not approved")
    return {
        "edition": ed.number, "base_edition": ed.base_number, "approved_at": ed.approved_at.isoformat(),
        "effective_from": ed.effective_from.isoformat(), "proposal": f"No. {instance.id}",
        "rationale": proposal.rationale,
        "changes": [{"number": c.number, "kind": c.kind, "before": c.before, "after": c.after} for c in changes],
        "council": {"required": bool(council.get("council_required")), "meeting_date": council.get("meeting_date"),
                    "decision": council.get("council_decision"), "votes_for": council.get("votes_for"),
                    "votes_against": council.get("votes_against"),
                    "votes_abstained": council.get("votes_abstained")},
        "signatories": _signatories(ctx, instance),
    }


def _verify_url(settings: Settings, code: str) -> str:
    return f"{settings.base_url.rstrip('/')}/verify/{code}"


def edition_pdf(doc, settings: Settings) -> bytes:
    from processes.policy_amendment.documents import AdditionRef, EditionClause, EditionDocument, render_edition

    p = doc.public
    document = EditionDocument(
        number=p["number"], effective_from=date.fromisoformat(p["effective_from"]),
        approved_at=datetime.fromisoformat(p["approved_at"]) if p["approved_at"] else None,
        preamble=p["preamble"], sections={int(k): v for k, v in (p["sections"] or {}).items()},
        clauses=tuple(EditionClause(number=n, text=t, changed=bool(c)) for n, t, c in p["clauses"]),
        additions=tuple(AdditionRef(edition=a["edition"], reg_number=a["reg_number"],
                                    approved_at=datetime.fromisoformat(a["approved_at"]),
                                    effective_from=date.fromisoformat(a["effective_from"]), summary=a["summary"])
                        for a in p["additions"]),
        reg_number=doc.reg_number, verification_code=doc.verification_code,
        verify_url=_verify_url(settings, doc.verification_code))
    return render_edition(document, settings.translations_dir)


def addition_pdf(doc, settings: Settings) -> bytes:
    from processes.policy_amendment.documents import (
        AdditionDocument,
        ChangeLine,
        CouncilRecord,
        Signatory,
        render_addition,
    )

    p = doc.public
    c = p["council"]
    document = AdditionDocument(
        reg_number=doc.reg_number, edition=p["edition"], base_edition=p["base_edition"],
        approved_at=datetime.fromisoformat(p["approved_at"]), effective_from=date.fromisoformat(p["effective_from"]),
        proposal=p["proposal"], rationale=p["rationale"],
        changes=tuple(ChangeLine(number=x["number"], kind=x["kind"], before=x["before"], after=x["after"])
                      for x in p["changes"]),
        council=CouncilRecord(required=c["required"],
                              meeting_date=date.fromisoformat(c["meeting_date"]) if c["meeting_date"] else None,
                              decision=c["decision"], votes_for=c["votes_for"], votes_against=c["votes_against"],
                              votes_abstained=c["votes_abstained"]),
        signatories=tuple(Signatory(role=s["role"], name=s["name"], position=s["position"], decision=s["decision"],
                                    at=datetime.fromisoformat(s["at"])) for s in p["signatories"]),
        verification_code=doc.verification_code, verify_url=_verify_url(settings, doc.verification_code))
    return render_addition(document, settings.translations_dir)


KIND = PolicyAmendment()
KIND.renderers = {policy.EDITION_DOC: edition_pdf, policy.ADDITION_DOC: addition_pdf}
KIND.open_documents = frozenset(KIND.renderers)  # the policy is everyone's to read
