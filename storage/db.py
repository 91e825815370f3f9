"""Database engine and session factory; SQLite tuned for one writer at a time."""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: SQLite's busy handler alone queues the writers
    fcntl = None  # type: ignore[assignment]

# Whether transactions begun in this context only read: a GET or HEAD request sets it (web/unit_of_work.py).
# On SQLite such a transaction starts deferred (plain BEGIN): in WAL mode it reads its snapshot while a writer
# holds the write lock, instead of queueing behind it as BEGIN IMMEDIATE does. Everything else keeps
# BEGIN IMMEDIATE. PostgreSQL readers never wait for writers; it ignores the flag.
read_only: ContextVar[bool] = ContextVar("kelisim_read_only", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """Transactions begun inside take the write lock up front again (work a read-only request must write)."""
    token = read_only.set(False)
    try:
        yield
    finally:
        read_only.reset(token)


def default_url(data_dir: Path) -> str:
    """Return the embedded default: a SQLite file in the data directory."""
    return f"sqlite:///{(data_dir / 'kelisim.sqlite3').resolve()}"


class WriterGate:
    """The queue of writers to one SQLite file, across the threads and processes that use it.

    SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps 1, 2, 5, 10,
    25, 50, 100 ms between tries, so under load a writer may sleep long after the lock came free. The
    gate queues writers before BEGIN IMMEDIATE instead: a lock per process for its threads (handed over
    at once), then an exclusive ``flock`` on ``<database>-writer`` for the processes (tried every
    millisecond; the kernel drops it with a process that dies). SQLite's own lock stays the guarantee:
    a writer that cannot pass the gate within ``TIMEOUT_S`` goes on to BEGIN IMMEDIATE as before.
    """

    TIMEOUT_S = 30.0
    POLL_S = 0.001
    _gates: dict[str, WriterGate] = {}
    _gates_lock = threading.Lock()

    def __init__(self, path: str) -> None:
        self.path = path + "-writer"
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._fd_pid = 0
        self._holding = threading.local()  # whether this thread is inside the gate (a nested writer skips it)

    def _after_fork(self) -> None:
        """In a forked child: nothing of the parent's is held here (its threads are gone, and its open
        file would share the parent's lock)."""
        self._threads = threading.Lock()
        self._fd, self._fd_pid = None, 0
        self._holding = threading.local()

    @classmethod
    def _reset_after_fork(cls) -> None:
        cls._gates_lock = threading.Lock()
        for gate in cls._gates.values():
            gate._after_fork()

    @classmethod
    def for_database(cls, database: str) -> WriterGate:
        """The gate of a database file (one per file and process, whatever the number of engines)."""
        key = os.path.realpath(database)
        with cls._gates_lock:
            return cls._gates.setdefault(key, cls(key))

    def enter(self) -> bool:
        """Wait for this writer's turn; False when it is not taken (nested, or the wait timed out)."""
        if getattr(self._holding, "inside", False):
            return False
        deadline = time.monotonic() + self.TIMEOUT_S
        if not self._threads.acquire(timeout=self.TIMEOUT_S):
            return False
        try:
            if not self._lock_file(deadline):
                self._threads.release()
                return False
        except OSError:
            self._threads.release()
            return False
        self._holding.inside = True
        return True

    def leave(self) -> None:
        """Let the next writer in."""
        self._holding.inside = False
        try:
            if self._fd is not None and self._fd_pid == os.getpid():
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _lock_file(self, deadline: float) -> bool:
        if self._fd is None or self._fd_pid != os.getpid():  # a forked child opens its own (flock is per open file)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._fd_pid = os.getpid()
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(self.POLL_S)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=WriterGate._reset_after_fork)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout, BEGIN IMMEDIATE and the writers' queue."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})
        database = make_url(url).database
        gate = (WriterGate.for_database(database)
                if database and database != ":memory:" and not database.startswith("file:") and fcntl else None)
        _tune_sqlite(engine, gate)
        return engine
    # jit=off: PostgreSQL compiles a query whose estimated cost passes jit_above_cost to machine code first,
    # 100-300 ms before the first row, for queries that then run in a millisecond (a page of a list whose
    # LIMIT the estimate ignores). Short queries are all this application sends.
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         connect_args={"options": "-c jit=off"} if url.startswith("postgresql") else {})


GATE_KEY = "kelisim.writer_gate"  # connection.info: the gate this connection's transaction passed


def _tune_sqlite(engine: Engine, gate: WriterGate | None = None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Take the write lock up front: a read-then-write transaction never fails mid-way. A read-only
        # request's transaction is deferred: it never waits for the writer (WAL), see `read_only`.
        if read_only.get():
            conn.exec_driver_sql("BEGIN")
            return
        if gate is not None and GATE_KEY not in conn.info and gate.enter():
            conn.info[GATE_KEY] = gate
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _leave_gate(conn.info)
            raise

    # The transaction's end lets the next writer in (just before the COMMIT or ROLLBACK is sent: a writer
    # that comes in that instant meets SQLite's own lock for a millisecond); a connection returned to
    # the pool or dropped without either does too.
    event.listen(engine, "commit", lambda conn: _leave_gate(conn.info))
    event.listen(engine, "rollback", lambda conn: _leave_gate(conn.info))
    event.listen(engine.pool, "checkin", lambda _dbapi, record: _leave_gate(record.info))
    event.listen(engine.pool, "invalidate", lambda _dbapi, record, _exc: _leave_gate(record.info))


def _leave_gate(info: dict) -> None:
    gate = info.pop(GATE_KEY, None)
    if gate is not None:
        gate.leave()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory; callers own commit and rollback."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session, commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
