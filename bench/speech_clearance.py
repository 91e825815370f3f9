"""Benchmark of the speech_clearance process, from the engine floor to the JSON API under load.

One full instance: start → submit (no file, categories ["finance"], event 30 days ahead) →
vr.finance approves → the certificate PDF is issued. Measured, in one run:

  (a)  the engine alone, in memory, with Run.dumps() + ProcessEngine.restore() around each action;
  (b)  the use-case layer on SQLite, each action in its own committed transaction (inbox, audit, PDF);
  (b') the same with the certificate rendering replaced by fixed bytes;
  (c)  the JSON API of a `kelisim serve` subprocess (its worker renders the PDFs), one sequential client;
  (d)  the JSON API with concurrent clients for a fixed time, on SQLite and then on PostgreSQL.

Then a comparison with peer engines measured earlier on a machine of this kind (PEERS below).
Only 127.0.0.1 is contacted. Usage: `.venv/bin/python bench/speech_clearance.py [--quick]`.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests
from sqlalchemy import select
from sqlalchemy.engine import Engine, make_url

import processes.speech_clearance.kind as speech  # also registers the process kind
from processes.engine import ProcessEngine
from processes.rendering import render_pending
from processes.university_time import today_local
from processes.usecases import deploy, instances, queries
from processes.usecases.context import Ctx, Services, Settings
from processes.usecases.seed import seed_demo
from storage.blobs import BlobStore
from storage.db import make_engine, make_sessionmaker, transaction
from storage.migrate import upgrade
from storage.models import Document, Instance, User, utcnow

PROCESS = "speech_clearance"
PASSWORD = os.environ.get("KELISIM_DEMO_PASSWORD", "kelisim-demo")
SUBMITTERS = ("employee", "employee2")  # nobody clears their own text: vr.finance only approves
APPROVER = "vr.finance"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
HTTP_TIMEOUT = 60.0
MAX_INSTANCES_PER_CLIENT = 100_000  # a count bound on top of the time bound
STUB_PDF = b"%PDF-1.4\n% benchmark stub, certificate rendering excluded\n%%EOF\n"
PEERS = {  # SpiffArena and django-viewflow on a 2-core machine of this kind (SQLite, full approval instance)
    "spiffarena_in_process_ms": 95.0, "spiffarena_http_one_client_ms": 178.0,
    "spiffarena_http_calls": 6, "spiffarena_4_clients_per_s": 5.0, "viewflow_4_clients_per_s": 45.0,
}


@dataclass(frozen=True)
class Options:
    """What to run and how long."""

    engine_n: int
    usecase_n: int
    api_n: int
    seconds: float
    clients: int
    pg_url: str | None
    json_path: Path | None
    keep: bool
    api_only: bool = False


# --- small helpers ----------------------------------------------------------------------------

def percentile(samples: list[float], pct: float) -> float:
    """Return the pct-th percentile (nearest rank) of non-empty samples."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    """Return seconds as milliseconds rounded to 2 decimals."""
    return round(seconds * 1000, 2)


def submission(**overrides: Any) -> dict[str, Any]:
    """Return the submission form: no file, categories ["finance"], the event 30 days ahead."""
    data = {
        "event_name": "Digital University 2026", "event_kind": "conference", "organizer": "KInEU",
        "event_date": (today_local(utcnow()) + timedelta(days=30)).isoformat(),
        "location": "Kostanay, main hall", "title": "Цифровая трансформация университета",
        "text": "Тезистер: қаржы-шаруашылық қызметі туралы.", "categories": ["finance"],
    }
    return data | overrides


def timed_loop(n: int, body: Callable[[], None], warmup: int = 2) -> dict[str, float]:
    """Run body warmup + n times; return the median and p95 ms of one run and the runs per second."""
    for _ in range(warmup):
        body()
    samples = []
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        body()
        samples.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    return {"n": n, "median_ms": ms(statistics.median(samples)), "p95_ms": ms(percentile(samples, 95)),
            "per_s": round(n / total, 1)}


# --- (a) the engine floor ---------------------------------------------------------------------

def engine_submission() -> dict[str, Any]:
    """Return the submit data as the use case hands it to the engine (deadline and timer targets)."""
    data = submission(file_ids=[])
    deadline = speech.deadline_of(date.fromisoformat(data["event_date"]))
    return data | {"deadline_at": deadline.isoformat(),
                   "reminder_at": (deadline - speech.REMIND_BEFORE).isoformat(),
                   "escalation_at": (deadline - speech.ESCALATE_BEFORE).isoformat()}


def engine_instance(engine: ProcessEngine, spec_json: str, persist: bool) -> None:
    """Run start → submit → approve; with persist, save after and load before every action."""
    run = engine.start(spec_json, {"submitter": "employee", "instance_id": 1})
    state = run.dumps() if persist else ""
    for name, data in (("Task_Submit", engine_submission()), (speech.DECIDE_TASK, {"decision": "approve"})):
        run = engine.restore(spec_json, state) if persist else run
        (task,) = [t for t in run.ready_user_tasks() if t.name == name]
        run.complete(task.id, data)
        state = run.dumps() if persist else ""
    assert run.is_completed() and run.data.get("outcome") == "approved", run.data


def bench_engine(n: int) -> dict[str, Any]:
    """Measure (a): the engine in memory, without and with save/load around each action."""
    engine = ProcessEngine(ROOT / "processes")
    spec_json = {p.key: p for p in engine.deploy_all()}[PROCESS].spec_json
    plain = timed_loop(n, lambda: engine_instance(engine, spec_json, persist=False))
    persisted = timed_loop(n, lambda: engine_instance(engine, spec_json, persist=True))
    return {"in_memory": plain, "with_save_load": persisted}


# --- (b) the use-case layer on SQLite -----------------------------------------------------------

class Actions:
    """Run use cases as a named demo user, each call in its own committed transaction."""

    def __init__(self, db: Engine, services: Services) -> None:
        """Open a session factory on the database; keep the services."""
        self.db, self.factory, self.services = db, make_sessionmaker(db), services

    def __call__(self, username: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Call fn(ctx, *args) as username inside transaction(); commit on return."""
        with transaction(self.factory) as session:
            user = session.execute(select(User).where(User.username == username)).scalar_one()
            return fn(Ctx(session=session, services=self.services, user=user), *args)


