"""Written information requests (§11) through the use cases on a real database, with a frozen clock."""
from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

import processes.information_request.kind as ir
from processes.usecases import calendar, files, instances, queries
from processes.usecases.context import Services, Settings, SmtpSettings
from processes.usecases.errors import Conflict, Forbidden, Invalid
from processes.worker import tick
from storage import audit
from storage.models import (
    AuditEvent,
    Document,
    InboxTask,
    InformationRequest,
    Instance,
    Notification,
    OutboxMail,
    User,
)
from tests import samples

KEY = "information_request"
# Monday 2 Nov 2026, 10:30 in Almaty: 10 working days -> Monday 16 Nov 2026 (no holiday in between)
NOW = datetime(2026, 11, 2, 5, 30, tzinfo=UTC)
RECEIVED = "2026-11-02T09:15:00+05:00"
DUE = datetime(2026, 11, 16, 19, 0, tzinfo=UTC)  # end of Mon 16 Nov, Almaty
SCAN = samples.pdf("scanned letter")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def request_data(**overrides) -> dict:
    data = {"requester_name": "Ерлан Сапаров", "requester_kind": "person", "email": "erlan@example.kz",
            "postal_address": "110000, Қостанай қ., Абай даңғылы, 10", "subject": "Оқу ақысы туралы",
            "items": "2026 жылғы оқу ақысының мөлшері", "form": "electronic", "language": "kk",
            "received_at": RECEIVED, "file_ids": []}
    data.update(overrides)
    return data


def start(act, user="registry"):
    return act(user, instances.start_instance, KEY).id


def upload(act, user, iid, name="scan.pdf", content=SCAN):
    return act(user, files.upload, iid, name, io.BytesIO(content)).id


def first_task(act, user, iid):
    return act(user, lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])


def register(act, **overrides) -> int:
    iid = start(act)
    fid = upload(act, "registry", iid)
    act("registry", instances.complete_task, first_task(act, "registry", iid).id,
        request_data(file_ids=[fid], **overrides))
    return iid


def task_of(act, user, iid, name=None):
    rows = act(user, lambda c: [t for t in queries.inbox(c) if t.instance_id == iid])
    rows = [t for t in rows if name is None or t.name == name]
    assert len(rows) == 1, [(t.name, t.role) for t in rows]
    return rows[0]


def complete(act, user, iid, name, data):
    return act(user, instances.complete_task, task_of(act, user, iid, name).id, data)


def row(factory, iid) -> InformationRequest:
    with factory() as s:
        req = s.execute(select(InformationRequest).where(InformationRequest.instance_id == iid)).scalar_one()
        s.expunge(req)
        return req


def inst(factory, iid) -> Instance:
    with factory() as s:
        return s.get(Instance, iid)


def actions(factory, iid) -> list[str]:
    with factory() as s:
        return list(s.execute(select(AuditEvent.action).where(AuditEvent.instance_id == iid)
                              .order_by(AuditEvent.seq)).scalars())


def notes(factory, username) -> list[str]:
    with factory() as s:
        uid = s.execute(select(User.id).where(User.username == username)).scalar_one()
        return list(s.execute(select(Notification.kind).where(Notification.user_id == uid)).scalars())


def chain_ok(factory) -> bool:
    with factory() as s:
        return audit.verify(s).ok


def provide(act, iid, decision="provide", **extra):
    data = {"decision": decision, "responsible_unit": "FE-IS", **extra}
    complete(act, "rector", iid, "Task_Decide", data)


def answer(act, iid, with_file=True):
    fids = [upload(act, "unit.head", iid, "fees.pdf", samples.pdf("tuition fees 2026"))] if with_file else []
    complete(act, "unit.head", iid, "Task_Prepare",
             {"answer_text": "2026 жылғы оқу ақысы 850 000 теңге.", "file_ids": fids, "accuracy_confirmed": True})


# --- registration ------------------------------------------------------------------------------

