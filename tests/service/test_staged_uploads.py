"""Files of a refused form kept and handed back by signed tokens (processes/usecases/staged.py), the
sweep sparing them, and every error of a submission collected in one pass (the process's own checks run
in a savepoint that leaves nothing behind)."""
from __future__ import annotations

import io
import os
import time
from datetime import timedelta

import pytest

from processes.usecases import files, instances, staged, task_forms
from processes.usecases.errors import DomainError, Invalid
from storage.models import AuditHead, InformationRequest, Instance, StoredFile
from tests import samples
from tests.helpers import event_date

KEY = b"a test signing key"


def keep(act, username, scope="new:speech_clearance", name="theses.txt", content=b"the theses"):
    def run(c):
        clean, blob, content_type = files.store_checked(c, "speech_clearance", name, io.BytesIO(content))
        return staged.sign(c, KEY, staged.Staged(blob.sha256, clean, blob.size, content_type), scope)
    return act(username, run)


def test_a_token_brings_back_its_file_and_nothing_else(act, services):
    item = keep(act, "employee")
    back = act("employee", staged.verify, KEY, item.token, "new:speech_clearance")
    assert (back.sha256, back.name, back.size, back.content_type) == (item.sha256, "theses.txt", 10, "text/plain")
    refused = [
        ("employee", KEY, item.token, "new:material_signoff"),  # another form
        ("employee2", KEY, item.token, "new:speech_clearance"),  # another user
        ("employee", b"another key", item.token, "new:speech_clearance"),  # not signed by this application
        ("employee", KEY, item.token[:-1] + ("A" if item.token[-1] != "A" else "B"), "new:speech_clearance"),
        ("employee", KEY, "e30." + item.token.split(".")[1], "new:speech_clearance"),  # another body
        ("employee", KEY, "", "new:speech_clearance"),
    ]
    for user, key, token, scope in refused:
        with pytest.raises(DomainError) as caught:
            act(user, staged.verify, key, token, scope)
        assert caught.value.status == 400 and not isinstance(caught.value, Invalid)


def test_an_old_token_or_a_swept_file_asks_for_the_file_again(act, services):
    import time_machine

    item = keep(act, "employee")
    with time_machine.travel(time.time() + staged.MAX_AGE + 120):
        with pytest.raises(Invalid) as caught:
            act("employee", staged.verify, KEY, item.token, "new:speech_clearance")
    assert "no longer held" in caught.value.errors["file"].render()
    services.blobs.path(item.sha256).unlink()
    with pytest.raises(Invalid):
        act("employee", staged.verify, KEY, item.token, "new:speech_clearance")


def test_the_sweep_spares_a_refused_forms_files_longer_than_their_tokens(act, services):
    from storage import blobs

    assert blobs.SWEEP_GRACE > staged.MAX_AGE
    item = keep(act, "employee")
    path = services.blobs.path(item.sha256)
    old = time.time() - staged.MAX_AGE
    os.utime(path, (old, old))
    assert services.blobs.sweep(set()).orphans == []  # the default grace keeps it
    act("employee", staged.sign, KEY, item, "new:speech_clearance")  # a new round touches it
    assert path.stat().st_mtime > old + 60
    os.utime(path, (0, 0))
    assert services.blobs.sweep(set()).orphans == [item.sha256]  # once nothing can bring it back


def test_the_page_submission_attaches_a_kept_file_by_its_token(act, factory):
    fields = {"event_name": ["Forum"], "event_kind": ["conference"], "organizer": ["KInEU"],
              "event_date": [event_date()], "location": ["Hall"], "title": [""], "categories": ["finance"]}
    with pytest.raises(Invalid) as caught:
        act("employee", task_forms.start_and_submit, "speech_clearance", fields,
            [task_forms.Upload("theses.pdf", io.BytesIO(samples.pdf("theses")))], signing_key=KEY)
    (item,) = caught.value.values[task_forms.STAGED]
    assert set(caught.value.errors) == {"title"} and item.name == "theses.pdf"
    with factory() as session:
        assert session.query(Instance).count() == 0 and session.query(StoredFile).count() == 0
    inst = act("employee", task_forms.start_and_submit, "speech_clearance",
               {**fields, "title": ["Forum theses"], "staged_file": [item.token]}, [], signing_key=KEY)
    with factory() as session:
        (row,) = session.query(StoredFile).filter_by(instance_id=inst.id).all()
        assert (row.name, row.sha256) == ("theses.pdf", item.sha256)


def test_the_process_checks_run_with_the_form_checks_and_leave_nothing(act, factory):
    """Information request registration: a missing field (the form) and a bad e-mail (the process's own
    check) together; a submission whose process checks pass but whose form fails leaves no number, no
    register row and no audit entry behind (the savepoint)."""
    iid = act("registry", instances.start_instance, "information_request").id
    fid = act("registry", files.upload, iid, "scan.pdf", io.BytesIO(samples.pdf("scan"))).id
    task = act("registry", lambda c: instances.ready_tasks(c, c.session.get(Instance, iid))[0])
    data = {"requester_name": "Ерлан", "requester_kind": "person", "email": "not an address", "subject": "Ақы",
            "form": "electronic", "language": "kk", "received_at": "2026-01-05T09:00:00+05:00", "file_ids": [fid]}
    with pytest.raises(Invalid) as caught:
        act("registry", instances.complete_task, task.id, data)
    assert set(caught.value.errors) == {"items", "email"}
    assert caught.value.errors["items"].labelled() == "Requested documents or information: This field is required."

    def refused_inside(c):
        head = c.session.get(AuditHead, 1).seq
        with pytest.raises(Invalid) as inner:
            instances.complete_task(c, task.id, {**data, "email": "erlan@example.kz"})
        assert set(inner.value.errors) == {"items"}
        assert c.session.query(InformationRequest).count() == 0
        assert c.session.get(AuditHead, 1).seq == head
        assert c.session.get(Instance, iid).due_at is None
    act("registry", refused_inside)


def test_material_unit_and_files_are_checked_together(act):
    from processes.material_signoff.kind import KIND  # noqa: F401 - registered

    inst = act("employee", instances.start_instance, "material_signoff")
    task = act("employee", lambda c: instances.ready_tasks(c, c.session.get(Instance, inst.id))[0])
    data = {"unit": "MCD", "title": "Буклет", "material_type": "booklet", "channel": "print",
            "audiences": ["applicants"], "planned_date": event_date(15), "file_ids": [999999]}
    with pytest.raises(Invalid) as caught:
        act("employee", instances.complete_task, task.id, data)
    assert set(caught.value.errors) == {"unit", "file_ids"}
    # with a form error too, the process's errors still come (a bad date, a bad unit, an unknown file)
    with pytest.raises(Invalid) as caught:
        act("employee", instances.complete_task, task.id, {**data, "planned_date": "2000-01-01", "title": ""})
    assert set(caught.value.errors) == {"unit", "file_ids", "planned_date", "title"}


def test_a_token_is_refused_for_a_form_without_files_and_for_another_task(act):
    item = keep(act, "employee", scope=staged.scope_of_task("0" * 36))
    with pytest.raises(DomainError):
        act("employee", staged.verify, KEY, item.token, staged.scope_of_task("1" * 36))
    assert timedelta(seconds=staged.MAX_AGE) <= timedelta(hours=12)