def _start(ctx: Ctx) -> tuple[int, str]:
    """Start an instance and return its id and the submission task's id (as the API does)."""
    inst = instances.start_instance(ctx, PROCESS)
    return inst.id, instances.ready_tasks(ctx, inst)[0].id


def _my_task(ctx: Ctx, instance_id: int) -> str:
    """Return the id of the caller's single ready task in the instance, from the inbox."""
    (task,) = [t for t in queries.inbox(ctx) if t.instance_id == instance_id]
    return task.id


def _complete(ctx: Ctx, task_id: str, data: dict[str, Any]) -> tuple[str, str | None]:
    """Complete a task and return the instance's status and outcome."""
    inst = instances.complete_task(ctx, task_id, data)
    return inst.status, inst.outcome


STEPS = ("start", "submit", "inbox", "approve", "render")  # (b)'s steps, each timed on its own


def usecase_instance(act: Actions, submitter: str = "employee",
                     steps: dict[str, list[float]] | None = None) -> int:
    """Run one full instance through the use cases in 4 transactions; return its id. With ``steps``,
    append each step's seconds to steps[name] (STEPS: the 4 transactions, then the PDF's render)."""
    marks = [time.perf_counter()]
    instance_id, submit_id = act(submitter, _start)
    marks.append(time.perf_counter())
    act(submitter, _complete, submit_id, submission())
    marks.append(time.perf_counter())
    decide_id = act(APPROVER, _my_task, instance_id)
    marks.append(time.perf_counter())
    result = act(APPROVER, _complete, decide_id, {"decision": "approve"})
    marks.append(time.perf_counter())
    assert result == ("completed", "approved"), result
    render_pending(act.factory, act.services, instance_id)  # the PDF, after the commit, as the web layer does
    marks.append(time.perf_counter())
    if steps is not None:
        for name, begin, end in zip(STEPS, marks, marks[1:], strict=False):
            steps.setdefault(name, []).append(end - begin)
    return instance_id


def step_medians(steps: dict[str, list[float]], warmup: int = 2) -> dict[str, float]:
    """Median ms of each step, the warm-up instances left out."""
    return {name: ms(statistics.median(samples[warmup:] or samples)) for name, samples in steps.items()}


