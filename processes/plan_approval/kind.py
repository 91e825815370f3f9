"""Plans and regulations the rector approves (§7.1: the rector approves the university's programme of
information occasions, the PR plan, and the regulation on work with the website): MCD drafts either, the rector
approves, returns with comments or rejects it, and an approval makes the next version in force of its kind."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, true

from forms.validate import N_, Message
from processes.engine import Run, UserTask
from processes.plan_approval import plans
from processes.plan_approval.labels import LABELS
from processes.usecases import notifications, queries
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden
from processes.usecases.kinds import ProcessKind
from processes.usecases.routing import holders
from storage.models import InboxTask, Instance, PlanVersion, Unit, User

KEY = plans.KEY


class PlanApproval(ProcessKind):
    key = KEY
    labels = LABELS
    order = 52
    pages = {"details": "details.html"}
    start_role = "mcd_specialist"
    start_roles = frozenset({"mcd_head"})
    lane_roles = {"MCD": "mcd_specialist", "Rector": "rector"}
    accepted = {"pdf", "docx", "odt", "rtf", "txt"}
    separate_duties = True
    decision_tasks = frozenset({"Task_Approve"})

    def clause(self, task_name: str) -> str | None:
        return plans.CLAUSE

    def prepare(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
        if task.name == "Task_Draft":
            draft = plans.check_draft(ctx, instance, data)
            instance.title = draft["title"][:500]
            return {**data, "draft": draft}
        if task.name == "Task_Approve" and ctx.me.id == instance.started_by_id:
            raise Forbidden(N_("Nobody approves their own draft."))
        return data

    def assign(self, ctx: Ctx, instance: Instance, task: UserTask) -> tuple[str | None, User | None, Any]:
        if task.name == "Task_Draft":
            return "mcd_specialist", instance.started_by, None
        rector = next(iter(holders(ctx.session, "rector")), None)
        if rector is not None:
            notifications.notify(ctx, rector.id, instance, "task_assigned", title=instance.title)
        return "rector", rector, None

    def after_complete(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any],
                       run: Run) -> None:
        if task.name != "Task_Approve":
            return
        if data.get("decision") == "approve":
            plans.approve(ctx, instance, _draft(ctx, instance))
        elif data.get("decision") == "return":
            notifications.notify(ctx, instance.started_by_id, instance, "revision_requested", title=instance.title,
                                 comment=data.get("comment", ""))

    def on_finish(self, ctx: Ctx, instance: Instance, run: Run) -> None:
        notifications.notify(ctx, instance.started_by_id, instance, "outcome", title=instance.title,
                             outcome=instance.outcome or "")

    def confirmation(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> Message | None:
        if task.name == "Task_Approve" and data.get("decision") == "approve":
            return Message(N_("Approving puts this version in force now and supersedes the one before; it cannot "
                              "be taken back."))
        if task.name == "Task_Approve" and data.get("decision") == "reject":
            return Message(N_("Rejecting ends the draft now."))
        return None

    def prefill(self, ctx: Ctx, instance: Instance, task: InboxTask) -> dict[str, Any]:
        """A returned draft comes back as MCD submitted it, to revise."""
        if task.name != "Task_Draft":
            return {}
        return dict(queries.last_completion(ctx, instance, "Task_Draft"))

    def start_prefill(self, ctx: Ctx, params=None) -> dict[str, Any]:
        """From the plan page: `?kind=pr_plan` starts from the version in force."""
        kind = (params or {}).get("kind") or ""
        return plans.start_prefill(ctx.session, kind) if kind in plans.KINDS else {}

    def readers(self, instance: Instance) -> frozenset[str]:
        """MCD, management and auditors follow every draft."""
        return plans.READERS

    def readable_where(self, roles: frozenset[str]) -> Any:
        return true() if roles & plans.READERS else None

    def details(self, ctx: Ctx, instance: Instance) -> dict[str, Any] | None:
        drafted = queries.last_completion(ctx, instance, "Task_Draft")
        if not drafted:
            return None
        draft = _draft(ctx, instance) or drafted
        made = ctx.session.execute(select(PlanVersion).where(PlanVersion.instance_id == instance.id)
                                   ).scalar_one_or_none()
        current = plans.in_force(ctx.session, str(draft.get("kind")))
        from processes.usecases import files

        against = None
        if made is None and current is not None and draft.get("kind") in plans.KINDS:  # what approving changes
            proposed = PlanVersion(kind=draft["kind"], number=current.number + 1,
                                   items=list(draft.get("items") or []), text=draft.get("text") or "",
                                   period_start=plans.parse_date(draft.get("period_start")),
                                   period_end=plans.parse_date(draft.get("period_end")))
            against = plans.compare(current, proposed)
        codes = {str(i.get("unit")) for i in [*(draft.get("items") or []), *(current.items if current else [])]}
        units = {u.code: u for u in ctx.session.execute(select(Unit).where(Unit.code.in_(codes))).scalars()}
        return {"draft": draft, "version": made, "current": current, "units": units, "comparison": against,
                "files": files.files_by_ids(ctx, instance.id, draft.get("file_ids")),
                "decisions": [d for d in queries.completions(ctx, instance, {"Task_Approve"}) if d.get("decision")],
                "approval": queries.last_completion(ctx, instance, "Task_Approve")}

    def seed_demo(self, ctx: Ctx) -> str | None:
        return plans.seed_demo(ctx)


def _draft(ctx: Ctx, instance: Instance) -> dict[str, Any]:
    """The draft as checked and held by the engine."""
    from processes.usecases.instances import restore_run

    return dict(restore_run(ctx, instance).data.get("draft") or {})


KIND = PlanApproval()
