"""Violation reports (§1.6, §13.1–13.3): an employee reports a breach to the head of MCD, who assesses it, may ask
units for explanations, records findings and measures, and may refer it to the rector.

Who reported is withheld (`withholds_starter`): only the reporter, the head of MCD and auditors learn it
(processes/usecases/withheld.py applies the rule to every view of the case and to the audit trail). The register
(`violation_reports`) holds no reporter; it is kept in step with the instance in the same transactions.
"""
from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, true

from forms.validate import N_, Message
from processes.engine import FiredTimer, Run, UserTask
from processes.university_time import end_of_day_utc, local_date
from processes.usecases import files, notifications, numbering, queries
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Invalid
from processes.usecases.kinds import ProcessKind
from processes.usecases.routing import holders
from processes.usecases.units import head_of
from processes.violation_report.labels import LABELS
from storage import accounts, audit
from storage.models import (
    AuditEvent,
    InboxTask,
    Instance,
    PolicyClause,
    PolicyEdition,
    TaskState,
    Unit,
    User,
    ViolationReport,
)

KEY = "violation_report"
MCD_HEAD = "mcd_head"
UNIT_HEAD = "unit_head"
RECTOR = "rector"
CLAUSES = {"Task_Report": "§1.6, §13.1", "Task_Assess": "§13.2", "Task_Explain": "§13.2",
           "Task_Measures": "§13.2", "Task_RectorDecision": "§13.3"}
MAX_AHEAD = timedelta(days=90)  # an explanation due further ahead than this is a typing mistake


