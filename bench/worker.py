"""Benchmark of the timer worker on PostgreSQL: finding due instances among 100,000 waiting ones, and firing.

In one run, on a PostgreSQL database of its own (KELISIM_BENCH_PG_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/kelisim_bench; created if missing, its `public` schema
dropped and recreated; never the test suite's database `test`):

  (0) migrate, seed the demo organisation, deploy the processes; then bulk SQL inserts --waiting
      running instances whose next timer is 30 to 210 days ahead, --due running instances due now,
      --errors due instances marked in error, and --completed finished ones; then ANALYZE;
  (a) the due query: the plans PostgreSQL picks for the worker's query (custom and generic plan),
      then, interleaved, --runs times each, the worker's way of finding due instances
      (`timers.due_instance_ids` in a committed transaction: the partial index, no row locks; each
      instance is then claimed alone, FOR UPDATE SKIP LOCKED, in the transaction that fires it)
      against the bare indexed `SELECT id FROM instances WHERE next_timer_at <= now ORDER BY
      next_timer_at LIMIT 100` in a committed transaction (with a plain index on next_timer_at that
      the benchmark adds for it): medians, p95 and the ratio (target <= 3x);
  (b) firing: --fire real speech-clearance instances (through the use cases), then `tick` until none
      is due, at the reminder (1 timer each) and after the deadline (escalation + expiry: 2 timers
      each, the instance ends as expired): instances/s and timers/s.

With `--process media_inquiry` (issue 15) the synthetic instances are media inquiries, each with one unit's
answer waiting on its hour clock (a `media_inquiries` and a `media_asks` row each, next timer 1 hour to 3
days ahead), and (b) fires real media inquiries (one urgent unit each): at half the term (1 timer each) and
after the deadline (the last reminder is skipped + the escalation: 2 timers each; the inquiry runs on).

Figures, not a test. Usage: `.venv/bin/python bench/worker.py [--quick] [--pg-url URL] [--runs N]
[--process speech_clearance|media_inquiry]`.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import time_machine
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url

from bench.speech_clearance import ms, percentile, prepare_pg, print_load, print_section
from processes.engine import ProcessEngine
from processes.usecases import deploy, instances, timers
from processes.usecases.context import Ctx, Services, Settings
from processes.usecases.seed import seed_demo
from processes.worker import tick
from storage.blobs import BlobStore
from storage.db import make_engine, make_sessionmaker, transaction
from storage.migrate import upgrade
from storage.models import AuditEvent, Instance, ProcessDefinition, User, utcnow
from tests.helpers import submission

PG_URL = os.environ.get("KELISIM_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/kelisim_bench")
PASSWORD = "kelisim-demo"
BARE = "SELECT id FROM instances WHERE next_timer_at <= :now ORDER BY next_timer_at LIMIT 100"
TARGET_RATIO = 3.0


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 waiting, 40 fired, 50 runs: a smoke run")
    parser.add_argument("--pg-url", default=PG_URL, help=f"PostgreSQL to use (default {PG_URL})")
    parser.add_argument("--waiting", type=int, help="running instances with a timer months ahead (100000)")
    parser.add_argument("--due", type=int, default=100, help="running instances due now (100)")
    parser.add_argument("--errors", type=int, default=1000, help="due instances marked in error (1000)")
    parser.add_argument("--completed", type=int, help="finished instances, no timer (100000)")
    parser.add_argument("--fire", type=int, help="real instances fired in (b) (200)")
    parser.add_argument("--runs", type=int, help="runs of each due query in (a) (500)")
    parser.add_argument("--process", choices=("speech_clearance", "media_inquiry"), default="speech_clearance",
                        help="what the waiting instances are (speech_clearance)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.waiting = args.waiting if args.waiting is not None else (20_000 if quick else 100_000)
    args.completed = args.completed if args.completed is not None else (20_000 if quick else 100_000)
    args.fire = args.fire if args.fire is not None else (40 if quick else 200)
    args.runs = args.runs if args.runs is not None else (50 if quick else 500)
    return args


# --- (0) the database -------------------------------------------------------------------------------

def setup(url: str) -> tuple[Any, Services]:
    """Migrate, seed, deploy; return the session factory and the services."""
    engine = make_engine(url)
    upgrade(engine)
    process_engine = ProcessEngine(ROOT / "processes")
    services = Services(engine=process_engine, blobs=BlobStore(Path(os.environ.get("TMPDIR", "/tmp"))
                                                               / "kelisim-bench-worker-blobs"),
                        settings=Settings(translations_dir=ROOT / "web" / "translations"))
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        seed_demo(session, PASSWORD)
        deploy.deploy(session, process_engine)
    return factory, services


def bulk_insert(factory, opts: argparse.Namespace) -> dict[str, Any]:
    """Insert the synthetic instances with set-based SQL; return the counts and the time it took."""
    started = time.perf_counter()
    with transaction(factory) as s:
        media = opts.process == "media_inquiry"
        definition = s.execute(select(ProcessDefinition.id).where(ProcessDefinition.key == opts.process)
                               .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one()
        user = s.execute(select(User.id).where(User.username == ("mcd.specialist" if media else "employee"))
                         ).scalar_one()
        waiting = ("now() + interval '1 hour' + (g::float8 / :n) * interval '3 days'" if media
                   else "now() + interval '30 days' + (g::float8 / :n) * interval '180 days'")
        timer = {  # next_timer_at of each kind of synthetic instance
            "completed": "NULL",
            "waiting": waiting,
            "error": "now() - interval '2 hours' + g * interval '1 second'",
            "due": "now() - interval '1 hour' + g * interval '1 second'",
        }
        for kind, n in (("completed", opts.completed), ("waiting", opts.waiting), ("error", opts.errors),
                        ("due", opts.due)):
            if not n:
                continue
            done = kind == "completed"
            s.execute(text(f"""
                INSERT INTO instances (definition_id, process_key, status, outcome, title, started_by_id,
                                       created_at, updated_at, completed_at, due_at, next_timer_at,
                                       error, error_at, version)
                SELECT :definition, '{opts.process}', '{"completed" if done else "running"}',
                       {("'released'" if media else "'approved'") if done else "NULL"}, 'bench {kind} ' || g, :user,
                       now(), now(), {"now()" if done else "NULL"}, now() + interval '220 days', {timer[kind]},
                       {"'RuntimeError: benchmark', now()" if kind == "error" else "NULL, NULL"}, 1
                FROM generate_series(1, :n) AS g"""), {"definition": definition, "user": user, "n": n})
        if media:  # each inquiry: its register row and one unit's answer on the clock of its next timer
            unit = s.execute(text("SELECT id FROM units WHERE code = 'FE-IS'")).scalar_one()
            s.execute(text("""
                INSERT INTO media_inquiries (instance_id, reg_number, outlet, journalist, contact, subject,
                                             search_text, questions, registered_at, source_id, sent_at, outcome)
                SELECT id, 'MI-B-' || id, 'Bench outlet', 'Bench journalist', '+7 700', title, lower(title),
                       '["Why?"]', created_at, :user, created_at, outcome
                FROM instances WHERE process_key = 'media_inquiry'"""), {"user": user})
            s.execute(text("""
                INSERT INTO media_asks (inquiry_id, instance_id, unit_id, urgency, sent_at, due_at, status, overdue)
                SELECT m.id, i.id, :unit, 'current', i.created_at, coalesce(i.next_timer_at, now()) + interval '1 hour',
                       CASE WHEN i.status = 'running' THEN 'open' ELSE 'answered' END, false
                FROM media_inquiries m JOIN instances i ON i.id = m.instance_id"""), {"unit": unit})
    seconds = time.perf_counter() - started
    with factory() as s:
        s.execute(text("ANALYZE instances"))
        if opts.process == "media_inquiry":
            s.execute(text("ANALYZE media_asks"))
        s.commit()
        total = s.execute(select(func.count()).select_from(Instance)).scalar_one()
        size = s.execute(text("SELECT pg_size_pretty(pg_relation_size('ix_instances_due_timer'))")).scalar_one()
    return {"rows": total, "insert_s": round(seconds, 2), "due_index_size": size}


# --- (a) the due query ----------------------------------------------------------------------------------

def captured(factory, call, marker: str) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters that `call(session)` sends with `marker` in it (captured at the cursor)."""
    seen: list[tuple[str, Any]] = []
    engine = factory.kw["bind"]

    def grab(_conn, _cursor, statement, parameters, _context, _many):
        if marker in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        with factory() as s:
            call(s)
            s.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return seen[-1]


