"""Written information requests (§11.1–11.4, §12, §3.2.6, §2.4, §7.10.3): the 10-working-day clock.

The registry clerk records an incoming request; the application numbers it (IR-YYYY-NNNNN), computes the
due date on the Republic of Kazakhstan working-day calendar and the timer targets the BPMN reads;
the rector decides; the responsible unit's head prepares the answer; for a printed copy the clerk
records the cost and its payment or waiver. The process then ends: the answer or refusal is given,
and the letter is issued (the time it was answered, measured against the due date). The clerk then
dispatches the letter and records how (`record_dispatch`: e-mail through SMTP with the PDF, post
with a tracking number, or in person). The register (`information_requests`) is kept in step in
the same transactions.
"""
from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, true

from forms.validate import N_, Form, Message, label_errors, load_form
from processes.engine import FiredTimer, Run, UserTask
from processes.information_request.labels import LABELS
from processes.university_time import UNIVERSITY_TZ, WorkCalendar, date_text, local, local_date, utc_at
from processes.usecases import files, mail, notifications, numbering, queries
from processes.usecases.calendar import load_calendar
from processes.usecases.context import Ctx, Settings
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound, denied
from processes.usecases.kinds import ProcessKind
from processes.usecases.routing import holders
from storage import audit
from storage.models import (
    AuditEvent,
    Document,
    InboxTask,
    InformationRequest,
    Instance,
    OutboxMail,
    StoredFile,
    TaskState,
    Unit,
    User,
    UserRole,
    pick_language,
)

KEY = "information_request"
CLERK = "registry_clerk"
RECTOR = "rector"
UNIT_HEAD = "unit_head"
TERM_WORKING_DAYS = 10  # §11.2
REMIND_WORKING_DAYS = (3, 1)  # reminders this many working days before the due day
WORKDAY_START = time(9, 0)  # reminders and the escalation go out at the start of the working day
EARLIEST_RECEIPT = datetime(2000, 1, 1, tzinfo=UTC)
ANSWER_LETTER = "answer_letter"
REFUSAL_LETTER = "refusal_letter"
OUTCOME_OF = {"provide": "provided", "provide_partly": "provided_partly", "refuse": "refused"}
# lawful grounds of a refusal and the clause of the policy each rests on (other_legal cites a law)
GROUND_CLAUSES = {"commercial_secret": "§12", "service_secret": "§12", "personal_data": "§3.2.6",
                  "state_secret": "§2.4", "other_legal": None}
CLAUSES = {"Task_Register": "§11.1", "Task_Decide": "§11.4", "Task_Prepare": "§7.10.3",
           "Task_Payment": "§11.3"}
DISPATCH_FORM = ("ir_dispatch.schema.json", "ir_dispatch.uischema.json")
REMINDER_TIMERS = {"Timer_Remind3": 3, "Timer_Remind1": 1}
READERS = frozenset({CLERK, RECTOR, "auditor"})