def usecase_setup(tmp: Path) -> Actions:
    """Create a migrated, seeded SQLite database with the processes deployed; return its Actions."""
    engine = ProcessEngine(ROOT / "processes")
    db = make_engine(f"sqlite:///{tmp / 'usecases.sqlite3'}")
    upgrade(db)
    services = Services(engine=engine, blobs=BlobStore(tmp / "blobs"),
                        settings=Settings(translations_dir=ROOT / "web" / "translations"))
    act = Actions(db, services)
    with transaction(act.factory) as session:
        seed_demo(session, PASSWORD)
        deploy.deploy(session, engine)
    return act


def has_certificate(act: Actions, instance_id: int) -> bool:
    """Return True when the instance has an issued clearance certificate."""
    with act.factory() as session:
        doc = session.execute(select(Document).where(Document.instance_id == instance_id)).scalar_one()
        return (doc.kind == "clearance_certificate" and doc.sha256 is not None
                and session.get(Instance, instance_id).outcome == "approved")


def bench_usecases(tmp: Path, n: int) -> dict[str, Any]:
    """Measure (b) with the real certificate PDF and (b') with the rendering stubbed out."""
    act = usecase_setup(tmp)
    pdf_steps: dict[str, list[float]] = {}
    with_pdf = timed_loop(n, lambda: usecase_instance(act, steps=pdf_steps))
    with_pdf["steps_ms"] = step_medians(pdf_steps)
    with_pdf["certificate_issued"] = has_certificate(act, usecase_instance(act))
    stub_steps: dict[str, list[float]] = {}
    with mock.patch.object(speech, "render_certificate", return_value=STUB_PDF):
        no_pdf = timed_loop(n, lambda: usecase_instance(act, steps=stub_steps))
    no_pdf["steps_ms"] = step_medians(stub_steps)
    act.db.dispose()
    return {"with_pdf": with_pdf, "without_pdf": no_pdf, "transactions_per_instance": 4}


# --- the server subprocess ----------------------------------------------------------------------

def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kelisim_command() -> list[str]:
    """Return the command that runs the `kelisim` console script of this interpreter's venv."""
    script = Path(sys.executable).parent / "kelisim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "web.cli"]


def server_env(data_dir: Path, db_url: str) -> dict[str, str]:
    """Return the environment of the kelisim commands: a fresh data dir and the database URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KELISIM_")}
    env.update(KELISIM_DATA_DIR=str(data_dir), KELISIM_DATABASE_URL=db_url,
               KELISIM_DEMO_PASSWORD=PASSWORD, KELISIM_LOG_LEVEL="WARNING", NO_PROXY="127.0.0.1")
    # The checkout first on the path: an editable install made before web/__init__.py existed
    # maps `web` to a namespace package, and `kelisim` then fails with "cannot import create_app".
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return env


def tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a text file (empty when missing)."""
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 180.0) -> None:
    """Poll GET /healthz until it answers 200; raise with the log's tail if the server dies or hangs."""
    deadline = time.monotonic() + timeout
    with requests.Session() as http:
        http.trust_env = False
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                if http.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"kelisim serve did not become ready (exit code {proc.poll()}); "
                       f"tail of {log}:\n{tail(log)}")


def prepare_data(env: dict[str, str], log: Path) -> None:
    """Run `kelisim db upgrade` and `kelisim seed-demo`, appending their output to the log."""
    for args in (["db", "upgrade"], ["seed-demo"]):
        with log.open("ab") as out:
            done = subprocess.run([*kelisim_command(), *args], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"kelisim {' '.join(args)} failed; tail of {log}:\n{tail(log)}")