def plans(factory) -> list[tuple[str, list[str]]]:
    """EXPLAIN of the worker's due query and claim as sent; then the generic plan of the due query (as
    after psycopg prepares it) with the status written into the SQL (ours) and, for comparison, bound."""
    now = utcnow()
    with factory() as s:
        first = timers.due_instance_ids(s, now, limit=1)[0]
    due_sql = captured(factory, lambda s: timers.due_instance_ids(s, now), "ORDER BY instances.next_timer_at")
    claim_sql = captured(factory, lambda s: timers.claim(s, first, now), "SKIP LOCKED")
    engine = factory.kw["bind"]
    rows = []
    with engine.connect() as conn:
        for label, (statement, params) in (("worker's due query (custom plan)", due_sql),
                                           ("worker's claim of one instance", claim_sql)):
            out = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY ON) "
                                       + statement, params).scalars().all()
            rows.append((label, out))
            conn.rollback()
        base = ("SELECT id FROM instances WHERE status = {status} AND error IS NULL AND next_timer_at <= $1 "
                "ORDER BY next_timer_at LIMIT $2")
        conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        for label, sql, args in (("worker's due query (generic plan)", base.format(status="'running'"), ""),
                                 ("status bound as $3 (generic plan)", base.format(status="$3"), ", 'running'")):
            conn.exec_driver_sql(f"PREPARE due_q AS {sql}")
            out = conn.exec_driver_sql(f"EXPLAIN (COSTS OFF) EXECUTE due_q(now(), 100{args})").scalars().all()
            conn.exec_driver_sql("DEALLOCATE due_q")
            rows.append((label, out))
        conn.exec_driver_sql("RESET plan_cache_mode")
        conn.rollback()
    return rows


