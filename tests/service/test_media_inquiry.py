"""Media inquiries (§7.10, §10, §3.8) through the use cases on a real database, with a frozen clock: the units'
hour clocks, the escalation by the worker, the one-source rule, "not our competence", clearance and release."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from processes.catalog import kind_of
from processes.usecases import flow, instances, queries
from processes.usecases.errors import Conflict, Forbidden, Invalid
from processes.worker import tick
from storage.models import AuditEvent, Document, InboxTask, Instance, MediaAsk, MediaInquiry, Notification, User

KEY = "media_inquiry"
NOW = datetime(2026, 11, 6, 5, 0, tzinfo=UTC)  # Friday 10:00 in Almaty


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def registration(**overrides) -> dict:
    data = {"outlet": "Qostanay TV", "journalist": "Айгүл Серікова", "contact": "+7 700 000 00 00",
            "questions": "1. Университетте жаңа зертхана қашан ашылады?\n2. Оған қанша қаражат бөлінді?",
            "subject": "Жаңа зертхана"}
    data.update(overrides)
    return data


def task_of(act, user, iid, name):
    rows = act(user, lambda c: [t for t in queries.inbox(c) if t.instance_id == iid and t.name == name])
    assert len(rows) == 1, [(t.name, t.role) for t in rows]
    return rows[0]


def registered(act, user="mcd.specialist", **overrides) -> int:
    iid = act(user, instances.start_instance, KEY).id
    task = act(user, lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])
    act(user, instances.complete_task, task.id, registration(**overrides))
    return iid


def route(act, iid, user="mcd.specialist", **data):
    body = {"source": "rector", "units": [{"unit": "FE-IS", "urgency": "urgent"}]} | data
    return act(user, instances.complete_task, task_of(act, user, iid, "Task_Route").id, body)


def answer(act, iid, user, **data):
    body = {"unit_outcome": "answered", "answers": {"1": "Қаңтарда", "2": "50 млн теңге"},
            "accuracy_confirmed": True} | data
    return act(user, instances.complete_task, task_of(act, user, iid, "Task_Answer").id, body)


def asks(factory, iid) -> dict[str, MediaAsk]:
    with factory() as s:
        return {a.unit.code: a for a in s.execute(select(MediaAsk).where(MediaAsk.instance_id == iid)
                                                   .order_by(MediaAsk.id)).scalars()}


def events(factory, iid, action) -> list[AuditEvent]:
    with factory() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.instance_id == iid, AuditEvent.action == action)
                              .order_by(AuditEvent.seq)).scalars())


def notes(factory, username, kind) -> list[Notification]:
    with factory() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        return list(s.execute(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.kind == kind)).scalars())


def test_the_whole_inquiry_on_two_clocks(act, factory, services, frozen):
    iid = registered(act)
    with factory() as s:
        inquiry = s.execute(select(MediaInquiry).where(MediaInquiry.instance_id == iid)).scalar_one()
        assert inquiry.reg_number == "MI-2026-00001"
        assert inquiry.questions == ["Университетте жаңа зертхана қашан ашылады?", "Оған қанша қаражат бөлінді?"]
        assert s.get(Instance, iid).title.startswith("MI-2026-00001 · Qostanay TV")
    route(act, iid, units=[{"unit": "FE-IS", "urgency": "urgent"}, {"unit": "AMD", "urgency": "current"}])
    got = asks(factory, iid)
    assert got["FE-IS"].due_at == NOW + timedelta(hours=3)
    assert got["AMD"].due_at == NOW + timedelta(days=3)  # calendar days: through the weekend
    head_task = task_of(act, "unit.head", iid, "Task_Answer")
    assert head_task.due_at == NOW + timedelta(hours=3) and head_task.role == "unit_head"
    assert task_of(act, "amd.head", iid, "Task_Answer").due_at == NOW + timedelta(days=3)
    assert notes(factory, "unit.head", "task_assigned")
    # FE-IS answers at 12:30, on time
    frozen.move_to(NOW + timedelta(hours=2, minutes=30))
    answer(act, iid, "unit.head")
    assert asks(factory, iid)["FE-IS"].status == "answered"
    assert asks(factory, iid)["FE-IS"].late_seconds is None
    # AMD is reminded at half its term, then escalated at the deadline: the head of MCD and the rector
    frozen.move_to(NOW + timedelta(days=1, hours=12, seconds=1))
    tick(factory, services)
    assert [e.data["reminder"] for e in events(factory, iid, "reminder_sent")] == ["half"]
    assert notes(factory, "amd.head", "reminder")
    frozen.move_to(NOW + timedelta(days=3, minutes=1))
    tick(factory, services)
    (missed,) = events(factory, iid, "deadline_missed")
    assert missed.data["unit"] == "AMD" and missed.clause == "§7.10.2"
    assert {"mcd.head", "rector", "amd.head"} <= set(missed.data["to"])
    assert notes(factory, "mcd.head", "escalation") and notes(factory, "rector", "escalation")
    tick(factory, services)  # once only
    assert len(events(factory, iid, "deadline_missed")) == 1
    frozen.move_to(NOW + timedelta(days=3, hours=2))
    answer(act, iid, "amd.head")
    late = asks(factory, iid)["AMD"]
    assert late.overdue and late.late_seconds == 2 * 3600
    assert events(factory, iid, "answer_late")[0].data["late_seconds"] == 2 * 3600
    # MCD consolidates from the units' answers, the source clears, MCD records the release
    consolidate = task_of(act, "mcd.specialist", iid, "Task_Consolidate")
    draft = act("mcd.specialist", instances.prefill, consolidate)["answer_text"]
    assert "Қаңтарда" in draft and "50 млн теңге" in draft
    act("mcd.specialist", instances.complete_task, consolidate.id, {"answer_text": "Зертхана қаңтарда ашылады."})
    act("rector", instances.complete_task, task_of(act, "rector", iid, "Task_Clear").id, {"decision": "approve"})
    act("mcd.specialist", instances.complete_task, task_of(act, "mcd.specialist", iid, "Task_Release").id,
        {"method": "email", "released_to": "Айгүл Серікова"})
    with factory() as s:
        inst = s.get(Instance, iid)
        assert (inst.status, inst.outcome) == ("completed", "released")
        inquiry = s.execute(select(MediaInquiry).where(MediaInquiry.instance_id == iid)).scalar_one()
        doc = s.get(Document, inquiry.document_id)
        assert doc.kind == "media_release" and doc.reg_number == "MI-2026-00001"
        import hashlib
        assert doc.public["answer_sha256"] == hashlib.sha256("Зертхана қаңтарда ашылады.".encode()).hexdigest()
        assert inquiry.answer_sha256 == doc.public["answer_sha256"]
        assert [u["unit"] for u in doc.public["units"]] == ["FE-IS", "AMD"]


def test_bad_routing_is_refused_and_changes_nothing(act, factory):
    iid = registered(act)
    cases = [
        ({"source": "employee"}, "source"),  # neither a public person nor an expert
        ({"source": "nobody.here"}, "source"),
        ({"units": [{"unit": "FE-IS", "urgency": "soon"}]}, "units.0.urgency"),
        ({"units": [{"unit": "FE-IS", "urgency": "current", "term": "2026-11-05T10:00"}]}, "units.0.term"),
        ({"units": [{"unit": "FE-IS", "urgency": "urgent", "term": "2026-11-09T10:00"}]}, "units.0.term"),
        ({"units": [{"unit": "REGISTRY", "urgency": "urgent"}]}, "units.0.unit"),  # no head
        ({"units": [{"unit": "NOPE", "urgency": "urgent"}]}, "units.0.unit"),
        ({"units": [{"unit": "FE-IS", "urgency": "urgent"}, {"unit": "FE-IS", "urgency": "deep"}]}, "units.1.unit"),
        ({"units": []}, "units"),
    ]
    for body, field in cases:
        with pytest.raises(Invalid) as err:
            route(act, iid, **body)
        assert field in err.value.errors, (body, err.value.errors)
    with factory() as s:
        assert s.execute(select(func.count(MediaAsk.id))).scalar_one() == 0
        assert s.execute(select(MediaInquiry.source_id)).scalar_one() is None
    assert task_of(act, "mcd.specialist", iid, "Task_Route")


def test_a_stated_term_for_a_current_request(act, factory):
    iid = registered(act)
    route(act, iid, units=[{"unit": "AMD", "urgency": "current", "term": "2026-11-12T18:00"}])
    assert asks(factory, iid)["AMD"].due_at == datetime(2026, 11, 12, 13, 0, tzinfo=UTC)  # 18:00 Almaty


def test_one_matter_one_source(act, factory):
    first = registered(act)
    route(act, first, source="vr.academic")
    second = registered(act, subject="Жаңа зертхана ашылуы")
    # Kelisim proposes the earlier inquiry on the same matter, with its source
    task = task_of(act, "mcd.specialist", second, "Task_Route")
    values = act("mcd.specialist", instances.prefill, task)
    assert values["related_to"] == first and values["source"] == "vr.academic"
    with pytest.raises(Invalid) as err:
        route(act, second, source="rector", related_to=first)
    assert "source" in err.value.errors
    with pytest.raises(Forbidden):  # only the head of MCD overrides
        route(act, second, source="rector", related_to=first, override_reason="The rector speaks on budgets")
    route(act, second, source="vr.academic", related_to=first)
    third = registered(act, user="mcd.head")
    route(act, third, user="mcd.head", source="rector", related_to=first,
          override_reason="The rector speaks on budgets")
    (entry,) = events(factory, third, "source_overridden")
    assert entry.data["required"] == "vr.academic" and entry.data["chosen"] == "rector"
    assert entry.clause == "§3.8" and entry.actor == "mcd.head"


def test_not_our_competence_and_another_unit(act, factory, frozen):
    iid = registered(act)
    route(act, iid, units=[{"unit": "AMD", "urgency": "deep"}])
    with pytest.raises(Invalid) as err:
        answer(act, iid, "amd.head", unit_outcome="not_competent", answers={})
    assert "reason" in err.value.errors
    frozen.move_to(NOW + timedelta(hours=1))
    answer(act, iid, "amd.head", unit_outcome="not_competent", answers={}, accuracy_confirmed=False,
           reason="Зертхана — кафедраның ісі")
    redirect = task_of(act, "mcd.specialist", iid, "Task_Redirect")
    with pytest.raises(Invalid) as err:
        act("mcd.specialist", instances.complete_task, redirect.id,
            {"redirect": "ask", "unit": "AMD", "urgency": "urgent"})
    assert "unit" in err.value.errors
    act("mcd.specialist", instances.complete_task, redirect.id,
        {"redirect": "ask", "unit": "FE-IS", "urgency": "urgent"})
    got = asks(factory, iid)
    assert got["AMD"].status == "not_competent"
    assert got["FE-IS"].due_at == NOW + timedelta(hours=4)  # a new clock, from the redirect
    assert got["FE-IS"].redirected_from_id == got["AMD"].id
    answer(act, iid, "unit.head")
    assert task_of(act, "mcd.specialist", iid, "Task_Consolidate")


def test_answers_must_cover_every_question_and_be_confirmed(act, factory):
    iid = registered(act)
    route(act, iid)
    with pytest.raises(Invalid) as err:
        answer(act, iid, "unit.head", answers={"1": "Иә"}, accuracy_confirmed=False)
    assert {"answers.2", "accuracy_confirmed"} <= set(err.value.errors)
    assert asks(factory, iid)["FE-IS"].status == "open"


def test_a_worker_down_through_the_deadline_escalates_once_with_the_real_breach(act, factory, services, frozen):
    iid = registered(act)
    route(act, iid)  # urgent: due 13:00
    frozen.move_to(NOW + timedelta(hours=10))
    tick(factory, services)
    assert [e.data["reminder"] for e in events(factory, iid, "reminder_skipped")] == ["half", "soon"]
    assert events(factory, iid, "reminder_sent") == []
    (missed,) = events(factory, iid, "deadline_missed")
    assert missed.data["late_seconds"] == 7 * 3600
    tick(factory, services)
    assert len(events(factory, iid, "deadline_missed")) == 1


def test_rejected_by_the_source_and_revision(act, factory):
    iid = registered(act)
    route(act, iid)
    answer(act, iid, "unit.head")
    consolidate = task_of(act, "mcd.specialist", iid, "Task_Consolidate")
    act("mcd.specialist", instances.complete_task, consolidate.id, {"answer_text": "Бірінші нұсқа"})
    clear = task_of(act, "rector", iid, "Task_Clear")
    with pytest.raises(Invalid):
        act("rector", instances.complete_task, clear.id, {"decision": "revise"})
    with pytest.raises(Forbidden):  # only the source clears
        act("mcd.head", instances.complete_task, clear.id, {"decision": "approve"})
    act("rector", instances.complete_task, clear.id, {"decision": "revise", "comment": "Қысқартыңыз"})
    consolidate = task_of(act, "mcd.specialist", iid, "Task_Consolidate")
    assert act("mcd.specialist", instances.prefill, consolidate)["answer_text"] == "Бірінші нұсқа"
    act("mcd.specialist", instances.complete_task, consolidate.id, {"answer_text": "Екінші нұсқа"})
    act("rector", instances.complete_task, task_of(act, "rector", iid, "Task_Clear").id,
        {"decision": "reject", "comment": "БАҚ-қа жауап бермейміз"})
    with factory() as s:
        inst = s.get(Instance, iid)
        assert inst.outcome == "rejected"
        assert s.execute(select(MediaInquiry.document_id).where(MediaInquiry.instance_id == iid)).scalar() is None


def test_answering_after_the_case_was_cancelled_is_refused(act, factory):
    iid = registered(act)
    route(act, iid)
    task = task_of(act, "unit.head", iid, "Task_Answer")
    act("admin", flow.cancel, iid, "Журналист сұрағын қайтарып алды")
    with pytest.raises(Conflict):
        act("unit.head", instances.complete_task, task.id,
            {"unit_outcome": "answered", "answers": {"1": "a", "2": "b"}, "accuracy_confirmed": True})
    assert asks(factory, iid)["FE-IS"].status == "closed"
    with factory() as s:
        assert s.get(InboxTask, task.id).state != "ready"


def test_the_head_of_mcd_takes_a_specialists_routing_to_override_the_source(act, factory):
    first = registered(act)
    route(act, first, source="vr.academic")
    second = registered(act)
    task = task_of(act, "mcd.specialist", second, "Task_Route")
    assert "mcd.head" in [u.username for u in act("mcd.head", flow.eligible_assignees, task)]
    act("mcd.head", flow.reassign, task.id, "mcd.head", "Басқа дереккөз керек")
    route(act, second, user="mcd.head", source="rector", related_to=first, override_reason="Бюджет — ректордың ісі")
    assert events(factory, second, "source_overridden")[0].actor == "mcd.head"


def _pool(factory, *members):
    """A new edition of the expert pool holding (username, topics, term_until) members."""
    from datetime import date

    from storage.models import ExpertPoolEdition, ExpertPoolMember

    with factory() as s, s.begin():
        number = (s.execute(select(func.max(ExpertPoolEdition.number))).scalar() or 0) + 1
        edition = ExpertPoolEdition(number=number, approved_at=NOW, changes=[])
        s.add(edition)
        s.flush()
        for username, topics, until in members:
            user = s.execute(select(User).where(User.username == username)).scalar_one()
            s.add(ExpertPoolMember(edition_id=edition.id, user_id=user.id, topics=topics,
                                   search_text=" ".join(topics).lower(), languages=["kk"], formats=["tv"],
                                   term_until=date.fromisoformat(until)))


def test_an_expert_of_the_pool_may_be_the_source_until_the_term_ends(act, factory):
    _pool(factory, ("employee", ["зертхана", "ғылым"], "2026-12-31"), ("employee2", ["спорт"], "2026-11-05"))
    iid = registered(act)
    task = task_of(act, "mcd.specialist", iid, "Task_Route")
    details = act("mcd.specialist", lambda c: kind_of(KEY).details(c, c.session.get(Instance, iid)))
    fitting = [c["user"].username for c in details["source_candidates"] if c["fits"]]
    assert fitting == ["employee"]  # the subject "Жаңа зертхана" fits their topics
    assert "employee2" not in [c["user"].username for c in details["source_candidates"]]  # term ended
    with pytest.raises(Invalid) as err:
        route(act, iid, source="employee2")
    assert "05.11.2026" in str(err.value.errors["source"].params)
    route(act, iid, source="employee")
    with factory() as s:
        assert s.execute(select(MediaInquiry.source_id)).scalar() is not None
    assert task.name == "Task_Route"