def test_registration_numbers_the_request_and_fixes_the_due_date(act, factory):
    iid = register(act)
    req = row(factory, iid)
    assert req.reg_number == "IR-2026-00001"
    assert req.due_at == DUE and inst(factory, iid).due_at == DUE
    assert req.received_at == datetime(2026, 11, 2, 4, 15, tzinfo=UTC)
    assert inst(factory, iid).title.startswith("IR-2026-00001")
    decide = task_of(act, "rector", iid)
    assert (decide.name, decide.due_at) == ("Task_Decide", DUE)
    assert "task_assigned" in notes(factory, "rector")
    with factory() as s:
        ev = s.execute(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                AuditEvent.action == "due_date_set")).scalar_one()
    assert ev.clause == "§11.2"
    assert ev.data["due_day"] == "2026-11-16"
    # reminders at 09:00 Almaty on the 3rd and 1st working day before the due day; escalation that morning
    assert ev.data["remind3_at"] == "2026-11-11T04:00:00+00:00"
    assert ev.data["remind1_at"] == "2026-11-13T04:00:00+00:00"
    assert ev.data["escalate_at"] == "2026-11-16T04:00:00+00:00"
    assert inst(factory, iid).next_timer_at == datetime(2026, 11, 11, 4, 0, tzinfo=UTC)
    assert register(act).__class__ is int and row(factory, iid + 1).reg_number == "IR-2026-00002"


def test_due_date_counts_holidays_and_the_administrators_overrides(act, factory):
    # received Friday 18 Dec 2026: the count skips weekends and the New Year holidays (1-2 Jan)
    with time_machine.travel(datetime(2026, 12, 18, 6, 0, tzinfo=UTC), tick=False):
        iid = register(act, received_at="2026-12-18T10:00:00+05:00")
    official = row(factory, iid).due_at
    act("admin", calendar.set_day, date(2026, 12, 28), "day_off", "extra day off")
    with time_machine.travel(datetime(2026, 12, 18, 6, 0, tzinfo=UTC), tick=False):
        later = register(act, received_at="2026-12-18T10:00:00+05:00")
    # the change applies to requests registered afterwards, one working day later; the first keeps its date
    assert row(factory, iid).due_at == official
    assert row(factory, later).due_at > official
    cal = act(None, calendar.load_calendar)
    assert cal.working_days_between(official.date(), row(factory, later).due_at.date()) == 1


@pytest.mark.parametrize("overrides, field", [
    ({"received_at": "2026-11-03T09:00:00+05:00"}, "received_at"),  # tomorrow: in the future
    ({"received_at": "yesterday"}, "received_at"),
    ({"email": "not an address"}, "email"),
    ({"email": "", "postal_address": ""}, "email"),
    ({"email": "", "form": "electronic"}, "email"),
    ({"requester_kind": "alien"}, "requester_kind"),
    ({"form": "fax"}, "form"),
    ({"language": "en"}, "language"),
    ({"subject": ""}, "subject"),
    ({"file_ids": []}, "file_ids"),
    ({"extra": "field"}, "extra"),
])
def test_bad_registration_is_refused_and_changes_nothing(act, factory, overrides, field):
    iid = start(act)
    fid = upload(act, "registry", iid)
    data = request_data(file_ids=[fid])
    data.update(overrides)
    before = actions(factory, iid)
    with pytest.raises(Invalid) as caught:
        act("registry", instances.complete_task, first_task(act, "registry", iid).id, data)
    assert field in caught.value.errors
    assert actions(factory, iid) == before
    with factory() as s:
        assert s.execute(select(InformationRequest)).first() is None
    assert first_task(act, "registry", iid).name == "Task_Register"


def test_naive_receipt_time_is_university_time(act, factory):
    iid = register(act, received_at="2026-11-02T09:15")
    assert row(factory, iid).received_at == datetime(2026, 11, 2, 4, 15, tzinfo=UTC)


def test_only_the_registry_registers_requests(act):
    for user in ("employee", "rector", "auditor", "unit.head"):
        with pytest.raises(Forbidden):
            act(user, instances.start_instance, KEY)


def test_scan_of_another_instance_is_refused(act):
    other = start(act)
    foreign = upload(act, "registry", other)
    iid = start(act)
    with pytest.raises(Invalid) as caught:
        act("registry", instances.complete_task, first_task(act, "registry", iid).id,
            request_data(file_ids=[foreign]))
    assert "file_ids" in caught.value.errors


# --- the rector's decision ---------------------------------------------------------------------

