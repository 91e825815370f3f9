"""Media inquiries (§7.10.1–7.10.4, §10.1–10.3, §3.8, §8.3–8.5): one source, and each unit on its hour clock.

An MCD specialist registers the inquiry (MI-YYYY-NNNNN); MCD chooses the single source (a public person or an
expert of the current pool; a matter linked to an earlier inquiry keeps that one's source unless the head of
MCD overrides it with a reason) and the units to ask, each with its urgency. Completing the routing sends the
questions: each unit's answer gets its own clock (`clock.py`) and its own branch of the multi-instance
subprocess, whose timers read the targets this module computes. A unit may answer "not our competence": MCD
then asks another unit (a new clock) or none. MCD consolidates one official answer, the source clears it,
and MCD records the release, which issues the release record (PDF). The register (`media_inquiries`,
`media_asks`) is kept in step in the same transactions.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from forms.validate import N_, Message
from processes.engine import FiredTimer, Run, UserTask
from processes.media_inquiry import clock
from processes.media_inquiry.labels import LABELS
from processes.university_time import local, local_date
from processes.usecases import files, mail, notifications, numbering, queries
from processes.usecases.context import Ctx, Settings
from processes.usecases.errors import Conflict, Forbidden, Invalid, denied
from processes.usecases.kinds import ProcessKind
from processes.usecases.moments import parse_moment
from processes.usecases.routing import PUBLIC_PERSON, holders
from processes.usecases.units import head_of
from storage import accounts, audit
from storage.models import (
    AuditEvent,
    Document,
    InboxTask,
    Instance,
    MediaAsk,
    MediaInquiry,
    OutboxMail,
    Status,
    StoredFile,
    TaskState,
    Unit,
    User,
    pick_language,
)

KEY = "media_inquiry"
SPECIALIST = "mcd_specialist"
MCD_HEAD = "mcd_head"
UNIT_HEAD = "unit_head"
RELEASE = "media_release"
READERS = frozenset({MCD_HEAD, SPECIALIST, "rector"})  # and auditors, who read everything
CLAUSES = {"Task_Register": "§10.2", "Task_Route": "§3.8", "Task_Answer": "§7.10.3", "Task_Redirect": "§7.10.1",
           "Task_Consolidate": "§10.3", "Task_Clear": "§3.8", "Task_Release": "§10.2"}
REMINDERS = {"Timer_RemindHalf": "half", "Timer_RemindSoon": "soon"}
LATEST_TERM = timedelta(days=90)  # a stated term further than this is a typing mistake
MIN_WORD = 4
_NUMBERING = re.compile(r"^\s*(?:\d{1,3}\s*[.)]|[-•*–])\s*")


class MediaInquiryKind(ProcessKind):
    key = KEY
    labels = LABELS
    order = 50
    pages = {"details": "details.html", "verify": "verify.html"}
    start_role = SPECIALIST
    start_roles = frozenset({MCD_HEAD})
    separate_duties = False  # MCD registers, routes, consolidates and releases its own inquiries
    accepted = {"pdf", "png", "jpg", "jpeg", "docx", "odt", "rtf", "txt", "xlsx"}
    lane_roles = {"MCD": SPECIALIST, "Unit asked": UNIT_HEAD, "Source": PUBLIC_PERSON}
    decision_tasks = frozenset({"Task_Clear"})  # decided once the source approved or rejected (§3.8)
    # §10.2: the head of MCD runs media relations: he may take any of MCD's steps of an inquiry himself
    also_completed_by = {name: frozenset({MCD_HEAD}) for name in ("Task_Register", "Task_Route", "Task_Redirect",
                                                                  "Task_Consolidate", "Task_Release")}

    def clause(self, task_name: str) -> str | None:
        return CLAUSES.get(task_name, "§7.10.2")

    def title_of(self, data: dict[str, Any]) -> str | None:
        return None  # set when the inquiry is numbered

    def prepare(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
        step = {"Task_Register": _register, "Task_Route": _route, "Task_Answer": _answer,
                "Task_Redirect": _redirect, "Task_Consolidate": _consolidate, "Task_Clear": _clear,
                "Task_Release": _release}.get(task.name)
        return step(ctx, instance, task, data) if step else data

    def assign(self, ctx: Ctx, instance: Instance, task: UserTask) -> tuple[str | None, User | None, Any]:
        if task.name in ("Task_Register", "Task_Route"):
            return SPECIALIST, instance.started_by, None
        if task.name == "Task_Answer":
            ask = _ask_of(ctx, task.data)
            ask.task_id = task.id
            head = head_of(ctx, ask.unit)
            if head is not None:
                notifications.notify(ctx, head.id, instance, "task_assigned", title=instance.title,
                                     due=ask.due_at.isoformat())
            _tell_contacts(ctx, instance, ask, "media_questions", exclude={head.id} if head else set())
            return UNIT_HEAD, head, ask.due_at
        if task.name == "Task_Clear":
            source = inquiry_of(ctx, instance).source
            if source is not None:
                notifications.notify(ctx, source.id, instance, "task_assigned", title=instance.title)
            return PUBLIC_PERSON, source, instance.due_at
        if task.name == "Task_Redirect":
            _ask_of(ctx, task.data).task_id = task.id  # the branch's open task is now MCD's
        owner = _completed_by(ctx, instance, "Task_Route") or instance.started_by
        if task.name != "Task_Consolidate" or owner.id != (ctx.user.id if ctx.user else None):
            notifications.notify(ctx, owner.id, instance, "task_assigned", title=instance.title)
        return SPECIALIST, owner, instance.due_at

    def on_timer(self, ctx: Ctx, instance: Instance, timer: FiredTimer, run: Run) -> None:
        ask = _ask_of(ctx, timer.data)
        if ask.status != "open":
            return  # answered in the same moment: its timers are gone
        now = ctx.now()
        due = ask.due_at.isoformat()
        unit = ask.unit.code
        if timer.name in REMINDERS:
            if now >= ask.due_at:  # the worker was down past the deadline: the escalation says it all
                audit.append(ctx.session, ctx.actor, "reminder_skipped", instance_id=instance.id,
                             object=f"media_ask:{ask.id}", data={"unit": unit, "reminder": REMINDERS[timer.name],
                                                                  "due_at": due}, clause="§7.10.2",
                             request_id=ctx.request_id)
                return
            to = _ask_holders(ctx, ask)
            for user in to:
                notifications.notify(ctx, user.id, instance, "reminder", title=instance.title, due=due)
            _tell_contacts(ctx, instance, ask, "media_reminder", exclude={u.id for u in to}, mail_only=True)
            audit.append(ctx.session, ctx.actor, "reminder_sent", instance_id=instance.id, object=f"media_ask:{ask.id}",
                         data={"unit": unit, "reminder": REMINDERS[timer.name], "to": [u.username for u in to],
                               "due_at": due, "minutes_left": int((ask.due_at - now).total_seconds() // 60)},
                         clause="§7.10.2", request_id=ctx.request_id)
        elif timer.name == "Timer_Deadline":
            ask.overdue, ask.escalated_at = True, now
            told = {u.id: u for u in [*holders(ctx.session, MCD_HEAD), *superiors(ctx, ask.unit),
                                      *_ask_holders(ctx, ask)]}
            for user in told.values():
                notifications.notify(ctx, user.id, instance, "escalation", title=instance.title, due=due)
            audit.append(ctx.session, ctx.actor, "deadline_missed", instance_id=instance.id,
                         object=f"media_ask:{ask.id}",
                         data={"reg_number": inquiry_of(ctx, instance).reg_number, "unit": unit,
                               "urgency": ask.urgency, "due_at": due, "escalated_at": now.isoformat(),
                               # a worker that was down through the deadline fires late: the breach so far
                               "late_seconds": max(0, int((now - ask.due_at).total_seconds())),
                               "to": sorted(u.username for u in told.values())},
                         clause="§7.10.2", request_id=ctx.request_id)

    def on_finish(self, ctx: Ctx, instance: Instance, run: Run) -> None:
        inquiry = inquiry_of(ctx, instance)
        inquiry.outcome = instance.outcome
        _close_asks(ctx, instance)
        if instance.outcome == "released":
            issue_release(ctx, instance, inquiry)
        for user in {u.id: u for u in holders(ctx.session, MCD_HEAD)}.values():
            if user.id != (ctx.user.id if ctx.user else None):
                notifications.notify(ctx, user.id, instance, "outcome", title=instance.title,
                                     outcome=instance.outcome or "")

    def on_withdraw(self, ctx: Ctx, instance: Instance) -> None:
        inquiry = ctx.session.execute(select(MediaInquiry).where(
            MediaInquiry.instance_id == instance.id)).scalar_one_or_none()
        if inquiry is not None:
            inquiry.outcome = instance.outcome
        _close_asks(ctx, instance)

    def readers(self, instance: Instance) -> frozenset[str]:
        return READERS

    def readable_where(self, roles: frozenset[str]) -> Any:
        from sqlalchemy import true

        return true() if roles & READERS else None

    def details(self, ctx: Ctx, instance: Instance) -> dict[str, Any] | None:
        inquiry = ctx.session.execute(select(MediaInquiry).where(
            MediaInquiry.instance_id == instance.id)).scalar_one_or_none()
        if inquiry is None:
            return {"inquiry": None, "questions": []}
        asks = asks_of(ctx, inquiry)
        answers = _unit_answers(ctx, instance)
        related = ctx.session.get(MediaInquiry, _inquiry_id_of(ctx, inquiry.related_to_id)) \
            if inquiry.related_to_id else None
        document = ctx.session.get(Document, inquiry.document_id) if inquiry.document_id else None
        consolidated = queries.last_completion(ctx, instance, "Task_Consolidate")
        release = queries.last_completion(ctx, instance, "Task_Release")
        return {"inquiry": inquiry, "questions": inquiry.questions, "asks": [_ask_view(ctx, a, answers) for a in asks],
                "related": related, "document": document, "answer": consolidated,
                "answer_files": files.files_by_ids(ctx, instance.id, consolidated.get("file_ids")),
                "release": release, "now": ctx.now(),
                "source_candidates": source_candidates(ctx, inquiry) if inquiry.sent_at is None else [],
                "related_candidates": related_candidates(ctx, inquiry) if inquiry.sent_at is None else []}

    def start_prefill(self, ctx: Ctx, params=None) -> dict[str, Any]:
        return {"language": "kk", "received_via": "email"}

    def prefill(self, ctx: Ctx, instance: Instance, task: InboxTask) -> dict[str, Any]:
        if task.name == "Task_Register":
            return self.start_prefill(ctx)
        if task.name == "Task_Route":
            inquiry = inquiry_of(ctx, instance)
            related = related_candidates(ctx, inquiry)
            values: dict[str, Any] = {"units": []}
            linked = next((r for r in related if r["proposed"]), None)
            if linked is not None:
                values.update(related_to=linked["instance_id"], source=linked["source"] or "")
            return values
        if task.name == "Task_Answer":
            return {"unit_outcome": "answered"}
        if task.name == "Task_Consolidate":
            last = queries.last_completion(ctx, instance, "Task_Consolidate")
            if last.get("answer_text"):
                return {"answer_text": last["answer_text"], "file_ids": last.get("file_ids", [])}
            return {"answer_text": draft_answer(ctx, instance)}
        if task.name == "Task_Release":
            return {"released_at": local(ctx.now()).strftime("%Y-%m-%dT%H:%M"),
                    "released_to": inquiry_of(ctx, instance).journalist}
        return {}

    def confirmation(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> Message | None:
        if task.name == "Task_Route":
            return Message(N_("Submitting sends the questions to the units now: each unit's clock starts."))
        if task.name == "Task_Clear" and data.get("decision") == "reject":
            return Message(N_("Rejecting ends the inquiry: the university gives the outlet no answer."))
        if task.name == "Task_Release":
            return Message(N_("Recording the release ends the inquiry and issues the release record."))
        return None

    def audit_view(self, task_name: str, data: dict[str, Any]) -> dict[str, Any]:
        """Only what the person gave: not the engine's working data (the units' clocks)."""
        return {k: v for k, v in data.items() if k not in ("asks", "ask")}


# --- the steps ---------------------------------------------------------------------------------

def _register(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
    """§10.2: record the inquiry, number it, split its questions."""
    errors: dict[str, Message] = {}
    questions = split_questions(data.get("questions", ""))
    if not questions:
        errors["questions"] = Message(N_("This field is required."))
    elif len(questions) > 50:
        errors["questions"] = Message(N_("At most %(n)s questions."), {"n": 50})
    deadline = None
    if data.get("outlet_deadline"):
        deadline = parse_moment(data["outlet_deadline"], "outlet_deadline", errors)
        if deadline is not None and deadline <= ctx.now():
            errors["outlet_deadline"] = Message(N_("The outlet's deadline must be in the future."))
    bad = files.unknown_file(ctx, instance.id, data.get("file_ids", []))
    if bad is not None:
        errors["file_ids"] = Message(N_("Unknown file: %(id)s."), {"id": bad})
    if errors:
        raise Invalid(errors)
    subject = (data.get("subject") or "").strip() or questions[0][:300]
    reg_number = numbering.next_number(ctx, "MI")
    inquiry = MediaInquiry(
        instance_id=instance.id, reg_number=reg_number, outlet=data["outlet"].strip(),
        journalist=data["journalist"].strip(), contact=data["contact"].strip(), received_via=data.get("received_via"),
        subject=subject, questions=questions, outlet_deadline=deadline, registered_at=ctx.now(),
        search_text=" ".join([subject, data["outlet"], *questions]).lower()[:2000])
    ctx.session.add(inquiry)
    instance.title = f"{reg_number} · {data['outlet'].strip()} · {subject}"[:500]
    instance.due_at = deadline
    data.update(reg_number=reg_number, subject=subject, language=data.get("language") or "kk")
    if deadline is not None:
        data["outlet_deadline"] = deadline.isoformat()
    audit.append(ctx.session, ctx.actor, "inquiry_registered", instance_id=instance.id,
                 object=f"instance:{instance.id}",
                 data={"reg_number": reg_number, "outlet": inquiry.outlet, "subject": subject,
                       "questions": len(questions), "outlet_deadline": deadline.isoformat() if deadline else None},
                 clause="§10.2", request_id=ctx.request_id)
    return data


def _route(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
    """§3.8 and §7.10.1–7.10.2: the single source and the units, each on its clock from now."""
    inquiry = inquiry_of(ctx, instance)
    now = ctx.now()
    errors: dict[str, Message] = {}
    source = check_source(ctx, str(data.get("source", "")), errors)
    related = _check_related(ctx, instance, data.get("related_to"), errors)
    override = (data.get("override_reason") or "").strip()
    required = related.source if related is not None else None
    overridden = False
    if source is not None and required is not None and source.id != required.id:
        if not override:
            errors["source"] = Message(
                N_("%(reg)s on the same matter is answered by %(name)s: one matter has one source (§3.8). Choose "
                   "them, or, as the head of MCD, give a reason to choose another."),
                {"reg": related.reg_number if related else "", "name": required.full_name})
        elif MCD_HEAD not in ctx.me.role_names:
            raise denied(Forbidden(N_("Only the head of MCD may choose another source for a linked matter (§3.8).")),
                         f"instance:{instance.id}", "override_source")
        else:
            overridden = True
    elif override:
        errors["override_reason"] = Message(N_("A reason is given only when choosing another source than the "
                                               "linked matter's."))
    rows = _check_units(ctx, data.get("units") or [], now, errors, "units")
    if errors:
        raise Invalid(errors)
    assert source is not None
    inquiry.source_id, inquiry.sent_at = source.id, now
    inquiry.related_to_id = related.instance_id if related is not None else None
    inquiry.override_reason = override or None
    asks = []
    for unit, urgency, term in rows:
        ask = _new_ask(ctx, inquiry, unit, urgency, term, now)
        asks.append(ask_item(ask))
    data.update(source=source.username, related_to=inquiry.related_to_id, asks=asks,
                units=[{"unit": u.code, "urgency": g, "term": t.isoformat() if t else None} for u, g, t in rows])
    audit.append(ctx.session, ctx.actor, "questions_sent", instance_id=instance.id, object=f"instance:{instance.id}",
                 data={"reg_number": inquiry.reg_number, "source": source.username,
                       "related_to": inquiry.related_to_id, "units": [
                           {"unit": a["unit"], "urgency": a["urgency"], "due_at": a["due_at"]} for a in asks]},
                 clause="§7.10.1", request_id=ctx.request_id)
    if overridden:
        audit.append(ctx.session, ctx.actor, "source_overridden", instance_id=instance.id,
                     object=f"instance:{instance.id}",
                     data={"related_to": inquiry.related_to_id, "required": required.username if required else None,
                           "chosen": source.username, "reason": override}, clause="§3.8", request_id=ctx.request_id)
    return data


def _answer(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
    """§7.10.2–7.10.3: the unit's answer to each question, confirmed accurate; or not its competence."""
    ask = _ask_by_task(ctx, task)
    inquiry = inquiry_of(ctx, instance)
    errors: dict[str, Message] = {}
    outcome = data["unit_outcome"]
    answers = {k: v.strip() for k, v in (data.get("answers") or {}).items() if isinstance(v, str)}
    if outcome == "answered":
        for n in range(1, len(inquiry.questions) + 1):
            if not answers.get(str(n)):
                errors[f"answers.{n}"] = Message(N_("Answer question %(n)s."), {"n": n})
        extra = sorted(k for k in answers if not k.isdigit() or not 1 <= int(k) <= len(inquiry.questions))
        if extra:
            errors["answers"] = Message(N_("There is no question %(n)s."), {"n": extra[0]})
        if data.get("accuracy_confirmed") is not True:
            errors["accuracy_confirmed"] = Message(N_("Confirm that the answer is true and exact (§7.10.3)."))
        if (data.get("reason") or "").strip():
            errors["reason"] = Message(N_("A reason is given only when the questions are not your competence."))
    else:
        if not (data.get("reason") or "").strip():
            errors["reason"] = Message(N_("Say why the questions are not your unit's competence."))
        if any(answers.values()):
            errors["answers"] = Message(N_("Answers are given only when your unit answers the questions."))
    bad = files.unknown_file(ctx, instance.id, data.get("file_ids", []))
    if bad is not None:
        errors["file_ids"] = Message(N_("Unknown file: %(id)s."), {"id": bad})
    if errors:
        raise Invalid(errors)
    now = ctx.now()
    ask.status = "answered" if outcome == "answered" else "not_competent"
    ask.answered_at, ask.answered_by_id, ask.answer_task_id = now, ctx.me.id, task.id
    late = clock.late_by(ask.due_at, now)
    ask.late_seconds = int(late.total_seconds()) if late else None
    data["answers"] = answers if outcome == "answered" else {}
    data["unit"] = ask.unit.code
    if late:
        audit.append(ctx.session, ctx.actor, "answer_late", instance_id=instance.id, object=f"media_ask:{ask.id}",
                     data={"unit": ask.unit.code, "urgency": ask.urgency, "due_at": ask.due_at.isoformat(),
                           "answered_at": now.isoformat(), "late_seconds": ask.late_seconds},
                     clause="§7.10.2", request_id=ctx.request_id)
    return data


