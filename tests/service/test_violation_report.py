"""Violation reports (§1.6, §13.1–13.3) through the use cases on a real database, with a frozen clock: the
report, the units' explanations with their reminders and due dates, measures, the referral to the rector, the
withdrawal before the assessment, bad input, and the reporter written withheld into the audit trail."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from processes.usecases import flow, instances, queries, withheld
from processes.usecases.errors import Conflict, Forbidden, Invalid
from processes.worker import tick
from storage import audit
from storage.models import AuditEvent, InboxTask, Instance, Notification, User, ViolationReport

KEY = "violation_report"
NOW = datetime(2026, 11, 6, 5, 0, tzinfo=UTC)  # Friday 10:00 in Almaty
REPORTER = "employee2"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def report(**overrides) -> dict:
    data = {"what_happened": "Кафедраның ішкі хаттамасы Telegram арнасында жарияланды.",
            "happened_on": "2026-11-05", "published_where": "Telegram", "links": "https://t.me/x/1\nhttps://t.me/x/2",
            "clause": "13.1"}
    data.update(overrides)
    return data


def task_of(act, user, iid, name):
    rows = act(user, lambda c: [t for t in queries.inbox(c) if t.instance_id == iid and t.name == name])
    assert len(rows) == 1, [(t.name, t.role) for t in rows]
    return rows[0]


def filed(act, user=REPORTER, **overrides) -> int:
    iid = act(user, instances.start_instance, KEY).id
    act(user, instances.complete_task, task_of(act, user, iid, "Task_Report").id, report(**overrides))
    return iid


def row_of(factory, iid) -> ViolationReport:
    with factory() as s:
        return s.execute(select(ViolationReport).where(ViolationReport.instance_id == iid)).scalar_one()


def entries(factory, iid) -> list[AuditEvent]:
    with factory() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.instance_id == iid)
                              .order_by(AuditEvent.seq)).scalars())


def notes(factory, username, kind=None) -> list[Notification]:
    with factory() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        query = select(Notification).where(Notification.user_id == user.id)
        if kind:
            query = query.where(Notification.kind == kind)
        return list(s.execute(query).scalars())


def test_the_whole_report_with_explanations_measures_and_the_rector(act, factory, services, frozen):
    iid = filed(act)
    row = row_of(factory, iid)
    assert row.reg_number == "VR-2026-00001" and row.clause == "13.1" and row.happened_on == date(2026, 11, 5)
    with factory() as s:
        inst = s.get(Instance, iid)
        assert inst.title == "VR-2026-00001 · §13.1"  # nothing of the reporter in the title
    # §13.2: the head of MCD asks the department to explain by Monday
    assess = task_of(act, "mcd.head", iid, "Task_Assess")
    act("mcd.head", instances.complete_task, assess.id,
        {"assessment": "ask_units", "units": [{"unit": "FE-IS", "due_on": "2026-11-09"}],
         "question": "Who published the minutes?"})
    explain = task_of(act, "unit.head", iid, "Task_Explain")
    assert explain.due_at == datetime(2026, 11, 9, 19, 0, tzinfo=UTC)  # the end of Monday in Almaty
    assert notes(factory, "unit.head", "task_assigned")
    # the reminder the day before, then the due date: the head of MCD is told
    frozen.move_to(datetime(2026, 11, 8, 19, 1, tzinfo=UTC))
    tick(factory, services)
    assert len(notes(factory, "unit.head", "reminder")) == 1
    frozen.move_to(datetime(2026, 11, 9, 19, 1, tzinfo=UTC))
    tick(factory, services)
    assert len(notes(factory, "mcd.head", "escalation")) == 1
    assert [e.clause for e in entries(factory, iid) if e.action == "explanation_overdue"] == ["§13.2"]
    act("unit.head", instances.complete_task, explain.id, {"explanation": "A lecturer posted it by mistake."})
    assert row_of(factory, iid).asks[0]["status"] == "explained"
    # back to the assessment; a second round of explanations may be asked
    assess = task_of(act, "mcd.head", iid, "Task_Assess")
    act("mcd.head", instances.complete_task, assess.id,
        {"assessment": "ask_units", "units": [{"unit": "FE-IS", "due_on": "2026-11-12"}], "question": "And then?"})
    act("unit.head", instances.complete_task, task_of(act, "unit.head", iid, "Task_Explain").id,
        {"explanation": "Nothing more."})
    assert [a["status"] for a in row_of(factory, iid).asks] == ["explained", "explained"]
    # then a breach, measures, a referral
    assess = task_of(act, "mcd.head", iid, "Task_Assess")
    act("mcd.head", instances.complete_task, assess.id, {"assessment": "breach"})
    measures = task_of(act, "mcd.head", iid, "Task_Measures")
    with pytest.raises(Invalid) as refused:
        act("mcd.head", instances.complete_task, measures.id,
            {"findings": "Minutes disclosed.", "measures": ["removal", "other"], "refer": "yes"})
    assert set(refused.value.errors) == {"measures_note", "recommendation"}
    act("mcd.head", instances.complete_task, measures.id,
        {"findings": "Minutes disclosed.", "measures": ["removal", "notice"], "refer": "yes",
         "recommendation": "A reprimand."})
    rector = task_of(act, "rector", iid, "Task_RectorDecision")
    act("rector", instances.complete_task, rector.id, {"rector_decision": "disciplinary"})
    with factory() as s:
        inst = s.get(Instance, iid)
        assert (inst.status, inst.outcome) == ("completed", "referred")
    row = row_of(factory, iid)
    assert (row.assessment, row.measures, row.referred, row.rector_decision, row.outcome) == \
        ("breach", ["removal", "notice"], True, "disciplinary", "referred")
    clauses = {e.action: e.clause for e in entries(factory, iid)}
    assert clauses["violation_reported"] == "§1.6, §13.1"
    assert clauses["violation_assessed"] == "§13.2"
    assert clauses["violation_referred"] == "§13.3"
    assert clauses["rector_decided"] == "§13.3"
    # §13.1: the reporter follows the report: told how it ended
    assert [n.params.get("outcome") for n in notes(factory, REPORTER, "outcome")] == ["referred"]


def test_the_reporter_is_written_withheld_into_the_audit_trail(act, factory):
    iid = filed(act)
    rows = entries(factory, iid)
    assert rows and all(e.actor != REPORTER for e in rows)
    assert {e.action for e in rows if e.actor == withheld.WITHHELD} >= {"instance_started", "task_completed",
                                                                         "violation_reported"}
    with factory() as s:
        blob = "".join(f"{e.actor}{e.object}{e.data}{e.comment}{e.role}" for e in
                       s.execute(select(AuditEvent)).scalars())
        assert REPORTER not in blob
        assert audit.verify(s).ok  # the chain holds: the entries were hashed as written
    # the reporter reading the outcome notification later is withheld too
    note_ids = [n.id for n in notes(factory, REPORTER)]
    from processes.usecases import notifications
    for nid in note_ids:
        act(REPORTER, notifications.mark_read, nid)
    with factory() as s:
        assert s.execute(select(AuditEvent).where(AuditEvent.actor == REPORTER)).first() is None


def test_no_breach_needs_a_reason_and_ends_the_report(act, factory):
    iid = filed(act)
    assess = task_of(act, "mcd.head", iid, "Task_Assess")
    with pytest.raises(Invalid) as refused:
        act("mcd.head", instances.complete_task, assess.id, {"assessment": "no_breach"})
    assert set(refused.value.errors) == {"findings"}
    act("mcd.head", instances.complete_task, assess.id, {"assessment": "no_breach", "findings": "Public data."})
    assert row_of(factory, iid).outcome == "no_breach"
    with pytest.raises(Conflict):
        act("mcd.head", instances.complete_task, assess.id, {"assessment": "breach"})


def test_measures_without_referral_close_the_report(act, factory):
    iid = filed(act)
    act("mcd.head", instances.complete_task, task_of(act, "mcd.head", iid, "Task_Assess").id,
        {"assessment": "breach"})
    act("mcd.head", instances.complete_task, task_of(act, "mcd.head", iid, "Task_Measures").id,
        {"findings": "A wrong figure.", "measures": ["correction"], "refer": "no"})
    assert row_of(factory, iid).outcome == "breach_handled"


def test_bad_reports_are_refused_and_nothing_is_filed(act, factory):
    iid = act(REPORTER, instances.start_instance, KEY).id
    task = task_of(act, REPORTER, iid, "Task_Report")
    with pytest.raises(Invalid) as refused:
        act(REPORTER, instances.complete_task, task.id,
            report(clause="99.99", happened_on=(NOW + timedelta(days=3)).date().isoformat(), file_ids=[999999]))
    assert set(refused.value.errors) == {"clause", "happened_on", "file_ids"}
    with pytest.raises(Invalid) as refused:
        act(REPORTER, instances.complete_task, task.id, report(what_happened="  ", clause=""))
    assert {"what_happened", "clause"} <= set(refused.value.errors)
    with factory() as s:
        assert s.execute(select(ViolationReport)).first() is None
    act(REPORTER, instances.complete_task, task.id, report(clause="§ 8.3"))
    assert row_of(factory, iid).clause == "8.3"


def test_bad_requests_for_explanations_are_refused(act, factory):
    iid = filed(act)
    assess = task_of(act, "mcd.head", iid, "Task_Assess")
    with pytest.raises(Invalid) as refused:
        act("mcd.head", instances.complete_task, assess.id, {"assessment": "ask_units", "units": []})
    assert set(refused.value.errors) == {"units", "question"}
    with pytest.raises(Invalid) as refused:
        act("mcd.head", instances.complete_task, assess.id,
            {"assessment": "ask_units", "question": "Why?",
             "units": [{"unit": "NOPE", "due_on": "2026-11-09"}, {"unit": "FE-IS", "due_on": "2026-11-01"},
                       {"unit": "REGISTRY", "due_on": "2026-11-09"}]})
    assert set(refused.value.errors) == {"units.0.unit", "units.1.due_on", "units.2.unit"}
    assert not [t for t in act("unit.head", queries.inbox) if t.instance_id == iid]


def test_the_reporter_may_withdraw_until_the_head_of_mcd_acts(act, factory):
    iid = filed(act)
    act(REPORTER, instances.withdraw, iid, "Reported by mistake")
    with factory() as s:
        assert s.get(Instance, iid).outcome == "withdrawn"
    assert row_of(factory, iid).outcome == "withdrawn"
    other = filed(act)
    act("mcd.head", instances.complete_task, task_of(act, "mcd.head", other, "Task_Assess").id,
        {"assessment": "breach"})
    with pytest.raises(Conflict):
        act(REPORTER, instances.withdraw, other, "too late")


def test_the_reporters_own_task_cannot_be_handed_to_a_colleague(act, factory):
    iid = act(REPORTER, instances.start_instance, KEY).id
    task = task_of(act, REPORTER, iid, "Task_Report")
    with pytest.raises(Forbidden):
        act(REPORTER, flow.delegate, task.id, "employee", "please")
    with pytest.raises(Forbidden):
        act("admin", flow.reassign, task.id, "employee", "absent")
    with factory() as s:
        assert s.get(InboxTask, task.id).delegated_to_id is None


def test_no_e_mail_to_anyone_else_names_the_reporter(act, factory, services, smtp_server, frozen):
    """Through a local SMTP server: every e-mail the report causes (tasks, reminder, escalation) reaches its
    recipient and none names the reporter; the reporter is told in Kelisim, not by e-mail."""
    from email.header import decode_header, make_header

    from processes.mailer import send_pending
    from tests.service.helpers import with_mail

    inbox, port = smtp_server
    with_mail(services, port)
    iid = filed(act)
    act("mcd.head", instances.complete_task, task_of(act, "mcd.head", iid, "Task_Assess").id,
        {"assessment": "ask_units", "units": [{"unit": "FE-IS", "due_on": "2026-11-09"}], "question": "Why?"})
    frozen.move_to(datetime(2026, 11, 9, 19, 1, tzinfo=UTC))
    tick(factory, services)  # the reminder and the escalation
    act("unit.head", instances.complete_task, task_of(act, "unit.head", iid, "Task_Explain").id,
        {"explanation": "Removed."})
    act("mcd.head", instances.complete_task, task_of(act, "mcd.head", iid, "Task_Assess").id,
        {"assessment": "no_breach", "findings": "Public already."})
    while send_pending(factory, services.settings.smtp):
        pass
    with factory() as s:
        reporter = s.execute(select(User).where(User.username == REPORTER)).scalar_one()
        identity = [reporter.username, reporter.full_name, reporter.full_name_ru, reporter.full_name_en,
                    *reporter.full_name.split()]
        address = reporter.email
    assert len(inbox.messages) >= 4
    to_others = [(rcpt, msg) for rcpt, msg in inbox.messages if address not in rcpt]
    assert {r for rcpt, _ in to_others for r in rcpt} >= {"mcd.head@kineu.example", "unit.head@kineu.example"}
    for rcpt, msg in inbox.messages:
        text = str(make_header(decode_header(msg["Subject"]))) + msg.get_payload(decode=True).decode("utf-8")
        assert address not in rcpt  # the reporter is told in Kelisim only: the mail log would tie them to the case
        assert not [x for x in identity if x and x in text], (rcpt, text)
    assert [n.params.get("outcome") for n in notes(factory, REPORTER, "outcome")] == ["no_breach"]
    with factory() as s:
        assert not [e for e in s.execute(select(AuditEvent).where(AuditEvent.action == "mail_sent")).scalars()
                    if e.data.get("to") == address]


def test_the_reporter_follows_the_steps_but_not_what_others_wrote(act, factory):
    iid = filed(act)
    act("mcd.head", instances.complete_task, task_of(act, "mcd.head", iid, "Task_Assess").id,
        {"assessment": "ask_units", "units": [{"unit": "FE-IS", "due_on": "2026-11-09"}],
         "question": "Who published the minutes?"})
    act("unit.head", instances.complete_task, task_of(act, "unit.head", iid, "Task_Explain").id,
        {"explanation": "A lecturer posted it by mistake."})

    def timeline_of(username):
        return act(username, lambda c: queries.timeline(c, c.session.get(Instance, iid)))

    text = repr([(e.data, e.comment) for e in timeline_of(REPORTER)])
    assert "A lecturer posted it by mistake." not in text and "Who published the minutes?" not in text
    mine = [e for e in timeline_of(REPORTER) if e.actor == withheld.WITHHELD and e.action == "task_completed"]
    assert mine and mine[0].data  # their own report, as they filed it
    steps = [e.action for e in timeline_of(REPORTER)]
    assert steps == [e.action for e in timeline_of("mcd.head")]  # every step, with its time
    for seer in ("mcd.head", "auditor"):
        assert "A lecturer posted it by mistake." in repr([e.data for e in timeline_of(seer)])


def test_the_demo_reports_are_seeded_once(act, factory):
    from processes.violation_report.kind import KIND

    assert "2" in act(None, KIND.seed_demo)
    assert act(None, KIND.seed_demo) is None
    with factory() as s:
        rows = sorted((r.clause, r.assessment, [a["status"] for a in r.asks])
                      for r in s.execute(select(ViolationReport)).scalars())
    assert rows == [("13.1", None, []), ("6.4", None, ["open"])]
    (explain,) = act("unit.head", lambda c: [t for t in queries.inbox(c) if t.name == "Task_Explain"])
    assert explain.due_at is not None
