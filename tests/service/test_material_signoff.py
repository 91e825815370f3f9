"""External material sign-off through the use cases on a real database."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

import processes.material_signoff.kind  # noqa: F401 - registers the process kind
from processes.material_signoff import archive
from processes.material_signoff.kind import file_changes
from processes.usecases import files, instances, queries
from processes.usecases.errors import Forbidden, Invalid, TooLarge
from storage.models import Document, Instance, SignedOffMaterial, StoredFile
from tests import samples
from tests.helpers import event_date

KEY = "material_signoff"
CHECK_OK = {item: {"ok": True} for item in ("logo", "colours", "fonts", "languages", "contacts", "accuracy")}


def material(**overrides) -> dict:
    data = {"unit": "FE-IS", "material_type": "booklet", "channel": "print", "audiences": ["applicants"],
            "planned_date": event_date(20), "title": "Ақпараттық жүйелер: талапкерлерге",
            "description": "Буклет", "file_ids": []}
    data.update(overrides)
    return data


def upload(act, user, iid, name, content):
    return act(user, files.upload, iid, name, io.BytesIO(content)).id


BOOKLET = samples.pdf("one")


def submit(act, user="unit.head", files_=(("booklet.pdf", BOOKLET),), **data) -> int:
    inst = act(user, instances.start_instance, KEY)
    ids = [upload(act, user, inst.id, n, c) for n, c in files_]
    task = act(user, lambda c: instances.ready_tasks(c, c.session.get(Instance, inst.id))[0])
    act(user, instances.complete_task, task.id, material(file_ids=ids, **data))
    return inst.id


def task_of(act, user, iid):
    rows = act(user, lambda c: [t for t in queries.inbox(c) if t.instance_id == iid])
    assert len(rows) == 1, rows
    return rows[0]


def outcome(factory, iid):
    with factory() as s:
        inst = s.get(Instance, iid)
        return inst.status, inst.outcome


def test_on_time_review_approve_issues_sheet_and_archives(act, factory):
    iid = submit(act)
    review = task_of(act, "mcd.specialist", iid)
    assert review.name == "Task_Review" and review.assignee_id is None  # the MCD specialists' queue
    act("mcd.specialist", instances.complete_task, review.id, {"checklist": CHECK_OK, "decision": "approve"})
    assert outcome(factory, iid) == ("completed", "approved")
    with factory() as s:
        doc = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
        row = s.execute(select(SignedOffMaterial).where(SignedOffMaterial.instance_id == iid)).scalar_one()
    assert doc.kind == "signoff_sheet" and doc.reg_number.startswith("MS-") and row.reg_number == doc.reg_number
    assert [f["name"] for f in doc.public["files"]] == ["booklet.pdf"]
    assert [r["role"] for r in doc.public["reviewers"]] == ["mcd_specialist"]
    found = act("auditor", archive.search, archive.ArchiveFilter(channel="print"))
    assert [m.instance_id for m in found] == [iid]
    with pytest.raises(Forbidden):
        act("employee2", archive.search, archive.ArchiveFilter())


def test_late_submission_needs_head_of_mcd(act, factory):
    iid = submit(act, planned_date=event_date(2))
    late = task_of(act, "mcd.head", iid)
    assert late.name == "Task_AcceptLate"
    assert act("mcd.specialist", lambda c: [t for t in queries.inbox(c) if t.instance_id == iid]) == []
    act("mcd.head", instances.complete_task, late.id, {"decision": "accept", "comment": "Rector's event"})
    assert task_of(act, "mcd.specialist", iid).name == "Task_Review"


def test_late_submission_returned(act, factory):
    iid = submit(act, planned_date=event_date(1))
    late = task_of(act, "mcd.head", iid)
    with pytest.raises(Invalid):
        act("mcd.head", instances.complete_task, late.id, {"decision": "return"})  # a reason is required
    act("mcd.head", instances.complete_task, late.id, {"decision": "return", "comment": "Too late"})
    assert outcome(factory, iid) == ("completed", "returned")


def test_unchecked_item_needs_an_override_reason(act, factory):
    iid = submit(act)
    review = task_of(act, "mcd.specialist", iid)
    failing = {**CHECK_OK, "fonts": {"ok": False, "remark": "Arial instead of the brand font"}}
    with pytest.raises(Invalid) as err:
        act("mcd.specialist", instances.complete_task, review.id, {"checklist": failing, "decision": "approve"})
    assert "override_reason" in err.value.errors
    assert outcome(factory, iid) == ("running", None)
    act("mcd.specialist", instances.complete_task, review.id,
        {"checklist": failing, "decision": "approve", "override_reason": "Printed already; fixed next edition"})
    assert outcome(factory, iid) == ("completed", "approved")


def test_revision_uploads_a_new_version_of_one_file(act, factory):
    iid = submit(act, files_=(("booklet.pdf", BOOKLET), ("poster.png", samples.png("poster"))))
    review = task_of(act, "mcd.specialist", iid)
    act("mcd.specialist", instances.complete_task, review.id,
        {"checklist": CHECK_OK, "decision": "revise", "comment": "Fix the contacts"})
    revise = task_of(act, "unit.head", iid)
    assert revise.name == "Task_Revise"
    previous = act("unit.head", processes_prefill, iid, revise.id)
    new_id = upload(act, "unit.head", iid, "booklet.pdf", samples.pdf("two"))
    kept = [i for i in previous["file_ids"] if i != previous["file_ids"][0]]
    act("unit.head", instances.complete_task, revise.id, material(file_ids=kept + [new_id]))
    with factory() as s:
        rows = s.execute(select(StoredFile).where(StoredFile.instance_id == iid)).scalars()
        versions = {f.id: f.version for f in rows}
    assert versions[new_id] == 2
    changes = act("mcd.specialist", lambda c: file_changes(c, c.session.get(Instance, iid)))
    assert {(c["file"].name, c["status"]) for c in changes} == {("booklet.pdf", "changed"), ("poster.png", "unchanged")}
    review2 = task_of(act, "mcd.specialist", iid)
    assert review2.name == "Task_Review"  # straight back to review, no late check again
    act("mcd.specialist", instances.complete_task, review2.id, {"checklist": CHECK_OK, "decision": "approve"})
    with factory() as s:
        doc = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
    assert {(f["name"], f["version"]) for f in doc.public["files"]} == {("booklet.pdf", 2), ("poster.png", 1)}


def processes_prefill(c, iid, task_id):
    from processes.catalog import kind_of

    inst = c.session.get(Instance, iid)
    return kind_of(KEY).prefill(c, inst, instances.task_for(c, task_id))


@pytest.mark.parametrize("area, approver", [("finance", "vr.finance"), ("", "rector"), ("academic", "vr.academic")])
def test_mass_media_needs_management(act, factory, area, approver):
    iid = submit(act, channel="mass_media", area=area)
    review = task_of(act, "mcd.specialist", iid)
    act("mcd.specialist", instances.complete_task, review.id, {"checklist": CHECK_OK, "decision": "approve"})
    assert outcome(factory, iid) == ("running", None)
    mgmt = task_of(act, approver, iid)
    assert mgmt.name == "Task_ManagementApprove"
    act(approver, instances.complete_task, mgmt.id, {"decision": "approve"})
    assert outcome(factory, iid) == ("completed", "approved")
    with factory() as s:
        doc = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
    assert [r["role"] for r in doc.public["reviewers"]] == ["mcd_specialist", "management"]


def test_management_rejects(act, factory):
    iid = submit(act, channel="mass_media", area="finance")
    act("mcd.specialist", instances.complete_task, task_of(act, "mcd.specialist", iid).id,
        {"checklist": CHECK_OK, "decision": "approve"})
    act("vr.finance", instances.complete_task, task_of(act, "vr.finance", iid).id,
        {"decision": "reject", "comment": "Not for the press"})
    assert outcome(factory, iid) == ("completed", "rejected")


def test_review_reject(act, factory):
    iid = submit(act)
    act("mcd.specialist", instances.complete_task, task_of(act, "mcd.specialist", iid).id,
        {"checklist": CHECK_OK, "decision": "reject", "comment": "Misleading figures (§3.9)"})
    assert outcome(factory, iid) == ("completed", "rejected")


def test_bad_submissions(act):
    inst = act("unit.head", instances.start_instance, KEY)
    task = act("unit.head", lambda c: instances.ready_tasks(c, c.session.get(Instance, inst.id))[0])
    fid = upload(act, "unit.head", inst.id, "a.pdf", samples.pdf("a"))
    cases = [
        (material(file_ids=[]), "file_ids"), (material(file_ids=[fid], unit="MCD"), "unit"),
        (material(file_ids=[fid], planned_date="2020-01-01"), "planned_date"),
        (material(file_ids=[fid], channel="tv"), "channel"), (material(file_ids=[fid], audiences=[]), "audiences"),
        (material(file_ids=[999]), "file_ids"),
    ]
    for data, field in cases:
        with pytest.raises(Invalid) as err:
            act("unit.head", instances.complete_task, task.id, data)
        assert field in err.value.errors, (data, err.value.errors)
    for name, content in (("x.pdf", b"PK\x03\x04zip"), ("../x.pdf", b"%PDF"), ("x.exe", b"MZ"), ("e.pdf", b"")):
        with pytest.raises(Invalid):
            upload(act, "unit.head", inst.id, name, content)


def test_video_limit_and_submitter_cannot_review(act, services):
    from dataclasses import replace

    services.settings = replace(services.settings, max_video_size=64)
    inst = act("unit.head", instances.start_instance, KEY)
    with pytest.raises(TooLarge):
        upload(act, "unit.head", inst.id, "clip.mp4", samples.mp4("clip"))
    iid = submit(act, "mcd.specialist", unit="MCD")
    assert act("mcd.specialist", lambda c: [t for t in queries.inbox(c) if t.instance_id == iid]) == []
    review = act("mcd.specialist", lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])
    with pytest.raises(Forbidden):
        act("mcd.specialist", instances.complete_task, review.id, {"checklist": CHECK_OK, "decision": "approve"})


def test_sheet_shows_the_final_review_not_an_earlier_override(act, factory):
    iid = submit(act)
    failing = {**CHECK_OK, "fonts": {"ok": False, "remark": "wrong font"}}
    act("mcd.specialist", instances.complete_task, task_of(act, "mcd.specialist", iid).id,
        {"checklist": failing, "decision": "revise", "comment": "Fonts", "override_reason": "draft reason"})
    revise = task_of(act, "unit.head", iid)
    act("unit.head", instances.complete_task, revise.id, material(file_ids=act("unit.head", processes_prefill, iid,
                                                                                revise.id)["file_ids"]))
    act("mcd.specialist", instances.complete_task, task_of(act, "mcd.specialist", iid).id,
        {"checklist": CHECK_OK, "decision": "approve"})
    with factory() as s:
        doc = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
    assert doc.public["override_reason"] is None and all(v["ok"] for v in doc.public["checklist"].values())
