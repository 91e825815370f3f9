"""Reminder, escalation and expiry timers fired by the worker, racing user completions."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from processes.usecases import instances, timers
from processes.usecases.errors import Conflict
from processes.worker import tick
from storage import audit
from storage.models import AuditEvent, InboxTask, Notification, User
from tests.service.helpers import load, my_task, start_and_submit


def actions(factory, iid):
    with factory() as s:
        return s.execute(select(AuditEvent.action).where(AuditEvent.instance_id == iid)
                         .order_by(AuditEvent.seq)).scalars().all()


def notes_for(factory, username):
    with factory() as s:
        uid = s.execute(select(User.id).where(User.username == username)).scalar_one()
        return s.execute(select(Notification.kind).where(Notification.user_id == uid)).scalars().all()


def test_reminder_then_escalation_then_expiry(act, factory, services):
    iid = start_and_submit(act, event_date=None) if False else start_and_submit(act)
    due = load(factory, iid).due_at
    assert tick(factory, services) == 0  # nothing due yet
    with time_machine.travel(due - timedelta(days=3) + timedelta(minutes=1), tick=False):
        assert tick(factory, services) == 1
    assert "reminder" in notes_for(factory, "vr.finance")
    assert my_task(act, "vr.finance", iid).name == "Task_Decide"  # non-interrupting
    with time_machine.travel(due - timedelta(hours=23), tick=False):
        tick(factory, services)
    assert "escalation" in notes_for(factory, "mcd.head")
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        tick(factory, services)
    inst = load(factory, iid)
    assert (inst.status, inst.outcome) == ("completed", "expired")
    got = actions(factory, iid)
    assert got.count("timer_fired") == 3 and "reminder_sent" in got and "escalated" in got
    with factory() as s:
        states = s.execute(select(InboxTask.state).where(InboxTask.instance_id == iid,
                                                         InboxTask.name == "Task_Decide")).scalars().all()
        assert states == ["cancelled"]
        assert audit.verify(s).ok
    assert "outcome" in notes_for(factory, "employee")


def test_decision_after_the_event_date_is_refused(act, factory, services):
    iid = start_and_submit(act)
    due = load(factory, iid).due_at
    decide = my_task(act, "vr.finance", iid)
    with time_machine.travel(due + timedelta(minutes=5), tick=False):
        with pytest.raises(Conflict):
            act("vr.finance", instances.complete_task, decide.id, {"decision": "approve"})
        tick(factory, services)
    assert load(factory, iid).outcome == "expired"


def test_expiry_during_revision(act, factory, services):
    iid = start_and_submit(act)
    decide = my_task(act, "vr.finance", iid)
    act("vr.finance", instances.complete_task, decide.id, {"decision": "revise", "comment": "Shorter"})
    due = load(factory, iid).due_at
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        tick(factory, services)
    assert load(factory, iid).outcome == "expired"


def test_timer_and_completion_racing_one_path_wins(act, factory, services):
    """The worker fires late, after the approval: the instance stays approved, nothing fires."""
    iid = start_and_submit(act)
    decide = my_task(act, "vr.finance", iid)
    act("vr.finance", instances.complete_task, decide.id, {"decision": "approve"})
    due = load(factory, iid).due_at
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert tick(factory, services) == 0
        with factory() as s:
            assert timers.due_instance_ids(s, due + timedelta(minutes=1)) == []
    assert load(factory, iid).outcome == "approved"
    assert "timer_fired" not in actions(factory, iid)