@pytest.mark.parametrize("data, field", [
    ({"decision": "refuse", "reason": "Коммерциялық құпия"}, "ground"),
    ({"decision": "refuse", "ground": "commercial_secret"}, "reason"),
    ({"decision": "refuse", "ground": "commercial_secret", "reason": ""}, "reason"),
    ({"decision": "refuse", "ground": "other_legal", "reason": "Заң бойынша"}, "law_reference"),
    ({"decision": "refuse", "ground": "gossip", "reason": "x"}, "ground"),
    ({"decision": "provide"}, "responsible_unit"),
    ({"decision": "provide", "responsible_unit": "NOPE"}, "responsible_unit"),
    ({"decision": "provide", "responsible_unit": "MCD"}, "responsible_unit"),  # no unit head there
    ({"decision": "provide", "responsible_unit": "FE-IS", "ground": "state_secret"}, "ground"),
    ({"decision": "provide_partly", "responsible_unit": "FE-IS"}, "ground"),
    ({"decision": "refuse", "ground": "state_secret", "reason": "x", "responsible_unit": "FE-IS"},
     "responsible_unit"),
    ({"decision": "maybe"}, "decision"),
])
def test_bad_decisions_are_refused(act, factory, data, field):
    iid = register(act)
    before = actions(factory, iid)
    with pytest.raises(Invalid) as caught:
        complete(act, "rector", iid, "Task_Decide", data)
    assert field in caught.value.errors
    assert actions(factory, iid) == before and row(factory, iid).decision is None


def test_only_the_rector_decides(act):
    iid = register(act)
    task = task_of(act, "rector", iid)
    for user in ("registry", "unit.head", "vr.finance", "auditor"):
        with pytest.raises((Forbidden, Exception)) as caught:
            act(user, instances.complete_task, task.id, {"decision": "refuse", "ground": "state_secret",
                                                         "reason": "x"})
        assert caught.value.__class__.__name__ in {"Forbidden", "NotFound"}


def test_refusal_answers_at_once_with_the_refusal_letter_then_dispatch_is_recorded(act, factory):
    iid = register(act)
    with time_machine.travel(datetime(2026, 11, 5, 6, 0, tzinfo=UTC), tick=False):
        complete(act, "rector", iid, "Task_Decide",
                 {"decision": "refuse", "ground": "personal_data", "reason": "Үшінші тұлғалардың дербес деректері"})
    i = inst(factory, iid)
    assert (i.status, i.outcome) == ("completed", "refused")  # the reasoned refusal is the answer
    assert i.next_timer_at is None  # the clock stops with the answer
    assert act("registry", lambda c: [t for t in queries.inbox(c) if t.instance_id == iid]) == []
    assert "to_dispatch" in notes(factory, "registry")
    req = row(factory, iid)
    assert (req.outcome, req.days_taken, req.overdue, req.dispatched_at) == ("refused", 3, False, None)
    assert act("registry", lambda c: ir.can_dispatch(c, c.session.get(Instance, iid)))
    assert not act("rector", lambda c: ir.can_dispatch(c, c.session.get(Instance, iid)))
    with factory() as s:
        letter = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
        assert letter.kind == "refusal_letter" and letter.reg_number == "OUT-2026-00001"
        assert letter.public["ground"] == "personal_data" and letter.public["language"] == "kk"
        assert letter.public["signatory_name"] == s.execute(
            select(User.full_name).where(User.username == "rector")).scalar_one()
    assert act("registry", lambda c: ir.letter_of(c, c.session.get(Instance, iid)).id) == letter.id
    with pytest.raises(Forbidden):
        act("rector", ir.record_dispatch, iid, {"method": "in_person"})
    with time_machine.travel(datetime(2026, 11, 6, 6, 0, tzinfo=UTC), tick=False):
        act("registry", ir.record_dispatch, iid, {"method": "post", "tracking_number": "KZ123456789"})
    with pytest.raises(Conflict):  # recorded once
        act("registry", ir.record_dispatch, iid, {"method": "in_person"})
    req = row(factory, iid)
    assert (req.dispatch_method, req.tracking_number) == ("post", "KZ123456789")
    assert req.dispatched_at == datetime(2026, 11, 6, 6, 0, tzinfo=UTC) and req.days_taken == 3
    assert {"request_answered", "document_issued", "letter_dispatched"} <= set(actions(factory, iid))
    assert "dispatched" in notes(factory, "rector")
    assert chain_ok(factory)


