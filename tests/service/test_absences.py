"""Absence and substitution (issue 12, points 5–7): routing to substitutes, moves there and back, chains,
loops, overlapping absences, nobody acting on their own submission, who may record."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from processes import worker
from processes.university_time import start_of_day_utc, today_local
from processes.usecases import absences, flow, instances, queries
from processes.usecases.errors import Conflict, Forbidden, Invalid
from storage import audit
from storage.models import AuditEvent, Document, InboxTask, Notification, User, utcnow
from tests.service.helpers import start_and_submit

DECIDE = "Task_Decide"


def today():
    return today_local(utcnow())


def day(offset: int = 0) -> str:
    return (today() + timedelta(days=offset)).isoformat()


def absent(act, who, substitute, start=0, end=3, by=None, processes=None):
    """`who` records (or `by` records for them) an absence from today+start to today+end."""
    return act(by or who, absences.record, None if by is None else who, day(start), day(end), substitute,
               processes or [])


def decision(factory, instance_id) -> InboxTask:
    with factory() as s:
        row = s.execute(select(InboxTask).where(InboxTask.instance_id == instance_id,
                                                InboxTask.name == DECIDE, InboxTask.state == "ready")).scalar_one()
        row.assignee, row.acting_for  # noqa: B018 - loaded before the session closes
        return row


def username(factory, user_id):
    if user_id is None:
        return None
    with factory() as s:
        return s.get(User, user_id).username


def holder(factory, instance_id):
    row = decision(factory, instance_id)
    return username(factory, row.assignee_id), username(factory, row.acting_for_id)


def notes(factory, user, kind):
    with factory() as s:
        uid = s.execute(select(User.id).where(User.username == user)).scalar_one()
        return [n.params for n in s.execute(select(Notification).where(
            Notification.user_id == uid, Notification.kind == kind).order_by(Notification.id)).scalars()]


def inbox(act, user):
    return [t.instance_id for t in act(user, queries.inbox)]


def events(factory, instance_id, action):
    with factory() as s:
        return [e.data for e in audit.entries(s, AuditEvent.instance_id == instance_id, AuditEvent.action == action)]


def test_substitution_starts_and_ends_while_the_task_is_open(act, factory, services):
    inst = start_and_submit(act)
    assert holder(factory, inst) == ("vr.finance", None)
    absent(act, "vr.finance", "vr.academic", start=0, end=2)  # in force today: the open task moves at once
    assert holder(factory, inst) == ("vr.academic", "vr.finance")
    (moved,) = events(factory, inst, "task_reassigned")
    assert moved == {"from": "vr.finance", "to": "vr.academic", "acting_for": "vr.finance",
                     "role": "public_person", "reason": "absence"}
    assert notes(factory, "vr.finance", "task_moved")[-1]["to"] == "Сергей Викторович Петров"
    assert notes(factory, "vr.academic", "task_assigned")[-1]["acting_for"] == "Гүлнар Маратқызы Әлиева"
    # the substitute holds it (their inbox); the absent person no longer does
    assert inst in inbox(act, "vr.academic") and inst not in inbox(act, "vr.finance")
    # nothing moves twice: a tick the same day changes nothing
    assert worker.apply_absences(factory, services) == 0
    # the day after the last day, the tick moves it back (it was not completed)
    after = start_of_day_utc(today() + timedelta(days=3)) + timedelta(hours=9)
    assert worker.apply_absences(factory, services, now=after) == 1
    assert holder(factory, inst) == ("vr.finance", None)
    back = events(factory, inst, "task_reassigned")[-1]
    assert back["from"] == "vr.academic" and back["to"] == "vr.finance" and back["acting_for"] is None
    assert notes(factory, "vr.academic", "task_moved")[-1]["to"] == "Гүлнар Маратқызы Әлиева"
    assert worker.apply_absences(factory, services, now=after) == 0


def test_an_absence_starting_later_moves_tasks_on_its_first_day_and_ending_it_brings_them_back(act, factory,
                                                                                             services):
    inst = start_and_submit(act)
    row = absent(act, "vr.finance", "vr.academic", start=1, end=5)
    assert holder(factory, inst) == ("vr.finance", None)  # not yet in force
    first_day = start_of_day_utc(today() + timedelta(days=1)) + timedelta(hours=1)
    assert worker.apply_absences(factory, services, now=first_day) == 1
    assert holder(factory, inst) == ("vr.academic", "vr.finance")
    # ending it (nothing is deleted: ended_at is set) brings the task back at once
    ended = act("vr.finance", absences.end, row.id)
    assert ended.ended_at is not None
    assert holder(factory, inst) == ("vr.finance", None)
    with pytest.raises(Conflict):
        act("vr.finance", absences.end, row.id)  # 409: ended already


def test_a_new_task_goes_to_the_substitute_who_completes_it_acting_for_the_absent_person(act, factory):
    absent(act, "vr.finance", "vr.academic")
    inst = start_and_submit(act)
    assert holder(factory, inst) == ("vr.academic", "vr.finance")
    (assigned,) = [d for d in events(factory, inst, "task_assigned") if d["role"] == "public_person"]
    assert assigned["assignee"] == "vr.academic" and assigned["acting_for"] == "vr.finance"
    # the substitute is told, acting for; the absent person is not told of a task that is not theirs now
    assert notes(factory, "vr.academic", "task_assigned")[-1]["acting_for"] == "Гүлнар Маратқызы Әлиева"
    assert notes(factory, "vr.finance", "task_assigned") == []
    task_id = decision(factory, inst).id
    act("vr.academic", instances.complete_task, task_id, {"decision": "approve"})
    (done,) = [d for d in events(factory, inst, "task_completed") if d.get("decision")]
    assert done["acting_for"] == "vr.finance"
    with factory() as s:
        assert audit.verify(s).ok  # the chain holds with the new key in the entry's data
        cert = s.execute(select(Document).where(Document.instance_id == inst)).scalar_one()
        assert cert.public["approver"] == "Сергей Викторович Петров"
        assert cert.public["acting_for"] == "Гүлнар Маратқызы Әлиева"
        assert cert.public["approver_position"]["ru"] == "Проректор по финансам и экономике"


def test_a_chain_of_two_absences_reaches_the_first_person_present(act, factory):
    absent(act, "vr.finance", "vr.academic")
    absent(act, "vr.academic", "rector")
    inst = start_and_submit(act)
    assert holder(factory, inst) == ("rector", "vr.finance")


def test_a_loop_sends_the_task_to_the_queue_and_tells_the_administrator(act, factory):
    inst = start_and_submit(act)
    absent(act, "vr.academic", "vr.finance")
    absent(act, "vr.finance", "vr.academic")
    row = decision(factory, inst)
    assert (row.assignee_id, username(factory, row.acting_for_id), row.role) == (None, "vr.finance",
                                                                                 "public_person")
    moved = events(factory, inst, "task_reassigned")[-1]
    assert moved["to"] is None and moved["queue"] == "loop"
    (told,) = notes(factory, "admin", "substitution_failed")
    assert told["absent"] == "Гүлнар Маратқызы Әлиева" and told["failure"] == "loop"
    # a public person present takes it from the queue; once taken, it no longer moves back
    assert inst in inbox(act, "rector")
    act("rector", flow.claim, decision(factory, inst).id)
    finance = act("vr.finance", absences.list_absences)[0]
    act("vr.finance", absences.end, finance.id)
    assert holder(factory, inst) == ("rector", "vr.finance")


def test_the_queue_task_comes_back_when_the_absence_ends(act, factory):
    inst = start_and_submit(act)
    absent(act, "vr.academic", "vr.finance")
    row = absent(act, "vr.finance", "vr.academic")
    assert holder(factory, inst) == (None, "vr.finance")
    told = len(notes(factory, "vr.finance", "task_assigned"))
    act("vr.finance", absences.end, row.id)
    assert holder(factory, inst) == ("vr.finance", None)
    assert len(notes(factory, "vr.finance", "task_assigned")) == told + 1  # told it is back


def test_nobody_acts_on_their_own_submission_through_a_substitution(act, factory):
    absent(act, "vr.finance", "vr.academic")
    inst = start_and_submit(act, "vr.academic")  # the substitute submitted it
    row = decision(factory, inst)
    assert row.assignee_id is None and username(factory, row.acting_for_id) == "vr.finance"
    assert events(factory, inst, "task_assigned")[-1]["queue"] == "own_submission"
    # the submitter absent in turn passes on to their own substitute
    absent(act, "vr.academic", "rector")
    assert holder(factory, inst) == ("rector", "vr.finance")


def test_an_absence_for_other_processes_leaves_the_task(act, factory):
    absent(act, "vr.finance", "vr.academic", processes=["material_signoff"])
    inst = start_and_submit(act)
    assert holder(factory, inst) == ("vr.finance", None)


def test_overlapping_absences_are_refused(act, factory):
    first = absent(act, "vr.finance", "vr.academic", start=2, end=6)
    with pytest.raises(Conflict) as refused:
        absent(act, "vr.finance", "rector", start=5, end=9)
    assert "already absent" in str(refused.value)
    absent(act, "vr.finance", "rector", start=7, end=9)  # after it: fine
    act("vr.finance", absences.end, first.id)
    absent(act, "vr.finance", "rector", start=3, end=4)  # an ended absence no longer blocks its days


def test_invalid_absences_are_refused_field_by_field(act):
    with pytest.raises(Invalid) as bad:
        act("vr.finance", absences.record, None, day(3), day(1), "vr.finance", ["nope"])
    assert set(bad.value.errors) == {"ends_on", "substitute", "processes"}
    with pytest.raises(Invalid) as bad:
        act("vr.finance", absences.record, None, "tomorrow", day(1), "nobody", [])
    assert set(bad.value.errors) == {"starts_on", "substitute"}


def test_who_may_record_an_absence_for_someone(act, factory):
    with pytest.raises(Forbidden):
        absent(act, "employee", "employee2", by="employee2")
    with pytest.raises(Forbidden):
        absent(act, "vr.finance", "vr.academic", by="unit.head")  # not of the unit head's unit
    row = absent(act, "employee", "employee2", by="unit.head")  # the head of the employee's unit
    assert row.created_by.username == "unit.head"
    row = absent(act, "vr.finance", "vr.academic", by="admin")
    with factory() as s:
        recorded = audit.entries(s, AuditEvent.action == "absence_recorded")
    assert [e.actor for e in recorded] == ["unit.head", "admin"]
    assert recorded[-1].data["substitute"] == "vr.academic"


def test_a_letter_decided_by_the_rectors_substitute_is_signed_as_acting_rector(act, factory):
    from tests.service.test_information_request import complete, register

    absent(act, "rector", "vr.academic")
    iid = register(act)
    complete(act, "vr.academic", iid, "Task_Decide",
             {"decision": "refuse", "ground": "personal_data", "reason": "Үшінші тұлғалардың дербес деректері"})
    with factory() as s:
        letter = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
    assert letter.public["signatory_name"] == "Сергей Викторович Петров"
    assert letter.public["signatory_position"] == "Ректордың м.а."  # a Kazakh letter
    assert letter.public["signatory_positions"]["ru"] == "И.о. ректора"
    assert letter.public["acting_for"] == "Бақыт Әбдірахманұлы Дүйсенов"
