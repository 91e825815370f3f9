"""Routing tables as data (issue 12, point 3): each decision table of the processes is kept as versions in
the database; an administrator edits it, the edit is validated and stored as a new version (checksum,
who, when, why), and the processes using it are deployed again with it. Instances started afterwards
route by the new version; running instances keep their process version and so their routing.

A release that ships a changed DMN file adds a version too (source "file"), so the table in force is
always the newest version, whoever made it. "Who would approve" (`explain`) evaluates the table in
force for a situation and follows it to a person today: the role's holder, separation of duties and
absences.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forms.validate import N_, Message
from processes import decisions
from processes.catalog import kinds
from processes.engine import EngineError, ProcessEngine, ScriptError, evaluate_decision
from processes.usecases import absences
from processes.usecases.admin import ADMIN
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound, denied
from processes.usecases.kinds import ProcessKind, RoutingCase, RoutingSpec
from processes.usecases.routing import holders, resolve_approver
from storage import audit
from storage.models import DecisionVersion, Instance, ProcessDefinition, User

SOURCE_FILE, SOURCE_ADMIN = "file", "admin"
READERS = frozenset({ADMIN, "auditor"})
REASON_MAX = 1000
MAX_RULES = 50


# --- the specs the processes declare ---------------------------------------------------------------

def specs() -> dict[str, tuple[ProcessKind, RoutingSpec]]:
    """Every editable decision table, by decision id, with the process that declares it."""
    return {spec.decision: (kind, spec) for kind in kinds().values() for spec in kind.routing}


def spec_of(decision: str) -> tuple[ProcessKind, RoutingSpec]:
    found = specs().get(decision)
    if found is None:
        raise NotFound(N_("No such routing table."))
    return found


# --- versions ------------------------------------------------------------------------------------

def _latest(session: Session, decision: str) -> DecisionVersion | None:
    return session.execute(select(DecisionVersion).where(DecisionVersion.decision == decision)
                           .order_by(DecisionVersion.version.desc()).limit(1)).scalar_one_or_none()


def sync_with_files(session: Session, engine: ProcessEngine) -> dict[str, bytes]:
    """Record the shipped DMN files as versions where they are new or changed; return, by file name, the
    content of each table's version in force (for deployment)."""
    overrides: dict[str, bytes] = {}
    for name, path in sorted(engine.files().items()):
        if path.suffix != ".dmn":
            continue
        content = path.read_bytes()
        try:
            decision = decisions.read_table(content).decision
        except decisions.DecisionFormatError:
            continue  # the engine reports a broken file when it parses it
        shipped = decisions.checksum(content)
        latest = _latest(session, decision)
        if latest is None or latest.file_checksum != shipped:
            latest = _add_version(session, decision, content, name, shipped, SOURCE_FILE, None, "",
                                  (latest.version if latest else 0) + 1)
            audit.append(session, audit.Actor.system(), "routing_version_shipped", object=f"decision:{decision}",
                         data={"version": latest.version, "checksum": latest.checksum, "file": name})
        overrides[name] = latest.content.encode("utf-8")
    return overrides


def _add_version(session: Session, decision: str, content: bytes, file_name: str, file_checksum: str,
                 source: str, who: str | None, reason: str, version: int) -> DecisionVersion:
    row = DecisionVersion(decision=decision, version=version, checksum=decisions.checksum(content),
                          content=content.decode("utf-8"), file_name=file_name, file_checksum=file_checksum,
                          source=source, created_by=who, reason=reason)
    session.add(row)
    session.flush()
    return row


def versions_in_force(session: Session) -> dict[str, int]:
    """The newest version of each decision table."""
    return dict(session.execute(select(DecisionVersion.decision, func.max(DecisionVersion.version))
                                .group_by(DecisionVersion.decision)).tuples().all())


def versions_of(definition: ProcessDefinition) -> dict[str, int]:
    """The version of each decision table a deployed process version was built with."""
    return dict(definition.decisions or {})


def current(ctx: Ctx, decision: str) -> DecisionVersion:
    spec_of(decision)
    row = _latest(ctx.session, decision)
    if row is None:
        raise NotFound(N_("No such routing table."))
    return row