def test_letter_of_an_undecided_request_is_a_conflict(act, factory):
    iid = register(act)
    with pytest.raises(Conflict):
        act("registry", lambda c: ir.letter_of(c, c.session.get(Instance, iid)))
    provide(act, iid)
    with pytest.raises(Conflict):  # decided, but the answer is not prepared yet
        act("registry", lambda c: ir.letter_of(c, c.session.get(Instance, iid)))


# --- answers -----------------------------------------------------------------------------------

def test_electronic_answer_by_email_queues_the_letter_with_the_pdf(act, factory, tmp_path, engine_dir):
    from processes.engine import ProcessEngine
    from storage.blobs import BlobStore

    mail_services = Services(engine=ProcessEngine(engine_dir), blobs=BlobStore(tmp_path / "b"),
                             settings=Settings(base_url="https://kelisim.test",
                                               smtp=SmtpSettings(host="127.0.0.1", port=1)))
    act.services = mail_services
    iid = register(act)
    provide(act, iid)
    prepare = task_of(act, "unit.head", iid)
    assert (prepare.name, prepare.due_at) == ("Task_Prepare", DUE)
    answer(act, iid)
    assert act("registry", lambda c: ir.dispatch_defaults(c, c.session.get(Instance, iid)))["method"] == "email"
    act("registry", ir.record_dispatch, iid, {"method": "email"})
    assert (inst(factory, iid).outcome, row(factory, iid).outcome) == ("provided", "provided")
    with factory() as s:
        letter = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
        mail = s.execute(select(OutboxMail).where(OutboxMail.document_id == letter.id)).scalar_one()
    assert letter.kind == "answer_letter" and letter.public["files"][0]["name"] == "fees.pdf"
    assert letter.public["answer_text"].startswith("2026 жылғы")
    assert mail.recipient == "erlan@example.kz" and "IR-2026-00001" in mail.subject
    assert chain_ok(factory)


def test_email_dispatch_needs_mail_and_an_address(act, factory):
    iid = register(act, email="", form="printed")
    provide(act, iid)
    answer(act, iid, with_file=False)
    complete(act, "registry", iid, "Task_Payment", {"cost": 0, "status": "waived"})
    with pytest.raises(Invalid) as caught:
        act("registry", ir.record_dispatch, iid, {"method": "email"})
    assert "method" in caught.value.errors
    with pytest.raises(Invalid) as caught:
        act("registry", ir.record_dispatch, iid, {"method": "post"})  # tracking number missing
    assert "tracking_number" in caught.value.errors
    with pytest.raises(Invalid) as caught:
        act("registry", ir.record_dispatch, iid, {"method": "in_person", "tracking_number": "X1"})
    assert "tracking_number" in caught.value.errors
    with pytest.raises(Invalid) as caught:
        act("registry", ir.record_dispatch, iid, {"method": "pigeon", "extra": 1})
    assert {"method", "extra"} <= set(caught.value.errors)
    assert row(factory, iid).dispatched_at is None and "letter_dispatched" not in actions(factory, iid)


def test_accuracy_must_be_confirmed(act, factory):
    iid = register(act)
    provide(act, iid)
    with pytest.raises(Invalid) as caught:
        complete(act, "unit.head", iid, "Task_Prepare", {"answer_text": "x", "accuracy_confirmed": False})
    assert "accuracy_confirmed" in caught.value.errors
    with pytest.raises(Invalid) as caught:
        complete(act, "unit.head", iid, "Task_Prepare", {"answer_text": "", "accuracy_confirmed": True})
    assert "answer_text" in caught.value.errors
    for user in ("employee", "registry", "rector"):
        with pytest.raises((Forbidden, Exception)) as caught:
            complete(act, user, iid, "Task_Prepare", {"answer_text": "x", "accuracy_confirmed": True})


