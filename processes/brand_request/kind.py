"""Brand elements request (§6.4, §6.5): a unit head asks MCD for elements of the corporate style; MCD answers.

The brand guideline is not public (§6.4): a unit head does not read it, but asks MCD's staff for the elements
needed (which elements, for which material, optionally by when). MCD answers with the files of the elements,
asks the unit head for details, or declines with a reason. The answered files are files of the instance: only
the unit head who asked, MCD and auditors may download them (`readers`).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import true

from forms.validate import N_, Message
from processes.brand_request.labels import LABELS
from processes.engine import Run, UserTask
from processes.university_time import end_of_day_utc, today_local
from processes.usecases import files, notifications
from processes.usecases.context import Ctx
from processes.usecases.errors import Forbidden, Invalid
from processes.usecases.kinds import ProcessKind
from processes.usecases.routing import holders
from storage.models import InboxTask, Instance, User

KEY = "brand_request"
MCD_HEAD = "mcd_head"
SPECIALIST = "mcd_specialist"
MCD_ROLES = frozenset({MCD_HEAD, SPECIALIST})
REQUEST_TASKS = {"Task_Request", "Task_Details"}
ELEMENT_FILES = {"pdf", "png", "jpg", "jpeg", "docx", "pptx"}


class BrandRequestKind(ProcessKind):
    key = KEY
    labels = LABELS
    order = 27
    pages = {"details": "details.html"}
    start_role = "unit_head"
    lane_roles = {"Unit head": "unit_head", "MCD": SPECIALIST}
    accepted = ELEMENT_FILES
    decision_tasks = frozenset({"Task_Answer"})
    also_completed_by = {"Task_Answer": frozenset({MCD_HEAD})}  # §6.5: the head of MCD may answer himself

    def clause(self, task_name: str) -> str | None:
        return "§6.4"

    def title_of(self, data: dict[str, Any]) -> str | None:
        return data.get("material")

    def prepare(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
        if task.name in REQUEST_TASKS:
            return _request(ctx, instance, data)
        if task.name == "Task_Answer":
            if ctx.me.id == instance.started_by_id:
                raise Forbidden(N_("Nobody reviews their own submission."))
            return _answer(ctx, instance, data)
        return data

    def assign(self, ctx: Ctx, instance: Instance, task: UserTask) -> tuple[str | None, User | None, Any]:
        if task.name in REQUEST_TASKS:
            return "unit_head", instance.started_by, None
        for user in holders(ctx.session, SPECIALIST):
            if user.id != instance.started_by_id:
                notifications.notify(ctx, user.id, instance, "task_assigned", title=instance.title)
        return SPECIALIST, None, instance.due_at

    def after_complete(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any],
                       run: Run) -> None:
        if task.name != "Task_Answer":
            return
        if data.get("decision") == "answer":
            notifications.notify(ctx, instance.started_by_id, instance, "brand_answered", title=instance.title)
        elif data.get("decision") == "revise":
            notifications.notify(ctx, instance.started_by_id, instance, "revision_requested",
                                 title=instance.title, comment=data.get("comment", ""))

    def on_finish(self, ctx: Ctx, instance: Instance, run: Run) -> None:
        if instance.outcome == "declined":
            notifications.notify(ctx, instance.started_by_id, instance, "outcome", title=instance.title,
                                 outcome=instance.outcome)

    def details(self, ctx: Ctx, instance: Instance) -> dict[str, Any] | None:
        """The request as last given (elements, material, wanted date, details) and MCD's last answer, with its
        files, for the instance and task pages."""
        from processes.usecases.queries import completions

        asked = completions(ctx, instance, REQUEST_TASKS)
        answers = completions(ctx, instance, {"Task_Answer"})
        answer = answers[-1] if answers else None
        request = asked[-1] if asked else None
        wanted = (request or {}).get("wanted_by")
        return {"request": request, "answer": answer,
                "wanted_on": date.fromisoformat(wanted) if isinstance(wanted, str) and wanted else None,
                "files": files.files_by_ids(ctx, instance.id, (answer or {}).get("file_ids"))}

    def readers(self, instance: Instance) -> frozenset[str]:
        return MCD_ROLES

    def readable_where(self, roles: frozenset[str]) -> Any:
        return true() if roles & MCD_ROLES else None

    def seed_demo(self, ctx: Ctx) -> str | None:
        """A demo edition of the brand guideline (a real PDF made with WeasyPrint, in force since 1 September) and
        one request of the demo unit head awaiting MCD (once)."""
        from sqlalchemy import select

        from processes.brand_book import demo
        from storage.models import BrandBookEdition

        if ctx.session.execute(select(BrandBookEdition.id).limit(1)).first() is not None:
            return None
        return demo.seed(ctx)

    def confirmation(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> Message | None:
        if task.name == "Task_Answer" and data.get("decision") == "decline":
            return Message(N_("Declining ends the request now: the unit head gets no elements."))
        if task.name == "Task_Answer" and data.get("decision") == "answer":
            return Message(N_("Sending the files ends the request: the unit head can then download them."))
        return None


def _request(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§6.4: what elements, for which material, by when (not in the past); "other" needs the details."""
    errors: dict[str, Message] = {}
    details = (data.get("details") or "").strip()
    if "other" in (data.get("elements") or []) and not details:
        errors["details"] = Message(N_("Say which other elements you need."))
    wanted = (data.get("wanted_by") or "").strip()
    if wanted and date.fromisoformat(wanted) < today_local(ctx.now()):
        errors["wanted_by"] = Message(N_("The date cannot be in the past."))
    if errors:
        raise Invalid(errors)
    data["material"], data["details"] = data["material"].strip(), details
    if wanted:
        data["wanted_by"] = wanted
        instance.due_at = end_of_day_utc(date.fromisoformat(wanted))
    else:
        data.pop("wanted_by", None)
        instance.due_at = None
    return data


def _answer(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§6.4: the files of the elements (at least one, uploaded by this person to this request), or a comment
    saying what is missing or why MCD declines."""
    decision = data["decision"]
    comment = (data.get("comment") or "").strip()
    file_ids = list(data.get("file_ids") or [])
    if decision == "answer":
        if not file_ids:
            raise Invalid({"file_ids": Message(N_("Attach the files of the elements."))})
        bad = files.unknown_file(ctx, instance.id, file_ids)
        if bad is not None:
            raise Invalid({"file_ids": Message(N_("Unknown file: %(id)s."), {"id": bad})})
        return {"decision": decision, "file_ids": file_ids, "comment": comment}
    if not comment:
        raise Invalid({"comment": Message(N_("Say which details are missing.") if decision == "revise"
                                          else N_("Give the reason for declining."))})
    return {"decision": decision, "comment": comment}


KIND = BrandRequestKind()
