"""The timer worker: a failing instance is marked and skipped until retried, the others go on;
several workers on PostgreSQL fire every due timer exactly once; a timer racing a completion."""
from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from processes import worker
from processes.catalog import kind_of
from processes.usecases import admin, instances, timers
from processes.usecases.context import Ctx
from processes.usecases.errors import Conflict, Forbidden, NotFound
from processes.worker import fire_due, tick
from storage import audit
from storage.db import transaction
from storage.models import AuditEvent, Instance, InstanceState, User
from tests.conftest import PG_URL
from tests.helpers import submission
from tests.service.helpers import load, my_task, start_and_submit

pg_only = pytest.mark.skipif(not PG_URL.startswith("postgresql"),
                             reason="needs PostgreSQL (KELISIM_DATABASE_URL=postgresql+psycopg://...): "
                                    "SQLite has no row locks, it serialises whole transactions")


def events(factory, iid, action=None):
    with factory() as s:
        query = select(AuditEvent).where(AuditEvent.instance_id == iid).order_by(AuditEvent.seq)
        if action:
            query = query.where(AuditEvent.action == action)
        return s.execute(query).scalars().all()


def actions(factory, iid):
    return [e.action for e in events(factory, iid)]


def chain_ok(factory) -> bool:
    with factory() as s:
        return audit.verify(s).ok


def reminder_time(factory, iid):
    """A moment when the instance's reminder is due (3 days before its deadline), nothing else."""
    return load(factory, iid).due_at - timedelta(days=3) + timedelta(minutes=1)


def failing_on_timer(monkeypatch, bad_id: int, exc: Exception):
    """Make the speech-clearance hook raise for one instance only."""
    kind = kind_of("speech_clearance")
    original = kind.on_timer

    def on_timer(ctx, instance, timer, run):
        if instance.id == bad_id:
            raise exc
        return original(ctx, instance, timer, run)

    monkeypatch.setattr(kind, "on_timer", on_timer)


def test_a_failing_instance_is_marked_the_others_fire_and_a_retry_fires_it(act, factory, services, monkeypatch):
    ids = [start_and_submit(act) for _ in range(3)]
    bad = ids[1]
    when = reminder_time(factory, ids[0])
    failing_on_timer(monkeypatch, bad, RuntimeError("boom in on_timer"))
    with time_machine.travel(when, tick=False):
        assert tick(factory, services) == 2
        for iid in (ids[0], ids[2]):
            assert actions(factory, iid).count("timer_fired") == 1
        inst = load(factory, bad)
        assert inst.error == "RuntimeError: boom in on_timer" and inst.error_at is not None
        assert inst.status == "running" and inst.next_timer_at <= when  # nothing of the failed try was kept
        got = actions(factory, bad)
        assert "timer_fired" not in got and "reminder_sent" not in got
        (marked,) = events(factory, bad, "instance_error")
        assert marked.data == {"error": "RuntimeError: boom in on_timer"} and marked.actor is None
        # the next tick does not pick it again, and does not mark it again
        with factory() as s:
            assert bad not in timers.due_instance_ids(s, when)
        assert tick(factory, services) == 0
        assert len(events(factory, bad, "instance_error")) == 1
        assert [i.id for i in act("admin", admin.instances_in_error)] == [bad]

        with pytest.raises(Forbidden):
            act("employee", admin.retry_instance, bad)
        with pytest.raises(NotFound):
            act("admin", admin.retry_instance, 999_999)
        with pytest.raises(Conflict):
            act("admin", admin.retry_instance, ids[0])  # not in error
        act("admin", admin.retry_instance, bad)
        assert load(factory, bad).error is None and load(factory, bad).error_at is None
        (retried,) = events(factory, bad, "instance_retried")
        assert retried.actor == "admin" and retried.data == {"error": "RuntimeError: boom in on_timer"}
        with pytest.raises(Conflict):
            act("admin", admin.retry_instance, bad)  # already cleared

        monkeypatch.undo()  # the cause is fixed
        assert tick(factory, services) == 1
    got = actions(factory, bad)
    assert got.count("timer_fired") == 1 and "reminder_sent" in got
    assert got.index("instance_error") < got.index("instance_retried") < got.index("timer_fired")
    assert act("admin", admin.instances_in_error) == []
    assert chain_ok(factory)


def test_a_failing_script_or_broken_state_is_a_domain_error_with_its_message(act, factory, services):
    ok_id, broken_id = start_and_submit(act), start_and_submit(act)
    with transaction(factory) as s:
        s.execute(update(InstanceState).where(InstanceState.instance_id == broken_id).values(state_json="{broken"))
    with time_machine.travel(reminder_time(factory, ok_id), tick=False):
        assert tick(factory, services) == 1
        assert tick(factory, services) == 0
    assert load(factory, broken_id).error == "The instance state could not be loaded."
    assert len(events(factory, broken_id, "instance_error")) == 1
    assert actions(factory, ok_id).count("timer_fired") == 1
    assert chain_ok(factory)


def test_a_lost_race_marks_nothing_and_is_tried_again(act, factory, services, monkeypatch):
    iid = start_and_submit(act)
    original = timers.fire_timers

    def stale(ctx, instance_id):
        try:
            raise StaleDataError("UPDATE statement on table 'instances' expected to update 1 row(s); 0 were matched.")
        except StaleDataError as exc:
            raise Conflict("The instance was changed at the same time; reload and try again.") from exc

    monkeypatch.setattr(timers, "fire_timers", stale)
    with time_machine.travel(reminder_time(factory, iid), tick=False):
        report = fire_due(factory, services)
        assert (report.instances, report.failed, report.deferred) == (0, 0, 1)
        assert load(factory, iid).error is None
        monkeypatch.setattr(timers, "fire_timers", original)
        assert tick(factory, services) == 1
    assert "instance_error" not in actions(factory, iid)
    assert chain_ok(factory)