def test_printed_copy_waits_for_payment_and_the_wait_is_recorded(act, factory):
    iid = register(act, form="printed")
    provide(act, iid, decision="provide_partly", ground="service_secret", reason="Қызметтік құпия бөлігі")
    answer(act, iid)
    pay = task_of(act, "registry", iid)
    assert pay.name == "Task_Payment"
    with pytest.raises(Invalid):
        complete(act, "registry", iid, "Task_Payment", {"cost": 0, "status": "awaiting"})
    complete(act, "registry", iid, "Task_Payment", {"cost": 1500, "status": "awaiting"})
    req = row(factory, iid)
    assert (req.payment_status, req.cost, req.payment_settled_at) == ("awaiting", Decimal("1500.00"), None)
    assert req.payment_requested_at == NOW
    again = task_of(act, "registry", iid)
    assert again.name == "Task_Payment" and again.id != pay.id
    assert act("registry", instances.prefill, again) == {"cost": 1500}
    paid_at = NOW + timedelta(days=2)
    with time_machine.travel(paid_at, tick=False):
        complete(act, "registry", iid, "Task_Payment", {"cost": 1500, "status": "paid", "payment_reference": "№ 77"})
    with pytest.raises(Conflict):  # the payment is recorded once: that task is done
        act("registry", instances.complete_task, again.id, {"cost": 1500, "status": "paid"})
    req = row(factory, iid)
    assert (req.payment_status, req.payment_settled_at - req.payment_requested_at) == ("paid", timedelta(days=2))
    assert inst(factory, iid).outcome == "provided_partly"
    with factory() as s:
        letter = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
    assert letter.public["partial"] is True and letter.public["ground"] == "service_secret"
    act("registry", ir.record_dispatch, iid, {"method": "in_person", "recipient_name": "Ерлан Сапаров"})


# --- the clock ---------------------------------------------------------------------------------

def test_reminders_escalation_and_breach_follow_the_working_days(act, factory, services):
    iid = register(act)
    provide(act, iid)  # the unit head now holds the task
    assert tick(factory, services) == 0
    with time_machine.travel(datetime(2026, 11, 11, 4, 1, tzinfo=UTC), tick=False):
        assert tick(factory, services) == 1
    assert notes(factory, "unit.head").count("reminder") == 1
    with time_machine.travel(datetime(2026, 11, 13, 4, 1, tzinfo=UTC), tick=False):
        tick(factory, services)
    assert notes(factory, "unit.head").count("reminder") == 2
    with time_machine.travel(datetime(2026, 11, 16, 4, 1, tzinfo=UTC), tick=False):
        tick(factory, services)
    assert "escalation" in notes(factory, "rector")
    assert not row(factory, iid).overdue
    with time_machine.travel(DUE + timedelta(minutes=1), tick=False):
        tick(factory, services)
    assert row(factory, iid).overdue and inst(factory, iid).status == "running"  # it continues
    assert "overdue" in notes(factory, "unit.head")
    answered = DUE + timedelta(days=2, hours=3)
    with time_machine.travel(answered, tick=False):
        answer(act, iid)
    req = row(factory, iid)
    assert req.overdue and req.overdue_seconds == int(timedelta(days=2, hours=3).total_seconds())
    assert req.days_taken == 13  # answered Thu 19 Nov 03:00 Almaty: Tue 17, Wed 18, Thu 19 beyond the 10
    got = actions(factory, iid)
    assert got.count("reminder_sent") == 2 and got.count("escalated") == 1 and got.count("deadline_missed") == 1
    with factory() as s:
        ev = s.execute(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                AuditEvent.action == "request_answered")).scalar_one()
    assert ev.data["overdue"] is True and ev.data["overdue_seconds"] == req.overdue_seconds
    assert chain_ok(factory)


def test_an_old_letter_registered_late_is_overdue_at_once(act, factory, services):
    iid = register(act, received_at="2026-10-01T10:00:00+05:00")
    assert inst(factory, iid).next_timer_at <= NOW
    tick(factory, services)
    assert row(factory, iid).overdue
    assert actions(factory, iid).count("reminder_sent") == 2


def test_registry_rector_and_auditor_read_every_request_others_do_not(act):
    iid = register(act)
    for user in ("registry", "rector", "auditor"):
        assert act(user, instances.get_instance, iid).id == iid
    for user in ("employee", "vr.finance", "mcd.head", "unit.head"):
        with pytest.raises(Exception) as caught:
            act(user, instances.get_instance, iid)
        assert caught.value.__class__.__name__ == "NotFound"
    provide(act, iid)
    assert act("unit.head", instances.get_instance, iid).id == iid  # holds the task now


