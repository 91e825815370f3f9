"""External material sign-off (§7.5, §6.2–6.5, §7.4, §7.8, §3.9): late rule, review, management, sheet."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from forms.validate import N_, Message
from processes.engine import Run, UserTask
from processes.material_signoff.archive import READERS as ARCHIVE_READERS
from processes.material_signoff.labels import LABELS
from processes.material_signoff.routing import ROUTING
from processes.material_signoff.sheet import (
    ChecklistLine,
    Reviewer,
    SheetFile,
    SignoffSheet,
    render_signoff_sheet,
)
from processes.university_time import start_of_day_utc, today_local
from processes.usecases import files, notifications, numbering
from processes.usecases.context import Ctx, Settings
from processes.usecases.errors import Forbidden, Invalid
from processes.usecases.kinds import ProcessKind
from processes.usecases.routing import holders, resolve_approver
from storage import audit
from storage.models import (
    AuditEvent,
    ContentVersion,
    Document,
    InboxTask,
    Instance,
    SignedOffMaterial,
    StoredFile,
    Unit,
    User,
)

KEY = "material_signoff"
SUBMIT_TASKS = {"Task_Submit", "Task_Revise"}
REVIEW_TASKS = {"Task_AcceptLate", "Task_Review", "Task_ManagementApprove"}
SHEET = "signoff_sheet"
# the form says `decision` (docs/API.md); the engine keeps each decision under its own name
ENGINE_DECISION = {"Task_AcceptLate": "late_decision", "Task_ManagementApprove": "management_decision"}
CLAUSES = {"Task_Submit": "§7.5", "Task_Revise": "§7.5", "Task_AcceptLate": "§7.4", "Task_Review": "§6.5",
           "Task_ManagementApprove": "§7.8"}


class MaterialSignoff(ProcessKind):
    labels = LABELS
    order = 20
    pages = {"review": "review.html", "version": "version.html", "verify": "verify.html"}
    rounds = True
    key = KEY
    start_role = "employee"
    reg_prefix = "MS"
    accepted = {"pdf", "pptx", "docx", "png", "jpg", "jpeg", "mp4"}
    routing = (ROUTING,)
    lane_roles = {"Unit": "employee", "Head of MCD": "mcd_head", "MCD specialist": "mcd_specialist",
                  "Management": "public_person"}

    def title_of(self, data: dict[str, Any]) -> str | None:
        return data.get("title")

    def clause(self, task_name: str) -> str | None:
        return CLAUSES.get(task_name, "§7.5")

    def prepare(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
        if task.name in SUBMIT_TASKS:
            return self._prepare_submission(ctx, instance, data)
        if ctx.me.id == instance.started_by_id:
            raise Forbidden(N_("Nobody reviews their own submission."))
        if task.name == "Task_Review":
            self._check_override(data)
        if task.name in ENGINE_DECISION:
            data[ENGINE_DECISION[task.name]] = data.pop("decision")
        return data

    def _prepare_submission(self, ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, Message] = {}  # every check at once
        unit = ctx.session.execute(select(Unit).where(Unit.code == data.get("unit"))).scalar_one_or_none()
        if unit is None or not _belongs(ctx.me, unit):
            errors["unit"] = Message(N_("You may submit only for your own structural unit."))
        for fid in data.get("file_ids", []):
            row = ctx.session.get(StoredFile, fid)
            if row is None or row.instance_id != instance.id or row.uploaded_by_id != instance.started_by_id:
                errors.setdefault("file_ids", Message(N_("Unknown file: %(id)s."), {"id": fid}))
        if errors:
            raise Invalid(errors)
        planned = date.fromisoformat(data["planned_date"])
        days = ctx.services.settings.late_days
        data.setdefault("area", "")
        data["late"] = planned < today_local(ctx.now()) + timedelta(days=days)
        data["late_rule_days"] = days
        instance.due_at = start_of_day_utc(planned)
        return data

    @staticmethod
    def _check_override(data: dict[str, Any]) -> None:
        failed = [item for item, answer in data["checklist"].items() if not answer.get("ok")]
        if data["decision"] == "approve" and failed and not data.get("override_reason", "").strip():
            raise Invalid({"override_reason": Message(
                N_("An item does not meet the guideline (%(items)s): give a reason to agree anyway."),
                {"items": [Message(LABELS.values.get("checklist", {}).get(item, item)) for item in failed]})})

    def assign(self, ctx: Ctx, instance: Instance, task: UserTask) -> tuple[str | None, User | None, Any]:
        if task.lane == "Management":
            approver = resolve_approver(ctx.session, task.data.get("management_role", "rector"), instance.started_by)
            if approver is not None:
                notifications.notify(ctx, approver.id, instance, "task_assigned", title=instance.title)
            return "public_person", approver, instance.due_at
        if task.lane in {"Head of MCD", "MCD specialist"}:
            role = self.lane_roles[task.lane]
            for user in holders(ctx.session, role):
                if user.id != instance.started_by_id:
                    notifications.notify(ctx, user.id, instance, "task_assigned", title=instance.title)
            return role, None, instance.due_at
        return "employee", instance.started_by, instance.due_at if task.name == "Task_Revise" else None

    def after_complete(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any],
                       run: Run) -> None:
        if task.name in SUBMIT_TASKS:
            record_round(ctx, instance, task, data)
        elif "revise" in (data.get("decision"), data.get("management_decision")):
            notifications.notify(ctx, instance.started_by_id, instance, "revision_requested",
                                 title=instance.title, comment=data.get("comment", ""))

    def on_finish(self, ctx: Ctx, instance: Instance, run: Run) -> None:
        if instance.outcome == "approved":
            issue_sheet(ctx, instance, last_review(ctx, instance))
        notifications.notify(ctx, instance.started_by_id, instance, "outcome", title=instance.title,
                             outcome=instance.outcome or "")

    # decided (no withdrawal any more): the case ended (MCD rejected it or signed it off, the head of MCD
    # returned late material), or management decided on it; MCD's approval of mass-media material is not
    # final yet (§7.8), nor is a request for revision
    decision_tasks = frozenset({"Task_ManagementApprove"})

    def confirmation(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> Message | None:
        decision = data.get("decision")
        if task.name == "Task_ManagementApprove" and decision == "approve":
            return Message(N_("Approving signs the material off and issues the sign-off sheet now; "
                              "it cannot be taken back."))
        if task.name == "Task_Review" and decision == "approve":
            if latest_round(ctx, instance).data.get("channel") == "mass_media":
                return None  # management decides next (§7.8)
            return Message(N_("Approving signs the material off and issues the sign-off sheet now; "
                              "it cannot be taken back."))
        if task.name in ("Task_Review", "Task_ManagementApprove") and decision == "reject":
            return Message(N_("Rejecting ends the case now: the material may not be published."))
        return None

    def start_prefill(self, ctx: Ctx, params=None) -> dict[str, Any]:
        unit = ctx.me.unit
        return {"unit": unit.code} if unit else {}

    def unit_choices(self, ctx: Ctx) -> dict[str, list[Unit]]:
        """The units the user may submit for (`_belongs`): their own first, then the faculty above it."""
        own = ctx.me.unit
        if own is None:
            return {"unit": []}
        parent = ctx.session.get(Unit, own.parent_id) if own.parent_id else None
        return {"unit": [own, *([parent] if parent else [])]}

    def file_changes(self, ctx: Ctx, instance: Instance) -> list[dict[str, Any]] | None:
        return file_changes(ctx, instance)

    def details(self, ctx: Ctx, instance: Instance) -> dict[str, Any] | None:
        """For those who may read the brand guideline (MCD's reviewers among them): the edition in force, which
        the review's checklist is judged against (§6.2–6.5), or None when none is in force yet."""
        from processes.brand_book import library

        if not library.may_read(ctx.user):
            return None
        return {"brand_book": {"edition": library.in_force(ctx)}}

    def readers(self, instance: Instance) -> frozenset[str]:
        """Signed-off material is open to the archive's readers (§3.2.3)."""
        return ARCHIVE_READERS if instance.outcome == "approved" else frozenset()

    def readable_where(self, roles: frozenset[str]) -> Any:
        return Instance.outcome == "approved" if roles & ARCHIVE_READERS else None

    def prefill(self, ctx: Ctx, instance: Instance, task: InboxTask) -> dict[str, Any]:
        if task.name == "Task_Submit":
            unit = instance.started_by.unit
            return {"unit": unit.code} if unit else {}
        if task.name == "Task_Revise":
            return dict(latest_round(ctx, instance).data)
        return {}


def _belongs(user: User, unit: Unit) -> bool:
    """A user submits for their own unit, or for the faculty their department belongs to."""
    own = user.unit
    return own is not None and (own.id == unit.id or own.parent_id == unit.id)


def files_of(ctx: Ctx, ids: list[int]) -> list[StoredFile]:
    rows = [ctx.session.get(StoredFile, i) for i in ids]
    return sorted((r for r in rows if r is not None), key=lambda r: r.name.lower())


def record_round(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> ContentVersion:
    """Keep this submission round: its data, and one fingerprint over its file versions."""
    number = ctx.session.execute(select(func.count()).select_from(ContentVersion).where(
        ContentVersion.instance_id == instance.id)).scalar_one() + 1
    listing = "\n".join(f"{f.name}\t{f.version}\t{f.sha256}" for f in files_of(ctx, data["file_ids"]))
    row = ContentVersion(instance_id=instance.id, number=number, task_id=task.id, data=dict(data),
                         text=data.get("description", ""), file_id=None,
                         sha256=hashlib.sha256(listing.encode("utf-8")).hexdigest(),
                         created_by_id=ctx.me.id, created_at=ctx.now())
    ctx.session.add(row)
    ctx.session.flush()
    return row


def latest_round(ctx: Ctx, instance: Instance) -> ContentVersion:
    return ctx.session.execute(select(ContentVersion).where(ContentVersion.instance_id == instance.id)
                               .order_by(ContentVersion.number.desc()).limit(1)).scalar_one()


def file_changes(ctx: Ctx, instance: Instance) -> list[dict[str, Any]]:
    """Each file of the latest round against the round before: new, changed, unchanged or dropped."""
    return files.version_file_changes(ctx, instance)


def last_review(ctx: Ctx, instance: Instance) -> dict[str, Any]:
    """The data of the latest MCD review, as the audit trail recorded it (not stale task data)."""
    event = ctx.session.execute(select(AuditEvent).where(
        AuditEvent.instance_id == instance.id, AuditEvent.action == "task_completed",
        AuditEvent.task == "Task_Review").order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
    return event.data


def issue_sheet(ctx: Ctx, instance: Instance, review: dict[str, Any]) -> Document:
    """Issue the sign-off sheet (its PDF follows the commit) and file the material in the archive."""
    last = latest_round(ctx, instance)
    data = last.data
    unit = ctx.session.execute(select(Unit).where(Unit.code == data["unit"])).scalar_one()
    reg_number = numbering.next_number(ctx, "MS")
    code = numbering.verification_code()
    files = [{"name": f.name, "version": f.version, "size": f.size, "sha256": f.sha256}
             for f in files_of(ctx, data["file_ids"])]
    public = {"reg_number": reg_number, "unit": unit.name_kk, "unit_ru": unit.name_ru, "unit_en": unit.name_en,
              "title": data["title"],
              "material_type": data["material_type"], "channel": data["channel"],
              "audiences": data["audiences"], "planned_date": data["planned_date"], "files": files,
              "checklist": review.get("checklist", {}), "override_reason": review.get("override_reason"),
              "reviewers": reviewers(ctx, instance), "approved_at": ctx.now().isoformat(),
              "content_sha256": last.sha256}
    doc = Document(instance_id=instance.id, kind=SHEET, title=reg_number, reg_number=reg_number,
                   verification_code=code, public=public, issued_at=ctx.now())
    ctx.session.add(doc)
    ctx.session.flush()
    ctx.session.add(SignedOffMaterial(
        instance_id=instance.id, document_id=doc.id, reg_number=reg_number, unit_code=unit.code,
        unit_name=unit.name_kk, material_type=data["material_type"], channel=data["channel"],
        title=data["title"], planned_date=date.fromisoformat(data["planned_date"]), approved_at=ctx.now()))
    audit.append(ctx.session, ctx.actor, "document_issued", instance_id=instance.id, object=f"document:{doc.id}",
                 data={"kind": SHEET, "reg_number": reg_number, "content_sha256": last.sha256,
                       "files": [{"name": f["name"], "version": f["version"], "sha256": f["sha256"]} for f in files]},
                 clause="§7.5", request_id=ctx.request_id)
    return doc


def reviewers(ctx: Ctx, instance: Instance) -> list[dict[str, Any]]:
    """Everyone who decided on the material, in order, with their decision and time (from the audit trail)."""
    role = {"Task_AcceptLate": "mcd_head", "Task_Review": "mcd_specialist", "Task_ManagementApprove": "management"}
    events = ctx.session.execute(select(AuditEvent).where(
        AuditEvent.instance_id == instance.id, AuditEvent.action == "task_completed",
        AuditEvent.task.in_(REVIEW_TASKS)).order_by(AuditEvent.seq)).scalars()
    names = {u.username: u for u in ctx.session.execute(select(User)).scalars()}
    out = []
    for ev in events:
        assert ev.task is not None  # selected by its task above
        user = names.get(ev.actor) if ev.actor is not None else None
        out.append({"role": role[ev.task], "name": user.full_name if user else ev.actor,
                    "position": user.positions if user else "", "decision": ev.data.get("decision", ""),
                    "task": ev.task, "at": ev.at.isoformat()})
    return out


def sheet_pdf(doc: Document, settings: Settings) -> bytes:
    """Render a sign-off sheet from what was fixed when it was issued."""
    p = doc.public
    sheet = SignoffSheet(
        reg_number=doc.reg_number, title=p["title"], material_type=p["material_type"],
        unit_name={"kk": p["unit"], "ru": p.get("unit_ru") or "", "en": p.get("unit_en") or ""},
        channel=p["channel"], audiences=p["audiences"], planned_date=date.fromisoformat(p["planned_date"]),
        files=[SheetFile(name=f["name"], version=f["version"], size=f["size"], sha256=f["sha256"]) for f in p["files"]],
        checklist=[ChecklistLine(item=k, ok=bool(v.get("ok")), remark=v.get("remark", ""))
                   for k, v in p["checklist"].items()],
        override_reason=p.get("override_reason") or None,
        reviewers=[Reviewer(role=r["role"], name=r["name"], position=r["position"], decision=r["decision"],
                            at=datetime.fromisoformat(r["at"])) for r in p["reviewers"]],
        approved_at=datetime.fromisoformat(p["approved_at"]), verification_code=doc.verification_code,
        verify_url=f"{settings.base_url.rstrip('/')}/verify/{doc.verification_code}",
    )
    return render_signoff_sheet(sheet, settings.translations_dir)


KIND = MaterialSignoff()
KIND.renderers = {SHEET: sheet_pdf}
