"""What differs between processes: hooks the generic use cases call at fixed points."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from forms.validate import Message
from processes.engine import FiredTimer, Run, UserTask
from storage.models import ProcessStartRole

if TYPE_CHECKING:
    from processes.usecases.context import Ctx, Settings
    from storage.models import Document, InboxTask, Instance, Unit, User


@dataclass(frozen=True)
class Labels:
    """How a process and its codes read: English msgids (marked with N_), translated where shown."""

    title: str
    description: str = ""
    tasks: Mapping[str, str] = field(default_factory=dict)  # BPMN task and timer ids
    outcomes: Mapping[str, str] = field(default_factory=dict)
    decisions: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)  # data keys of its forms and audit entries
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # data key -> code -> label
    documents: Mapping[str, str] = field(default_factory=dict)  # document kinds it issues
    # notification kind -> text with %(title)s (and %(outcome)s), where it differs from the shared text
    notifications: Mapping[str, str] = field(default_factory=dict)
    # notification kind -> (subject, body) of its e-mail, where it is the process's own
    mails: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    dates: frozenset[str] = frozenset()  # data keys holding an ISO date
    datetimes: frozenset[str] = frozenset()  # data keys holding an ISO date-time
    due_note: str = ""  # what the case's due date is, shown beside it (e.g. "10 working days, §11.2")


@dataclass(frozen=True)
class RoutingCase:
    """One situation a routing table decides: a key, its label (English msgids, joined with " + " when
    several), and the process data the table sees."""

    key: str
    labels: tuple[str, ...]
    data: Mapping[str, Any]


@dataclass(frozen=True)
class RoutingSpec:
    """A decision table of a process that administrators edit (issue 12, point 3): what each column may
    hold and the situations it must decide, each by exactly one rule."""

    decision: str  # the DMN decision id, e.g. "approver_routing"
    title: str  # msgid: "Who clears a speech text"
    clause: str  # the policy clauses it carries out
    inputs: Mapping[str, str]  # DMN input id -> msgid of its column heading
    entries: Mapping[str, tuple[tuple[str, str], ...]]  # DMN input id -> (entry text, msgid) choices
    roles: tuple[str, ...]  # the roles an output may name (`vice_rector:finance`)
    cases: tuple[RoutingCase, ...]
    output_label: str = "Approver"  # msgid of the output column
    question: str = ""  # msgid: "Who would clear a speech text …"


class ProcessKind:
    """Default behaviour; each process subclasses what it needs, and its package exports one
    instance as ``KIND`` (found by ``processes.catalog``)."""

    key: str = ""
    folder: Path = Path()  # the process's folder, set when the kind is found
    # document kind -> function(document, settings) -> PDF bytes, for the documents it issues
    renderers: Mapping[str, Callable[[Document, Settings], bytes]] = {}
    open_documents: frozenset[str] = frozenset()  # document kinds everyone logged in may read
    labels: Labels = Labels(title="")
    # page fragments in its pages/ folder, by slot: "details" (the facts block of the instance and task
    # pages), "review" (what the reviewer decided on), "version" (one submitted version), "verify" (the
    # public check of its documents)
    pages: Mapping[str, str] = {}
    order: int = 100  # where it is listed among the processes (filters, menus)
    rounds: bool = False  # its submissions are rounds of files ("Round 2"), not versions of a text
    start_role: str = "employee"
    start_roles: frozenset[str] = frozenset()  # further roles that may start it (besides start_role)
    open_to_more_starters: bool = False  # its clause names "and others": the administrator adds starters
    lane_roles: dict[str, str] = {}
    accepted: set[str] = set()  # file extensions its forms take
    # a role queue hides the instances the user started (nobody reviews their own submission);
    # off for clerical processes where the same office records incoming requests and dispatches
    separate_duties: bool = True
    routing: tuple[RoutingSpec, ...] = ()  # its decision tables that administrators edit
    # task name -> roles whose holders may complete it too, whoever holds it (e.g. the head of MCD a step of a
    # specialist's media inquiry); they see it on the case's page, not in their inbox
    also_completed_by: Mapping[str, frozenset[str]] = {}
    # who started it is withheld (a violation report's reporter, §13.1): only the starter, auditors and the holders
    # of `starter_seen_by` learn it; everywhere else (API, pages, audit trail, case file, diagram, lists, e-mail)
    # it reads "reporter withheld" (processes/usecases/withheld.py)
    withholds_starter: bool = False
    starter_seen_by: frozenset[str] = frozenset()

    def clause(self, task_name: str) -> str | None:
        """The policy clause a task of this process carries out (for the audit trail)."""
        return None

    def decision_clause(self, task_name: str, data: dict[str, Any]) -> str | None:
        """The clause a completed task's audit entry carries: the one its decision rests on (a refusal's
        ground, e.g. §12 for a commercial secret), else the task's own (`clause`)."""
        return self.clause(task_name)

    def title_of(self, data: dict[str, Any]) -> str | None:
        """Return the instance title from submitted data, or None to keep it."""
        return None

    def prepare(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
        """Check business rules beyond the form and return the data given to the engine."""
        return data

    def assign(self, ctx: Ctx, instance: Instance, task: UserTask) -> tuple[str | None, User | None, Any]:
        """Return (role, assignee, due_at) for a task that became ready."""
        return self.lane_roles.get(task.lane or ""), None, None

    def after_complete(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any],
                       run: Run) -> None:
        """React to a completed task (record versions, notify)."""

    def on_timer(self, ctx: Ctx, instance: Instance, timer: FiredTimer, run: Run) -> None:
        """React to a fired timer (remind, escalate)."""

    def on_finish(self, ctx: Ctx, instance: Instance, run: Run) -> None:
        """React to the end of the instance (issue documents, inform the submitter)."""

    def may_start(self, ctx: Ctx) -> bool:
        """Whether the current user may start this process: by its own roles, or a role the
        administrator allowed (process_start_roles)."""
        if ctx.user is None:
            return False
        roles = ctx.user.role_names
        if self.start_role in roles or roles & self.start_roles:
            return True
        extra = ctx.session.execute(select(ProcessStartRole.role).where(
            ProcessStartRole.process_key == self.key)).scalars().all()
        return bool(roles & set(extra))

    def start_prefill(self, ctx: Ctx, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Return the values the first form starts with, before any instance exists (params: the
        page's query string, e.g. the clause a proposal starts from)."""
        return {}

    def prefill(self, ctx: Ctx, instance: Instance, task: InboxTask) -> dict[str, Any]:
        """Return the values a task's form starts with."""
        return {}

    def readers(self, instance: Instance) -> frozenset[str]:
        """Roles that may read this instance beyond the people involved in it (e.g. an archive's readers)."""
        return frozenset()

    def readable_where(self, roles: frozenset[str]) -> Any:
        """`readers` as SQL over `Instance` for lists (`GET /api/v1/instances`): the condition under which
        holders of `roles` read an instance of this process beyond those involved, or None for none. A kind
        that overrides `readers` overrides this too, so lists and the instance page agree."""
        return None

    def file_changes(self, ctx: Ctx, instance: Instance) -> list[dict[str, Any]] | None:
        """Each file of the latest round against the round before, for processes with file rounds."""
        return None

    def details(self, ctx: Ctx, instance: Instance) -> Any:
        """Process-specific facts the instance and task pages show (e.g. a request's register entry)."""
        return None

    def seed_demo(self, ctx: Ctx) -> str | None:
        """Create the process's own demo data (``kelisim seed-demo``), idempotently; say what was done."""
        return None

    def audit_view(self, task_name: str, data: dict[str, Any]) -> dict[str, Any]:
        """Return the submitted data as the audit trail records it."""
        return data

    def unit_choices(self, ctx: Ctx) -> dict[str, list[Unit]]:
        """The units a form's unit field (`ui:widget` `unit`) offers, by field name, where they are not
        every unit: e.g. those the user may submit for, their own first."""
        return {}

    def confirmation(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> Message | None:
        """What completing the task with these (valid) values does finally, when it does something that
        cannot be taken back (ends the case, issues a document); the page form then asks the person to
        confirm it before anything is saved. None: nothing to confirm. The JSON API never asks."""
        return None

    # the tasks whose completion decides the case: once one of them is completed with a decision other
    # than a request for revision (`revise`, `return`), the submitter can no longer withdraw it
    decision_tasks: frozenset[str] = frozenset()

    def decided(self, ctx: Ctx, instance: Instance) -> bool:
        """Whether the case is decided (§ of each process: its final decision was taken). An instance that
        ended is decided; a running one once a task of ``decision_tasks`` was completed with a decision
        that is not a request for revision."""
        if instance.status != "running":
            return True
        from processes.usecases.queries import completions

        return any(data.get("decision") not in NOT_DECISIONS
                   for data in completions(ctx, instance, self.decision_tasks))

    def on_withdraw(self, ctx: Ctx, instance: Instance) -> None:
        """React to the submitter withdrawing the case (after its run was cancelled and its tasks closed)."""


NOT_DECISIONS = frozenset({"revise", "return"})  # a request for revision does not decide a case
