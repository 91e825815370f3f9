"""The queue of SQLite writers (storage.db.WriterGate): one writer at a time across threads and
processes, handed over as soon as the writer before commits, and never held past a transaction."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import text

from storage.db import GATE_KEY, WriterGate, make_engine, read_only

pytestmark = pytest.mark.skipif(bool(os.environ.get("KELISIM_DATABASE_URL")), reason="SQLite only")

HOLDS = "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); " \
        "sys.exit(0 if fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB) is None else 1)"


def other_process_can_lock(path: str) -> bool:
    """Whether another process gets the gate's file lock right now."""
    return subprocess.run([sys.executable, "-c", HOLDS, path], capture_output=True).returncode == 0


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'gate.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine, str(tmp_path / "gate.sqlite3") + "-writer"
    engine.dispose()


def test_a_writer_holds_the_gate_until_its_commit_and_no_longer(db):
    engine, gate_file = db
    with engine.connect() as conn:
        with conn.begin():
            conn.execute(text("INSERT INTO t VALUES (1)"))
            assert conn.info.get(GATE_KEY) is not None
            assert not other_process_can_lock(gate_file), "another process got in while a write was open"
        assert GATE_KEY not in conn.info
        assert other_process_can_lock(gate_file), "the gate stayed closed after the commit"
        with conn.begin():  # a second transaction on the same connection takes it again (no deadlock)
            conn.execute(text("INSERT INTO t VALUES (2)"))
            conn.rollback()
        assert other_process_can_lock(gate_file), "the gate stayed closed after the rollback"


def test_readers_do_not_pass_the_gate(db):
    engine, gate_file = db
    token = read_only.set(True)
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT count(*) FROM t"))
            assert GATE_KEY not in conn.info
            assert other_process_can_lock(gate_file)
    finally:
        read_only.reset(token)


def test_writers_of_two_engines_go_one_after_the_other(db, tmp_path):
    engine, _ = db
    second = make_engine(f"sqlite:///{tmp_path / 'gate.sqlite3'}")
    assert WriterGate.for_database(str(tmp_path / "gate.sqlite3")) is WriterGate.for_database(
        str(tmp_path / "." / "gate.sqlite3")), "one gate per file, whatever the spelling of its path"
    order: list[str] = []
    first_inside = threading.Event()

    def first() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            first_inside.set()
            time.sleep(0.2)
            order.append("first commits")

    def later() -> None:
        first_inside.wait(5)
        with second.begin() as conn:
            order.append("second begins")
            conn.execute(text("INSERT INTO t VALUES (2)"))

    threads = [threading.Thread(target=first), threading.Thread(target=later)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert order == ["first commits", "second begins"]
    second.dispose()


def test_many_writers_in_threads_and_processes_all_commit(db, tmp_path):
    engine, gate_file = db
    url = f"sqlite:///{tmp_path / 'gate.sqlite3'}"
    script = ("import sys; from sqlalchemy import text; from storage.db import make_engine\n"
              "e = make_engine(sys.argv[1])\n"
              "for i in range(40):\n"
              "    with e.begin() as c: c.execute(text('INSERT INTO t VALUES (:n)'), {'n': i})\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, url], cwd=os.getcwd()) for _ in range(2)]
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(40):
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": i})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [p.wait(60) for p in procs] == [0, 0]
    assert not errors
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 6 * 40
    assert other_process_can_lock(gate_file)


def test_a_writer_killed_inside_the_gate_does_not_block_the_next(db, tmp_path):
    engine, gate_file = db
    url = f"sqlite:///{tmp_path / 'gate.sqlite3'}"
    script = ("import sys, time; from sqlalchemy import text; from storage.db import make_engine\n"
              "e = make_engine(sys.argv[1]); c = e.connect(); c.begin()\n"
              "c.execute(text('INSERT INTO t VALUES (9)')); print('inside', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", script, url], stdout=subprocess.PIPE, cwd=os.getcwd())
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"inside"
    assert not other_process_can_lock(gate_file)
    proc.kill()
    proc.wait(10)
    proc.stdout.close()
    started = time.monotonic()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    assert time.monotonic() - started < 5
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM t")).scalars().all() == [1]


def test_a_forked_child_waits_for_the_parents_writer_then_gets_in(db, tmp_path):
    engine, gate_file = db
    asked, told = os.pipe()
    with engine.begin() as conn:  # the parent is inside the gate when it forks
        conn.execute(text("INSERT INTO t VALUES (1)"))
        pid = os.fork()
        if pid == 0:
            code = 3
            try:  # not with the parent's lock (its file is the parent's), and not stuck after its commit
                os.close(asked)
                WriterGate.TIMEOUT_S = 0.3
                gate = WriterGate.for_database(str(tmp_path / "gate.sqlite3"))
                passed_early = gate.enter()
                os.write(told, b"x")
                WriterGate.TIMEOUT_S = 10
                code = 1 if passed_early else 0 if gate.enter() else 2
            finally:
                os._exit(code)
        os.close(told)
        assert os.read(asked, 1) == b"x"
    _, status = os.waitpid(pid, 0)
    os.close(asked)
    assert os.waitstatus_to_exitcode(status) == 0, {1: "the child passed while the parent wrote",
                                                    2: "the child never got in"}.get(
        os.waitstatus_to_exitcode(status))
    assert other_process_can_lock(gate_file)
