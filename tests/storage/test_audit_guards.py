"""The database itself keeps the audit trail insert-only and its head moving forward only.

The tests connect as the database's owner (postgres, a superuser, on PostgreSQL), so what they prove is the
triggers; the application's own role (README, "Database role") is also denied TRUNCATE and DELETE."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage import audit
from tests.conftest import PG_URL
from tests.service.helpers import start_and_submit

GENESIS = "0" * 64
COLUMNS = "seq, at, actor, role, action, instance_id, task, object, data, comment, clause, request_id, prev_hash, hash"
on_pg = PG_URL.startswith("postgresql")
sqlite_only = pytest.mark.skipif(on_pg, reason="the gap is SQLite's: REPLACE deletes without delete triggers")
pg_only = pytest.mark.skipif(not on_pg, reason="needs PostgreSQL (KELISIM_DATABASE_URL=postgresql+psycopg://...)")


def _refused(factory, stmt: str) -> None:
    """The statement fails, and by a guard's own message (not, say, a key constraint)."""
    with factory() as s, pytest.raises(DBAPIError, match="insert-only|only moves forward|cannot be"):
        s.execute(text(stmt), {"genesis": GENESIS})
        s.commit()


def _state(factory):
    with factory() as s:
        result = audit.verify(s)
        rows = s.execute(text(f"SELECT {COLUMNS} FROM audit_events ORDER BY seq")).all()
        head = s.execute(text("SELECT id, seq, hash FROM audit_head")).all()
    assert result.ok, result
    return rows, head


@sqlite_only
@pytest.mark.parametrize("stmt", [
    pytest.param(f"INSERT OR REPLACE INTO audit_events ({COLUMNS}) SELECT seq, at, 'mallory', role, action, "
                 "instance_id, task, object, data, comment, clause, request_id, prev_hash, hash "
                 "FROM audit_events WHERE seq = 2", id="same-seq"),
    pytest.param(f"REPLACE INTO audit_events ({COLUMNS}) SELECT 1000000, at, actor, role, action, instance_id, "
                 "task, object, data, comment, clause, request_id, prev_hash, hash "
                 "FROM audit_events WHERE seq = 2", id="same-hash"),
    pytest.param("INSERT OR REPLACE INTO audit_head (id, seq, hash) VALUES (1, 0, :genesis)", id="head"),
])
def test_sqlite_replace_cannot_swap_an_entry_or_the_head(act, factory, stmt):
    start_and_submit(act)
    before = _state(factory)
    _refused(factory, stmt)
    assert _state(factory) == before


@pg_only
@pytest.mark.parametrize("stmt", ["TRUNCATE audit_events", "TRUNCATE audit_head",
                                  "TRUNCATE audit_events, audit_head RESTART IDENTITY"])
def test_postgres_truncate_is_refused(act, factory, stmt):
    start_and_submit(act)
    before = _state(factory)
    _refused(factory, stmt)
    assert _state(factory) == before


@pytest.mark.parametrize("stmt", [
    pytest.param("DELETE FROM audit_head", id="delete"),
    pytest.param("UPDATE audit_head SET seq = 0, hash = :genesis", id="reset"),
    pytest.param("UPDATE audit_head SET seq = seq - 1", id="backwards"),
    pytest.param("UPDATE audit_head SET seq = seq + 1", id="beyond-the-chain"),
    pytest.param("UPDATE audit_head SET hash = :genesis", id="other-hash"),
    pytest.param("UPDATE audit_head SET id = 2", id="other-id"),
    pytest.param("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :genesis) "
                 "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash", id="upsert"),
])
def test_the_head_moves_only_forward_onto_the_chain(act, factory, stmt):
    start_and_submit(act)
    before = _state(factory)
    _refused(factory, stmt)
    assert _state(factory) == before


def test_the_head_still_follows_appends(act, factory):
    start_and_submit(act)
    rows, head = _state(factory)
    start_and_submit(act)
    later_rows, later_head = _state(factory)
    assert later_head[0][1] > head[0][1] and later_rows[:len(rows)] == rows
