"""Speech text clearance through the use-case layer on a real database."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

import processes.speech_clearance.kind  # noqa: F401 - registers the process kind
from processes.usecases import files, instances, queries
from processes.usecases.errors import Conflict, Forbidden, Invalid, NotFound
from storage import audit
from storage.models import AuditEvent, ContentVersion, Document, Instance
from tests.helpers import submission
from tests.service.helpers import load, my_task, start_and_submit


def test_finance_text_is_routed_to_vice_rector_and_approved(act, factory):
    iid = start_and_submit(act)
    task = my_task(act, "vr.finance", iid)
    assert task.name == "Task_Decide" and task.due_at is not None
    assert act("rector", lambda c: [t for t in queries.inbox(c) if t.instance_id == iid]) == []
    act("vr.finance", instances.complete_task, task.id, {"decision": "approve"})
    inst = load(factory, iid)
    assert (inst.status, inst.outcome) == ("completed", "approved")
    with factory() as s:
        doc = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
        version = s.execute(select(ContentVersion).where(ContentVersion.instance_id == iid)).scalar_one()
    text = submission()["text"]
    assert doc.public["fingerprint"] == hashlib.sha256(text.encode()).hexdigest() == version.sha256
    assert doc.reg_number.startswith("SC-") and doc.public["approver"].startswith("Гүлнар")


@pytest.mark.parametrize("categories, approver", [
    (["strategy"], "rector"), (["significant_facts"], "mcd.head"),
    (["finance", "strategy"], "rector"), (["finance", "significant_facts"], "vr.finance"),
])
def test_routing_by_decision_table(act, categories, approver):
    iid = start_and_submit(act, categories=categories)
    assert my_task(act, approver, iid).name == "Task_Decide"


def test_no_category_means_not_required(act, factory):
    iid = start_and_submit(act, categories=[])
    inst = load(factory, iid)
    assert (inst.status, inst.outcome) == ("completed", "not_required")
    with factory() as s:
        kinds = s.execute(select(AuditEvent.action).where(AuditEvent.instance_id == iid)).scalars().all()
    assert "instance_completed" in kinds


def test_nobody_clears_their_own_text(act):
    iid = start_and_submit(act, "vr.finance", categories=["finance"])
    assert act("vr.finance", lambda c: [t for t in queries.inbox(c) if t.instance_id == iid]) == []
    assert my_task(act, "rector", iid).name == "Task_Decide"


def test_revision_loop_keeps_every_version(act, factory):
    iid = start_and_submit(act)
    decide = my_task(act, "vr.finance", iid)
    act("vr.finance", instances.complete_task, decide.id, {"decision": "revise", "comment": "Remove figures"})
    revise = my_task(act, "employee", iid)
    assert revise.name == "Task_Revise"
    act("employee", instances.complete_task, revise.id, submission(text="Тезистер, түзетілген нұсқа."))
    decide2 = my_task(act, "vr.finance", iid)
    act("vr.finance", instances.complete_task, decide2.id, {"decision": "approve"})
    with factory() as s:
        versions = s.execute(select(ContentVersion).where(ContentVersion.instance_id == iid)
                             .order_by(ContentVersion.number)).scalars().all()
        doc = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
    assert [v.number for v in versions] == [1, 2]
    assert doc.public["fingerprint"] == versions[1].sha256 != versions[0].sha256


def test_reject_needs_a_comment_and_changes_nothing_without_it(act, factory):
    iid = start_and_submit(act)
    decide = my_task(act, "vr.finance", iid)
    with factory() as s:
        before = (s.get(Instance, iid).version, s.execute(select(AuditEvent.seq).order_by(
            AuditEvent.seq.desc()).limit(1)).scalar_one())
    with pytest.raises(Invalid) as err:
        act("vr.finance", instances.complete_task, decide.id, {"decision": "reject"})
    assert "comment" in err.value.errors
    with factory() as s:
        after = (s.get(Instance, iid).version, s.execute(select(AuditEvent.seq).order_by(
            AuditEvent.seq.desc()).limit(1)).scalar_one())
    assert before == after
    act("vr.finance", instances.complete_task, decide.id, {"decision": "reject", "comment": "§12 secret"})
    assert load(factory, iid).outcome == "rejected"


def test_someone_elses_task_and_completed_task(act):
    iid = start_and_submit(act)
    decide = my_task(act, "vr.finance", iid)
    with pytest.raises(NotFound):
        act("employee2", instances.complete_task, decide.id, {"decision": "approve"})
    with pytest.raises(Forbidden):
        act("employee", instances.complete_task, decide.id, {"decision": "approve"})
    act("vr.finance", instances.complete_task, decide.id, {"decision": "approve"})
    with pytest.raises(Conflict):
        act("vr.finance", instances.complete_task, decide.id, {"decision": "approve"})


def test_unknown_fields_and_past_dates_are_refused(act):
    inst = act("employee", instances.start_instance, "speech_clearance")
    task = act("employee", lambda c: instances.ready_tasks(c, c.session.get(Instance, inst.id))[0])
    with pytest.raises(Invalid) as err:
        act("employee", instances.complete_task, task.id, {**submission(), "approver_role": "mcd_head"})
    assert "approver_role" in err.value.errors
    with pytest.raises(Invalid) as err:
        act("employee", instances.complete_task, task.id, submission(event_date="2020-01-01"))
    assert "event_date" in err.value.errors


def test_auditor_may_not_start_and_chain_verifies(act, factory):
    with pytest.raises(Forbidden):
        act("auditor", instances.start_instance, "speech_clearance")
    start_and_submit(act)
    with factory() as s:
        result = audit.verify(s)
    assert result.ok and result.events > 3


def test_file_upload_is_the_fingerprint(act, factory):
    import io

    inst = act("employee", instances.start_instance, "speech_clearance")
    content = "Тезистер файлда.\n".encode()
    stored = act("employee", files.upload, inst.id, "theses.txt", io.BytesIO(content))
    task = act("employee", lambda c: instances.ready_tasks(c, c.session.get(Instance, inst.id))[0])
    act("employee", instances.complete_task, task.id, submission(text="", file_ids=[stored.id]))
    decide = my_task(act, "vr.finance", inst.id)
    act("vr.finance", instances.complete_task, decide.id, {"decision": "approve"})
    with factory() as s:
        doc = s.execute(select(Document).where(Document.instance_id == inst.id)).scalar_one()
    assert doc.public["fingerprint"] == hashlib.sha256(content).hexdigest()
