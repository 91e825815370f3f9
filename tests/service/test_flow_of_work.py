"""The flow of work (issue 12, points 8–12): queues (claim, release; a concurrent claim has one winner),
reassign, delegate and return, cancel — each audited, notified and refused with a clear error."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

import processes.material_signoff.kind  # noqa: F401 - registers the process kind
import processes.speech_clearance.kind  # noqa: F401 - registers the process kind
from processes.usecases import flow, instances, queries
from processes.usecases.access import can_view_instance
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound
from storage import audit
from storage.models import AuditEvent, InboxTask, Instance, Notification, OutboxMail, User, UserRole
from tests.conftest import PG_URL
from tests.service.helpers import load, my_task, start_and_submit
from tests.service.test_material_signoff import CHECK_OK, submit


def _user(factory, username) -> User:
    with factory() as s:
        return s.execute(select(User).where(User.username == username)).scalar_one()


def _grant(factory, username, role):
    with factory() as s:
        s.add(UserRole(user_id=_user(factory, username).id, role=role))
        s.commit()


def _task(factory, task_id) -> InboxTask:
    with factory() as s:
        return s.get(InboxTask, task_id)


def _events(factory, iid, action):
    with factory() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.instance_id == iid, AuditEvent.action == action)
                              .order_by(AuditEvent.seq)).scalars())


def _notes(factory, username, kind):
    uid = _user(factory, username).id
    with factory() as s:
        return [n.params for n in s.execute(select(Notification).where(Notification.user_id == uid,
                                                                       Notification.kind == kind)).scalars()]


def _inbox_ids(act, username):
    return {t.id for t in act(username, queries.inbox)}


@pytest.fixture
def queued(act, factory):
    """unit.head's material waiting in the MCD specialists' queue, which employee2 also serves."""
    _grant(factory, "employee2", "mcd_specialist")
    iid = submit(act)
    task = next(t for t in act("mcd.specialist", queries.inbox) if t.instance_id == iid)
    assert task.assignee_id is None and task.role == "mcd_specialist"
    return iid, task.id


# --- queues ------------------------------------------------------------------------------------------

def test_claim_takes_the_task_out_of_the_others_queue_and_release_puts_it_back(act, factory, queued):
    iid, tid = queued
    assert tid in _inbox_ids(act, "mcd.specialist") and tid in _inbox_ids(act, "employee2")
    claimed = act("employee2", flow.claim, tid)
    assert claimed.claimed_at is not None
    row = _task(factory, tid)
    assert row.assignee_id == _user(factory, "employee2").id and row.role == "mcd_specialist"
    assert tid in _inbox_ids(act, "employee2") and tid not in _inbox_ids(act, "mcd.specialist")
    with pytest.raises(Forbidden):  # no longer theirs to complete (they still see the case: 403, not 404)
        act("mcd.specialist", instances.complete_task, tid, {"decision": "approve", "checklist": CHECK_OK})
    with pytest.raises(Conflict):
        act("mcd.specialist", flow.claim, tid)
    with pytest.raises(Forbidden):  # only who claimed it releases it
        act("unit.head", flow.release, tid)
    act("employee2", flow.release, tid)
    row = _task(factory, tid)
    assert (row.assignee_id, row.claimed_at, row.role) == (None, None, "mcd_specialist")
    assert tid in _inbox_ids(act, "mcd.specialist")
    claims, releases = _events(factory, iid, "task_claimed"), _events(factory, iid, "task_released")
    assert [e.actor for e in claims] == ["employee2"] and [e.actor for e in releases] == ["employee2"]
    assert claims[0].data == {"role": "mcd_specialist", "assignee": "employee2"}
    with factory() as s:
        assert audit.verify(s).ok


def test_claim_refusals(act, factory, queued):
    iid, tid = queued
    with pytest.raises(NotFound):  # someone outside the case does not even learn it exists
        act("employee", flow.claim, tid)
    with pytest.raises(Forbidden):  # the submitter sees the case but holds no role of the queue
        act("unit.head", flow.claim, tid)
    act("mcd.specialist", flow.claim, tid)
    with pytest.raises(Conflict):  # already claimed, twice
        act("mcd.specialist", flow.claim, tid)
    act("mcd.specialist", instances.complete_task, tid, {"decision": "approve", "checklist": CHECK_OK})
    with pytest.raises((Conflict, NotFound)):
        act("employee2", flow.claim, tid)
    with pytest.raises(Conflict):  # a completed task is not released
        act("mcd.specialist", flow.release, tid)


def test_person_task_is_not_claimed_or_released(act, factory):
    iid = start_and_submit(act)
    task = my_task(act, "vr.finance", iid)
    with pytest.raises(Conflict):
        act("vr.finance", flow.claim, task.id)
    with pytest.raises(Conflict):
        act("vr.finance", flow.release, task.id)


def _race(act, tid: str, usernames=("mcd.specialist", "employee2")) -> dict[str, str]:
    """Two people claim one task at the same moment, each in their own session and transaction."""
    barrier, results, lock = threading.Barrier(len(usernames)), {}, threading.Lock()

    def attempt(username):
        barrier.wait()
        try:
            act(username, flow.claim, tid)
            outcome = "ok"
        except Conflict:
            outcome = "conflict"
        except Exception as exc:  # noqa: BLE001 - any other outcome is the failure we look for
            outcome = f"error: {exc!r}"
        with lock:
            results[username] = outcome

    threads = [threading.Thread(target=attempt, args=(u,)) for u in usernames]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.skipif(not PG_URL, reason="the row lock is PostgreSQL's; SQLite serialises every writer")
def test_concurrent_claim_on_postgresql_exactly_one_wins(act, factory):
    _grant(factory, "employee2", "mcd_specialist")
    for _ in range(3):
        iid = submit(act)
        tid = next(t for t in act("mcd.specialist", queries.inbox) if t.instance_id == iid).id
        results = _race(act, tid)
        assert sorted(results.values()) == ["conflict", "ok"], results
        winner = next(u for u, r in results.items() if r == "ok")
        assert _task(factory, tid).assignee_id == _user(factory, winner).id
        assert [e.actor for e in _events(factory, iid, "task_claimed")] == [winner]


def test_concurrent_claims_one_wins_on_any_database(act, factory, queued):
    """The same race on SQLite too (serialised by its write lock): one claim, one 409."""
    iid, tid = queued
    results = _race(act, tid)
    assert sorted(results.values()) == ["conflict", "ok"], results
    assert len(_events(factory, iid, "task_claimed")) == 1


# --- reassign ----------------------------------------------------------------------------------------

def test_head_of_mcd_reassigns_a_queue_task_with_a_reason(act, factory, queued):
    iid, tid = queued
    act("mcd.specialist", flow.claim, tid)
    with pytest.raises(Forbidden):  # a colleague of the queue is not its head
        act("employee2", flow.reassign, tid, "mcd.specialist", "x")
    with pytest.raises(Invalid) as refused:
        act("mcd.head", flow.reassign, tid, "employee2", "  ")
    assert "reason" in refused.value.errors
    with pytest.raises(Invalid) as refused:  # the submitter never receives their own case
        act("mcd.head", flow.reassign, tid, "unit.head", "holiday")
    assert "to" in refused.value.errors
    with pytest.raises(Invalid):  # someone without the role
        act("mcd.head", flow.reassign, tid, "employee", "holiday")
    act("mcd.head", flow.reassign, tid, "employee2", "Айгерім is at a conference")
    row = _task(factory, tid)
    assert row.assignee_id == _user(factory, "employee2").id and row.claimed_at is not None
    event = _events(factory, iid, "task_reassigned")[0]
    assert event.actor == "mcd.head" and event.data == {
        "role": "mcd_specialist", "from": "mcd.specialist", "to": "employee2", "reason": "Айгерім is at a conference"}
    assert _notes(factory, "employee2", "task_assigned")[-1]["reason"] == "Айгерім is at a conference"
    assert _notes(factory, "mcd.specialist", "task_reassigned")[0]["to"] == _user(factory, "employee2").full_name
    assert tid in _inbox_ids(act, "employee2") and tid not in _inbox_ids(act, "mcd.specialist")
    act("employee2", flow.release, tid)  # a reassigned queue task can go back to the queue


def test_disabled_person_is_refused_and_admin_reassigns_a_person_task(act, factory):
    iid = start_and_submit(act)  # with vr.finance (a public person's task)
    task = my_task(act, "vr.finance", iid)
    with pytest.raises(Forbidden):  # the submitter sees the task but may not move it
        act("employee", flow.reassign, task.id, "rector", "x")
    with pytest.raises(NotFound):  # the head of MCD owns no public person's task: it is not theirs to see
        act("mcd.head", flow.reassign, task.id, "rector", "x")
    with factory() as s:
        s.execute(select(User).where(User.username == "vr.academic")).scalar_one().is_active = False
        s.commit()
    with pytest.raises(Invalid) as refused:
        act("admin", flow.reassign, task.id, "vr.academic", "away")
    assert "disabled" in refused.value.errors["to"].msgid
    act("admin", flow.reassign, task.id, "rector", "vr.finance is away")
    assert _task(factory, task.id).assignee_id == _user(factory, "rector").id
    assert _task(factory, task.id).claimed_at is None  # a person's task stays a person's task
    with pytest.raises(Conflict):
        act("rector", flow.release, task.id)
    act("rector", instances.complete_task, task.id, {"decision": "approve"})
    with pytest.raises(Conflict):  # completed: nothing to reassign
        act("admin", flow.reassign, task.id, "vr.finance", "x")


# --- delegate and return -----------------------------------------------------------------------------

def test_delegate_prepares_a_draft_and_the_holder_decides(act, factory):
    iid = start_and_submit(act)
    task = my_task(act, "vr.finance", iid)
    with pytest.raises(NotFound):  # before: the adviser does not see the case
        act("employee2", instances.task_for, task.id)
    with pytest.raises(Invalid):  # never the submitter
        act("vr.finance", flow.delegate, task.id, "employee", "check")
    with pytest.raises(Forbidden):  # only the holder delegates (the submitter sees the task, does not hold it)
        act("employee", flow.delegate, task.id, "employee2", "check")
    with pytest.raises(NotFound):  # someone outside the case does not learn of it
        act("rector", flow.delegate, task.id, "employee2", "check")
    act("vr.finance", flow.delegate, task.id, "employee2", "Please check the figures")
    with pytest.raises(Conflict):
        act("vr.finance", flow.delegate, task.id, "dean.engineering", "again")
    assert task.id in _inbox_ids(act, "employee2")
    assert act("employee2", lambda c: can_view_instance(c.session, c.me, c.session.get(Instance, iid)))
    assert _notes(factory, "employee2", "task_delegated")[0]["comment"] == "Please check the figures"
    with pytest.raises(Forbidden):  # the decision is always the holder's
        act("employee2", instances.complete_task, task.id, {"decision": "approve"})
    with pytest.raises(Forbidden):  # the holder does not "return" it
        act("vr.finance", flow.return_task, task.id, "x")
    with pytest.raises(Invalid):
        act("employee2", flow.return_task, task.id, "ok", {"no_such_field": 1})
    row = act("employee2", lambda c: instances.task_for(c, task.id))
    draft = flow.draft_values(row, {"decision": ["revise"], "comment": ["Сандарды тексеріңіз"], "bogus": ["x"]})
    assert draft == {"decision": "revise", "comment": "Сандарды тексеріңіз"}
    act("employee2", flow.return_task, task.id, "Figures on p. 2 are wrong", draft)
    row = _task(factory, task.id)
    assert row.delegated_to_id is None and row.draft == draft
    assert row.delegation_comment == "Figures on p. 2 are wrong" and row.state == "ready"
    assert act("vr.finance", lambda c: instances.prefill(c, instances.task_for(c, task.id))) == draft
    assert act("vr.finance", lambda c: flow.prepared_by(c, c.session.get(InboxTask, task.id))) == \
        _user(factory, "employee2").full_name
    assert _notes(factory, "vr.finance", "task_returned")[0]["comment"] == "Figures on p. 2 are wrong"
    returned = _events(factory, iid, "task_returned")[0]
    assert returned.actor == "employee2" and returned.data["draft"] == draft
    assert _events(factory, iid, "task_delegated")[0].data["to"] == "employee2"
    with pytest.raises(NotFound):  # returned: the adviser no longer sees it
        act("employee2", flow.return_task, task.id, "again")
    act("vr.finance", instances.complete_task, task.id, {"decision": "revise", "comment": "Сандарды тексеріңіз"})
    assert _events(factory, iid, "task_completed")[-1].actor == "vr.finance"


def test_queue_task_is_claimed_before_delegating(act, factory, queued):
    iid, tid = queued
    with pytest.raises(Conflict):
        act("mcd.specialist", flow.delegate, tid, "employee2", "help")
    act("mcd.specialist", flow.claim, tid)
    act("mcd.specialist", flow.delegate, tid, "employee", "help")
    with pytest.raises(Conflict):  # while a colleague prepares it, it stays with its holder
        act("mcd.specialist", flow.release, tid)


# --- cancel --------------------------------------------------------------------------------------------

def test_administrator_cancels_a_running_case(act, factory):
    iid = start_and_submit(act)
    task = my_task(act, "vr.finance", iid)
    act("vr.finance", flow.delegate, task.id, "employee2", "check")
    with pytest.raises(Forbidden):
        act("employee", flow.cancel, iid, "mine")
    with pytest.raises(Invalid):
        act("admin", flow.cancel, iid, " ")
    with pytest.raises(NotFound):
        act("admin", flow.cancel, 999999, "x")
    inst = act("admin", flow.cancel, iid, "Duplicate of another case")
    assert (inst.status, inst.outcome) == ("cancelled", "cancelled")
    row = load(factory, iid)
    assert (row.status, row.outcome, row.next_timer_at, row.holder) == ("cancelled", "cancelled", None, None)
    assert _task(factory, task.id).state == "cancelled"
    event = _events(factory, iid, "instance_cancelled")[0]
    assert event.actor == "admin" and event.data["reason"] == "Duplicate of another case"
    assert event.data["told"] == ["employee", "employee2", "vr.finance"]
    for username in ("employee", "vr.finance", "employee2"):
        assert _notes(factory, username, "cancelled")[0]["reason"] == "Duplicate of another case"
    assert task.id not in _inbox_ids(act, "vr.finance")
    with pytest.raises(Conflict):
        act("admin", flow.cancel, iid, "again")
    with factory() as s:
        assert audit.verify(s).ok


def test_each_step_writes_its_email_when_mail_is_configured(act, factory, services):
    from tests.service.helpers import with_mail

    with_mail(services, 2525)  # nothing is sent here: the e-mail waits in the outbox for the worker
    iid = start_and_submit(act)
    task = my_task(act, "vr.finance", iid)
    act("vr.finance", flow.delegate, task.id, "employee2", "Сандарды тексеріңіз")
    act("employee2", flow.return_task, task.id, "Дайын", {"decision": "approve"})
    act("admin", flow.reassign, task.id, "rector", "Демалыста")
    act("admin", flow.cancel, iid, "Қайталанған іс")
    with factory() as s:
        mails = {m.recipient: m for m in s.execute(select(OutboxMail)).scalars()}
        bodies = [m.body for m in s.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars()]
    assert "employee2@kineu.example" in mails and "vr.finance@kineu.example" in mails
    assert any("Сандарды тексеріңіз" in b for b in bodies)  # the delegation, in the delegate's language (kk)
    assert any("Дайын" in b for b in bodies)  # the return, to the holder
    assert any("Демалыста" in b for b in bodies)  # the reassignment, to both
    assert sum("Қайталанған іс" in b for b in bodies) >= 2  # the cancellation, to the submitter and the holder
