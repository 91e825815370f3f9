"""What every connection of the application is set up with (storage.db.make_engine)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from storage.db import GATE_KEY, read_only


def test_each_connection_is_tuned_for_short_queries(factory):
    engine = factory.kw["bind"]
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # no JIT compilation: it costs 100-300 ms before the first row of a list page that then runs in 1 ms
            assert conn.execute(text("SHOW jit")).scalar() == "off"
        else:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_only_writers_queue_at_the_sqlite_gate(factory):
    engine = factory.kw["bind"]
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no gate: its writers lock rows, not the database")
    with engine.connect() as conn, conn.begin():
        assert conn.info.get(GATE_KEY) is not None
    token = read_only.set(True)
    try:
        with engine.connect() as conn, conn.begin():
            assert GATE_KEY not in conn.info
    finally:
        read_only.reset(token)