def bench_due(factory, runs: int, expected: int) -> dict[str, Any]:
    """Interleaved runs of the worker's due query and the bare indexed SELECT, each in a committed transaction."""
    with transaction(factory) as s:  # the bare query needs a plain index on next_timer_at (not in the schema)
        s.execute(text("CREATE INDEX IF NOT EXISTS bench_ix_next_timer_at ON instances (next_timer_at)"))
        s.execute(text("ANALYZE instances"))
    now = utcnow()
    bare = text(BARE)

    def worker_way() -> int:
        with transaction(factory) as s:
            return len(timers.due_instance_ids(s, now))

    def bare_way() -> int:
        with transaction(factory) as s:
            return len(s.execute(bare, {"now": now}).scalars().all())

    got = (worker_way(), bare_way())
    for _ in range(20):  # warm-up, and past psycopg's prepare threshold
        worker_way()
        bare_way()
    samples: dict[str, list[float]] = {"worker": [], "bare": []}
    for i in range(runs):
        order = (("worker", worker_way), ("bare", bare_way)) if i % 2 == 0 else (("bare", bare_way),
                                                                               ("worker", worker_way))
        for name, fn in order:
            t0 = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t0)
    fig = {name: {"median_ms": ms(statistics.median(v)), "p95_ms": ms(percentile(v, 95))}
           for name, v in samples.items()}
    fig["ratio"] = round(statistics.median(samples["worker"]) / statistics.median(samples["bare"]), 2)
    fig["rows"] = {"worker": got[0], "bare": got[1], "expected_due": expected}
    fig["runs"] = runs
    return fig


# --- (b) firing -------------------------------------------------------------------------------------------

def create_real_media(factory, services, n: int) -> tuple[list[int], Any]:
    """n media inquiries through the use cases, each asking one unit urgently (one transaction per step)."""
    ids = []
    for _ in range(n):
        with transaction(factory) as s:
            user = s.execute(select(User).where(User.username == "mcd.specialist")).scalar_one()
            ctx = Ctx(session=s, services=services, user=user)
            inst = instances.start_instance(ctx, "media_inquiry")
            instances.complete_task(ctx, instances.ready_tasks(ctx, inst)[0].id, {
                "outlet": "Bench TV", "journalist": "Bench", "contact": "+7 700", "questions": "1. Why?\n2. When?"})
            instances.complete_task(ctx, instances.ready_tasks(ctx, inst)[0].id, {
                "source": "rector", "units": [{"unit": "FE-IS", "urgency": "urgent"}]})
            ids.append(inst.id)
    with factory() as s:
        return ids, s.get(Instance, ids[0]).created_at + timedelta(hours=3)


def create_real(factory, services, n: int) -> tuple[list[int], Any]:
    """n submitted speech-clearance instances through the use cases (one transaction each)."""
    ids = []
    for _ in range(n):
        with transaction(factory) as s:
            user = s.execute(select(User).where(User.username == "employee")).scalar_one()
            ctx = Ctx(session=s, services=services, user=user)
            inst = instances.start_instance(ctx, "speech_clearance")
            instances.complete_task(ctx, instances.ready_tasks(ctx, inst)[0].id, submission())
            ids.append(inst.id)
    with factory() as s:
        return ids, s.get(Instance, ids[0]).due_at


def timers_fired(factory) -> int:
    with factory() as s:
        return s.execute(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.action == "timer_fired")).scalar_one()


def fire_round(factory, services, when, n: int) -> dict[str, Any]:
    """Travel to `when` (the clock runs on) and tick until nothing is due; return the rates."""
    before = timers_fired(factory)
    with time_machine.travel(when, tick=True):
        started = time.perf_counter()
        advanced, ticks = 0, 0
        while True:
            ticks += 1
            done = tick(factory, services)
            advanced += done
            if not done:
                break
        seconds = time.perf_counter() - started
    fired = timers_fired(factory) - before
    return {"instances": advanced, "expected": n, "timers": fired, "ticks": ticks, "seconds": round(seconds, 2),
            "instances_per_s": round(advanced / seconds, 1), "timers_per_s": round(fired / seconds, 1),
            "ms_per_instance": ms(seconds / max(advanced, 1))}


