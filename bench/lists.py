"""Benchmark of the paged lists at volume: the first page and a filtered page of every list, p95.

On PostgreSQL (a database of its own, KELISIM_BENCH_LISTS_PG_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/kelisim_bench_lists: created, its schema dropped and
recreated, and dropped again at the end unless --keep; --reuse measures a database an earlier --keep run
loaded) and on SQLite (a file in a temporary directory), each:

  (0) migrate, seed the demo organisation, deploy the processes; then set-based SQL (generate_series on
      PostgreSQL, a recursive CTE on SQLite) loads 2,000 more people, --instances instances of the four
      processes (a fifth running), their open tasks, notifications, the register's rows, the archive's
      rows with their sign-off sheets, and --audit audit entries; then ANALYZE. The bulk-loaded audit
      entries carry unique hashes but no chain (a chain is sequential by nature: each hash needs the
      one before); the triggers of migration 0009 stay on and accept them, the head is moved onto the
      last one. `kelisim audit verify` on a bench database reports the broken chain, as it should.
      Then VACUUM ANALYZE (PostgreSQL) or ANALYZE (SQLite), as a database in service would have had.
  (a) each list through its use case (processes/usecases: what the page and the API call), in a
      transaction of its own, --runs times: the first page, a filtered or searched page, and a page
      deep in the list (after a cursor); median and p95 in ms, each with its count (counted up to
      10,000), against the target of 20 ms;
  (b) the plans: EXPLAIN of each list's page query, and whether it reads an index.

Figures, not a test. Usage: `.venv/bin/python bench/lists.py [--quick] [--pg-only|--sqlite-only]
[--runs N] [--keep] [--reuse]`; the defaults are 1,000,000 instances and 10,000,000 audit entries on
PostgreSQL, 100,000 and 1,000,000 on SQLite (--quick: 50,000 / 500,000 and 20,000 / 200,000).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.speech_clearance import ms, percentile, prepare_pg, print_load  # noqa: E402
from processes.engine import ProcessEngine  # noqa: E402
from processes.information_request import request_register as register  # noqa: E402
from processes.material_signoff import archive  # noqa: E402
from processes.usecases import deploy, notifications, queries  # noqa: E402
from processes.usecases.context import Ctx, Services, Settings  # noqa: E402
from processes.usecases.seed import seed_demo  # noqa: E402
from storage.blobs import BlobStore  # noqa: E402
from storage.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import ProcessDefinition, User, utcnow  # noqa: E402

PG_URL = os.environ.get("KELISIM_BENCH_LISTS_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/kelisim_bench_lists")
TARGET_MS = 20.0
PEOPLE = 2000
PROCESSES = ("speech_clearance", "material_signoff", "information_request", "policy_amendment")
ACTIONS = ("instance_started", "task_completed", "document_issued", "document_rendered", "notification_read",
           "task_claimed", "login", "file_uploaded")
ACTORS = ("employee", "rector", "mcd.specialist", "registry", "unit.head")


class Dialect:
    """The few SQL pieces that differ: the series of integers and date-times."""

    def __init__(self, name: str, t0: float):
        self.name, self.t0 = name, t0

    def insert(self, head: str, select_: str, where: str = "TRUE") -> str:
        """INSERT … SELECT over g = 1 … :n (the rows where `where` holds)."""
        if self.name == "postgresql":
            return f"{head} {select_} FROM generate_series(1, :n) AS s(g) WHERE {where}"
        return (f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n) "
                f"{head} {select_} FROM s WHERE {where}")

    def at(self, seconds: str) -> str:
        """A UTC date-time `seconds` (an SQL expression) after the bench's start moment."""
        if self.name == "postgresql":
            return f"(to_timestamp({self.t0}) + ({seconds}) * interval '1 second')"
        return f"(strftime('%Y-%m-%d %H:%M:%S', {self.t0} + ({seconds}), 'unixepoch') || '.000000')"

    def hexhash(self, expr: str) -> str:
        if self.name == "postgresql":
            return f"lpad(to_hex({expr}), 64, '0')"
        return f"printf('%064x', {expr})"

    def pick(self, values: tuple[str, ...], expr: str) -> str:
        cases = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
        return f"(CASE ({expr}) % {len(values)} {cases} END)"