def _redirect(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
    """The unit said "not our competence": ask another unit (a new clock) or none."""
    old = _ask_by_task(ctx, task)
    inquiry = inquiry_of(ctx, instance)
    if data["redirect"] == "none":
        for name in ("unit", "urgency", "term"):
            if data.get(name):
                raise Invalid({name: Message(N_("Give a unit only to ask another unit."))})
        data["redirect"] = "none"
        return data
    errors: dict[str, Message] = {}
    row = {"unit": data.get("unit") or "", "urgency": data.get("urgency") or "", "term": data.get("term")}
    if not row["unit"]:
        errors["unit"] = Message(N_("Choose the unit to ask."))
    if not row["urgency"]:
        errors["urgency"] = Message(N_("Choose the urgency."))
    if errors:
        raise Invalid(errors)
    rows = _check_units(ctx, [row], ctx.now(), errors, None)
    if rows and rows[0][0].id == old.unit_id:
        errors["unit"] = Message(N_("This unit said the questions are not its competence: choose another."))
    if not errors:
        asked = {a.unit_id for a in asks_of(ctx, inquiry) if a.status in ("open", "answered")}
        if rows[0][0].id in asked:
            errors["unit"] = Message(N_("This unit is already asked."))
    if errors:
        raise Invalid(errors)
    unit, urgency, term = rows[0]
    ask = _new_ask(ctx, inquiry, unit, urgency, term, ctx.now(), redirected_from=old)
    data.update(ask=ask_item(ask), unit=unit.code, term=term.isoformat() if term else None)
    audit.append(ctx.session, ctx.actor, "questions_sent", instance_id=instance.id, object=f"instance:{instance.id}",
                 data={"reg_number": inquiry.reg_number, "redirected_from": old.unit.code,
                       "units": [{"unit": unit.code, "urgency": urgency, "due_at": ask.due_at.isoformat()}]},
                 clause="§7.10.1", request_id=ctx.request_id)
    return data


def _consolidate(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
    bad = files.unknown_file(ctx, instance.id, data.get("file_ids", []))
    if bad is not None:
        raise Invalid({"file_ids": Message(N_("Unknown file: %(id)s."), {"id": bad})})
    data["answer_sha256"] = hashlib.sha256(data["answer_text"].encode("utf-8")).hexdigest()
    return data


def _clear(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
    """§3.8: the source approves the answer exactly as consolidated, returns it, or rejects it."""
    if data["decision"] in ("revise", "reject") and not (data.get("comment") or "").strip():
        raise Invalid({"comment": Message(N_("Say why: required when returning for revision or rejecting."))})
    inquiry = inquiry_of(ctx, instance)
    answer = queries.last_completion(ctx, instance, "Task_Consolidate")
    inquiry.clearance = {"approve": "approved", "revise": "returned", "reject": "rejected"}[data["decision"]]
    inquiry.cleared_at = ctx.now()
    if data["decision"] == "approve":
        inquiry.answer_sha256 = hashlib.sha256(str(answer.get("answer_text", "")).encode("utf-8")).hexdigest()
        data["answer_sha256"] = inquiry.answer_sha256
    return data


def _release(ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
    """§10.2: the cleared answer went to the outlet: how, when, to whom."""
    inquiry = inquiry_of(ctx, instance)
    errors: dict[str, Message] = {}
    when = ctx.now()
    if data.get("released_at"):
        parsed = parse_moment(data["released_at"], "released_at", errors)
        if parsed is not None:
            if parsed > ctx.now():
                errors["released_at"] = Message(N_("The time of release may not be in the future."))
            elif inquiry.cleared_at is not None and parsed < inquiry.cleared_at - timedelta(minutes=1):
                errors["released_at"] = Message(N_("The answer was cleared only at %(when)s: it cannot have been "
                                                   "released before."),
                                                {"when": local(inquiry.cleared_at).strftime("%d.%m.%Y %H:%M")})
            when = parsed
    link = (data.get("link") or "").strip()
    if link and not re.match(r"^https?://\S+$", link):
        errors["link"] = Message(N_("Give the full address, starting with https://."))
    if errors:
        raise Invalid(errors)
    inquiry.released_at, inquiry.release_method = when, data["method"]
    inquiry.released_to = data["released_to"].strip()[:300]
    data["released_at"] = when.isoformat()
    return data


# --- checks ------------------------------------------------------------------------------------

def check_source(ctx: Ctx, username: str, errors: dict[str, Message], field: str = "source") -> User | None:
    """§3.8, §8.3: an active public person, or an expert of the current pool whose membership runs today."""
    user = accounts.find_user(ctx.session, username.strip()) if username.strip() else None
    if user is None or not user.is_active:
        errors[field] = Message(N_("There is no active person with this username."))
        return None
    if PUBLIC_PERSON in user.role_names:
        return user
    from processes.expert_pool import pool

    today = local_date(ctx.now())
    if pool.membership(ctx.session, user.id, today) is not None:
        return user
    expired = next((m for m in pool.current_members(ctx.session) if m.user_id == user.id), None)
    if expired is not None:
        errors[field] = Message(N_("%(name)s's membership of the expert pool ended on %(day)s: they may not speak for "
                                   "the university."), {"name": user.full_name,
                                                        "day": expired.term_until.strftime("%d.%m.%Y")})
    else:
        errors[field] = Message(N_("%(name)s is neither a public person nor an expert of the pool: only they speak "
                                   "for the university (§8.3)."), {"name": user.full_name})
    return None


def _check_related(ctx: Ctx, instance: Instance, value: Any, errors: dict[str, Message]) -> MediaInquiry | None:
    if value in (None, ""):
        return None
    try:
        instance_id = int(value)
    except (TypeError, ValueError):
        errors["related_to"] = Message(N_("Not a valid number."))
        return None
    related = ctx.session.execute(select(MediaInquiry).where(MediaInquiry.instance_id == instance_id)
                                  ).scalar_one_or_none()
    if related is None or instance_id == instance.id:
        errors["related_to"] = Message(N_("No other media inquiry has this number."))
        return None
    other = ctx.session.get_one(Instance, instance_id)
    if related.source_id is None or not (other.status == Status.RUNNING.value or other.outcome == "released"):
        errors["related_to"] = Message(N_("%(reg)s has no source yet or was not answered: link an open or answered "
                                          "inquiry."), {"reg": related.reg_number})
        return None
    return related


def _check_units(ctx: Ctx, rows: list[Any], now: datetime, errors: dict[str, Message],
                 field: str | None) -> list[tuple[Unit, str, datetime | None]]:
    """Each row {unit, urgency, term}: a known unit with a head, not twice; a term only for a current request,
    in the future and within 90 days."""
    checked: list[tuple[Unit, str, datetime | None]] = []
    seen: set[int] = set()
    for i, row in enumerate(rows):
        def at(name: str, i: int = i) -> str:
            return f"{field}.{i}.{name}" if field else name
        unit = ctx.session.execute(select(Unit).where(Unit.code == str(row.get("unit") or ""))).scalar_one_or_none()
        if unit is None:
            errors[at("unit")] = Message(N_("There is no unit with this code."))
            continue
        if unit.id in seen:
            errors[at("unit")] = Message(N_("This unit is listed twice."))
            continue
        seen.add(unit.id)
        if head_of(ctx, unit) is None:
            errors[at("unit")] = Message(N_("%(unit)s has no head to answer: an administrator must name one first."),
                                         {"unit": unit.name_kk})
            continue
        urgency = str(row.get("urgency") or "")
        if urgency not in clock.URGENCIES:
            errors[at("urgency")] = Message(N_("Not one of the allowed choices."))
            continue
        term = None
        if row.get("term"):
            if urgency != "current":
                errors[at("term")] = Message(N_("A term is stated only for a current request: urgent is 3 hours, "
                                                "deeper preparation 6 hours (§7.10.2)."))
                continue
            term = parse_moment(row["term"], at("term"), errors)
            if term is None:
                continue
            if term <= now:
                errors[at("term")] = Message(N_("The term must be in the future."))
                continue
            if term > now + LATEST_TERM:
                errors[at("term")] = Message(N_("The term may be at most %(n)s days ahead."), {"n": LATEST_TERM.days})
                continue
        checked.append((unit, urgency, term))
    return checked


def split_questions(text: Any) -> list[str]:
    """The questions, one per line, without their numbering ("1.", "2)", "–")."""
    lines = [_NUMBERING.sub("", line).strip() for line in str(text or "").splitlines()]
    return [line[:2000] for line in lines if line]


# --- asks and their clocks -----------------------------------------------------------------------

def _new_ask(ctx: Ctx, inquiry: MediaInquiry, unit: Unit, urgency: str, term: datetime | None, now: datetime,
             redirected_from: MediaAsk | None = None) -> MediaAsk:
    plan = clock.clock(now, urgency, term)
    ask = MediaAsk(inquiry_id=inquiry.id, instance_id=inquiry.instance_id, unit_id=unit.id, unit=unit,
                   urgency=urgency, term_at=term, sent_at=now, due_at=plan.due_at, status="open", overdue=False,
                   redirected_from_id=redirected_from.id if redirected_from else None)
    ctx.session.add(ask)
    ctx.session.flush()
    return ask


def ask_item(ask: MediaAsk) -> dict[str, Any]:
    """The branch's data: which ask, and the timer targets its timers read."""
    plan = clock.clock(ask.sent_at, ask.urgency, ask.term_at)
    return {"ask_id": ask.id, "unit": ask.unit.code, "urgency": ask.urgency, **plan.as_data()}


def _ask_of(ctx: Ctx, data: dict[str, Any]) -> MediaAsk:
    ask_id = (data.get("ask") or {}).get("ask_id")
    ask = ctx.session.get(MediaAsk, ask_id) if ask_id else None
    if ask is None:
        raise Conflict(N_("This question list is not known."))
    return ask


def _ask_by_task(ctx: Ctx, task: InboxTask) -> MediaAsk:
    ask = ctx.session.execute(select(MediaAsk).where(MediaAsk.task_id == task.id)).scalar_one_or_none()
    if ask is None:
        raise Conflict(N_("This question list is not known."))
    return ask


def asks_of(ctx: Ctx, inquiry: MediaInquiry) -> list[MediaAsk]:
    return list(ctx.session.execute(select(MediaAsk).where(MediaAsk.inquiry_id == inquiry.id)
                                    .order_by(MediaAsk.id)).scalars())


def _close_asks(ctx: Ctx, instance: Instance) -> None:
    """The case ended (or was withdrawn, cancelled): open question lists are closed, their clocks stop."""
    for ask in ctx.session.execute(select(MediaAsk).where(MediaAsk.instance_id == instance.id,
                                                          MediaAsk.status == "open")).scalars():
        ask.status = "closed"


def _ask_holders(ctx: Ctx, ask: MediaAsk) -> list[User]:
    """Whoever holds the unit's open answer task: its holder and a colleague preparing it."""
    task = ctx.session.get(InboxTask, ask.task_id) if ask.task_id else None
    if task is None or task.state != TaskState.READY.value:
        return []
    found = {u.id: u for u in (task.assignee, task.delegated_to) if u is not None and u.is_active}
    return list(found.values())


def superiors(ctx: Ctx, unit: Unit) -> list[User]:
    """The unit head's superior: the head of the nearest unit above with another head, else the rector."""
    own = head_of(ctx, unit)
    parent = ctx.session.get(Unit, unit.parent_id) if unit.parent_id else None
    while parent is not None:
        head = head_of(ctx, parent)
        if head is not None and (own is None or head.id != own.id):
            return [head]
        parent = ctx.session.get(Unit, parent.parent_id) if parent.parent_id else None
    return [u for u in holders(ctx.session, "rector") if own is None or u.id != own.id]


CONTACT_MAIL = {
    "media_questions": (N_("Kelisim: media questions for your unit"),
                        N_("MCD asks %(unit)s to answer the questions of %(reg)s (%(outlet)s) by %(due)s. "
                           "The unit head answers in Kelisim: %(url)s")),
    "media_reminder": (N_("Kelisim: media questions still unanswered"),
                       N_("The questions of %(reg)s (%(outlet)s) to %(unit)s are still unanswered; due %(due)s. "
                          "Kelisim: %(url)s")),
}


def _tell_contacts(ctx: Ctx, instance: Instance, ask: MediaAsk, kind: str, exclude: set[int],
                   mail_only: bool = False) -> None:
    """§7.10.4: the unit's responsible persons for media questions hear of the questions at once: in-app
    when they have an account (which also mails them), else by e-mail in Kazakh and Russian."""
    from processes.usecases.media_contacts import current_contacts

    inquiry = inquiry_of(ctx, instance)
    for contact in current_contacts(ctx.session, ask.unit_id):
        if contact.user_id is not None and contact.user is not None and contact.user.is_active:
            if contact.user_id in exclude:
                continue
            exclude.add(contact.user_id)
            if not mail_only:
                notifications.notify(ctx, contact.user_id, instance, kind, title=instance.title,
                                     due=ask.due_at.isoformat())
                continue
        if not contact.email:
            continue
        directory = ctx.services.settings.translations_dir
        parts = []
        for lang in ("kk", "ru"):
            gettext = mail.translations(str(directory) if directory else None, lang).gettext
            params = {"unit": ask.unit.name_in(lang), "reg": inquiry.reg_number, "outlet": inquiry.outlet,
                      "due": mail.due_text(ask.due_at, gettext),
                      "url": f"{ctx.services.settings.base_url.rstrip('/')}/instances/{instance.id}"}
            parts.append((gettext(CONTACT_MAIL[kind][0]), gettext(CONTACT_MAIL[kind][1]) % params))
        ctx.session.add(OutboxMail(recipient=contact.email, subject=f"{parts[0][0]} / {parts[1][0]}"[:300],
                                   body=f"{parts[0][1]}\n\n—\n\n{parts[1][1]}", created_at=ctx.now()))


# --- proposals for the routing form ------------------------------------------------------------

def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) >= MIN_WORD}


def related_candidates(ctx: Ctx, inquiry: MediaInquiry, limit: int = 20) -> list[dict[str, Any]]:
    """Open or answered inquiries with a source, those sharing words with this one's subject first
    (`proposed`): the matters this inquiry may be about (§3.8)."""
    words = _words(inquiry.subject)
    query = (select(MediaInquiry, Instance).join(Instance, Instance.id == MediaInquiry.instance_id)
             .where(MediaInquiry.id != inquiry.id, MediaInquiry.source_id.is_not(None),
                    or_(Instance.status == Status.RUNNING.value, Instance.outcome == "released")))
    matching = [MediaInquiry.search_text.contains(w, autoescape=True) for w in sorted(words)[:12]]
    found: dict[int, tuple[MediaInquiry, int]] = {}
    if matching:
        for row, _inst in ctx.session.execute(query.where(or_(*matching)).order_by(MediaInquiry.id.desc())
                                              .limit(200)):
            found[row.id] = (row, len(words & _words(row.search_text)))
    for row, _inst in ctx.session.execute(query.order_by(MediaInquiry.id.desc()).limit(limit)):
        found.setdefault(row.id, (row, 0))
    ranked = sorted(found.values(), key=lambda pair: (-pair[1], -pair[0].id))[:limit]
    return [{"instance_id": row.instance_id, "reg_number": row.reg_number, "subject": row.subject,
             "outlet": row.outlet, "source": row.source.username if row.source else None,
             "source_name": row.source.full_name if row.source else "", "proposed": score > 0}
            for row, score in ranked]


def source_candidates(ctx: Ctx, inquiry: MediaInquiry) -> list[dict[str, Any]]:
    """Who may be the source: the pool's experts whose topics fit the inquiry first, then the other experts and
    the public persons."""
    from processes.expert_pool import pool

    today = local_date(ctx.now())
    fitting = pool.experts_for(ctx.session, " ".join([inquiry.subject, *inquiry.questions]), today)
    out: dict[str, dict[str, Any]] = {}
    for member in fitting:
        out[member.user.username] = {"user": member.user, "topics": member.topics, "fits": True, "expert": True}
    for member in pool.current_members(ctx.session):
        if member.term_until >= today and member.user.is_active:
            out.setdefault(member.user.username, {"user": member.user, "topics": member.topics, "fits": False,
                                                  "expert": True})
    for user in holders(ctx.session, PUBLIC_PERSON):
        out.setdefault(user.username, {"user": user, "topics": [], "fits": False, "expert": False})
    return list(out.values())


# --- queries and views -------------------------------------------------------------------------

def inquiry_of(ctx: Ctx, instance: Instance) -> MediaInquiry:
    row = ctx.session.execute(select(MediaInquiry).where(MediaInquiry.instance_id == instance.id)
                              ).scalar_one_or_none()
    if row is None:
        raise Conflict(N_("The inquiry is not registered yet."))
    return row


def _inquiry_id_of(ctx: Ctx, instance_id: int | None) -> int | None:
    return ctx.session.execute(select(MediaInquiry.id).where(MediaInquiry.instance_id == instance_id)).scalar()


def _completed_by(ctx: Ctx, instance: Instance, task_name: str) -> User | None:
    task = ctx.session.execute(select(InboxTask).where(
        InboxTask.instance_id == instance.id, InboxTask.name == task_name,
        InboxTask.state == TaskState.COMPLETED.value).order_by(InboxTask.completed_at.desc()).limit(1)
    ).scalar_one_or_none()
    return task.completed_by if task is not None else None


def _unit_answers(ctx: Ctx, instance: Instance) -> dict[str, dict[str, Any]]:
    """Each answer a unit gave (its data as the audit trail recorded the completion), by the answer's task id."""
    rows = audit.entries(ctx.session, AuditEvent.instance_id == instance.id, AuditEvent.action == "task_completed",
                         AuditEvent.task == "Task_Answer")
    return {str(e.object or "").removeprefix("task:"): dict(e.data or {}) for e in rows}


def _ask_view(ctx: Ctx, ask: MediaAsk, answers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    now = ctx.now()
    late = ask.late_seconds if ask.late_seconds is not None else (
        int((now - ask.due_at).total_seconds()) if ask.status == "open" and now > ask.due_at else None)
    answer = answers.get(ask.answer_task_id or "", {})
    return {"ask": ask, "unit": ask.unit, "late_seconds": late, "answer": answer,
            "files": files.files_by_ids(ctx, ask.instance_id, answer.get("file_ids"))}


def draft_answer(ctx: Ctx, instance: Instance) -> str:
    """The units' answers question by question: the start of MCD's official answer."""
    inquiry = inquiry_of(ctx, instance)
    answers = _unit_answers(ctx, instance)
    given = [answers.get(a.answer_task_id or "", {}) for a in asks_of(ctx, inquiry) if a.status == "answered"]
    parts = []
    for n, question in enumerate(inquiry.questions, start=1):
        texts = [str((a.get("answers") or {}).get(str(n), "")).strip() for a in given]
        parts.append(f"{n}. {question}\n" + "\n".join(t for t in texts if t))
    return "\n\n".join(parts)[:20000]


def issue_release(ctx: Ctx, instance: Instance, inquiry: MediaInquiry) -> Document:
    """The release record (§10.2): what went to the outlet, cleared by the source, with its fingerprint."""
    if inquiry.document_id is not None:
        return ctx.session.get_one(Document, inquiry.document_id)
    answer = queries.last_completion(ctx, instance, "Task_Consolidate")
    register = queries.last_completion(ctx, instance, "Task_Register")
    clearance = ctx.session.execute(select(InboxTask).where(
        InboxTask.instance_id == instance.id, InboxTask.name == "Task_Clear",
        InboxTask.state == TaskState.COMPLETED.value).order_by(InboxTask.completed_at.desc()).limit(1)
    ).scalar_one_or_none()
    source = inquiry.source
    language = str(register.get("language") or "kk")
    text = str(answer.get("answer_text", ""))
    enclosed = [ctx.session.get(StoredFile, i) for i in answer.get("file_ids", [])]
    code = numbering.verification_code()
    public = {
        "language": language, "reg_number": inquiry.reg_number, "issued_at": ctx.now().isoformat(),
        "outlet": inquiry.outlet, "journalist": inquiry.journalist, "subject": inquiry.subject,
        "questions": list(inquiry.questions), "answer_text": text,
        "answer_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in enclosed if f is not None],
        "source_name": source.full_name if source else "",
        "source_positions": dict(source.positions) if source else {},
        "source_position": pick_language(source.positions, language) if source else "",
        "cleared_at": clearance.completed_at.isoformat() if clearance and clearance.completed_at else None,
        "released_at": inquiry.released_at.isoformat() if inquiry.released_at else None,
        "release_method": inquiry.release_method, "released_to": inquiry.released_to,
        "units": [{"unit": a.unit.code, "names": {"kk": a.unit.name_kk, "ru": a.unit.name_ru, "en": a.unit.name_en},
                   "urgency": a.urgency, "sent_at": a.sent_at.isoformat(), "due_at": a.due_at.isoformat(),
                   "answered_at": a.answered_at.isoformat() if a.answered_at else None, "status": a.status,
                   "late_seconds": a.late_seconds} for a in asks_of(ctx, inquiry)],
    }
    doc = Document(instance_id=instance.id, kind=RELEASE, title=inquiry.reg_number, reg_number=inquiry.reg_number,
                   verification_code=code, public=public, issued_at=ctx.now())
    ctx.session.add(doc)
    ctx.session.flush()
    inquiry.document_id = doc.id
    audit.append(ctx.session, ctx.actor, "document_issued", instance_id=instance.id, object=f"document:{doc.id}",
                 data={"kind": RELEASE, "reg_number": inquiry.reg_number, "answer_sha256": public["answer_sha256"],
                       "source": source.username if source else None},
                 clause="§10.2", request_id=ctx.request_id)
    return doc


def release_pdf(doc: Document, settings: Settings) -> bytes:
    from processes.media_inquiry.release import render_release

    return render_release(doc, settings)


KIND = MediaInquiryKind()
KIND.renderers = {RELEASE: release_pdf}