def test_inbox_rows_are_cancelled_never_duplicated(act, factory):
    iid = register(act, form="printed")
    provide(act, iid)
    answer(act, iid)
    for _ in range(3):
        complete(act, "registry", iid, "Task_Payment", {"cost": 200, "status": "awaiting"})
    complete(act, "registry", iid, "Task_Payment", {"cost": 200, "status": "waived"})
    with factory() as s:
        states = s.execute(select(InboxTask.name, InboxTask.state).where(InboxTask.instance_id == iid)).all()
    assert sum(1 for n, st in states if st == "ready") == 0  # answered: nothing left open
    assert sorted(st for n, st in states if n == "Task_Payment") == ["completed"] * 4
    assert inst(factory, iid).outcome == "provided"


def test_letter_reaches_the_requester_by_smtp_with_the_pdf(act, factory, services, smtp_server):
    """Dispatch by e-mail: the worker renders the letter, then sends it attached, in the request's language."""
    from tests.service.helpers import with_mail

    inbox, port = smtp_server
    with_mail(services, port)
    iid = register(act, language="ru")
    complete(act, "rector", iid, "Task_Decide",
             {"decision": "refuse", "ground": "commercial_secret", "reason": "Коммерческая тайна университета"})
    act("registry", ir.record_dispatch, iid, {"method": "email"})
    tick(factory, services)  # renders the pending letter, then sends the mail that waited for it
    letters = [(to, m) for to, m in inbox.messages if to == ["erlan@example.kz"]]
    assert len(letters) == 1
    message = letters[0][1]
    (pdf,) = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    with factory() as s:
        doc = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
        sent = s.execute(select(AuditEvent).where(AuditEvent.action == "mail_sent",
                                                  AuditEvent.instance_id == iid)).scalar_one()
    assert pdf.get_filename() == f"{doc.reg_number}.pdf"
    payload = pdf.get_payload(decode=True)
    assert payload.startswith(b"%PDF") and hashlib.sha256(payload).hexdigest() == doc.sha256
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert "Уважаем" in body.decode("utf-8") and "IR-2026-00001" in body.decode("utf-8")
    assert sent.data["attachment"] == doc.reg_number
    assert chain_ok(factory)


def test_mail_server_down_blocks_nothing_and_the_administrator_sees_it(act, factory, services, smtp_server):
    """SMTP unreachable at dispatch: the request is answered anyway; the letter's e-mail is retried, then
    given up and shown to the administrator, who sends it again once the server is back."""
    from dataclasses import replace

    from processes.mailer import MAX_ATTEMPTS, send_pending
    from processes.usecases import admin
    from tests.service.helpers import free_port, with_mail

    inbox, port = smtp_server
    with_mail(services, free_port())  # nothing listens there
    iid = register(act)
    complete(act, "rector", iid, "Task_Decide", {"decision": "refuse", "ground": "state_secret", "reason": "§2.4"})
    act("registry", ir.record_dispatch, iid, {"method": "email"})
    assert inst(factory, iid).outcome == "refused"  # not blocked by the mail server
    for _ in range(MAX_ATTEMPTS):
        tick(factory, services)
    problems = act("admin", admin.mail_problems)
    letter_mail = [m for m in problems if m.recipient == "erlan@example.kz"]
    assert len(letter_mail) == 1 and letter_mail[0].status == "failed" and "connect" in letter_mail[0].last_error
    with pytest.raises(Forbidden):
        act("registry", admin.mail_problems)
    act("admin", admin.requeue_mail, letter_mail[0].id)
    with pytest.raises(Conflict):
        act("admin", admin.requeue_mail, letter_mail[0].id)  # pending already
    services.settings = replace(services.settings, smtp=replace(services.settings.smtp, port=port))
    send_pending(factory, services.settings.smtp, services.blobs)
    assert [to for to, _ in inbox.messages].count(["erlan@example.kz"]) == 1
    with factory() as s:
        acts = list(s.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars())
    assert "mail_failed" in acts and "mail_requeued" in acts and acts[-1] == "mail_sent"
    assert chain_ok(factory)