def history(ctx: Ctx, decision: str) -> list[DecisionVersion]:
    _require_reader(ctx)
    spec_of(decision)
    return list(ctx.session.execute(select(DecisionVersion).where(DecisionVersion.decision == decision)
                                    .order_by(DecisionVersion.version.desc())).scalars())


def version(ctx: Ctx, decision: str, number: int) -> DecisionVersion:
    _require_reader(ctx)
    spec_of(decision)
    row = ctx.session.execute(select(DecisionVersion).where(
        DecisionVersion.decision == decision, DecisionVersion.version == number)).scalar_one_or_none()
    if row is None:
        raise NotFound(N_("No such version of the routing table."))
    return row


def table(row: DecisionVersion) -> decisions.Table:
    return decisions.read_table(row.content.encode("utf-8"))


@dataclass(frozen=True)
class Overview:
    kind: ProcessKind
    spec: RoutingSpec
    current: DecisionVersion
    versions: int


def overview(ctx: Ctx) -> list[Overview]:
    """Each editable table with its version in force."""
    _require_reader(ctx)
    counts = dict(ctx.session.execute(select(DecisionVersion.decision, func.count())
                                      .group_by(DecisionVersion.decision)).tuples().all())
    found = []
    for decision, (kind, spec) in sorted(specs().items(), key=lambda item: (item[1][0].order, item[0])):
        row = _latest(ctx.session, decision)
        if row is not None:
            found.append(Overview(kind, spec, row, counts.get(decision, 0)))
    return found


def authors(ctx: Ctx, rows: list[DecisionVersion]) -> dict[str, User]:
    """The accounts that saved the versions, by username (pages print their names)."""
    names = {r.created_by for r in rows if r.created_by}
    if not names:
        return {}
    return {u.username: u for u in ctx.session.execute(select(User).where(User.username.in_(sorted(names)))).scalars()}


def _require_reader(ctx: Ctx) -> None:
    if ctx.user is None or not ctx.user.role_names & READERS:
        raise denied(Forbidden(N_("Only administrators and auditors may read the routing tables.")),
                     "routing", "read")


def _require_admin(ctx: Ctx) -> None:
    if ctx.user is None or ADMIN not in ctx.user.role_names:
        raise denied(Forbidden(N_("Only administrators may change the routing tables.")), "routing", "change")


# --- editing ---------------------------------------------------------------------------------------

def _rules_from(body: Any, spec: RoutingSpec, base: decisions.Table,
                errors: dict[str, Message]) -> list[decisions.Rule]:
    """Validate the submitted rules: [{"id"?, "inputs": [entry per input], "output": role}]."""
    if not isinstance(body, list) or not body:
        errors["rules"] = Message(N_("Give at least one rule."))
        return []
    if len(body) > MAX_RULES:
        errors["rules"] = Message(N_("A routing table holds at most %(n)s rules."), {"n": MAX_RULES})
        return []
    known = {r.id: r for r in base.rules}
    used: set[str] = set()
    rules = []
    for n, item in enumerate(body, start=1):
        key = f"rules.{n}"
        if not isinstance(item, Mapping):
            errors[key] = Message(N_("Rule %(n)s: give its conditions and its approver."), {"n": n})
            continue
        rule_id = item.get("id") or _new_id(known, used)
        if not isinstance(rule_id, str) or not decisions.RULE_ID.fullmatch(rule_id) or rule_id in used:
            errors[key] = Message(N_("Rule %(n)s: its identifier is invalid or used twice."), {"n": n})
            continue
        used.add(rule_id)
        entries = item.get("inputs")
        if not isinstance(entries, list) or len(entries) != len(base.inputs):
            errors[key] = Message(N_("Rule %(n)s: give one condition for each column."), {"n": n})
            continue
        bad = False
        for column, entry in zip(base.inputs, entries, strict=True):
            allowed = {text for text, _ in spec.entries.get(column.id, ())}
            if not isinstance(entry, str) or entry not in allowed:
                errors[f"{key}.{column.id}"] = Message(N_("Rule %(n)s: choose one of the offered conditions."),
                                                       {"n": n})
                bad = True
        role = item.get("output")
        if not isinstance(role, str) or role not in spec.roles:
            errors[f"{key}.output"] = Message(N_("Rule %(n)s: choose one of the offered approvers."), {"n": n})
            bad = True
        if bad:
            continue
        old = known.get(rule_id)
        output = json.dumps(role)
        description = old.description if old and old.inputs == tuple(entries) and old.output == output else ""
        rules.append(decisions.Rule(rule_id, tuple(entries), output, description))
    return rules


