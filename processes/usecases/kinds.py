"""What differs between processes: hooks the generic use cases call at fixed points."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from processes.engine import FiredTimer, Run, UserTask
from storage.models import ProcessStartRole

if TYPE_CHECKING:
    from processes.usecases.context import Ctx, Settings
    from storage.models import Document, InboxTask, Instance, User


class ProcessKind:
    """Default behaviour; each process subclasses what it needs and registers itself."""

    key: str = ""
    start_role: str = "employee"
    start_roles: frozenset[str] = frozenset()  # further roles that may start it (besides start_role)
    lane_roles: dict[str, str] = {}
    accepted: set[str] = set()  # file extensions its forms take
    # a role queue hides the instances the user started (nobody reviews their own submission);
    # off for clerical processes where the same office registers and dispatches
    separate_duties: bool = True

    def clause(self, task_name: str) -> str | None:
        """The policy clause a task of this process carries out (for the audit trail)."""
        return None

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

    def file_changes(self, ctx: Ctx, instance: Instance) -> list[dict[str, Any]] | None:
        """Each file of the latest round against the round before, for processes with file rounds."""
        return None

    def details(self, ctx: Ctx, instance: Instance) -> Any:
        """Process-specific facts the instance and task pages show (e.g. a request's register entry)."""
        return None

    def audit_view(self, task_name: str, data: dict[str, Any]) -> dict[str, Any]:
        """Return the submitted data as the audit trail records it."""
        return data


REGISTRY: dict[str, ProcessKind] = {}
# document kind -> function(document, settings) -> PDF bytes
RENDERERS: dict[str, Callable[[Document, Settings], bytes]] = {}


def register(kind: ProcessKind) -> ProcessKind:
    REGISTRY[kind.key] = kind
    return kind


def clerical_keys() -> list[str]:
    """The processes whose role queues show the user's own instances too."""
    return sorted(key for key, kind in REGISTRY.items() if not kind.separate_duties)


def kind_of(key: str) -> ProcessKind:
    return REGISTRY.get(key) or ProcessKind()
