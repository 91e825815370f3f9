"""Tampering with the audit trail in tests: lift the insert-only guard the way the tamper tests always
have (drop the SQLite triggers, disable the PostgreSQL row trigger), then write raw SQL."""
from __future__ import annotations

from sqlalchemy import text

from storage.db import make_engine

SQLITE_ONLY_REASON = "PostgreSQL itself refuses this value (typed json and timestamptz columns)"


def lift_guard(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
    else:
        conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_insert_only"))


def tamper(db_url: str, *statements: str) -> None:
    """Run raw SQL against the audit trail with the guard lifted."""
    eng = make_engine(db_url)
    try:
        with eng.begin() as conn:
            lift_guard(conn)
            for stmt in statements:
                conn.execute(text(stmt))
    finally:
        eng.dispose()