def setup(url: str, reuse: bool) -> tuple[Any, Services]:
    engine = make_engine(url)
    process_engine = ProcessEngine(ROOT / "processes")
    services = Services(engine=process_engine, blobs=BlobStore(Path(tempfile.gettempdir()) / "kelisim-bench-lists"),
                        settings=Settings(translations_dir=ROOT / "web" / "translations"))
    factory = make_sessionmaker(engine)
    if not reuse:
        upgrade(engine)
        with transaction(factory) as session:
            seed_demo(session, "kelisim-demo")
            deploy.deploy(session, process_engine)
    return factory, services


def bulk_load(factory, n: int, m: int) -> dict[str, Any]:
    """Load the synthetic organisation's work with set-based SQL; return the counts and the seconds."""
    started = time.perf_counter()
    with transaction(factory) as s:
        d = Dialect(s.get_bind().dialect.name, utcnow().timestamp() - n - 86400 * 2)
        uid = {u.username: u.id for u in s.execute(select(User)).scalars()}
        defs = {key: s.execute(select(ProcessDefinition.id).where(ProcessDefinition.key == key)
                               .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one() for key in PROCESSES}
        s.execute(text(d.insert(
            "INSERT INTO users (username, full_name, full_name_ru, full_name_en, position_kk, position_ru, "
            "position_en, password_hash, is_active, seniority, created_at)",
            f"SELECT 'bench.' || g, 'Bench Person ' || g, '', '', '', '', '', 'x', {d_true(d)}, 1000, "
            f"{d.at('0')}")), {"n": PEOPLE})
        b0 = s.execute(text("SELECT min(id) FROM users WHERE username LIKE 'bench.%'")).scalar_one()
        i0 = s.execute(text("SELECT coalesce(max(id), 0) FROM instances")).scalar_one()
        definition = "CASE g % 4 " + " ".join(f"WHEN {i} THEN {defs[k]}" for i, k in enumerate(PROCESSES)) + " END"
        starter = f"CASE WHEN g % 1000 = 1 THEN {uid['employee']} ELSE {b0} + g % {PEOPLE} END"
        running = "(g % 10 < 2)"
        s.execute(text(d.insert(
            "INSERT INTO instances (id, definition_id, process_key, status, outcome, title, started_by_id, "
            "created_at, updated_at, completed_at, due_at, version)",
            f"SELECT {i0} + g, {definition}, {d.pick(PROCESSES, 'g')}, "
            f"CASE WHEN {running} THEN 'running' ELSE 'completed' END, "
            f"CASE WHEN {running} THEN NULL ELSE 'approved' END, 'Case ' || g || ' of the bench', {starter}, "
            f"{d.at('g')}, {d.at('g')}, CASE WHEN {running} THEN NULL ELSE {d.at('g + 3600')} END, "
            f"{d.at('g + 86400 * 10')}, 1")), {"n": n})
        if d.name == "postgresql":  # the ids were given: the sequence goes on after them
            s.execute(text("SELECT setval(pg_get_serial_sequence('instances', 'id'), (SELECT max(id) FROM instances))"))
        # the open tasks of the running instances: a person's (a rector's now and then), some in a queue
        holder = f"CASE WHEN g % 997 = 0 THEN {uid['rector']} WHEN g % 5000 = 3 THEN NULL ELSE {b0} + g % {PEOPLE} END"
        s.execute(text(d.insert(
            "INSERT INTO inbox_tasks (id, instance_id, process_key, name, title, role, assignee_id, state, "
            "due_at, created_at)",
            f"SELECT 'bench-' || g, {i0} + g, {d.pick(PROCESSES, 'g')}, 'Task_Review', 'Review', "
            f"CASE WHEN g % 5000 = 3 THEN 'mcd_specialist' ELSE NULL END, {holder}, 'ready', "
            f"CASE WHEN g % 3 = 0 THEN NULL ELSE {d.at('g + 86400 * 10')} END, {d.at('g')}", running)),
            {"n": n})
        s.execute(text(d.insert(
            "INSERT INTO notifications (user_id, instance_id, kind, params, created_at, read_at)",
            f"SELECT CASE WHEN g % 1000 = 1 THEN {uid['employee']} ELSE {b0} + g % {PEOPLE} END, {i0} + g, "
            f"'task_assigned', '{{}}', {d.at('g')}, CASE WHEN g % 20000 = 1 THEN NULL ELSE {d.at('g + 60')} END")),
            {"n": n})  # read, but for a few
        # the register: every information request; answered unless running
        s.execute(text(d.insert(
            "INSERT INTO information_requests (instance_id, reg_number, requester_name, requester_kind, email, "
            "postal_address, subject, form, language, received_at, registered_at, due_at, answered_at, outcome, "
            "days_taken, overdue)",
            f"SELECT {i0} + g, 'IR-B-' || g, 'Requester ' || g, 'person', '', '', 'Subject ' || g, 'electronic', "
            f"'kk', {d.at('g')}, {d.at('g')}, {d.at('g + 86400 * 14')}, "
            f"CASE WHEN {running} THEN NULL ELSE {d.at('g + 86400 * 5')} END, "
            f"CASE WHEN {running} THEN NULL ELSE 'provided' END, 5, {d_false(d)}", "g % 4 = 2")), {"n": n})
        # the archive: approved material with its sign-off sheet
        s.execute(text(d.insert(
            "INSERT INTO documents (instance_id, kind, title, reg_number, verification_code, sha256, size, public, "
            "issued_at, rendered_at)",
            f"SELECT {i0} + g, 'signoff_sheet', 'Sign-off sheet', 'MS-B-' || g, 'VB' || g, "
            f"{d.hexhash('g')}, 1000, '{{}}', {d.at('g')}, {d.at('g')}", f"g % 4 = 1 AND NOT {running}")), {"n": n})
        s.execute(text(
            "INSERT INTO signed_off_materials (instance_id, document_id, reg_number, unit_code, unit_name, "
            "material_type, channel, title, planned_date, approved_at) "
            f"SELECT d.instance_id, d.id, d.reg_number, 'FE-IS', 'Unit', 'poster', "
            f"CASE d.id % 3 WHEN 0 THEN 'website' WHEN 1 THEN 'print' ELSE 'social' END, 'Material ' || d.id, "
            f"{'CAST(d.issued_at AS DATE)' if d.name == 'postgresql' else 'date(d.issued_at)'}, d.issued_at "
            "FROM documents d WHERE d.reg_number LIKE 'MS-B-%'"))
        # the audit trail: unique hashes, no chain (see the docstring), the head moved onto the last entry
        s0 = s.execute(text("SELECT coalesce(max(seq), 0) FROM audit_events")).scalar_one()
        s.execute(text(d.insert(
            "INSERT INTO audit_events (seq, at, actor, role, action, instance_id, task, object, data, comment, "
            "clause, request_id, prev_hash, hash)",
            f"SELECT {s0} + g, {d.at(f'g * {max(1, n) / max(1, m)}')}, {d.pick(ACTORS, 'g')}, 'employee', "
            f"{d.pick(ACTIONS, 'g / 7')}, {i0} + 1 + g % {n}, NULL, NULL, '{{}}', NULL, NULL, NULL, "
            f"{d.hexhash(f'{s0} + g + 1000000000 - 1')}, {d.hexhash(f'{s0} + g + 1000000000')}")), {"n": m})
        s.execute(text(f"UPDATE audit_head SET seq = {s0 + m}, hash = (SELECT hash FROM audit_events "
                       f"WHERE seq = {s0 + m}) WHERE id = 1"))
    seconds = time.perf_counter() - started
    engine = factory.kw["bind"]
    if engine.dialect.name == "postgresql":  # VACUUM too: the counts' index-only scans skip the fresh heap
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with factory() as s:
            s.execute(text("ANALYZE"))
            s.commit()
    return {"seconds": round(seconds, 1)}


def d_true(d: Dialect) -> str:
    return "TRUE" if d.name == "postgresql" else "1"


def d_false(d: Dialect) -> str:
    return "FALSE" if d.name == "postgresql" else "0"


def ctx_of(session, services, username: str) -> Ctx:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return Ctx(session=session, services=services, user=user)


def lists(factory, services) -> list[tuple[str, str, Callable[[Ctx], Any]]]:
    """(list, user, call) of every measured page."""
    everything = queries.InstanceFilter()
    with factory() as s:  # a cursor deep in each long list (the 40th page)
        c = ctx_of(s, services, "auditor")
        deep = None
        for _ in range(40):
            deep = queries.all_instances(c, everything, after=deep.next if deep else None)
        middle = (s.execute(text("SELECT max(seq) FROM audit_events")).scalar_one() or 0) // 2
    return [
        ("inbox, first page", "rector", lambda c: queries.inbox_page(c)),
        ("inbox, searched 'Case 99'", "rector", lambda c: queries.inbox_page(c, "Case 99")),
        ("queue inbox, first page", "mcd.specialist", lambda c: queries.inbox_page(c)),
        ("my submissions, first page", "employee", lambda c: queries.submissions_page(c)),
        ("my submissions, searched 'Case 5'", "employee", lambda c: queries.submissions_page(c, "Case 5")),
        ("all instances, first page", "auditor", lambda c: queries.all_instances(c, everything)),
        ("all instances, process filter", "auditor",
         lambda c: queries.all_instances(c, queries.InstanceFilter(process="information_request"))),
        ("all instances, status running", "auditor",
         lambda c: queries.all_instances(c, queries.InstanceFilter(status="running"))),
        ("all instances, page 41 (cursor)", "auditor",
         lambda c: queries.all_instances(c, everything, after=deep.next if deep else None)),
        ("all instances, searched number '#4242'", "auditor",
         lambda c: queries.all_instances(c, queries.InstanceFilter(text="#4242"))),
        ("API instances (employee), first page", "employee", lambda c: queries.readable_instances(c, everything)),
        ("API instances (registry), first page", "registry", lambda c: queries.readable_instances(c, everything)),
        ("API instances (registry), status running", "registry",
         lambda c: queries.readable_instances(c, queries.InstanceFilter(status="running"))),
        ("archive, first page", "mcd.head", lambda c: archive.search_page(c, archive.ArchiveFilter())),
        ("archive, channel print", "mcd.head", lambda c: archive.search_page(c, archive.ArchiveFilter(channel="print"))),
        ("register, first page", "registry", lambda c: register.search_page(c, register.RegisterFilter())),
        ("register, answered", "registry",
         lambda c: register.search_page(c, register.RegisterFilter(status="answered"))),
        ("notifications, first page", "employee", lambda c: notifications.page(c)),
        ("audit events, first page", "auditor", lambda c: queries.audit_page(c)),
        ("audit events, action filter", "auditor", lambda c: queries.audit_page(c, action="document_issued")),
        ("audit events, instance filter", "auditor", lambda c: queries.audit_page(c, instance=4242)),
        ("audit events, deep page (cursor)", "auditor",
         lambda c: queries.audit_page(c, after=(0, middle))),
    ]


def measure(factory, services, runs: int) -> list[dict[str, Any]]:
    out = []
    for name, username, call in lists(factory, services):
        samples, result = [], None
        for _ in range(runs):
            with factory() as s:
                c = ctx_of(s, services, username)
                started = time.perf_counter()
                result = call(c)
                samples.append(time.perf_counter() - started)
                s.rollback()
        count = getattr(result, "count", None)
        more = getattr(result, "more", False)
        out.append({"list": name, "median": ms(statistics.median(samples)), "p95": ms(percentile(samples, 95)),
                    "count": f"> {count:,}" if more else (f"{count:,}" if count is not None else "–"),
                    "rows": len(getattr(result, "items", getattr(result, "notices", [])))})
    return out


def plans(factory, services) -> list[tuple[str, list[str], list[str]]]:
    """EXPLAIN of each list's page query (the statement with ORDER BY … LIMIT) as the use case sends it."""
    engine = factory.kw["bind"]
    shown = []
    for name, username, call in lists(factory, services):
        captured: list[tuple[str, Any]] = []

        def grab(_conn, _cursor, statement, parameters, _context, _many, captured=captured):
            captured.append((statement, parameters))

        with factory() as s:
            c = ctx_of(s, services, username)
            event.listen(engine, "before_cursor_execute", grab)
            try:
                call(c)
            finally:
                event.remove(engine, "before_cursor_execute", grab)
            pages = [(st, p) for st, p in captured if "ORDER BY" in st and "LIMIT" in st and "count(" not in st]
            if not pages:
                continue
            statement, params = pages[0]
            prefix = "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
            rows = s.connection().exec_driver_sql(prefix + statement, params).all()
            lines = [str(r[0]) if len(r) == 1 else str(r[-1]) for r in rows]
            # a full read of a table: PostgreSQL's Seq Scan, SQLite's SCAN without an index
            full = sorted({line.split(" on ")[1].split()[0] for line in lines if "Seq Scan on " in line}
                          | {line.split()[1] for line in lines
                             if line.strip().startswith("SCAN ") and "USING" not in line})
            shown.append((name, lines, full))
            s.rollback()
    return shown


def report(title: str, figures: list[dict[str, Any]], plan_rows: list[tuple[str, list[str], list[str]]]) -> bool:
    print(f"\n== {title}: each list through its use case, ms (target p95 ≤ {TARGET_MS:g} ms)")
    print(f"  {'list':<44} {'median':>8} {'p95':>8} {'rows':>5} {'count':>10}  p95 ÷ target")
    ok = True
    for f in figures:
        ratio = f["p95"] / TARGET_MS
        ok = ok and ratio <= 1
        flag = "" if ratio <= 1 else "  ✗ over"
        print(f"  {f['list']:<44} {f['median']:>8} {f['p95']:>8} {f['rows']:>5} {f['count']:>10}  {ratio:.2f}{flag}")
    print(f"\n== {title}: plans of the page queries (EXPLAIN)")
    for name, lines, full in plan_rows:
        print(f"  -- {name}: {'indexes only' if not full else 'reads whole table(s): ' + ', '.join(full)}")
        for line in lines[:14]:
            print(f"     {line}")
    return ok


def run(label: str, url: str, n: int, m: int, runs: int, reuse: bool) -> bool:
    factory, services = setup(url, reuse)
    if not reuse:
        print(f"\n{label}: loading {n:,} instances and {m:,} audit entries …", flush=True)
        loaded = bulk_load(factory, n, m)
        print(f"{label}: loaded in {loaded['seconds']} s", flush=True)
    figures = measure(factory, services, runs)
    ok = report(f"{label}, {n:,} instances, {m:,} audit entries", figures, plans(factory, services))
    factory.kw["bind"].dispose()
    return ok


def drop_pg(url: str) -> None:
    import psycopg
    from psycopg import sql

    parsed = make_url(url)
    params: dict[str, Any] = {k: v for k, v in {"host": parsed.host or "127.0.0.1", "port": parsed.port or 5432,
                                "user": parsed.username or "postgres", "password": parsed.password}.items()
              if v is not None}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(parsed.database or "")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller volumes, fewer runs")
    parser.add_argument("--pg-only", action="store_true")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL bench database")
    parser.add_argument("--reuse", action="store_true", help="measure the database a --keep run loaded")
    parser.add_argument("--pg-url", default=PG_URL)
    opts = parser.parse_args(argv)
    pg_n, pg_m = (50_000, 500_000) if opts.quick else (1_000_000, 10_000_000)
    lite_n, lite_m = (20_000, 200_000) if opts.quick else (100_000, 1_000_000)
    runs = opts.runs or (10 if opts.quick else 30)
    print_load("at the start")
    ok = True
    if not opts.sqlite_only:
        if not opts.reuse:
            why = prepare_pg(opts.pg_url)
            if why:
                print(f"PostgreSQL skipped: {why}")
        try:
            ok = run("PostgreSQL", opts.pg_url, pg_n, pg_m, runs, opts.reuse) and ok
        finally:
            if not opts.keep:
                drop_pg(opts.pg_url)
    if not opts.pg_only:
        with tempfile.TemporaryDirectory() as tmp:
            ok = run("SQLite", f"sqlite:///{tmp}/bench-lists.sqlite3", lite_n, lite_m, runs, False) and ok
    print_load("at the end")
    print(f"\nevery list within {TARGET_MS:g} ms (p95): {'yes' if ok else 'no'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