def test_lost_race_tells_concurrency_from_the_instances_own_failure():
    from sqlalchemy.exc import OperationalError

    class Orig(Exception):
        sqlstate = "40P01"

    assert worker.lost_race(OperationalError("SELECT 1", {}, Orig()))
    assert worker.lost_race(StaleDataError("0 rows"))
    assert not worker.lost_race(RuntimeError("boom"))
    assert not worker.lost_race(Conflict("The instance state could not be loaded."))
    assert worker.describe(RuntimeError()) == "RuntimeError"
    assert len(worker.describe(ValueError("x" * 5000))) == timers.ERROR_MAX


# --- PostgreSQL: several workers, and a timer racing a completion -------------------------------------

def start_many(factory, services, n: int, username: str = "employee") -> list[int]:
    """n submitted speech-clearance instances through the use cases, one transaction each (start and
    submit together: ~45 ms an instance on PostgreSQL here, against ~65 ms as three transactions, and
    ~52 ms all in one transaction, whose session keeps growing)."""
    ids = []
    for _ in range(n):
        with transaction(factory) as s:
            user = s.execute(select(User).where(User.username == username)).scalar_one()
            ctx = Ctx(session=s, services=services, user=user)
            inst = instances.start_instance(ctx, "speech_clearance")
            instances.complete_task(ctx, instances.ready_tasks(ctx, inst)[0].id, submission())
            ids.append(inst.id)
    return ids


@pg_only
def test_two_workers_fire_every_due_timer_exactly_once(factory, services):
    n = 200
    ids = start_many(factory, services, n)
    deadline = load(factory, ids[0]).due_at
    barrier, reports, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait()
            reports.append(fire_due(factory, services, batch=20))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    # past the deadline: each instance has its reminder, escalation and expiry due at once
    with time_machine.travel(deadline + timedelta(minutes=1), tick=False):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        assert sum(r.instances for r in reports) == n and sum(r.timers for r in reports) == 3 * n
        assert sum(r.failed + r.deferred for r in reports) == 0
        with factory() as s:
            assert timers.due_instance_ids(s, deadline + timedelta(minutes=1)) == []
    with factory() as s:
        fired = Counter(s.execute(select(AuditEvent.instance_id, AuditEvent.task)
                                  .where(AuditEvent.action == "timer_fired")).all())
        assert set(fired) == {(i, t) for i in ids for t in ("Timer_Reminder", "Timer_Escalation", "Timer_Expire")}
        assert set(fired.values()) == {1}  # no duplicate, no miss
        outcomes = Counter(s.execute(select(Instance.outcome).where(Instance.id.in_(ids))).scalars())
        assert outcomes == {"expired": n}
        assert s.execute(select(func.count()).select_from(Instance).where(Instance.error.is_not(None))).scalar() == 0
        assert audit.verify(s).ok


@pg_only
@pytest.mark.parametrize("offset_ms", [0, 15, 30, 45, 60, 90])
def test_timer_and_completion_racing_in_two_threads_one_path_wins(act, factory, services, offset_ms):
    """The approver decides in the last milliseconds before the event day starts while a worker polls.

    The clock runs here (tick=True): with a frozen clock the outcome would be decided by the clock
    alone (before the deadline nothing is due; after it the engine refuses the decision itself).
    Whichever transaction locks the instance first wins; the outcome is consistent either way.
    """
    iid = start_and_submit(act)
    decide = my_task(act, "vr.finance", iid)
    due = load(factory, iid).due_at
    with time_machine.travel(due - timedelta(hours=1), tick=False):
        tick(factory, services)  # the reminder and the escalation, out of the way
    barrier, results = threading.Barrier(2), {}

    def user():
        barrier.wait()
        try:
            act("vr.finance", instances.complete_task, decide.id, {"decision": "approve"})
            results["user"] = "ok"
        except Conflict:
            results["user"] = "conflict"
        except Exception as exc:  # noqa: BLE001 - any other outcome is the failure we look for
            results["user"] = repr(exc)

    def poller():
        barrier.wait()
        stop = time.perf_counter() + 20
        try:
            while time.perf_counter() < stop and load(factory, iid).status == "running":
                fire_due(factory, services)
            results["worker"] = "done"
        except Exception as exc:  # noqa: BLE001
            results["worker"] = repr(exc)

    with time_machine.travel(due - timedelta(milliseconds=offset_ms), tick=True):
        threads = [threading.Thread(target=user), threading.Thread(target=poller)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert results.get("worker") == "done", results
    inst = load(factory, iid)
    expiries = [e for e in events(factory, iid, "timer_fired") if e.task == "Timer_Expire"]
    decisions = [e for e in events(factory, iid, "task_completed") if e.task == "Task_Decide"]
    assert inst.status == "completed" and inst.error is None
    if results["user"] == "ok":
        assert (inst.outcome, len(expiries), len(decisions)) == ("approved", 0, 1), results
    else:
        assert results["user"] == "conflict", results
        assert (inst.outcome, len(expiries), len(decisions)) == ("expired", 1, 0), results
    assert chain_ok(factory)
