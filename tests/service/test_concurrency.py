"""Concurrent completions of one task: exactly one wins, the rest get 409, nothing is duplicated."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from processes.usecases import instances
from processes.usecases.errors import Conflict
from storage import audit
from storage.models import AuditEvent
from tests.service.helpers import load, my_task, start_and_submit

THREADS = 20
TRIALS = 3


def race(act, task_id: str) -> list[str]:
    barrier, results, lock = threading.Barrier(THREADS), [], threading.Lock()

    def attempt():
        barrier.wait()
        try:
            act("vr.finance", instances.complete_task, task_id, {"decision": "approve"})
            outcome = "ok"
        except Conflict:
            outcome = "conflict"
        except Exception as exc:  # noqa: BLE001 - any other outcome is the failure we look for
            outcome = f"error: {exc!r}"
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_twenty_concurrent_approvals_one_wins(act, factory):
    for _ in range(TRIALS):
        iid = start_and_submit(act)
        task = my_task(act, "vr.finance", iid)
        results = race(act, task.id)
        assert results.count("ok") == 1, results
        assert results.count("conflict") == THREADS - 1, results
        assert load(factory, iid).outcome == "approved"
        with factory() as s:
            completions = s.execute(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.instance_id == iid, AuditEvent.action == "task_completed",
                AuditEvent.task == "Task_Decide")).scalar_one()
            issued = s.execute(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.instance_id == iid, AuditEvent.action == "document_issued")).scalar_one()
            assert (completions, issued) == (1, 1)
            assert audit.verify(s).ok
