"""Speech text clearance (§8.6): deadlines, routing to a public person, versions, the certificate."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from forms.validate import N_, Message
from processes.engine import FiredTimer, Run, UserTask
from processes.speech_clearance.certificate import Certificate, render_certificate
from processes.speech_clearance.labels import LABELS
from processes.speech_clearance.routing import ROUTING
from processes.textdiff import word_diff
from processes.university_time import start_of_day_utc
from processes.usecases import files, notifications, numbering
from processes.usecases.context import Ctx, Settings
from processes.usecases.errors import Conflict, Invalid
from processes.usecases.kinds import ProcessKind
from processes.usecases.routing import holders, resolve_approver
from storage import audit
from storage.models import (
    ContentVersion,
    Document,
    InboxTask,
    Instance,
    StoredFile,
    User,
)

SUBMIT_TASKS = {"Task_Submit", "Task_Revise"}
DECIDE_TASK = "Task_Decide"
CERTIFICATE = "clearance_certificate"
REMIND_BEFORE = timedelta(days=3)
ESCALATE_BEFORE = timedelta(days=1)


def deadline_of(event_date: date) -> datetime:
    """The event date is the deadline: undecided at its start (Asia/Almaty), the text expires."""
    return start_of_day_utc(event_date)


class SpeechClearance(ProcessKind):
    labels = LABELS
    order = 10
    pages = {"version": "version.html", "verify": "verify.html"}
    key = "speech_clearance"
    start_role = "employee"
    lane_roles = {"Employee": "employee", "Public person": "public_person"}
    accepted = {"pdf", "docx", "doc", "odt", "rtf", "txt"}
    routing = (ROUTING,)

    def clause(self, task_name: str) -> str | None:
        return "§8.6"

    def title_of(self, data: dict[str, Any]) -> str | None:
        return data.get("title")

    def prepare(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
        if task.name in SUBMIT_TASKS:
            self._check_files(ctx, instance, data.get("file_ids", []))
            deadline = deadline_of(date.fromisoformat(data["event_date"]))
            data.setdefault("text", "")
            data.setdefault("file_ids", [])
            data.update(deadline_at=deadline.isoformat(),
                        reminder_at=(deadline - REMIND_BEFORE).isoformat(),
                        escalation_at=(deadline - ESCALATE_BEFORE).isoformat())
            instance.due_at = deadline
        elif task.name == DECIDE_TASK and instance.due_at and ctx.now() >= instance.due_at:
            raise Conflict(N_("The event date has passed: the text can no longer be cleared."))
        return data

    def _check_files(self, ctx: Ctx, instance: Instance, file_ids: list[int]) -> None:
        bad = files.unknown_file(ctx, instance.id, file_ids)
        if bad is not None:
            raise Invalid({"file_ids": Message(N_("Unknown file: %(id)s."), {"id": bad})})

    def assign(self, ctx: Ctx, instance: Instance, task: UserTask) -> tuple[str | None, User | None, Any]:
        if task.lane == "Public person":
            approver = resolve_approver(ctx.session, task.data.get("approver_role", ""), instance.started_by)
            if approver is not None:
                notifications.notify(ctx, approver.id, instance, "task_assigned", title=instance.title)
            return "public_person", approver, instance.due_at
        due = instance.due_at if task.name == "Task_Revise" else None
        return "employee", instance.started_by, due

    def after_complete(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any],
                       run: Run) -> None:
        if task.name in SUBMIT_TASKS:
            self._record_version(ctx, instance, task, data)
        elif task.name == DECIDE_TASK and data.get("decision") == "revise":
            notifications.notify(ctx, instance.started_by_id, instance, "revision_requested",
                                 title=instance.title, comment=data.get("comment", ""))

    def _record_version(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> None:
        number = ctx.session.execute(select(func.count()).select_from(ContentVersion).where(
            ContentVersion.instance_id == instance.id)).scalar_one() + 1
        file = ctx.session.get(StoredFile, data["file_ids"][0]) if data.get("file_ids") else None
        text = data.get("text", "")
        sha = file.sha256 if file else hashlib.sha256(text.encode("utf-8")).hexdigest()
        meta = {k: v for k, v in data.items() if k != "text"}
        ctx.session.add(ContentVersion(instance_id=instance.id, number=number, task_id=task.id, data=meta,
                                       text=text, file_id=file.id if file else None, sha256=sha,
                                       created_by_id=ctx.me.id, created_at=ctx.now()))
        ctx.session.flush()

    def on_timer(self, ctx: Ctx, instance: Instance, timer: FiredTimer, run: Run) -> None:
        if timer.name == "Timer_Reminder":
            for row in _open_decisions(ctx, instance):
                if row.assignee_id is None:  # routed to nobody (no public person but the submitter)
                    continue
                notifications.notify(ctx, row.assignee_id, instance, "reminder", title=instance.title,
                                     due=_deadline(instance))
            audit.append(ctx.session, ctx.actor, "reminder_sent", instance_id=instance.id,
                         task=DECIDE_TASK, clause="§8.6", request_id=ctx.request_id)
        elif timer.name == "Timer_Escalation":
            for head in holders(ctx.session, "mcd_head"):
                notifications.notify(ctx, head.id, instance, "escalation", title=instance.title,
                                     due=_deadline(instance))
            audit.append(ctx.session, ctx.actor, "escalated", instance_id=instance.id, task=DECIDE_TASK,
                         data={"to": [u.username for u in holders(ctx.session, "mcd_head")]},
                         clause="§8.6", request_id=ctx.request_id)

    def on_finish(self, ctx: Ctx, instance: Instance, run: Run) -> None:
        if instance.outcome == "approved":
            issue_certificate(ctx, instance)
        notifications.notify(ctx, instance.started_by_id, instance, "outcome", title=instance.title,
                             outcome=instance.outcome or "")

    def prefill(self, ctx: Ctx, instance: Instance, task: InboxTask) -> dict[str, Any]:
        if task.name != "Task_Revise":
            return {}
        version = latest_version(ctx, instance)
        return {**version.data, "text": version.text}

    decision_tasks = frozenset({DECIDE_TASK})  # decided: the public person agreed or rejected

    def confirmation(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> Message | None:
        if task.name in SUBMIT_TASKS and not data.get("categories"):
            return Message(N_("No category of §8.6 is ticked: the case ends at once as “clearance not required” "
                              "and nobody reviews the text. Tick a category if the text discloses any of them."))
        if task.name == DECIDE_TASK and data.get("decision") == "approve":
            return Message(N_("Agreeing issues the clearance certificate now; it cannot be taken back."))
        if task.name == DECIDE_TASK and data.get("decision") == "reject":
            return Message(N_("Rejecting ends the case now: the text may not be delivered as submitted."))
        return None

    def file_changes(self, ctx: Ctx, instance: Instance) -> list[dict[str, Any]] | None:
        """The file of the latest version against the version before (only once there are two)."""
        if ctx.session.execute(select(func.count()).select_from(ContentVersion).where(
                ContentVersion.instance_id == instance.id)).scalar_one() < 2:
            return None
        return files.version_file_changes(ctx, instance) or None

    def details(self, ctx: Ctx, instance: Instance) -> dict[str, Any]:
        """For each version after the first, the word-level difference of its theses from the version
        before (`text_diffs`, by version number; absent when the text did not change)."""
        rows = list(ctx.session.execute(select(ContentVersion).where(ContentVersion.instance_id == instance.id)
                                        .order_by(ContentVersion.number)).scalars())
        diffs = {}
        for before, after in zip(rows, rows[1:], strict=False):
            if (before.text or "") != (after.text or ""):
                diffs[after.number] = word_diff(before.text or "", after.text or "")
        return {"text_diffs": diffs}

    def audit_view(self, task_name: str, data: dict[str, Any]) -> dict[str, Any]:
        if "text" not in data:
            return data
        text = data["text"]
        view = {k: v for k, v in data.items() if k != "text"}
        view.update(text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), text_length=len(text))
        return view


def _deadline(instance: Instance) -> str:
    """The decision deadline (ISO), set from the event date when the text was submitted, before any timer."""
    if instance.due_at is None:
        raise ValueError(f"instance {instance.id} has no deadline")
    return instance.due_at.isoformat()


def _open_decisions(ctx: Ctx, instance: Instance) -> list[InboxTask]:
    return list(ctx.session.execute(select(InboxTask).where(
        InboxTask.instance_id == instance.id, InboxTask.name == DECIDE_TASK,
        InboxTask.state == "ready")).scalars())


def latest_version(ctx: Ctx, instance: Instance) -> ContentVersion:
    return ctx.session.execute(select(ContentVersion).where(ContentVersion.instance_id == instance.id)
                               .order_by(ContentVersion.number.desc()).limit(1)).scalar_one()


def issue_certificate(ctx: Ctx, instance: Instance) -> Document:
    """Issue the clearance certificate for the approved version (§8.6); its PDF is rendered after commit."""
    version = latest_version(ctx, instance)
    decision = ctx.session.execute(select(InboxTask).where(
        InboxTask.instance_id == instance.id, InboxTask.name == DECIDE_TASK,
        InboxTask.state == "completed").order_by(InboxTask.completed_at.desc()).limit(1)).scalar_one()
    if decision.completed_by_id is None or decision.completed_at is None:  # both set on completion
        raise ValueError(f"task {decision.id} is completed without who and when")
    approver = ctx.session.get_one(User, decision.completed_by_id)
    # a substitute clears in the absent person's capacity: "м.а. / и.о. / acting" before that position
    absent = decision.acting_for if decision.acting_for_id and decision.assignee_id == approver.id else None
    reg_number = numbering.next_number(ctx, "SC")
    code = numbering.verification_code()
    data = version.data
    public = {"reg_number": reg_number, "employee": instance.started_by.full_name,
              "event": data["event_name"], "event_date": data["event_date"], "organizer": data["organizer"],
              "title": data["title"], "approver": approver.full_name,
              "approver_position": (absent or approver).positions,
              "approved_at": decision.completed_at.isoformat(), "fingerprint": version.sha256,
              "content_version": version.number, **({"acting_for": absent.full_name} if absent else {})}
    doc = Document(instance_id=instance.id, kind=CERTIFICATE, title=reg_number, reg_number=reg_number,
                   verification_code=code, public=public, issued_at=ctx.now())
    ctx.session.add(doc)
    ctx.session.flush()
    audit.append(ctx.session, ctx.actor, "document_issued", instance_id=instance.id,
                 object=f"document:{doc.id}", data={"kind": doc.kind, "reg_number": reg_number,
                                                    "content_sha256": version.sha256,
                                                    "content_version": version.number},
                 clause="§8.6", request_id=ctx.request_id)
    return doc


def certificate_pdf(doc: Document, settings: Settings) -> bytes:
    """Render a clearance certificate from what was fixed when it was issued."""
    p = doc.public
    cert = Certificate(
        reg_number=doc.reg_number, employee_name=p["employee"], event_name=p["event"],
        event_date=date.fromisoformat(p["event_date"]), organizer=p["organizer"], title=p["title"],
        approver_name=p["approver"], approver_position=p["approver_position"], acting_for=p.get("acting_for"),
        approved_at=datetime.fromisoformat(p["approved_at"]), fingerprint=p["fingerprint"],
        content_version=p["content_version"], verification_code=doc.verification_code,
        verify_url=f"{settings.base_url.rstrip('/')}/verify/{doc.verification_code}",
    )
    return render_certificate(cert, settings.translations_dir)


KIND = SpeechClearance()
KIND.renderers = {CERTIFICATE: certificate_pdf}
