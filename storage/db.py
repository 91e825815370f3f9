"""Database engine and session factory; SQLite tuned for one writer at a time."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

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


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})
        _tune_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _tune_sqlite(engine: Engine) -> None:
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
        conn.exec_driver_sql("BEGIN" if read_only.get() else "BEGIN IMMEDIATE")


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