class ViolationReportKind(ProcessKind):
    key = KEY
    labels = LABELS
    order = 70
    pages = {"details": "details.html"}
    start_role = "employee"
    withholds_starter = True
    starter_seen_by = frozenset({MCD_HEAD})  # and auditors, who read everything (§13.1)
    accepted = {"pdf", "png", "jpg", "jpeg", "docx", "odt", "txt"}
    lane_roles = {"Reporter": "employee", "Head of MCD": MCD_HEAD, "Unit asked": UNIT_HEAD, "Rector": RECTOR}
    decision_tasks = frozenset({"Task_Assess"})

    def clause(self, task_name: str) -> str | None:
        return CLAUSES.get(task_name, "§13.2")

    def decision_clause(self, task_name: str, data: dict[str, Any]) -> str | None:
        if task_name == "Task_Measures" and data.get("refer") == "yes":
            return "§13.2, §13.3"
        return self.clause(task_name)

    def decided(self, ctx: Ctx, instance: Instance) -> bool:
        """The reporter may withdraw the report until the head of MCD first acts on it (§13.2)."""
        if instance.status != "running":
            return True
        return bool(queries.completions(ctx, instance, {"Task_Assess"}))

    def prepare(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
        step = {"Task_Report": _report, "Task_Assess": _assess, "Task_Explain": _explain,
                "Task_Measures": _measures, "Task_RectorDecision": _rector}.get(task.name)
        return step(ctx, instance, task, data) if step else data

    def assign(self, ctx: Ctx, instance: Instance, task: UserTask) -> tuple[str | None, User | None, Any]:
        if task.name == "Task_Report":
            return "employee", instance.started_by, None
        if task.name == "Task_Explain":
            ask = task.data.get("ask") or {}
            unit = _unit(ctx, ask.get("unit"))
            head = head_of(ctx, unit) if unit is not None else None
            due = _moment(ask.get("due_at"))
            row = _row(ctx, instance)
            row.asks = [{**a, "task_id": task.id} if a.get("key") == ask.get("key") else a for a in row.asks]
            if head is not None:
                notifications.notify(ctx, head.id, instance, "task_assigned", title=instance.title,
                                     due=due.isoformat() if due else "")
            return UNIT_HEAD, head, due
        role = RECTOR if task.name == "Task_RectorDecision" else MCD_HEAD
        people = holders(ctx.session, role)
        for person in people:
            if person.id != instance.started_by_id:
                notifications.notify(ctx, person.id, instance, "task_assigned", title=instance.title)
        return role, None, None

    def on_timer(self, ctx: Ctx, instance: Instance, timer: FiredTimer, run: Run) -> None:
        ask = timer.data.get("ask") or {}
        task = _open_explanation(ctx, instance, ask)
        if task is None:
            return  # explained in the same moment
        unit = ask.get("unit")
        if timer.name == "Timer_Remind":
            to = [u for u in (task.assignee, task.delegated_to) if u is not None and u.is_active]
            for user in to:
                notifications.notify(ctx, user.id, instance, "reminder", title=instance.title, due=ask.get("due_at"))
            audit.append(ctx.session, ctx.actor, "reminder_sent", instance_id=instance.id, object=f"task:{task.id}",
                         data={"unit": unit, "due_at": ask.get("due_at"), "to": [u.username for u in to]},
                         clause="§13.2", request_id=ctx.request_id)
        elif timer.name == "Timer_Due":
            told = [u for u in holders(ctx.session, MCD_HEAD) if u.id != instance.started_by_id]
            for user in told:
                notifications.notify(ctx, user.id, instance, "escalation", title=instance.title, due=ask.get("due_at"))
            audit.append(ctx.session, ctx.actor, "explanation_overdue", instance_id=instance.id,
                         object=f"task:{task.id}", data={"unit": unit, "due_at": ask.get("due_at"),
                                                          "to": [u.username for u in told]},
                         clause="§13.2", request_id=ctx.request_id)

    def on_finish(self, ctx: Ctx, instance: Instance, run: Run) -> None:
        row = report_of(ctx, instance)
        if row is not None:
            row.outcome, row.closed_at = instance.outcome, ctx.now()
        # §13.1: the reporter follows the report: told how it ended, in Kelisim only (notifications.notify)
        if ctx.user is None or ctx.user.id != instance.started_by_id:
            notifications.notify(ctx, instance.started_by_id, instance, "outcome", title=instance.title,
                                 outcome=instance.outcome or "")

    def on_withdraw(self, ctx: Ctx, instance: Instance) -> None:
        row = report_of(ctx, instance)
        if row is not None:
            row.outcome, row.closed_at = instance.outcome, ctx.now()

    def readers(self, instance: Instance) -> frozenset[str]:
        return frozenset({MCD_HEAD})

    def readable_where(self, roles: frozenset[str]) -> Any:
        return true() if MCD_HEAD in roles else None

    def details(self, ctx: Ctx, instance: Instance) -> dict[str, Any]:
        report = queries.last_completion(ctx, instance, "Task_Report")
        me = ctx.user
        # the reporter follows the status; the assessment's inner workings are MCD's (and auditors', §13.2)
        inner = me is not None and (me.id != instance.started_by_id or bool(me.role_names & {MCD_HEAD, "auditor"}))
        row = report_of(ctx, instance)
        asks = []
        if inner and row is not None:
            for ask in row.asks:
                task = ctx.session.get(InboxTask, ask["task_id"]) if ask.get("task_id") else None
                data = _completion(ctx, task) if task is not None and task.state == TaskState.COMPLETED.value else {}
                asks.append({"unit": _unit(ctx, ask.get("unit")), "code": ask.get("unit"),
                             "due_at": _moment(ask.get("due_at")), "status": ask.get("status"),
                             "explained_at": _moment(ask.get("explained_at")), "data": data,
                             "overdue": ask.get("status") == "open" and (_moment(ask.get("due_at")) or ctx.now())
                             < ctx.now(),
                             "files": files.files_by_ids(ctx, instance.id, data.get("file_ids"))})
        return {"row": row, "report": report,
                "report_files": files.files_by_ids(ctx, instance.id, report.get("file_ids")),
                "links": [x.strip() for x in str(report.get("links") or "").splitlines() if x.strip()],
                "inner": inner, "asks": asks,
                "assessments": queries.completions(ctx, instance, {"Task_Assess"}) if inner else [],
                "measures": queries.last_completion(ctx, instance, "Task_Measures") if inner else {},
                "rector": queries.last_completion(ctx, instance, "Task_RectorDecision") if inner else {}}

    def prefill(self, ctx: Ctx, instance: Instance, task: InboxTask) -> dict[str, Any]:
        if task.name == "Task_Measures":
            return {"refer": "no", "measures": []}
        if task.name == "Task_Assess":
            return {"units": []}
        return {}

    def audit_view(self, task_name: str, data: dict[str, Any]) -> dict[str, Any]:
        """Only what the person gave: not the engine's working data (the units' branches)."""
        return {k: v for k, v in data.items() if k not in ("asks", "ask")}

    def seed_demo(self, ctx: Ctx) -> str | None:
        """Two reports (once): one awaiting the head of MCD's assessment; in the other he has asked the demo
        department for an explanation, due in a week (its head has the task)."""
        if ctx.session.execute(select(ViolationReport.id).limit(1)).first() is not None:
            return None
        from processes.usecases import instances

        def as_(username: str) -> Ctx:
            user = accounts.find_user(ctx.session, username)
            assert user is not None, username
            return dataclasses.replace(ctx, user=user)

        today = local_date(ctx.now())

        def file(username: str, **values: Any) -> Instance:
            c = as_(username)
            instance = instances.start_instance(c, KEY)
            task = instances.ready_tasks(c, instance)[0]
            instances.complete_task(c, task.id, {"happened_on": (today - timedelta(days=2)).isoformat()} | values)
            return instance

        file("employee", what_happened="Кафедраның ішкі хаттамасының жобасы МКБ келісімінсіз ашық Telegram арнасында "
                                       "жарияланды.", published_where="Telegram", links="https://t.me/kineu_demo/41",
             clause="13.1")
        asked = file("employee2", what_happened="Университеттің жаңа логотипі бар жарнама макеті брендбук талаптарын "
                                                "сақтамай әлеуметтік желіде жарияланды.",
                     published_where="Instagram", links="https://instagram.com/p/kineu_demo", clause="6.4")
        head = as_("mcd.head")
        assess = instances.ready_tasks(head, asked, mine_only=False)[0]
        instances.complete_task(head, assess.id, {
            "assessment": "ask_units", "question": "Макет кімнің тапсырмасымен және кіммен келісіліп жарияланды?",
            "units": [{"unit": "FE-IS", "due_on": (today + timedelta(days=7)).isoformat()}]})
        return "violation reports: 2 (one awaiting assessment, one awaiting the department's explanation)"

    def confirmation(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> Message | None:
        if task.name == "Task_Assess" and data.get("assessment") == "no_breach":
            return Message(N_("Finding no breach ends the report; the reporter is told."))
        if task.name == "Task_Assess" and data.get("assessment") == "ask_units":
            return Message(N_("Submitting sends the units their tasks now; they do not learn who reported."))
        if task.name == "Task_Measures" and data.get("refer") != "yes":
            return Message(N_("Recording the measures ends the report; the reporter is told."))
        if task.name == "Task_RectorDecision":
            return Message(N_("Recording your decision ends the report in Kelisim."))
        return None


# --- the steps ---------------------------------------------------------------------------------

def _report(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
    """§1.6, §13.1: record the report, number it (VR-YYYY-NNNNN); the clause must be one of the policy."""
    errors: dict[str, Message] = {}
    clause = str(data.get("clause") or "").strip().lstrip("§").strip()
    if clause and not clause_exists(ctx, clause):
        errors["clause"] = Message(N_("The policy has no clause %(number)s."), {"number": clause})
    happened = _day(data.get("happened_on"))
    if happened is not None and happened > local_date(ctx.now()):
        errors["happened_on"] = Message(N_("The date cannot be in the future."))
    bad = files.unknown_file(ctx, instance.id, data.get("file_ids", []))
    if bad is not None:
        errors["file_ids"] = Message(N_("Unknown file: %(id)s."), {"id": bad})
    if errors:
        raise Invalid(errors)
    if report_of(ctx, instance) is not None:
        raise Conflict(N_("This report is already filed."))
    assert happened is not None  # the form requires it
    reg_number = numbering.next_number(ctx, "VR")
    row = ViolationReport(instance_id=instance.id, reg_number=reg_number, clause=clause, happened_on=happened,
                          reported_at=ctx.now(), published_where=(data.get("published_where") or "").strip() or None,
                          measures=[], asks=[], referred=False)
    ctx.session.add(row)
    instance.title = f"{reg_number} · §{clause}"
    data.update(clause=clause, reg_number=reg_number)
    audit.append(ctx.session, ctx.actor, "violation_reported", instance_id=instance.id,
                 object=f"violation_report:{reg_number}", data={"reg_number": reg_number, "clause": clause},
                 clause="§1.6, §13.1", request_id=ctx.request_id)
    return data


def _assess(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
    """§13.2: no breach (with the reason), a breach, or first the units' explanations, each by a due date."""
    errors: dict[str, Message] = {}
    assessment = data.get("assessment")
    asks: list[dict[str, Any]] = []
    if assessment == "ask_units":
        units = data.get("units") or []
        if not units:
            errors["units"] = Message(N_("Name at least one unit to ask."))
        if not str(data.get("question") or "").strip():
            errors["question"] = Message(N_("Say what the units should explain."))
        seen: set[str] = set()
        today = local_date(ctx.now())
        for n, item in enumerate(units):
            code = str(item.get("unit") or "").strip()
            unit = _unit(ctx, code)
            due_on = _day(item.get("due_on"))
            where = f"units.{n}"
            if unit is None:
                errors[f"{where}.unit"] = Message(N_("Unknown unit: %(unit)s."), {"unit": code})
                continue
            if code in seen:
                errors[f"{where}.unit"] = Message(N_("This unit is asked twice."))
                continue
            seen.add(code)
            if head_of(ctx, unit) is None:
                errors[f"{where}.unit"] = Message(N_("This unit has no head to ask."))
            if due_on is None or due_on < today:
                errors[f"{where}.due_on"] = Message(N_("The due date cannot be in the past."))
                continue
            if due_on > today + MAX_AHEAD:
                errors[f"{where}.due_on"] = Message(N_("The due date is too far ahead."))
                continue
            due_at = end_of_day_utc(due_on)
            now = ctx.now()
            remind_at = max(due_at - timedelta(days=1), now + (due_at - now) / 2)
            asks.append({"key": uuid.uuid4().hex, "unit": code, "due_on": due_on.isoformat(),
                         "due_at": due_at.isoformat(), "remind_at": remind_at.isoformat()})
    elif assessment == "no_breach" and not str(data.get("findings") or "").strip():
        errors["findings"] = Message(N_("Say why there is no breach."))
    if errors:
        raise Invalid(errors)
    row = _row(ctx, instance)
    if assessment in ("no_breach", "breach"):
        row.assessment = assessment
    if asks:
        row.asks = [*row.asks, *({**a, "task_id": None, "status": "open"} for a in asks)]
    audit.append(ctx.session, ctx.actor, "violation_assessed", instance_id=instance.id,
                 object=f"violation_report:{row.reg_number}",
                 data={"assessment": assessment, "units": [a["unit"] for a in asks]},
                 clause="§13.2", request_id=ctx.request_id)
    return {**data, "asks": asks}


def _explain(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
    bad = files.unknown_file(ctx, instance.id, data.get("file_ids", []))
    if bad is not None:
        raise Invalid({"file_ids": Message(N_("Unknown file: %(id)s."), {"id": bad})})
    row = _row(ctx, instance)
    row.asks = [{**a, "status": "explained", "explained_at": ctx.now().isoformat()}
                if a.get("task_id") == task.id else a for a in row.asks]
    return data


def _measures(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
    """§13.2: findings and measures; §13.3: a referral to the rector carries a recommendation."""
    errors: dict[str, Message] = {}
    if "other" in (data.get("measures") or []) and not str(data.get("measures_note") or "").strip():
        errors["measures_note"] = Message(N_("Say what the other measure is."))
    if data.get("refer") == "yes" and not str(data.get("recommendation") or "").strip():
        errors["recommendation"] = Message(N_("A referral to the rector needs a recommendation."))
    if errors:
        raise Invalid(errors)
    row = _row(ctx, instance)
    row.measures = list(data.get("measures") or [])
    row.referred = data.get("refer") == "yes"
    if row.referred:
        audit.append(ctx.session, ctx.actor, "violation_referred", instance_id=instance.id,
                     object=f"violation_report:{row.reg_number}", data={"measures": row.measures},
                     clause="§13.3", request_id=ctx.request_id)
    return data


def _rector(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
    row = _row(ctx, instance)
    row.rector_decision = data.get("rector_decision")
    audit.append(ctx.session, ctx.actor, "rector_decided", instance_id=instance.id,
                 object=f"violation_report:{row.reg_number}", data={"rector_decision": row.rector_decision},
                 clause="§13.3", request_id=ctx.request_id)
    return data


# --- queries -----------------------------------------------------------------------------------

def clause_exists(ctx: Ctx, number: str) -> bool:
    """Whether the policy's newest edition has this clause (any clause when no edition is imported yet is
    refused: nothing can be checked)."""
    edition = ctx.session.execute(select(PolicyEdition.id).order_by(PolicyEdition.number.desc()).limit(1)).scalar()
    if edition is None:
        return False
    return ctx.session.execute(select(PolicyClause.id).where(PolicyClause.edition_id == edition,
                                                             PolicyClause.number == number)).first() is not None


def report_of(ctx: Ctx, instance: Instance) -> ViolationReport | None:
    return ctx.session.execute(select(ViolationReport).where(
        ViolationReport.instance_id == instance.id)).scalar_one_or_none()


def _row(ctx: Ctx, instance: Instance) -> ViolationReport:
    row = report_of(ctx, instance)
    if row is None:
        raise Conflict(N_("The report is not filed yet."))
    return row


def _unit(ctx: Ctx, code: Any) -> Unit | None:
    if not code:
        return None
    return ctx.session.execute(select(Unit).where(Unit.code == str(code))).scalar_one_or_none()


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _open_explanation(ctx: Ctx, instance: Instance, ask: dict[str, Any]) -> InboxTask | None:
    """The open explanation task of the branch this ask belongs to."""
    row = report_of(ctx, instance)
    entry = next((a for a in (row.asks if row else []) if a.get("key") == ask.get("key")), None)
    task = ctx.session.get(InboxTask, entry["task_id"]) if entry and entry.get("task_id") else None
    return task if task is not None and task.state == TaskState.READY.value else None


def _completion(ctx: Ctx, task: InboxTask) -> dict[str, Any]:
    rows = audit.entries(ctx.session, AuditEvent.instance_id == task.instance_id,
                         AuditEvent.action == "task_completed", AuditEvent.object == f"task:{task.id}")
    return dict(rows[-1].data or {}) if rows and rows[-1].data is not None else {}


KIND = ViolationReportKind()