def _new_id(known: Mapping[str, Any], used: set[str]) -> str:
    n = 1
    while f"Rule_{n}" in known or f"Rule_{n}" in used:
        n += 1
    return f"Rule_{n}"


def role_of(rule: decisions.Rule) -> str:
    """The role a rule's output names (`"rector"` → rector)."""
    try:
        value = json.loads(rule.output)
    except ValueError:
        return rule.output
    return value if isinstance(value, str) else rule.output


@dataclass(frozen=True)
class Gap:
    """A situation no rule, or more than one rule, decides."""

    case: RoutingCase
    rules: tuple[str, ...]


def check(content: bytes, spec: RoutingSpec, engine: ProcessEngine | None = None) -> list[Gap]:
    """Evaluate the table for every situation of the spec; return those not decided by exactly one rule."""
    gaps = []
    for case in spec.cases:
        matched = evaluate_decision(content, spec.decision, case.data,
                                    engine.script_engine if engine else None)
        if len(matched) != 1:
            gaps.append(Gap(case, tuple(rule_id for rule_id, _ in matched)))
    return gaps


def evaluate_case(ctx: Ctx, row: DecisionVersion, case: RoutingCase) -> list[str]:
    """The ids of the rules of a version that match a situation (one, for a valid table)."""
    return [rule_id for rule_id, _ in evaluate_decision(row.content.encode("utf-8"), row.decision, case.data,
                                                         ctx.services.engine.script_engine)]


def save(ctx: Ctx, decision: str, rules: Any, reason: Any, base_version: Any) -> DecisionVersion:
    """Store the edited table as a new version and deploy the processes using it (audited as
    `routing_changed` with the rules before and after)."""
    _require_admin(ctx)
    kind, spec = spec_of(decision)
    latest = _latest(ctx.session, decision)
    if latest is None:
        raise NotFound(N_("No such routing table."))
    errors: dict[str, Message] = {}
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = Message(N_("Say why the routing changes."))
    elif len(reason) > REASON_MAX:
        errors["reason"] = Message(N_("Keep it under %(n)s characters."), {"n": REASON_MAX})
    if base_version is not None and not (isinstance(base_version, int) and not isinstance(base_version, bool)):
        errors["base_version"] = Message(N_("The version you edited is missing or invalid."))
    before = table(latest)
    new_rules = _rules_from(rules, spec, before, errors)
    if errors:
        raise Invalid(errors)
    if base_version is not None and base_version != latest.version:
        raise Conflict(N_("Someone saved version %(n)s of this table meanwhile: reload it and edit again."),
                       n=latest.version)
    # a rule changed or added carries the reason as its description in the DMN document
    new_rules = [r if r.description else replace(r, description=reason.strip()) for r in new_rules]
    content = decisions.write_table(latest.content.encode("utf-8"), new_rules)
    def decided(rules: tuple[decisions.Rule, ...]) -> list[tuple[str, tuple[str, ...], str]]:
        return [(r.id, r.inputs, r.output) for r in rules]  # what routes; descriptions do not

    if decided(before.rules) == decided(decisions.read_table(content).rules):
        raise Invalid({"rules": Message(N_("Nothing changed: the rules are those of version %(n)s."),
                                        {"n": latest.version})})
    try:
        gaps = check(content, spec, ctx.services.engine)
    except (EngineError, ScriptError) as err:
        raise Invalid({"rules": Message(N_("The engine refused the table: %(error)s"), {"error": str(err)})}) from err
    if gaps:
        position = {rule.id: n for n, rule in enumerate(new_rules, start=1)}
        raise Invalid({f"case.{gap.case.key}": (
            Message(N_("No rule decides this situation: %(case)s."), {"case": [Message(x) for x in gap.case.labels]})
            if not gap.rules else
            Message(N_("Several rules decide this situation: %(case)s (rules %(rules)s)."),
                    {"case": [Message(x) for x in gap.case.labels], "rules": [str(position[r]) for r in gap.rules]}))
            for gap in gaps})
    try:
        with ctx.session.begin_nested():  # two administrators saving at once: the second is told
            row = _add_version(ctx.session, decision, content, latest.file_name, latest.file_checksum,
                               SOURCE_ADMIN, ctx.me.username, reason.strip(), latest.version + 1)
    except IntegrityError as err:
        raise Conflict(N_("Someone saved version %(n)s of this table meanwhile: reload it and edit again."),
                       n=latest.version + 1) from err
    after = decisions.read_table(content)
    audit.append(ctx.session, ctx.actor, "routing_changed", object=f"decision:{decision}",
                 data={"decision": decision, "process": kind.key, "version": row.version,
                       "checksum": row.checksum, "before": {"version": latest.version, **before.as_dict()},
                       "after": {"version": row.version, **after.as_dict()}},
                 comment=row.reason, clause=spec.clause.split(",")[0], request_id=ctx.request_id)
    from processes.usecases import deploy  # deploy imports this module
    deploy.deploy(ctx.session, ctx.services.engine)
    return row