@dataclass(frozen=True)
class Server:
    """A running `kelisim serve` subprocess."""

    base: str
    log: Path
    pid: int

    def cpu_seconds(self) -> float:
        """Return the user + system CPU time of the server and all its live descendants (Linux /proc)."""
        stats: dict[int, tuple[int, int]] = {}  # pid -> (parent pid, clock ticks)
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(stat.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
        if self.pid not in stats:
            return float("nan")
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            parent = frontier.pop()
            children = [pid for pid, (ppid, _) in stats.items() if ppid == parent and pid not in tree]
            tree.update(children)
            frontier.extend(children)
        return sum(stats[pid][1] for pid in tree) / os.sysconf("SC_CLK_TCK")


@contextmanager
def running_server(tmp: Path, name: str, db_url: str | None) -> Iterator[Server]:
    """Migrate, seed and serve a fresh instance on a free port; yield it; always stop it."""
    data_dir = tmp / name
    data_dir.mkdir()
    log = tmp / f"{name}-server.log"
    env = server_env(data_dir, db_url or f"sqlite:///{data_dir / 'kelisim.sqlite3'}")
    prepare_data(env, log)
    port = free_port()
    with log.open("ab") as out:
        # with its worker: the certificates are rendered in the background, as deployed
        proc = subprocess.Popen([*kelisim_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, proc, log)
        yield Server(base, log, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


# --- the API client -----------------------------------------------------------------------------

class ApiError(Exception):
    """A call answered with a non-2xx status."""


@dataclass
class ApiClient:
    """One HTTP session with bearer tokens; records every call's status and latency."""

    base: str
    http: requests.Session = field(default_factory=requests.Session)
    tokens: dict[str, str] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    messages: Counter[str] = field(default_factory=Counter)
    calls: int = 0

    def login(self, *usernames: str) -> None:
        """Create a token for each user (not recorded as an instance call)."""
        self.http.trust_env = False  # never route 127.0.0.1 through a proxy from the environment
        for username in usernames:
            response = self.http.post(f"{self.base}/api/v1/tokens", timeout=HTTP_TIMEOUT,
                                      json={"username": username, "password": PASSWORD})
            if response.status_code != 201:
                raise ApiError(f"token for {username}: {response.status_code} {response.text[:200]}")
            self.tokens[username] = response.json()["token"]

    def call(self, label: str, user: str, method: str, path: str, **kwargs: Any) -> Any:
        """Make one API call as user; record it; return the JSON body or raise ApiError."""
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        self.calls += 1
        t0 = time.perf_counter()
        response = self.http.request(method, f"{self.base}{path}", headers=headers,
                                     timeout=HTTP_TIMEOUT, **kwargs)
        self.latencies.setdefault(label, []).append(time.perf_counter() - t0)
        self.statuses[str(response.status_code)] += 1
        if not 200 <= response.status_code < 300:
            self.messages[f"{label} {response.status_code}: {response.text[:160].strip()}"] += 1
            raise ApiError(f"{label}: {response.status_code}")
        return response.json()


def api_instance(client: ApiClient, submitter: str) -> int:
    """Run one full instance over the API (4 calls); return its id."""
    started = client.call("start", submitter, "POST", f"/api/v1/processes/{PROCESS}/instances")
    iid, submit_id = started["id"], started["tasks"][0]["id"]
    client.call("complete_submit", submitter, "POST", f"/api/v1/tasks/{submit_id}/complete",
                json={"data": submission()})
    tasks = client.call("inbox", APPROVER, "GET", "/api/v1/tasks")
    (decide,) = [t for t in tasks if t["instance_id"] == iid]
    done = client.call("complete_approve", APPROVER, "POST", f"/api/v1/tasks/{decide['id']}/complete",
                       json={"data": {"decision": "approve"}})
    if done["instance"] != {"id": iid, "status": "completed", "outcome": "approved"}:
        raise ValueError(f"unexpected result {done['instance']}")
    return iid


def api_certificate_issued(client: ApiClient, instance_id: int, wait: float = 60.0) -> bool:
    """Return True when the instance lists a clearance certificate whose PDF downloads (rendered in the
    background: asked again while the download answers 409 with Retry-After, for up to `wait` seconds)."""
    return certificate_ready_after(client, instance_id, wait) is not None


def certificate_ready_after(client: ApiClient, instance_id: int, wait: float = 60.0,
                            user: str = SUBMITTERS[0]) -> float | None:
    """Seconds from now until the instance's certificate downloads as a PDF (as `user`, its submitter),
    or None if it never does."""
    t0 = time.perf_counter()
    inst = client.call("check", user, "GET", f"/api/v1/instances/{instance_id}")
    docs = [d for d in inst["documents"] if d["kind"] == "clearance_certificate"]
    if not docs:
        return None
    while True:
        pdf = client.http.get(f"{client.base}/api/v1/documents/{docs[0]['id']}", timeout=HTTP_TIMEOUT,
                              headers={"Authorization": f"Bearer {client.tokens[user]}"})
        if pdf.status_code == 200 and pdf.content.startswith(b"%PDF"):
            return time.perf_counter() - t0
        if pdf.status_code != 409 or time.perf_counter() - t0 > wait:
            return None
        time.sleep(0.05)


# --- (c) one sequential client --------------------------------------------------------------------

def bench_api_sequential(server: Server, n: int) -> dict[str, Any]:
    """Measure (c): median ms per full instance over HTTP and the number of calls per instance."""
    client = ApiClient(server.base)
    client.login(SUBMITTERS[0], APPROVER)
    cpu_before = server.cpu_seconds()
    result = timed_loop(n, lambda: api_instance(client, SUBMITTERS[0]))
    result["server_cpu_ms_per_instance"] = ms((server.cpu_seconds() - cpu_before) / (n + 2))
    before = client.calls
    last = api_instance(client, SUBMITTERS[0])
    result["http_calls_per_instance"] = client.calls - before
    ready = certificate_ready_after(client, last)
    result["certificate_issued"] = ready is not None
    result["certificate_ready_ms"] = ms(ready) if ready is not None else None
    result["call_p50_ms"] = {k: ms(statistics.median(v)) for k, v in client.latencies.items()}
    client.http.close()
    return result


# --- (d) concurrent clients -----------------------------------------------------------------------

@dataclass
class Worker:
    """One concurrent client: its own session and tokens, a submitter of its own."""

    client: ApiClient
    submitter: str
    completed: int = 0
    exceptions: Counter[str] = field(default_factory=Counter)
    last_instance: int | None = None

    def run(self, start: threading.Barrier, deadline_box: list[float]) -> None:
        """Run full instances until the deadline (or the count bound); count what fails."""
        start.wait()
        for _ in range(MAX_INSTANCES_PER_CLIENT):
            if time.perf_counter() >= deadline_box[0]:
                return
            try:
                self.last_instance = api_instance(self.client, self.submitter)
                self.completed += 1
            except ApiError:
                pass  # counted by status code in the client
            except (requests.RequestException, ValueError, KeyError) as exc:
                self.exceptions[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1


def make_workers(base: str, clients: int) -> list[Worker]:
    """Create the clients, alternating the two submitters; each logs in on its own session."""
    workers = []
    for index in range(clients):
        submitter = SUBMITTERS[index % len(SUBMITTERS)]
        client = ApiClient(base)
        client.login(submitter, APPROVER)
        workers.append(Worker(client, submitter))
    return workers


def run_workers(workers: list[Worker], seconds: float) -> float:
    """Start all workers at once, stop starting instances after seconds; return the elapsed time."""
    barrier = threading.Barrier(len(workers) + 1)
    deadline_box = [float("inf")]
    threads = [threading.Thread(target=w.run, args=(barrier, deadline_box), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline_box[0] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join(timeout=seconds + 10 * HTTP_TIMEOUT)
    return time.perf_counter() - started


def bench_api_concurrent(server: Server, clients: int, seconds: float) -> dict[str, Any]:
    """Measure (d): full instances per second, errors, status codes and the complete call's latency."""
    workers = make_workers(server.base, clients)
    cpu_before = server.cpu_seconds()
    elapsed = run_workers(workers, seconds)
    server_cpu = server.cpu_seconds() - cpu_before
    statuses: Counter[str] = sum((w.client.statuses for w in workers), Counter())
    messages: Counter[str] = sum((w.client.messages for w in workers), Counter())
    exceptions: Counter[str] = sum((w.exceptions for w in workers), Counter())
    lat = {label: [x for w in workers for x in w.client.latencies.get(label, [])]
           for label in ("start", "complete_submit", "inbox", "complete_approve")}
    complete = lat["complete_submit"] + lat["complete_approve"]
    completed = sum(w.completed for w in workers)
    # the certificates render in the background: how long after the load the last one is ready
    owners = [w for w in workers if w.last_instance is not None]
    last = max(owners, key=lambda w: w.last_instance or 0) if owners else None
    last_ready = (certificate_ready_after(last.client, last.last_instance, wait=120.0, user=last.submitter)
                  if last is not None and last.last_instance is not None else None)
    for worker in workers:
        worker.client.http.close()
    non_2xx = sum(count for code, count in statuses.items() if not code.startswith("2"))
    return {
        "clients": clients, "seconds": round(elapsed, 2), "completed": completed,
        "per_s": round(completed / elapsed, 2), "errors": non_2xx + sum(exceptions.values()),
        "status_codes": dict(sorted(statuses.items())), "error_messages": dict(messages.most_common(10)),
        "exceptions": dict(exceptions), "complete_p50_ms": ms(percentile(complete, 50)) if complete else None,
        "complete_p95_ms": ms(percentile(complete, 95)) if complete else None,
        "p50_p95_ms": {k: [ms(percentile(v, 50)), ms(percentile(v, 95))] for k, v in lat.items() if v},
        "server_cpu_cores": round(server_cpu / elapsed, 2),
        "server_cpu_ms_per_instance": ms(server_cpu / completed) if completed else None,
        "last_certificate_ready_s": round(last_ready, 2) if last_ready is not None else None,
    }


def server_errors(log: Path, limit: int = 15) -> list[str]:
    """Return the first distinct WARNING/ERROR lines and exception lines of a server log."""
    if not log.exists():
        return []
    lines = log.read_text(errors="replace").splitlines()
    picked = [line[:300] for line in lines if " ERROR " in line or " WARNING " in line
              or (line[:1].isalpha() and ("Error" in line.split(":")[0] or "Exception" in line.split(":")[0]))]
    return list(dict.fromkeys(picked))[:limit]


# --- PostgreSQL -------------------------------------------------------------------------------------

def prepare_pg(url: str) -> str | None:
    """Create the database if missing and recreate its public schema; return None or why it can't."""
    import psycopg
    from psycopg import sql

    parsed = make_url(url)
    params = {"host": parsed.host or "127.0.0.1", "port": parsed.port or 5432,
              "user": parsed.username or "postgres", "password": parsed.password, "connect_timeout": 3}
    params = {k: v for k, v in params.items() if v is not None}
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parsed.database]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database)))
        with psycopg.connect(dbname=parsed.database, autocommit=True, **params) as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
    except psycopg.Error as exc:
        return f"{type(exc).__name__}: {str(exc).strip()[:200]}"
    return None


# --- reporting ----------------------------------------------------------------------------------------

def print_section(title: str, rows: list[tuple[str, Any]]) -> None:
    """Print a titled block of label: value lines."""
    print(f"\n== {title}")
    for label, value in rows:
        print(f"  {label:<44} {value}")


def print_engine(fig: dict[str, Any]) -> None:
    """Print (a)."""
    mem, saved = fig["in_memory"], fig["with_save_load"]
    print_section("(a) engine floor, in memory (start → submit → approve)", [
        ("no save/load: median / p95 ms", f"{mem['median_ms']} / {mem['p95_ms']}  (n={mem['n']})"),
        ("no save/load: instances/s (one core)", mem["per_s"]),
        ("dumps()+restore() around each action: median ms", f"{saved['median_ms']} / p95 {saved['p95_ms']}"),
        ("dumps()+restore() around each action: inst/s", saved["per_s"]),
    ])


def print_usecases(fig: dict[str, Any]) -> None:
    """Print (b) and (b')."""
    pdf, nopdf = fig["with_pdf"], fig["without_pdf"]
    print_section("(b) use cases on SQLite, 4 committed transactions per instance", [
        ("(b) with certificate PDF: median / p95 ms", f"{pdf['median_ms']} / {pdf['p95_ms']}  (n={pdf['n']})"),
        ("(b) with certificate PDF: instances/s", pdf["per_s"]),
        ("(b) certificate issued", pdf["certificate_issued"]),
        ("(b') PDF rendering stubbed: median / p95 ms", f"{nopdf['median_ms']} / {nopdf['p95_ms']}"),
        ("(b') PDF rendering stubbed: instances/s", nopdf["per_s"]),
        (f"(b) median ms per step: {' / '.join(STEPS)}", " / ".join(str(v) for v in pdf["steps_ms"].values())),
        ("(b') the same, PDF rendering stubbed", " / ".join(str(v) for v in nopdf["steps_ms"].values())),
        ("    ⇒ certificate rendering ≈ ms", round(pdf["median_ms"] - nopdf["median_ms"], 2)),
    ])


def print_sequential(fig: dict[str, Any]) -> None:
    """Print (c)."""
    print_section("(c) JSON API, one sequential client, SQLite", [
        ("median / p95 ms per full instance", f"{fig['median_ms']} / {fig['p95_ms']}  (n={fig['n']})"),
        ("instances/s", fig["per_s"]),
        ("HTTP calls per instance", fig["http_calls_per_instance"]),
        ("server process CPU ms per instance", fig["server_cpu_ms_per_instance"]),
        ("certificate issued (GET instance + PDF)", fig["certificate_issued"]),
        ("certificate ready after the approve, ms", fig.get("certificate_ready_ms")),
        ("median ms per call", fig["call_p50_ms"]),
    ])


def print_concurrent(name: str, fig: dict[str, Any]) -> None:
    """Print (d) for one database."""
    print_section(f"(d) JSON API, {fig['clients']} concurrent clients, {name}, {fig['seconds']} s", [
        ("full instances completed", fig["completed"]),
        ("full instances per second", fig["per_s"]),
        ("errors (non-2xx + exceptions)", fig["errors"]),
        ("status codes", fig["status_codes"]),
        ("complete call p50 / p95 ms", f"{fig['complete_p50_ms']} / {fig['complete_p95_ms']}"),
        ("p50 / p95 ms per call", fig["p50_p95_ms"]),
        ("server process CPU: cores busy / ms per instance",
         f"{fig['server_cpu_cores']} / {fig['server_cpu_ms_per_instance']}"),
        ("last certificate ready, s after the load ended", fig.get("last_certificate_ready_s")),
    ])
    for message, count in fig["error_messages"].items():
        print(f"    {count}× {message}")
    for message, count in fig["exceptions"].items():
        print(f"    {count}× exception {message}")
    for line in fig.get("server_errors", []):
        print(f"    server log: {line}")


def comparison_rows(fig: dict[str, Any]) -> list[tuple[str, float | None, float, str]]:
    """Return (what, ours, theirs, unit) rows; unit 'ms' is lower-better, '/s' higher-better."""
    b, c = fig.get("usecases"), fig["api_sequential"]
    d_sqlite, d_pg = fig.get("api_concurrent_sqlite"), fig.get("api_concurrent_postgresql")
    rows = [] if b is None else [  # (b) is left out by --api-only
        ("in-process, with PDF (b) vs SpiffArena", b["with_pdf"]["median_ms"], PEERS["spiffarena_in_process_ms"], "ms"),
        ("in-process, no PDF (b') vs SpiffArena", b["without_pdf"]["median_ms"], PEERS["spiffarena_in_process_ms"], "ms"),
    ]
    rows += [
        ("HTTP one client (c) vs SpiffArena", c["median_ms"], PEERS["spiffarena_http_one_client_ms"], "ms"),
        ("HTTP calls per instance (c) vs SpiffArena", c["http_calls_per_instance"], PEERS["spiffarena_http_calls"], "calls"),
    ]
    for label, d in (("SQLite", d_sqlite), ("PostgreSQL", d_pg)):
        if d is None:
            continue
        n = d["clients"]
        rows.append((f"HTTP {n} clients, {label} (d) vs SpiffArena", d["per_s"], PEERS["spiffarena_4_clients_per_s"], "/s"))
        rows.append((f"HTTP {n} clients, {label} (d) vs viewflow", d["per_s"], PEERS["viewflow_4_clients_per_s"], "/s"))
    return rows


def verdict(ours: float, theirs: float, unit: str) -> str:
    """Return 'N× faster/slower' (or fewer/more) from the two figures."""
    if ours <= 0:
        return "n/a"
    better = theirs / ours if unit in ("ms", "calls") else ours / theirs
    words = ("fewer", "more") if unit == "calls" else ("better", "worse")
    return f"{better:.1f}× {words[0]}" if better >= 1 else f"{1 / better:.1f}× {words[1]}"


def print_comparison(fig: dict[str, Any]) -> list[dict[str, Any]]:
    """Print the table against PEERS; return its rows for the JSON output."""
    print("\n== Comparison with the peer engines (peers: SQLite, 2 cores; 'better' = lower ms or more/s)")
    print(f"  {'what':<48} {'ours':>9} {'theirs':>8} {'unit':>6} {'ours/theirs':>12}  verdict")
    out = []
    for what, ours, theirs, unit in comparison_rows(fig):
        ratio = ours / theirs
        print(f"  {what:<48} {ours:>9} {theirs:>8} {unit:>6} {ratio:>12.3f}  {verdict(ours, theirs, unit)}")
        out.append({"what": what, "ours": ours, "theirs": theirs, "unit": unit, "ratio": round(ratio, 4)})
    return out


def print_load(when: str, warn: bool = True) -> list[float]:
    """Print the 1/5/15-minute load averages; warn when other work already shares the CPUs."""
    load = [round(x, 2) for x in os.getloadavg()]
    busy = warn and load[0] > (os.cpu_count() or 1) * 0.5
    note = "  ⚠ other processes are using the CPUs: figures are pessimistic" if busy else ""
    print(f"load average {when}: {load[0]} {load[1]} {load[2]}{note}")
    return load


# --- main -------------------------------------------------------------------------------------------

def parse_options(argv: list[str] | None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small N and 5 s of load: a smoke run")
    parser.add_argument("--seconds", type=float, help="load duration of (d) per database (default 30)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent API clients in (d)")
    parser.add_argument("--skip-pg", action="store_true", help="do not run (d) on PostgreSQL")
    parser.add_argument("--api-only", action="store_true", help="only (c) and (d): the server under load")
    parser.add_argument("--pg-url", default=PG_URL, help=f"PostgreSQL URL (default {PG_URL})")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dirs and server logs")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (5.0 if args.quick else 30.0)
    n = (20, 5, 5) if args.quick else (200, 50, 50)
    return Options(engine_n=n[0], usecase_n=n[1], api_n=n[2], seconds=seconds, clients=args.clients,
                   pg_url=None if args.skip_pg else args.pg_url, json_path=args.json,
                   keep=args.keep, api_only=args.api_only)


def run_api_sqlite(tmp: Path, opts: Options, fig: dict[str, Any]) -> None:
    """Run (c) and (d) against a server on SQLite."""
    with running_server(tmp, "sqlite", None) as server:
        fig["api_sequential"] = bench_api_sequential(server, opts.api_n)
        print_sequential(fig["api_sequential"])
        concurrent = bench_api_concurrent(server, opts.clients, opts.seconds)
    concurrent["server_errors"] = server_errors(server.log)
    fig["api_concurrent_sqlite"] = concurrent
    print_concurrent("SQLite", concurrent)


def run_api_pg(tmp: Path, opts: Options, fig: dict[str, Any]) -> None:
    """Run (d) against a server on PostgreSQL, or print why it was skipped."""
    if opts.pg_url is None:
        print("\n== (d) PostgreSQL: skipped (--skip-pg)")
        return
    problem = prepare_pg(opts.pg_url)
    if problem:
        print(f"\n== (d) PostgreSQL: skipped, {make_url(opts.pg_url).render_as_string()} "
              f"not reachable ({problem})")
        fig["postgresql_skipped"] = problem
        return
    with running_server(tmp, "postgresql", opts.pg_url) as server:
        concurrent = bench_api_concurrent(server, opts.clients, opts.seconds)
    concurrent["server_errors"] = server_errors(server.log)
    fig["api_concurrent_postgresql"] = concurrent
    print_concurrent("PostgreSQL", concurrent)


def main(argv: list[str] | None = None) -> int:
    """Run every measurement in order, print the figures, optionally write them as JSON."""
    opts = parse_options(argv)
    fig: dict[str, Any] = {"options": {k: str(v) for k, v in vars(opts).items()},
                           "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    print(f"Kelisim speech_clearance benchmark — {os.cpu_count()} CPUs, Python {fig['machine']['python']}")
    fig["load_before"] = print_load("before")
    tmp = Path(tempfile.mkdtemp(prefix="kelisim-bench-"))
    print(f"temporary data and server logs under {tmp} ({'kept' if opts.keep else 'removed at the end'})")
    try:
        if not opts.api_only:
            fig["engine"] = bench_engine(opts.engine_n)
            print_engine(fig["engine"])
            fig["usecases"] = bench_usecases(tmp, opts.usecase_n)
            print_usecases(fig["usecases"])
        run_api_sqlite(tmp, opts, fig)
        run_api_pg(tmp, opts, fig)
    finally:
        if not opts.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    fig["load_after"] = print_load("after (includes this run)", warn=False)
    fig["comparison"] = print_comparison(fig)
    if opts.json_path:
        opts.json_path.write_text(json.dumps(fig, indent=2, ensure_ascii=False) + "\n")
        print(f"\nfigures written to {opts.json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