def bench_fire(factory, services, n: int, process: str = "speech_clearance") -> dict[str, Any]:
    started = time.perf_counter()
    media = process == "media_inquiry"
    _ids, deadline = (create_real_media if media else create_real)(factory, services, n)
    created = time.perf_counter() - started
    first = timedelta(hours=1, minutes=30) if media else timedelta(days=3)
    reminder = fire_round(factory, services, deadline - first + timedelta(minutes=1), n)
    expiry = fire_round(factory, services, deadline + timedelta(minutes=1), n)
    with factory() as s:
        errors = s.execute(select(func.count()).select_from(Instance).where(
            Instance.error.is_not(None), Instance.title.not_like("bench %"))).scalar_one()
    return {"created_s": round(created, 2), "reminder": reminder, "deadline": expiry, "errors": errors}


# --- main ----------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    opts = parse_options(argv)
    url = make_url(opts.pg_url)
    if url.database in ("test", None):
        print(f"refusing {url.render_as_string()}: the test suite owns the database 'test'; use another one")
        return 2
    print(f"Kelisim timer-worker benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"{url.render_as_string()}")
    print_load("before")
    problem = prepare_pg(opts.pg_url)
    if problem:
        print(f"skipped: PostgreSQL not reachable ({problem})")
        return 0
    factory, services = setup(opts.pg_url)
    with factory() as s:
        print(f"PostgreSQL {s.execute(text('SHOW server_version')).scalar_one()}")
    filled = bulk_insert(factory, opts)
    print_section("(0) synthetic instances (set-based INSERT … SELECT generate_series)", [
        (f"running {opts.process}, next timer " + ("1 hour to 3 days" if opts.process == "media_inquiry"
                                                   else "30–210 days") + " ahead", opts.waiting),
        ("running, due now", opts.due),
        ("due but marked in error (must not be picked)", opts.errors), ("completed (no timer)", opts.completed),
        ("rows in instances / insert time s", f"{filled['rows']} / {filled['insert_s']}"),
        ("size of ix_instances_due_timer (partial)", filled["due_index_size"]),
    ])
    print("\n== (a) plans of the due query")
    for label, lines in plans(factory):
        print(f"  -- {label}")
        for line in lines:
            print(f"     {line}")
    due = bench_due(factory, opts.runs, opts.due)
    print_section(f"(a) finding due instances among {opts.waiting:,} waiting, {opts.runs} interleaved runs each", [
        ("worker: timers.due_instance_ids, median / p95 ms", f"{due['worker']['median_ms']} / {due['worker']['p95_ms']}"),
        ("bare indexed SELECT … LIMIT 100, median / p95 ms", f"{due['bare']['median_ms']} / {due['bare']['p95_ms']}"),
        ("ratio worker / bare (target ≤ 3)", due["ratio"]),
        ("rows returned: worker / bare (due)", f"{due['rows']['worker']} / {due['rows']['bare']} "
                                               f"({due['rows']['expected_due']} due, not in error)"),
    ])
    verdict = "PASS" if due["ratio"] <= TARGET_RATIO and due["rows"]["worker"] == min(opts.due, 100) else "FAIL"
    print(f"{verdict}: the worker's due query within {TARGET_RATIO}× of the bare indexed SELECT, "
          f"returning exactly the due instances")
    with transaction(factory) as s:  # (b) fires real instances only: move the synthetic due ones away
        s.execute(text("UPDATE instances SET next_timer_at = now() + interval '300 days' "
                       "WHERE title LIKE 'bench due %' OR (process_key = 'media_inquiry' AND title LIKE 'bench %')"))
    fired = bench_fire(factory, services, opts.fire, opts.process)
    rows = [("created through the use cases, s", fired["created_s"])]
    last = "(last reminder skipped + escalation)" if opts.process == "media_inquiry" else "(escalation + expiry)"
    for label, r in (("at the reminder (1 timer each)", fired["reminder"]),
                     (f"after the deadline {last}", fired["deadline"])):
        rows += [(f"{label}: instances / timers", f"{r['instances']} / {r['timers']} in {r['seconds']} s "
                                                  f"({r['ticks']} ticks)"),
                 (f"{label}: instances/s, timers/s", f"{r['instances_per_s']}, {r['timers_per_s']}"),
                 (f"{label}: ms per instance", r["ms_per_instance"])]
    rows.append(("instances marked in error", fired["errors"]))
    print_section(f"(b) firing {opts.fire} real {opts.process} instances with tick(), one worker", rows)
    print_load("after (includes this run)", warn=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
