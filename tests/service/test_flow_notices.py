"""Claim and release tell the other holders of the queue (in-app and e-mail); the holder recalls a task a
colleague is preparing (issue 12, points 10 and 12)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import processes.material_signoff.kind  # noqa: F401 - registers the process kind
import processes.speech_clearance.kind  # noqa: F401 - registers the process kind
from processes.usecases import flow, instances, notifications, queries
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound
from storage import audit
from storage.models import AuditEvent, InboxTask, Notification, OutboxMail, User, UserRole
from tests.service.helpers import my_task, start_and_submit
from tests.service.test_material_signoff import CHECK_OK, submit


def _uid(factory, username) -> int:
    with factory() as s:
        return s.execute(select(User.id).where(User.username == username)).scalar_one()


def _notes(factory, kind) -> dict[str, list[dict]]:
    """username → the params of their notices of this kind."""
    with factory() as s:
        rows = s.execute(select(User.username, Notification.params).join(User, Notification.user_id == User.id)
                         .where(Notification.kind == kind).order_by(Notification.id)).all()
    found: dict[str, list[dict]] = {}
    for username, params in rows:
        found.setdefault(username, []).append(params)
    return found


def _events(factory, iid, action):
    with factory() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.instance_id == iid, AuditEvent.action == action)
                              .order_by(AuditEvent.seq)).scalars())


@pytest.fixture
def queued(act, factory):
    """unit.head's material in the MCD specialists' queue, served by mcd.specialist, employee2 and
    dean.engineering (granted here)."""
    with factory() as s:
        for username in ("employee2", "dean.engineering"):
            s.add(UserRole(user_id=_uid(factory, username), role="mcd_specialist"))
        s.commit()
    iid = submit(act)
    task = next(t for t in act("mcd.specialist", queries.inbox) if t.instance_id == iid)
    return iid, task.id


# --- claim and release ---------------------------------------------------------------------------------

def test_a_claim_tells_the_other_holders_not_the_claimant(act, factory, queued):
    iid, tid = queued
    act("employee2", flow.claim, tid)
    told = _notes(factory, "task_claimed")
    assert set(told) == {"mcd.specialist", "dean.engineering"}  # not employee2, not the submitter
    with factory() as s:
        name = s.execute(select(User.full_name).where(User.username == "employee2")).scalar_one()
    assert told["mcd.specialist"][0]["by"] == name
    assert told["mcd.specialist"][0]["process"] == "material_signoff"
    with factory() as s:
        notes = s.execute(select(Notification).where(Notification.kind == "task_claimed")).scalars().all()
    assert {n.instance_id for n in notes} == {iid}
    # the notice shows in their list (and counts as unread) though the task left their queue
    page = act("mcd.specialist", notifications.page)
    assert any(n.note.kind == "task_claimed" and n.unread for n in page.notices)


def test_a_release_tells_the_others_it_is_back(act, factory, queued):
    _iid, tid = queued
    act("mcd.specialist", flow.claim, tid)
    assert _notes(factory, "task_released") == {}
    act("mcd.specialist", flow.release, tid)
    told = _notes(factory, "task_released")
    assert set(told) == {"employee2", "dean.engineering"}
    assert tid in {t.id for t in act("employee2", queries.inbox)}  # and it is in their queue again


def test_a_refused_claim_tells_nobody(act, factory, queued):
    _iid, tid = queued
    act("employee2", flow.claim, tid)
    with pytest.raises(Conflict):
        act("dean.engineering", flow.claim, tid)
    assert set(_notes(factory, "task_claimed")) == {"mcd.specialist", "dean.engineering"}  # once, by employee2
    assert sum(len(v) for v in _notes(factory, "task_claimed").values()) == 2


def test_claim_and_release_write_emails_in_the_recipients_language(act, factory, services, queued):
    from tests.service.helpers import with_mail

    with_mail(services, 2525)  # the e-mails wait in the outbox
    _iid, tid = queued
    with factory() as s:
        s.execute(User.__table__.update().where(User.username == "dean.engineering").values(locale="ru"))
        s.commit()
    act("employee2", flow.claim, tid)
    act("employee2", flow.release, tid)
    with factory() as s:
        mails = [(m.recipient, m.subject, m.body) for m in s.execute(select(OutboxMail).order_by(OutboxMail.id))
                 .scalars()]
    to = {r for r, _s, _b in mails}
    assert "employee2@kineu.example" not in to
    assert {"mcd.specialist@kineu.example", "dean.engineering@kineu.example"} <= to
    russian = [(s, b) for r, s, b in mails if r == "dean.engineering@kineu.example"]
    assert len(russian) == 2
    assert all("Kelisim" in s and "%(" not in b for s, b in russian)
    assert "очеред" in russian[0][0] and "очеред" in russian[1][0]  # "queue", in Russian, not the msgid


# --- recall ----------------------------------------------------------------------------------------------

def test_the_holder_recalls_a_delegated_task_and_the_colleague_is_told(act, factory):
    iid = start_and_submit(act)
    task = my_task(act, "vr.finance", iid)
    with pytest.raises(Conflict):  # nobody prepares it yet
        act("vr.finance", flow.recall, task.id, "")
    act("vr.finance", flow.delegate, task.id, "employee2", "Please check the figures")
    with pytest.raises(Forbidden):  # the colleague cannot recall it, nor the submitter
        act("employee2", flow.recall, task.id, "")
    with pytest.raises(Forbidden):
        act("employee", flow.recall, task.id, "")
    with pytest.raises(Invalid):
        act("vr.finance", flow.recall, task.id, "x" * 2001)
    act("vr.finance", flow.recall, task.id, "I will do it myself")
    row = act("vr.finance", lambda c: c.session.get(InboxTask, task.id))
    assert row.delegated_to_id is None and row.state == "ready" and row.assignee.username == "vr.finance"
    told = _notes(factory, "task_recalled")
    assert set(told) == {"employee2"} and told["employee2"][0]["comment"] == "I will do it myself"
    recalled = _events(factory, iid, "task_recalled")
    assert len(recalled) == 1 and recalled[0].actor == "vr.finance"
    assert recalled[0].data["from"] == "employee2" and recalled[0].comment == "I will do it myself"
    # the colleague can no longer prepare it, nor even see the case; recalling again is refused
    with pytest.raises(NotFound):
        act("employee2", flow.return_task, task.id, "done", {"decision": "approve"})
    assert task.id not in {t.id for t in act("employee2", queries.inbox)}
    with pytest.raises(Conflict):
        act("vr.finance", flow.recall, task.id, "")
    # the holder decides
    act("vr.finance", instances.complete_task, task.id, {"decision": "approve"})
    assert _events(factory, iid, "task_completed")[-1].actor == "vr.finance"
    with factory() as s:
        assert audit.verify(s).ok


def test_a_recall_keeps_what_was_prepared_before(act, factory):
    iid = start_and_submit(act)
    task = my_task(act, "vr.finance", iid)
    act("vr.finance", flow.delegate, task.id, "employee2", "check")
    draft = {"decision": "revise", "comment": "Сандарды тексеріңіз"}
    act("employee2", flow.return_task, task.id, "first pass", draft)
    act("vr.finance", flow.delegate, task.id, "employee2", "once more")
    act("vr.finance", flow.recall, task.id, "")
    row = act("vr.finance", lambda c: c.session.get(InboxTask, task.id))
    assert row.draft == draft  # nothing a user submitted is deleted
    assert act("vr.finance", lambda c: instances.prefill(c, instances.task_for(c, task.id))) == draft
    assert _events(factory, iid, "task_recalled")[0].data["draft"] == draft
    assert _events(factory, iid, "task_returned")[0].data["draft"] == draft


def test_a_recall_after_the_return_or_completion_is_refused(act, factory):
    iid = start_and_submit(act)
    task = my_task(act, "vr.finance", iid)
    act("vr.finance", flow.delegate, task.id, "employee2", "check")
    act("employee2", flow.return_task, task.id, "done", {"decision": "approve"})
    with pytest.raises(Conflict):  # returned already
        act("vr.finance", flow.recall, task.id, "")
    act("vr.finance", instances.complete_task, task.id, {"decision": "approve"})
    with pytest.raises(Conflict):  # completed
        act("vr.finance", flow.recall, task.id, "")
    assert _events(factory, iid, "task_recalled") == []


def test_queue_task_recall_by_whoever_claimed_it(act, factory, queued):
    _iid, tid = queued
    act("mcd.specialist", flow.claim, tid)
    act("mcd.specialist", flow.delegate, tid, "employee", "help")
    with pytest.raises(Forbidden):  # another holder of the queue's role does not hold this task
        act("employee2", flow.recall, tid, "")
    act("mcd.specialist", flow.recall, tid, "")
    assert set(_notes(factory, "task_recalled")) == {"employee"}
    with pytest.raises(NotFound):  # the colleague no longer sees it
        act("employee", flow.return_task, tid, "ok")
    act("mcd.specialist", instances.complete_task, tid, {"decision": "approve", "checklist": CHECK_OK})