# --- who would approve -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Explanation:
    kind: ProcessKind
    spec: RoutingSpec
    case: RoutingCase
    version: DecisionVersion
    rule: decisions.Rule
    rule_number: int
    role: str
    holder: User | None  # who holds the role (separation of duties applied)
    person: User | None  # who would get the task today (after absences); None: the role's queue
    acting_for: User | None  # the absent holder the person would act for
    own_submission: bool  # the asking user holds the role: someone else clears their own submission
    failure: str | None  # why a substitution fell to the queue
    holders: list[User]
    conditions: list[tuple[str, str]]  # (column msgid, condition msgid) of the deciding rule


def explain(ctx: Ctx, decision: str, case_key: str) -> Explanation:
    """Who would get the task for a situation if the asking user submitted it today, and why."""
    kind, spec = spec_of(decision)
    case = next((c for c in spec.cases if c.key == case_key), None)
    if case is None:
        raise Invalid({"case": Message(N_("Choose one of the offered situations."))})
    row = current(ctx, decision)
    content = row.content.encode("utf-8")
    matched = evaluate_decision(content, decision, case.data, ctx.services.engine.script_engine)
    current_table = table(row)
    if not matched:  # saved tables decide every situation; a shipped one might not
        raise Conflict(N_("The routing table in force decides no rule for this situation."))
    rule_id = matched[0][0]
    number, rule = next((n, r) for n, r in enumerate(current_table.rules, start=1) if r.id == rule_id)
    role = role_of(rule)
    me = ctx.me
    all_holders = holders(ctx.session, role)
    holder = resolve_approver(ctx.session, role, me)
    person, acting_for, failure = holder, None, None
    if holder is not None:
        probe = Instance(process_key=kind.key, started_by_id=me.id)  # never added to the session
        today = absences.holder_for(absences.absences_today(ctx), holder, probe)
        person, acting_for, failure = today.person, today.acting_for, today.failure
    conditions = [(spec.inputs.get(col.id, col.label), entry_label(spec, col.id, text))
                  for col, text in zip(current_table.inputs, rule.inputs, strict=True)]
    return Explanation(kind, spec, case, row, rule, number, role, holder, person, acting_for,
                       any(u.id == me.id for u in all_holders), failure, all_holders, conditions)


def entry_label(spec: RoutingSpec, input_id: str, text: str) -> str:
    """The msgid naming a condition (`True` → "Yes"); the text itself when the spec does not offer it."""
    return next((label for entry, label in spec.entries.get(input_id, ()) if entry == text), text)
