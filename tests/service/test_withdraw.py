"""Withdrawing a submission (issue 10, point 13): by its submitter, with a reason, before it is decided."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import processes.speech_clearance.kind  # noqa: F401 - registers the process kind
from processes.usecases import instances, queries
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound
from storage import audit
from storage.models import AuditEvent, InboxTask, Instance, InstanceState, Notification, User
from tests.service.helpers import load, my_task, start_and_submit


def _notes(factory, username):
    with factory() as s:
        uid = s.execute(select(User.id).where(User.username == username)).scalar_one()
        return [(n.kind, n.params) for n in s.execute(select(Notification).where(Notification.user_id == uid))
                .scalars()]


def test_submitter_withdraws_before_the_decision(act, factory):
    iid = start_and_submit(act)  # with vr.finance now
    task = my_task(act, "vr.finance", iid)
    inst = act("employee", instances.withdraw, iid, "  Іс-шара өткізілмейді  ")
    assert (inst.status, inst.outcome) == ("completed", "withdrawn")
    row = load(factory, iid)
    assert (row.status, row.outcome, row.next_timer_at) == ("completed", "withdrawn", None)
    assert row.completed_at is not None and row.holder is None
    with factory() as s:
        assert s.get(InboxTask, task.id).state == "cancelled"
        event = s.execute(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                   AuditEvent.action == "instance_withdrawn")).scalar_one()
        assert s.get(InstanceState, iid) is not None  # nothing deleted
        assert audit.verify(s).ok
    entry = [e for e in act("employee", lambda c: queries.timeline(c, c.session.get(Instance, iid)))
             if e.action == "instance_withdrawn"][0]
    assert entry.data["reason"] == "Іс-шара өткізілмейді" and entry.clause == "§8.6"
    assert entry.data["open_tasks"] == ["Task_Decide"] and entry.data["told"] == ["vr.finance"]
    assert event.actor == "employee"
    assert ("withdrawn", {"title": row.title, "reason": "Іс-шара өткізілмейді", "process": "speech_clearance"}) \
        in _notes(factory, "vr.finance")
    assert act("vr.finance", lambda c: [t for t in queries.inbox(c) if t.instance_id == iid]) == []
    with pytest.raises(Conflict):  # once only
        act("employee", instances.withdraw, iid, "again")


def test_withdrawn_instance_does_not_come_back_through_timers(act, factory):
    iid = start_and_submit(act)
    act("employee", instances.withdraw, iid, "no longer needed")
    run = act("employee", lambda c: instances.restore_run(c, c.session.get(Instance, iid)))
    assert run.is_completed() and run.ready_user_tasks() == [] and run.next_timer_at() is None


def test_a_request_for_revision_is_not_a_decision(act, factory):
    iid = start_and_submit(act)
    act("vr.finance", instances.complete_task, my_task(act, "vr.finance", iid).id,
        {"decision": "revise", "comment": "Қысқартыңыз"})
    assert act("employee", lambda c: instances.may_withdraw(c, c.session.get(Instance, iid)))
    act("employee", instances.withdraw, iid, "Мәтін дайын емес")
    assert load(factory, iid).outcome == "withdrawn"


def test_after_the_decision_it_is_a_conflict_and_nothing_changes(act, factory):
    iid = start_and_submit(act)
    act("vr.finance", instances.complete_task, my_task(act, "vr.finance", iid).id, {"decision": "approve"})
    assert not act("employee", lambda c: instances.may_withdraw(c, c.session.get(Instance, iid)))
    with pytest.raises(Conflict):
        act("employee", instances.withdraw, iid, "too late")
    assert load(factory, iid).outcome == "approved"


def test_not_required_cannot_be_withdrawn(act, factory):
    iid = start_and_submit(act, categories=[])
    with pytest.raises(Conflict):
        act("employee", instances.withdraw, iid, "x")


@pytest.mark.parametrize("reason", ["", "   ", None, 5])
def test_a_reason_is_required(act, factory, reason):
    iid = start_and_submit(act)
    with pytest.raises(Invalid) as caught:
        act("employee", instances.withdraw, iid, reason)
    assert "reason" in caught.value.errors
    assert load(factory, iid).status == "running"


def test_only_the_submitter_withdraws(act, factory):
    iid = start_and_submit(act)
    with pytest.raises(Forbidden):  # may see it (holds its task), may not withdraw it
        act("vr.finance", instances.withdraw, iid, "x")
    with pytest.raises(NotFound):  # may not even see it
        act("employee2", instances.withdraw, iid, "x")
    with pytest.raises(NotFound):
        act("employee", instances.withdraw, 999999, "x")
    assert load(factory, iid).status == "running"


def test_information_request_is_decided_by_the_rector(act, factory):
    from tests.service import test_information_request as ir_tests

    before = ir_tests.register(act)
    act("registry", instances.withdraw, before, "The requester withdrew the letter")
    assert ir_tests.row(factory, before).outcome == "withdrawn"
    decided = ir_tests.register(act, requester_name="Басқа")
    ir_tests.provide(act, decided)
    with pytest.raises(Conflict):
        act("registry", instances.withdraw, decided, "too late")
