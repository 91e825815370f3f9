"""Brand elements request (§6.4) through the use cases on a real database: a unit head asks, MCD answers with
files only that unit head (with MCD and auditors) may download; details asked and given; a decline with its
reason; bad input, acting on another's task and a second answer refused with nothing changed."""
from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from processes.usecases import files, instances, queries
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound
from storage.models import AuditEvent, InboxTask, Instance, Notification, StoredFile, User
from tests import samples

KEY = "brand_request"
NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # Tuesday 10:00 in Almaty


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def request(**overrides) -> dict:
    data = {"elements": ["logo", "colours"], "material": "«Цифрлық экономика» конференциясының афишасы",
            "wanted_by": "2026-12-08", "details": "A1, kk/ru"} | overrides
    return {k: v for k, v in data.items() if v is not None}


def task_of(act, user, iid, name) -> InboxTask:
    rows = act(user, lambda c: [t for t in queries.inbox(c) if t.instance_id == iid and t.name == name])
    assert len(rows) == 1, [(t.name, t.role) for t in rows]
    return rows[0]


def asked(act, user="unit.head", **overrides) -> int:
    iid = act(user, instances.start_instance, KEY).id
    task = act(user, lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])
    act(user, instances.complete_task, task.id, request(**overrides))
    return iid


def attach(act, user, iid, name="logo.png", data=None) -> int:
    return act(user, files.upload, iid, name, io.BytesIO(data if data is not None else samples.png("logo"))).id


def state(factory, iid):
    with factory() as s:
        inst = s.get(Instance, iid)
        return inst.status, inst.outcome


def notes(factory, username, kind):
    with factory() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        return list(s.execute(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.kind == kind)).scalars())


def completions(factory, iid):
    with factory() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                       AuditEvent.action == "task_completed")).scalars())


def test_only_unit_heads_start_it(act):
    with pytest.raises(Forbidden):
        act("employee", instances.start_instance, KEY)
    assert act("unit.head", instances.start_instance, KEY).process_key == KEY


def test_answered_with_files_the_unit_head_downloads(act, factory):
    iid = asked(act)
    with factory() as s:
        assert s.get(Instance, iid).due_at == datetime(2026, 12, 8, 19, 0, tzinfo=UTC)  # end of 8 Dec, Almaty
    assert notes(factory, "mcd.specialist", "task_assigned")
    answer = task_of(act, "mcd.specialist", iid, "Task_Answer")
    logo, guide = attach(act, "mcd.specialist", iid), attach(act, "mcd.specialist", iid, "colours.pdf", samples.pdf())
    act("mcd.specialist", instances.complete_task, answer.id,
        {"decision": "answer", "file_ids": [logo, guide], "comment": "Use the white version on dark photos."})
    assert state(factory, iid) == ("completed", "answered")
    assert notes(factory, "unit.head", "brand_answered")
    assert [e.clause for e in completions(factory, iid)] == ["§6.4", "§6.4"]
    for reader in ("unit.head", "mcd.head", "mcd.specialist", "auditor"):
        assert act(reader, files.get_file, logo).name == "logo.png"
    for other in ("employee", "rector", "dean.engineering", "registry"):
        with pytest.raises((Forbidden, NotFound)):
            act(other, files.get_file, logo)


def test_details_asked_then_given(act, factory):
    iid = asked(act, wanted_by=None)
    with factory() as s:
        assert s.get(Instance, iid).due_at is None
    answer = task_of(act, "mcd.specialist", iid, "Task_Answer")
    with pytest.raises(Invalid) as refused:
        act("mcd.specialist", instances.complete_task, answer.id, {"decision": "revise", "comment": "  "})
    assert "comment" in refused.value.errors
    act("mcd.specialist", instances.complete_task, answer.id, {"decision": "revise", "comment": "Which sizes?"})
    assert notes(factory, "unit.head", "revision_requested")
    details = task_of(act, "unit.head", iid, "Task_Details")
    act("unit.head", instances.complete_task, details.id, request(details="A1 and A4"))
    again = task_of(act, "mcd.specialist", iid, "Task_Answer")
    act("mcd.specialist", instances.complete_task, again.id, {"decision": "decline", "comment": "Not our style"})
    assert state(factory, iid) == ("completed", "declined")
    assert notes(factory, "unit.head", "outcome")


@pytest.mark.parametrize("data, field", [
    ({"elements": []}, "elements"),
    ({"elements": ["banner"]}, "elements"),
    ({"material": "  "}, "material"),
    ({"wanted_by": "08.12.2026"}, "wanted_by"),
    ({"wanted_by": "2026-11-30"}, "wanted_by"),
    ({"elements": ["other"], "details": ""}, "details"),
])
def test_a_bad_request_is_refused(act, factory, data, field):
    iid = act("unit.head", instances.start_instance, KEY).id
    task = act("unit.head", lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])
    with pytest.raises(Invalid) as refused:
        act("unit.head", instances.complete_task, task.id, request(**data))
    assert field in refused.value.errors
    assert act("unit.head", lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0]).name == \
        "Task_Request"


def test_an_answer_needs_its_own_files_and_is_given_once(act, factory):
    iid = asked(act)
    answer = task_of(act, "mcd.specialist", iid, "Task_Answer")
    with pytest.raises(Invalid) as refused:
        act("mcd.specialist", instances.complete_task, answer.id, {"decision": "answer", "file_ids": []})
    assert "file_ids" in refused.value.errors
    other = asked(act)  # a file of another request is not this one's
    foreign = attach(act, "mcd.specialist", other)
    with pytest.raises(Invalid):
        act("mcd.specialist", instances.complete_task, answer.id, {"decision": "answer", "file_ids": [foreign]})
    with pytest.raises(Invalid):  # bytes that are not what the name says are never kept
        attach(act, "mcd.specialist", iid, "logo.png", b"GIF89a not a png")
    with pytest.raises(Forbidden):  # the unit head holds no answer task: neither answers nor uploads
        act("unit.head", instances.complete_task, answer.id, {"decision": "decline", "comment": "mine"})
    with pytest.raises(Forbidden):
        attach(act, "unit.head", iid)
    assert state(factory, iid) == ("running", None)
    mine = attach(act, "mcd.specialist", iid)
    act("mcd.specialist", instances.complete_task, answer.id, {"decision": "answer", "file_ids": [mine]})
    with pytest.raises(Conflict):
        act("mcd.head", instances.complete_task, answer.id, {"decision": "decline", "comment": "again"})
    assert state(factory, iid) == ("completed", "answered")
    with factory() as s:
        assert s.execute(select(func.count()).select_from(StoredFile).where(StoredFile.instance_id == iid)
                         ).scalar_one() == 1
