"""The deployed process definitions for auditors and administrators (issue 14, part 3): each process and
each of its versions (checksum, when, the decision tables it was built with, how many instances run on
it), one version's BPMN diagram and the DMN tables it uses."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from forms.validate import N_
from processes import catalog, decisions
from processes.usecases.admin import ADMIN
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, NotFound, denied
from storage.models import DecisionVersion, Instance, ProcessDefinition

READERS = frozenset({ADMIN, "auditor"})


@dataclass
class VersionRow:
    definition: ProcessDefinition
    instances: dict[str, int] = field(default_factory=dict)  # by status: running, completed, cancelled

    @property
    def total(self) -> int:
        return sum(self.instances.values())


@dataclass
class ProcessRow:
    key: str
    versions: list[VersionRow]  # newest first

    @property
    def total(self) -> int:
        return sum(v.total for v in self.versions)


@dataclass(frozen=True)
class DecisionTable:
    """A decision table a version was built with, as it was in that version (None: unreadable or gone)."""

    decision: str
    version: int
    row: DecisionVersion | None
    table: decisions.Table | None


def require_reader(ctx: Ctx) -> None:
    if ctx.user is None or not ctx.user.role_names & READERS:
        raise denied(Forbidden(N_("Only auditors and administrators may read the process definitions.")),
                     "definitions", "read")


def overview(ctx: Ctx) -> list[ProcessRow]:
    """Every deployed process, its versions newest first with their instance counts (two queries: the
    definitions without their specs, and the counts grouped by version and status)."""
    require_reader(ctx)
    rows = ctx.session.execute(select(ProcessDefinition).order_by(ProcessDefinition.key,
                                                                  ProcessDefinition.version.desc())).scalars()
    counts: dict[int, dict[str, int]] = {}
    for definition_id, status, n in ctx.session.execute(
            select(Instance.definition_id, Instance.status, func.count())
            .group_by(Instance.definition_id, Instance.status)):
        counts.setdefault(definition_id, {})[status] = n
    grouped: dict[str, ProcessRow] = {}
    for row in rows:
        grouped.setdefault(row.key, ProcessRow(row.key, [])).versions.append(
            VersionRow(row, counts.get(row.id, {})))
    order = {key: (kind.order, key) for key, kind in catalog.kinds().items()}
    return sorted(grouped.values(), key=lambda p: order.get(p.key, (10**6, p.key)))


def version(ctx: Ctx, key: str, number: int) -> VersionRow:
    """One deployed version, with its BPMN (`diagram`) loaded, and its instance counts."""
    require_reader(ctx)
    row = ctx.session.execute(select(ProcessDefinition).options(undefer(ProcessDefinition.diagram))
                              .where(ProcessDefinition.key == key, ProcessDefinition.version == number)
                              ).scalar_one_or_none()
    if row is None:
        raise NotFound(N_("No such process version."))
    counts = dict(ctx.session.execute(select(Instance.status, func.count()).where(Instance.definition_id == row.id)
                                      .group_by(Instance.status)).tuples().all())
    return VersionRow(row, counts)


def newest_version(ctx: Ctx, key: str) -> int:
    require_reader(ctx)
    return int(ctx.session.execute(select(func.coalesce(func.max(ProcessDefinition.version), 0))
                                   .where(ProcessDefinition.key == key)).scalar_one())


def tables_of(ctx: Ctx, definition: ProcessDefinition) -> list[DecisionTable]:
    """The decision tables a version was built with, each in the version it used (one query)."""
    require_reader(ctx)
    used = {d: v for d, v in (definition.decisions or {}).items() if isinstance(v, int)}
    if not used:
        return []
    stored = {(r.decision, r.version): r for r in ctx.session.execute(
        select(DecisionVersion).where(DecisionVersion.decision.in_(sorted(used)))).scalars()
        if used.get(r.decision) == r.version}
    found = []
    for decision, number in sorted(used.items()):
        row = stored.get((decision, number))
        table = None
        if row is not None:
            try:
                table = decisions.read_table(row.content.encode("utf-8"))
            except decisions.DecisionFormatError:
                table = None
        found.append(DecisionTable(decision, number, row, table))
    return found
