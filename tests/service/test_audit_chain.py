"""The audit trail is insert-only in the database, and the verifier finds any tampering."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from processes.usecases import queries
from storage import audit
from storage.models import Instance
from tests.conftest import PG_URL
from tests.service.audit_tamper import SQLITE_ONLY_REASON, tamper
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


# A damaged entry: a stored value that cannot be read, is of the wrong type, or is missing where a value
# belongs. SQLite stores anything in any column; PostgreSQL's json and timestamptz columns refuse some of it.
_sqlite_only = pytest.mark.skipif(PG_URL.startswith("postgresql"), reason=SQLITE_ONLY_REASON)
DAMAGE = [
    pytest.param("data = '{not json'", id="invalid-json", marks=_sqlite_only),
    pytest.param("at = 'garbage'", id="garbage-at", marks=_sqlite_only),
    pytest.param("at = 12345", id="number-at", marks=_sqlite_only),
    pytest.param("actor = x'00ff'", id="blob-actor", marks=_sqlite_only),
    pytest.param("data = 'null'", id="json-null"),
    pytest.param("data = '[1, 2]'", id="json-list"),
    pytest.param("data = '\"text\"'", id="json-string"),
]


@pytest.mark.parametrize("damage", DAMAGE)
def test_verifier_names_a_damaged_entry(act, factory, db_url, damage):
    start_and_submit(act)
    tamper(db_url, f"UPDATE audit_events SET {damage} WHERE seq = 2")
    with factory() as s:
        result = audit.verify(s)
    assert (result.ok, result.first_bad_seq, result.reason, result.events) == (False, 2, "damaged entry", 1)


@pytest.mark.skipif(PG_URL.startswith("postgresql"), reason="a bigint seq cannot hold text on PostgreSQL")
def test_verifier_names_an_entry_whose_seq_is_damaged(act, factory, db_url):
    start_and_submit(act)
    tamper(db_url, "UPDATE audit_events SET seq = 'two' WHERE seq = 2")
    with factory() as s:
        result = audit.verify(s)
    assert (result.ok, result.first_bad_seq) == (False, 2)


@pytest.mark.parametrize("damage", DAMAGE)
def test_reading_a_damaged_entry_shows_it_damaged(act, factory, db_url, damage):
    iid = start_and_submit(act)
    with factory() as s:
        seq = s.execute(text("SELECT max(seq) FROM audit_events WHERE action = 'task_completed'")).scalar_one()
    tamper(db_url, f"UPDATE audit_events SET {damage} WHERE seq = {seq}")
    entries = act("auditor", lambda c: queries.timeline(c, c.session.get(Instance, iid)))
    (bad,) = [e for e in entries if e.damaged]
    assert bad.seq == seq and bad.action is None and bad.data is None and bad.raw["seq"] == str(seq)
    assert all(not e.damaged and isinstance(e.data, dict) for e in entries if e is not bad)
    assert act("auditor", lambda c: queries.last_completion(c, c.session.get(Instance, iid), "Task_Submit")) == {}
    assert len(act("auditor", lambda c: queries.audit_events(c, instance=iid))) == len(entries)


def test_cli_verify_names_a_damaged_entry(act, db_url, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from web.cli import main

    start_and_submit(act)
    monkeypatch.setenv("KELISIM_DATABASE_URL", db_url)
    monkeypatch.setenv("KELISIM_DATA_DIR", str(tmp_path / "cli"))
    bad_json = "'{not json'" if db_url.startswith("sqlite") else "'\"text\"'"
    tamper(db_url, f"UPDATE audit_events SET data = {bad_json} WHERE seq = 2")
    bad = CliRunner().invoke(main, ["audit", "verify"])
    assert isinstance(bad.exception, SystemExit) and bad.exit_code == 1, bad.output
    assert bad.output.startswith("BROKEN at seq 2: damaged entry"), bad.output