class InformationRequestKind(ProcessKind):
    labels = LABELS
    order = 30
    pages = {"details": "details.html", "verify": "verify.html"}
    key = KEY
    start_role = CLERK
    separate_duties = False  # the chancellery records its own requests, their payment and their dispatch
    accepted = {"pdf", "png", "jpg", "jpeg", "docx", "odt", "rtf", "txt"}
    lane_roles = {"Registry": CLERK, "Rector": RECTOR, "Responsible unit": UNIT_HEAD}

    def clause(self, task_name: str) -> str | None:
        return CLAUSES.get(task_name, "§11.2")

    def decision_clause(self, task_name: str, data: dict[str, Any]) -> str | None:
        """A refusal (in full or in part) rests on its ground's clause (§12 for a commercial or service secret):
        "which requests were refused under §12" is a filter of the audit trail by clause."""
        if task_name == "Task_Decide" and data.get("decision") in ("refuse", "provide_partly"):
            return GROUND_CLAUSES.get(str(data.get("ground"))) or self.clause(task_name)
        return self.clause(task_name)

    def prepare(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> dict[str, Any]:
        step = {"Task_Register": _record_incoming, "Task_Decide": _decide, "Task_Prepare": _prepare_answer,
                "Task_Payment": _payment}.get(task.name)
        return step(ctx, instance, data) if step else data

    def assign(self, ctx: Ctx, instance: Instance, task: UserTask) -> tuple[str | None, User | None, Any]:
        if task.name == "Task_Register":
            return CLERK, instance.started_by, None
        req = request_of(ctx, instance)
        if task.name == "Task_Decide":
            rector = next(iter(holders(ctx.session, RECTOR)), None)
            if rector is not None:
                notifications.notify(ctx, rector.id, instance, "task_assigned", title=instance.title)
            return RECTOR, rector, instance.due_at
        if task.name == "Task_Prepare":
            head = unit_head(ctx, req.responsible_unit or "")
            if head is not None:
                notifications.notify(ctx, head.id, instance, "task_assigned", title=instance.title)
            return UNIT_HEAD, head, instance.due_at
        if req.payment_status is None:
            for clerk in holders(ctx.session, CLERK):
                notifications.notify(ctx, clerk.id, instance, "task_assigned", title=instance.title)
        return CLERK, None, instance.due_at

    def on_timer(self, ctx: Ctx, instance: Instance, timer: FiredTimer, run: Run) -> None:
        req = request_of(ctx, instance)
        if instance.due_at is None:  # fixed when the request was recorded, before any timer
            raise ValueError(f"instance {instance.id} has no due date")
        due = instance.due_at.isoformat()
        if timer.name in REMINDER_TIMERS:
            to = task_holders(ctx, instance)
            for user in to:
                notifications.notify(ctx, user.id, instance, "reminder", title=instance.title, due=due)
            audit.append(ctx.session, ctx.actor, "reminder_sent", instance_id=instance.id,
                         data={"to": [u.username for u in to], "working_days_left": REMINDER_TIMERS[timer.name]},
                         clause="§11.2", request_id=ctx.request_id)
        elif timer.name == "Timer_Escalate":
            to = holders(ctx.session, RECTOR)
            for user in to:
                notifications.notify(ctx, user.id, instance, "escalation", title=instance.title, due=due)
            audit.append(ctx.session, ctx.actor, "escalated", instance_id=instance.id,
                         data={"to": [u.username for u in to], "due_at": due}, clause="§11.2",
                         request_id=ctx.request_id)
        elif timer.name == "Timer_Overdue":
            req.overdue = True
            told = {u.id: u for u in [*holders(ctx.session, RECTOR), *task_holders(ctx, instance)]}
            for user in told.values():
                notifications.notify(ctx, user.id, instance, "overdue", title=instance.title, due=due)
            audit.append(ctx.session, ctx.actor, "deadline_missed", instance_id=instance.id,
                         data={"reg_number": req.reg_number, "due_at": due,
                               "open_tasks": [t.name for t in open_tasks(ctx, instance)]},
                         clause="§11.2", request_id=ctx.request_id)

    def on_finish(self, ctx: Ctx, instance: Instance, run: Run) -> None:
        """The answer or refusal is given: issue the letter, record how long it took, ask for dispatch."""
        req = request_of(ctx, instance)
        req.outcome = instance.outcome
        _record_answer(ctx, instance, req)
        issue_letter(ctx, instance, req)
        for clerk in holders(ctx.session, CLERK):  # the registry, the clerk who recorded it included
            notifications.notify(ctx, clerk.id, instance, "to_dispatch", title=instance.title,
                                 outcome=req.outcome or "")
        # the letter goes out over the rector's signature: they see the answer it carries (unless they
        # issued it themselves, refusing)
        signatory = _completed_by(ctx, instance, "Task_Decide")
        if signatory is not None and signatory.id != (ctx.user.id if ctx.user else None):
            notifications.notify(ctx, signatory.id, instance, "letter_issued", title=instance.title,
                                 outcome=req.outcome or "")

    def details(self, ctx: Ctx, instance: Instance) -> dict[str, Any] | None:
        """The register entry, its letter, and how long the printed copy has waited for payment."""
        req = ctx.session.execute(select(InformationRequest).where(
            InformationRequest.instance_id == instance.id)).scalar_one_or_none()
        if req is None:
            return None
        waiting = None
        if req.payment_requested_at is not None:
            waiting = (req.payment_settled_at or ctx.now()) - req.payment_requested_at
        letter = ctx.session.get(Document, req.letter_document_id) if req.letter_document_id else None
        items = queries.last_completion(ctx, instance, "Task_Register").get("items", "")
        late = req.overdue or (req.answered_at is None and req.outcome is None and req.due_at <= ctx.now())
        due_day = local_date(req.due_at - timedelta(seconds=1))
        dispatchable = can_dispatch(ctx, instance)
        return {"request": req, "letter": letter, "waiting_for_payment": waiting, "items": items, "late": late,
                "due_day": due_day, "can_dispatch": dispatchable,
                "dispatch_form": dispatch_form(ctx, req) if dispatchable else None,
                "dispatch": dispatch_details(ctx, instance) if req.dispatched_at else {},
                "dispatch_values": dispatch_defaults(ctx, instance) if dispatchable else {},
                **_sections(ctx, instance)}

    def readers(self, instance: Instance) -> frozenset[str]:
        """The registry, the rector and auditors keep the whole register (§11)."""
        return READERS

    def readable_where(self, roles: frozenset[str]) -> Any:
        return true() if roles & READERS else None

    decision_tasks = frozenset({"Task_Decide"})  # decided: the rector provided, provided in part or refused (§11.4)

    def confirmation(self, ctx: Ctx, instance: Instance, task: InboxTask, data: dict[str, Any]) -> Message | None:
        if task.name == "Task_Decide" and data.get("decision") == "refuse":
            return Message(N_("Refusing ends the request now and issues the refusal letter in your name."))
        if task.name == "Task_Prepare" and request_of(ctx, instance).form != "printed":
            return Message(N_("Submitting the answer ends the request and issues the answer letter now."))
        if task.name == "Task_Payment" and data.get("status") in ("paid", "waived"):
            return Message(N_("Recording the payment ends the request and issues the answer letter now."))
        return None

    def on_withdraw(self, ctx: Ctx, instance: Instance) -> None:
        """The register keeps the request, marked withdrawn (its clock stops)."""
        req = ctx.session.execute(select(InformationRequest).where(
            InformationRequest.instance_id == instance.id)).scalar_one_or_none()
        if req is not None:
            req.outcome = instance.outcome

    def start_prefill(self, ctx: Ctx, params=None) -> dict[str, Any]:
        return {"received_at": local(ctx.now()).strftime("%Y-%m-%dT%H:%M"), "language": "kk"}

    def prefill(self, ctx: Ctx, instance: Instance, task: InboxTask) -> dict[str, Any]:
        if task.name == "Task_Register":
            return self.start_prefill(ctx)
        req = ctx.session.execute(select(InformationRequest).where(
            InformationRequest.instance_id == instance.id)).scalar_one_or_none()
        if req is None:
            return {}
        if task.name == "Task_Payment" and req.cost is not None:
            return {"cost": _plain_number(req.cost)}
        return {}


# --- the steps ---------------------------------------------------------------------------------

def _record_incoming(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§11.1: record the incoming letter (task `Task_Register`): number the request, fix the due date
    and the timer targets (§11.2)."""
    errors: dict[str, Message] = {}
    received = parse_received(data.get("received_at", ""), ctx.now(), errors)
    email = (data.get("email") or "").strip()
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = Message(N_("Not a valid e-mail address."))
    postal = (data.get("postal_address") or "").strip()
    if "email" not in errors:
        if not email and not postal:
            errors["email"] = Message(N_("Give an e-mail address or a postal address."))
        elif data.get("form") == "electronic" and not email:
            errors["email"] = Message(N_("An answer in electronic form needs an e-mail address."))
    _check_files(ctx, instance, data.get("file_ids", []), errors)
    if errors:
        raise Invalid(errors)
    calendar = load_calendar(ctx)
    plan = deadlines(calendar, received)
    reg_number = numbering.next_number(ctx, "IR")
    data.update(email=email, postal_address=postal, received_at=received.isoformat(), reg_number=reg_number,
                **{k: v.isoformat() for k, v in plan.items()})
    instance.due_at = plan["deadline_at"]
    instance.title = f"{reg_number} · {data['subject']}"[:500]
    ctx.session.add(InformationRequest(
        instance_id=instance.id, reg_number=reg_number, requester_name=data["requester_name"],
        requester_kind=data["requester_kind"], email=email, postal_address=postal, subject=data["subject"],
        form=data["form"], language=data["language"], received_at=received, registered_at=ctx.now(),
        due_at=plan["deadline_at"], overdue=False))
    audit.append(ctx.session, ctx.actor, "due_date_set", instance_id=instance.id, task="Task_Register",
                 data={"reg_number": reg_number, "received_at": received.isoformat(),
                       "working_days": TERM_WORKING_DAYS, "due_day": local_date(plan["deadline_at"]
                                                                                 - timedelta(seconds=1)).isoformat(),
                       **{k: v.isoformat() for k, v in plan.items()}},
                 clause="§11.2", request_id=ctx.request_id)
    return data


def parse_received(value: Any, now: datetime, errors: dict[str, Message]) -> datetime:
    """An ISO date-time; one without a zone is university time (Asia/Almaty). Never in the future."""
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        errors["received_at"] = Message(N_("Not a valid date and time."))
        return now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UNIVERSITY_TZ)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # year 1 (or 9999) in a zone east (or west) of UTC: not a real receipt
        errors["received_at"] = Message(N_("Not a valid date and time."))
        return now
    if moment > now:
        errors["received_at"] = Message(N_("The date of receipt may not be in the future."))
    elif moment < EARLIEST_RECEIPT:
        errors["received_at"] = Message(N_("Not a valid date and time."))
    return moment


def deadlines(calendar: WorkCalendar, received: datetime) -> dict[str, datetime]:
    """The due date (end of the 10th working day after the day of receipt, §11.2) and the timer targets:
    reminders at the start of the 3rd and the 1st working day before the due day, the escalation at
    the start of the due day, the breach at its end. All aware UTC."""
    due_day = calendar.due_day(received, TERM_WORKING_DAYS)
    plan = {f"remind{n}_at": _morning(calendar.add_working_days(due_day, -n)) for n in REMIND_WORKING_DAYS}
    plan["escalate_at"] = _morning(due_day)
    plan["deadline_at"] = calendar.due_at(received, TERM_WORKING_DAYS)
    return plan


def _morning(day: date) -> datetime:
    return utc_at(day, WORKDAY_START)


def _decide(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§11.4: provide (naming the responsible unit), provide in part, or refuse on a lawful ground."""
    decision = data["decision"]
    errors: dict[str, Message] = {}
    if decision == "provide":
        for name in ("ground", "law_reference", "reason"):
            if data.get(name):
                errors[name] = Message(N_("A ground and a reason are given only when refusing, in full or in part."))
    if decision == "refuse" and data.get("responsible_unit"):
        errors["responsible_unit"] = Message(N_("A responsible unit is named only when the information is provided."))
    if data.get("ground") != "other_legal" and data.get("law_reference"):
        errors["law_reference"] = Message(N_("A law is cited only for another legal ground."))
    if decision != "refuse" and "responsible_unit" not in errors:
        code = data.get("responsible_unit", "")
        unit = ctx.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
        if unit is None:
            errors["responsible_unit"] = Message(N_("No such unit."))
        elif unit_head(ctx, unit.code) is None:
            errors["responsible_unit"] = Message(N_("This unit has no active head to prepare the answer."))
    if errors:
        raise Invalid(errors)
    req = request_of(ctx, instance)
    req.decision, req.ground, req.decided_at = decision, data.get("ground"), ctx.now()
    req.responsible_unit = data.get("responsible_unit")
    return data


def _prepare_answer(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§7.10.3: the unit head answers for the accuracy of the answer."""
    errors: dict[str, Message] = {}
    if data.get("accuracy_confirmed") is not True:
        errors["accuracy_confirmed"] = Message(
            N_("The head of the unit must confirm that the information is true and exact (§7.10.3)."))
    data.setdefault("file_ids", [])
    _check_files(ctx, instance, data["file_ids"], errors)
    if errors:
        raise Invalid(errors)
    return data


def _payment(ctx: Ctx, instance: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """§11.3: the cost of the printed copy, then its payment or a waiver."""
    status, cost = data["status"], Decimal(str(data["cost"]))
    if status in ("awaiting", "paid") and cost <= 0:
        raise Invalid({"cost": Message(N_("Give the cost the requester is asked to pay."))})
    req = request_of(ctx, instance)
    req.cost, req.payment_status = cost.quantize(Decimal("0.01")), status
    if req.payment_requested_at is None and status != "waived":
        req.payment_requested_at = ctx.now()
    if status in ("paid", "waived"):
        req.payment_settled_at = ctx.now()
    return data


def _record_answer(ctx: Ctx, instance: Instance, req: InformationRequest) -> None:
    """The answer is given now: working days taken, and the breach of §11.2 with its length."""
    calendar = load_calendar(ctx)
    now = ctx.now()
    req.answered_at = now
    req.days_taken = calendar.working_days_between(local_date(req.received_at), local_date(now))
    late = (now - req.due_at).total_seconds()
    req.overdue_seconds = int(late) if late > 0 else None
    if late > 0:
        req.overdue = True
    audit.append(ctx.session, ctx.actor, "request_answered", instance_id=instance.id,
                 data={"reg_number": req.reg_number, "outcome": req.outcome, "working_days_taken": req.days_taken,
                       "due_at": req.due_at.isoformat(), "overdue": req.overdue,
                       "overdue_seconds": req.overdue_seconds},
                 clause="§11.2", request_id=ctx.request_id)


# what recording a dispatch will say, asked before it is recorded (once, for good)
DISPATCH_CONFIRM = {
    "email": N_("Kelisim e-mails the letter to %(to)s now. A dispatch is recorded once and cannot be changed."),
    "email_manual": N_("Recorded as e-mailed by you from the university mailbox to %(to)s. A dispatch is "
                       "recorded once and cannot be changed."),
    "post": N_("Recorded as sent by post to %(to)s, tracking number %(tracking)s. A dispatch is recorded once "
               "and cannot be changed."),
    "in_person": N_("Recorded as handed over in person to %(to)s. A dispatch is recorded once and cannot be "
                    "changed."),
}


def dispatch_methods(ctx: Ctx, req: InformationRequest) -> list[str]:
    """The ways this request's letter can be sent, given its contact data and the server: Kelisim's own
    e-mail only with an address and mail configured; an e-mail the clerk sent from the university's
    mailbox whenever there is an address (or one is given); post always (an address not registered is
    given at dispatch); in person always."""
    methods = ["email"] if req.email and ctx.services.settings.smtp is not None else []
    return [*methods, "email_manual", "post", "in_person"]


def dispatch_form(ctx: Ctx, req: InformationRequest) -> Form:
    """The dispatch form as this request's clerk sees it: only the methods that fit, and the postal address
    asked for only when none was registered."""
    form = load_form(*DISPATCH_FORM)
    methods = dispatch_methods(ctx, req)
    schema = copy.deepcopy(form.schema)
    ui = copy.deepcopy(form.ui)
    every = schema["properties"]["method"]["enum"]
    names = dict(zip(every, ui["method"]["ui:enumNames"], strict=True))
    schema["properties"]["method"]["enum"] = methods
    ui["method"]["ui:enumNames"] = [names[m] for m in methods]
    if req.postal_address:
        schema["properties"].pop("postal_address")
    return Form(form.name, schema, ui)


def dispatch_defaults(ctx: Ctx, instance: Instance) -> dict[str, Any]:
    req = request_of(ctx, instance)
    method = "email" if req.email and ctx.services.settings.smtp is not None else (
        "email_manual" if req.email else "post")
    return {"method": method}  # an e-mail the clerk sent goes to the request's address unless they give another


def can_dispatch(ctx: Ctx, instance: Instance) -> bool:
    """Whether the current user may record this request's dispatch now."""
    if ctx.user is None or CLERK not in ctx.user.role_names or instance.process_key != KEY:
        return False
    req = ctx.session.execute(select(InformationRequest).where(
        InformationRequest.instance_id == instance.id)).scalar_one_or_none()
    return req is not None and req.letter_document_id is not None and req.dispatched_at is None


def record_dispatch(ctx: Ctx, instance_id: int, data: Any, confirmed: bool = True) -> InformationRequest:
    """The registry clerk sends the letter and records truthfully how, once per request:

    - `email`: Kelisim e-mails it (queued now, sent by the worker with the PDF attached): needs the
      request's address and mail configured on the server;
    - `email_manual`: the clerk sent it from the university's mailbox: the address (`email_address`, the
      request's by default) and when (`sent_at`, now by default, not in the future);
    - `post`: with the `tracking_number`; a request registered without a postal address takes it now
      (`postal_address`), and the register keeps it;
    - `in_person`: handed to `recipient_name`.

    Audited as `letter_dispatched` with these details (older entries, without them, still read). The page
    asks first (``confirmed=False``: an `Invalid` at `confirm` naming what will be recorded, nothing saved)."""
    from forms.validate import validate
    from processes.usecases import instances

    instance = instances.get_instance(ctx, instance_id)
    if instance.process_key != KEY:
        raise NotFound(N_("No such instance."))
    if ctx.user is None or CLERK not in ctx.user.role_names:
        raise denied(Forbidden(N_("Only the registry dispatches letters.")), f"instance:{instance_id}", "dispatch")
    req = ctx.session.execute(select(InformationRequest).where(InformationRequest.instance_id == instance.id)
                              .with_for_update()).scalar_one_or_none()
    if req is None or req.letter_document_id is None:
        raise Conflict(N_("The request is not answered yet: there is no letter to dispatch."))
    if req.dispatched_at is not None:
        raise Conflict(N_("The letter has been dispatched already."))
    form = load_form(*DISPATCH_FORM)
    clean, schema_errors = validate(form, data)
    if schema_errors and not (isinstance(clean, dict) and isinstance(clean.get("method"), str)):
        raise Invalid(schema_errors)
    method = clean["method"]
    errors = {}  # the request's own checks run too: every error of the form at once
    now = ctx.now()
    sent_at, to = now, ""
    if method == "email" and not req.email:
        errors["method"] = Message(N_("The request has no e-mail address: record an e-mail you sent yourself "
                                      "(with the address), post or in person."))
    elif method == "email" and ctx.services.settings.smtp is None:
        errors["method"] = Message(N_("Kelisim cannot send e-mail on this server (mail is not configured): send the "
                                      "letter from the university mailbox and record it as such, or by post or in "
                                      "person."))
    elif method == "email":
        to = req.email
    if method == "email_manual":
        to = (clean.get("email_address") or req.email or "").strip()
        if not to:
            errors["email_address"] = Message(N_("Give the e-mail address you sent the letter to."))
        else:
            try:
                to = validate_email(to, check_deliverability=False).normalized
            except EmailNotValidError:
                errors["email_address"] = Message(N_("Not a valid e-mail address."))
        if clean.get("sent_at"):  # a time without a zone is university time; not before the letter existed
            moment_errors: dict[str, Message] = {}
            sent_at = parse_received(clean["sent_at"], now, moment_errors)
            issued = (req.answered_at or now).replace(second=0, microsecond=0)
            if moment_errors or sent_at < issued:
                errors["sent_at"] = Message(N_("Give when you sent it: a date and time after the letter was "
                                               "issued and not in the future."))
                sent_at = now
    elif (clean.get("email_address") or "").strip() not in ("", req.email) or clean.get("sent_at"):
        errors["sent_at" if clean.get("sent_at") else "email_address"] = Message(
            N_("An address and a time are given only for an e-mail sent from the university mailbox."))
    if method == "post":
        given = (clean.get("postal_address") or "").strip()
        if req.postal_address and given and given != req.postal_address:
            errors["postal_address"] = Message(N_("The request has a registered postal address: the letter goes "
                                                  "there."))
        elif not req.postal_address and not given:
            errors["postal_address"] = Message(N_("The request has no postal address registered: give the address "
                                                  "the letter was sent to."))
        to = req.postal_address or given
    elif clean.get("postal_address"):
        errors["postal_address"] = Message(N_("A postal address is given only for postal dispatch."))
    if method != "post" and clean.get("tracking_number"):
        errors["tracking_number"] = Message(N_("A tracking number is given only for postal dispatch."))
    if method == "in_person":
        to = str(clean.get("recipient_name") or "").strip()
    elif clean.get("recipient_name"):
        errors["recipient_name"] = Message(N_("A recipient's name is given only when the letter is handed over in "
                                              "person."))
    if errors or schema_errors:
        raise Invalid(label_errors(form, {**errors, **{k: m for k, m in schema_errors.items() if k not in errors}}))
    if not confirmed:
        raise Invalid({"confirm": Message(DISPATCH_CONFIRM[method],
                                          {"to": to, "tracking": clean.get("tracking_number", "")})})
    address_added = method == "post" and not req.postal_address
    if address_added:
        req.postal_address = to
    req.dispatch_method, req.tracking_number, req.dispatched_at = method, clean.get("tracking_number"), sent_at
    letter = ctx.session.get_one(Document, req.letter_document_id)
    if method == "email":
        queue_letter_mail(ctx, req, letter)
    details: dict[str, Any] = {"reg_number": req.reg_number, "letter": letter.reg_number, "kind": letter.kind,
                               "method": method, "tracking_number": req.tracking_number, "to": to,
                               "sent_at": sent_at.isoformat(), "comment": clean.get("comment", "")}
    if method == "in_person":
        details["recipient_name"] = to
    if address_added:
        details["postal_address_added"] = True
    audit.append(ctx.session, ctx.actor, "letter_dispatched", instance_id=instance.id, object=f"document:{letter.id}",
                 data=details, clause="§11.2", request_id=ctx.request_id)
    told = {u.id for u in holders(ctx.session, RECTOR)}
    preparer = _completed_by(ctx, instance, "Task_Prepare")
    if preparer is not None:
        told.add(preparer.id)
    for user_id in sorted(told):
        notifications.notify(ctx, user_id, instance, "dispatched", title=instance.title, outcome=req.outcome or "")
    ctx.session.flush()
    return req


def dispatch_details(ctx: Ctx, instance: Instance) -> dict[str, Any]:
    """What the audit trail recorded of the dispatch (to, sent_at, recipient_name…), {} before it."""
    latest = audit.entries(ctx.session, AuditEvent.instance_id == instance.id,
                           AuditEvent.action == "letter_dispatched", newest_first=True, limit=1)
    return dict(latest[0].data) if latest and latest[0].data is not None else {}


# --- letters -----------------------------------------------------------------------------------

LETTER_MAIL_SUBJECT = N_("Answer to your request %(reg)s")
LETTER_MAIL_BODY = N_("Dear %(name)s,\n\nIn reply to your request of %(date)s, registered under %(reg)s, please find "
                      "our letter %(letter)s attached.\n\nM. Dulatov Kostanay Engineering and Economics University")


def queue_letter_mail(ctx: Ctx, req: InformationRequest, letter: Document) -> OutboxMail:
    """E-mail the letter to the requester, in the request's language, with the PDF attached (sent by the
    worker after the commit, once the PDF is rendered)."""
    directory = ctx.services.settings.translations_dir
    gettext = mail.translations(str(directory) if directory else None, req.language).gettext
    params = {"reg": req.reg_number, "name": req.requester_name, "letter": letter.reg_number,
              "date": date_text(req.received_at)}
    row = OutboxMail(recipient=req.email, subject=(gettext(LETTER_MAIL_SUBJECT) % params)[:300],
                     body=gettext(LETTER_MAIL_BODY) % params, document_id=letter.id, created_at=ctx.now())
    ctx.session.add(row)
    return row


def issue_letter(ctx: Ctx, instance: Instance, req: InformationRequest) -> Document:
    """Issue the answer or refusal letter (its PDF follows the commit); once per request."""
    if req.letter_document_id is not None:
        return ctx.session.get_one(Document, req.letter_document_id)
    if req.decision not in OUTCOME_OF:
        raise Conflict(N_("The request is not decided yet: there is no letter."))
    kind = REFUSAL_LETTER if req.decision == "refuse" else ANSWER_LETTER
    decision = queries.last_completion(ctx, instance, "Task_Decide")
    answer = queries.last_completion(ctx, instance, "Task_Prepare") if kind == ANSWER_LETTER else {}
    rector = _completed_by(ctx, instance, "Task_Decide")
    absent = _acting_for(ctx, instance, "Task_Decide")  # the rector, when a substitute decided for them
    positions = signatory_positions(rector, absent) if rector else {}
    unit = ctx.session.execute(select(Unit).where(Unit.code == (req.responsible_unit or ""))).scalar_one_or_none()
    files = [ctx.session.get(StoredFile, i) for i in answer.get("file_ids", [])]
    out_number = numbering.next_number(ctx, "OUT")
    code = numbering.verification_code()
    public = {
        "out_number": out_number, "issued_at": ctx.now().isoformat(), "language": req.language,
        "request_number": req.reg_number, "received_at": req.received_at.isoformat(),
        "requester_name": req.requester_name, "postal_address": req.postal_address, "email": req.email,
        "subject": req.subject, "partial": req.decision == "provide_partly",
        "answer_text": answer.get("answer_text", ""),
        "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in files if f is not None],
        "ground": decision.get("ground"), "law_reference": decision.get("law_reference", ""),
        "reason": decision.get("reason", ""),
        "unit_name": (getattr(unit, f"name_{req.language}", "") or unit.name_kk) if unit else "",
        "signatory_name": rector.full_name if rector else "",
        # the letter is signed in its own language; the verification page shows the page's language
        "signatory_position": pick_language(positions, req.language),
        "signatory_positions": positions,
        **({"acting_for": absent.full_name} if absent else {}),
    }
    doc = Document(instance_id=instance.id, kind=kind, title=out_number, reg_number=out_number,
                   verification_code=code, public=public, issued_at=ctx.now())
    ctx.session.add(doc)
    ctx.session.flush()
    req.letter_document_id = doc.id
    audit.append(ctx.session, ctx.actor, "document_issued", instance_id=instance.id, object=f"document:{doc.id}",
                 data={"kind": kind, "reg_number": out_number, "request": req.reg_number,
                       "language": req.language, "ground": public["ground"],
                       "files": [{"name": f["name"], "sha256": f["sha256"]} for f in public["files"]]},
                 clause="§11.4" if kind == REFUSAL_LETTER else "§11.2", request_id=ctx.request_id)
    return doc


def letter_pdf(doc: Document, settings: Settings) -> bytes:
    """Render a letter from what was fixed when it was issued."""
    from processes.information_request.letters import Letter, LetterFile, render_letter

    p = doc.public
    letter = Letter(
        kind=doc.kind, language=p["language"], out_number=doc.reg_number,
        issued_at=datetime.fromisoformat(p["issued_at"]), request_number=p["request_number"],
        received_at=datetime.fromisoformat(p["received_at"]), requester_name=p["requester_name"],
        postal_address=p["postal_address"], email=p["email"], subject=p["subject"], partial=p["partial"],
        answer_text=p["answer_text"],
        files=tuple(LetterFile(name=f["name"], size=f["size"], sha256=f["sha256"]) for f in p["files"]),
        ground=p["ground"], law_reference=p["law_reference"] or "", reason=p["reason"] or "",
        unit_name=p["unit_name"], signatory_name=p["signatory_name"], signatory_position=p["signatory_position"],
        verification_code=doc.verification_code,
        verify_url=f"{settings.base_url.rstrip('/')}/verify/{doc.verification_code}",
    )
    return render_letter(letter, settings.translations_dir)


# --- queries -----------------------------------------------------------------------------------

def request_of(ctx: Ctx, instance: Instance) -> InformationRequest:
    row = ctx.session.execute(select(InformationRequest).where(
        InformationRequest.instance_id == instance.id)).scalar_one_or_none()
    if row is None:
        raise Conflict(N_("The request is not registered yet."))
    return row


def letter_of(ctx: Ctx, instance: Instance) -> Document:
    """The issued letter of a request; 409 while the request is undecided or the answer not ready."""
    req = request_of(ctx, instance)
    if req.letter_document_id is None:
        if req.decision is None:
            raise Conflict(N_("The request is not decided yet: there is no letter."))
        raise Conflict(N_("The answer is not ready yet: there is no letter."))
    doc = ctx.session.get(Document, req.letter_document_id)
    if doc is None:  # pragma: no cover - a foreign key guards this
        raise NotFound(N_("No such document."))
    return doc


def unit_head(ctx: Ctx, unit_code: str) -> User | None:
    """The active head of a unit (the most senior, when there are several)."""
    return ctx.session.execute(
        select(User).join(UserRole).join(Unit, User.unit_id == Unit.id)
        .where(UserRole.role == UNIT_HEAD, Unit.code == unit_code, User.is_active.is_(True))
        .order_by(User.seniority, User.id).limit(1)).scalars().first()


def open_tasks(ctx: Ctx, instance: Instance) -> list[InboxTask]:
    return list(ctx.session.execute(select(InboxTask).where(
        InboxTask.instance_id == instance.id, InboxTask.state == TaskState.READY.value)
        .order_by(InboxTask.created_at)).scalars())


def task_holders(ctx: Ctx, instance: Instance) -> list[User]:
    """Whoever holds an open task of the instance: its assignee, or every holder of its role."""
    users: dict[int, User] = {}
    for task in open_tasks(ctx, instance):
        for user in ([task.assignee] if task.assignee else holders(ctx.session, task.role or "")):
            if user is not None and user.is_active:
                users[user.id] = user
    return list(users.values())


def _sections(ctx: Ctx, instance: Instance) -> dict[str, Any]:
    """What the request's page shows as its sections, from the audit trail of the completions: the
    scanned letter (Request), the rector's decision (Decision), the unit's answer and its enclosures
    (Answer); each with who did it and when."""
    register = queries.last_completion(ctx, instance, "Task_Register")
    decision = queries.last_completion(ctx, instance, "Task_Decide")
    answer = queries.last_completion(ctx, instance, "Task_Prepare")
    unit = None
    if decision.get("responsible_unit"):
        unit = ctx.session.execute(select(Unit).where(Unit.code == decision["responsible_unit"])).scalar_one_or_none()
    return {"scan_files": files.files_by_ids(ctx, instance.id, register.get("file_ids")),
            "decision": decision, "decided": _completion(ctx, instance, "Task_Decide"), "unit": unit,
            "answer": answer, "answer_files": files.files_by_ids(ctx, instance.id, answer.get("file_ids")),
            "answered": _completion(ctx, instance, "Task_Prepare")}


def _completion(ctx: Ctx, instance: Instance, task_name: str) -> InboxTask | None:
    """The latest completion of a task (its `completed_by` and `completed_at`), or None."""
    return ctx.session.execute(select(InboxTask).where(
        InboxTask.instance_id == instance.id, InboxTask.name == task_name,
        InboxTask.state == TaskState.COMPLETED.value).order_by(InboxTask.completed_at.desc()).limit(1)
    ).scalar_one_or_none()


def _check_files(ctx: Ctx, instance: Instance, file_ids: list[int], errors: dict[str, Message]) -> None:
    bad = files.unknown_file(ctx, instance.id, file_ids)
    if bad is not None:
        errors["file_ids"] = Message(N_("Unknown file: %(id)s."), {"id": bad})


def _completed_by(ctx: Ctx, instance: Instance, task_name: str) -> User | None:
    task = ctx.session.execute(select(InboxTask).where(
        InboxTask.instance_id == instance.id, InboxTask.name == task_name,
        InboxTask.state == TaskState.COMPLETED.value).order_by(InboxTask.completed_at.desc()).limit(1)
    ).scalar_one_or_none()
    return ctx.session.get(User, task.completed_by_id) if task and task.completed_by_id else None


# A letter signed by the rector's substitute (issue 12): "Ректордың м.а." / "И.о. ректора"; for anyone else
# the person's position after "м.а." / "и.о." / "acting".
ACTING_RECTOR = {"kk": "Ректордың м.а.", "ru": "И.о. ректора", "en": "Acting Rector"}
ACTING = {"kk": "м.а.", "ru": "и.о.", "en": "acting"}


def _acting_for(ctx: Ctx, instance: Instance, task_name: str) -> User | None:
    """The absent person whose substitute completed the task last (None when its holder did it in person)."""
    task = ctx.session.execute(select(InboxTask).where(
        InboxTask.instance_id == instance.id, InboxTask.name == task_name,
        InboxTask.state == TaskState.COMPLETED.value).order_by(InboxTask.completed_at.desc()).limit(1)
    ).scalar_one_or_none()
    if task is None or task.acting_for_id is None or task.completed_by_id != task.assignee_id:
        return None
    return task.acting_for


def signatory_positions(signatory: User, absent: User | None) -> dict[str, str]:
    """The position a letter prints under its signatory, {"kk", "ru", "en"}: theirs, or, for a substitute,
    the absent person's as acting ("Ректордың м.а.", "И.о. ректора" for the rector)."""
    if absent is None:
        return dict(signatory.positions)
    if "rector" in absent.role_names:
        return dict(ACTING_RECTOR)
    return {lang: f"{ACTING[lang]} {text}" for lang, text in absent.positions.items() if text}


def _plain_number(value: Decimal | float) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


KIND = InformationRequestKind()
KIND.renderers = {ANSWER_LETTER: letter_pdf, REFUSAL_LETTER: letter_pdf}
