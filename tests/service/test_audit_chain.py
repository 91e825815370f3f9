"""The audit trail is insert-only in the database, and the verifier finds any tampering."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage import audit
from tests.service.helpers import start_and_submit


def _drop_guard(conn):
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("DROP TRIGGER audit_events_no_delete"))
    else:
        conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_insert_only"))


def test_update_and_delete_are_refused_by_the_database(act, factory):
    start_and_submit(act)
    for stmt in ("UPDATE audit_events SET comment = 'x' WHERE seq = 1", "DELETE FROM audit_events WHERE seq = 1"):
        with factory() as s, pytest.raises(DBAPIError):
            s.execute(text(stmt))
            s.commit()


@pytest.mark.parametrize("tamper, bad_seq", [
    ("UPDATE audit_events SET comment = 'edited' WHERE seq = 3", 3),
    ("UPDATE audit_events SET data = '{\"forged\": 1}' WHERE seq = 2", 2),
    ("DELETE FROM audit_events WHERE seq = 4", 4),
    ("DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)", None),
    ("UPDATE audit_events SET seq = seq + 1000 WHERE seq = 2", 2),
])
def test_verifier_names_the_first_bad_entry(act, factory, tamper, bad_seq):
    start_and_submit(act)
    with factory() as s:
        assert audit.verify(s).ok
        total = audit.verify(s).events
    with factory() as s:
        _drop_guard(s.connection())
        s.execute(text(tamper))
        s.commit()
    with factory() as s:
        result = audit.verify(s)
    assert not result.ok
    assert result.first_bad_seq == (bad_seq if bad_seq is not None else total)


def test_cli_verify_exit_codes(act, db_url, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from web.cli import main

    start_and_submit(act)
    monkeypatch.setenv("KELISIM_DATABASE_URL", db_url)
    monkeypatch.setenv("KELISIM_DATA_DIR", str(tmp_path / "cli"))
    ok = CliRunner().invoke(main, ["audit", "verify"])
    assert ok.exit_code == 0 and ok.output.startswith("ok:")
    from storage.db import make_engine

    eng = make_engine(db_url)
    with eng.begin() as conn:
        _drop_guard(conn)
        conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2"))
    eng.dispose()
    bad = CliRunner().invoke(main, ["audit", "verify"])
    assert bad.exit_code == 1 and "seq 2" in bad.output
