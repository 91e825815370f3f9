"""What the audit trail records for log-ins, denials and the CLI."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from storage.models import AuditEvent
from tests.conftest import api_token, login


def actions(factory):
    with factory() as s:
        return [(e.action, e.actor, e.object) for e in s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]


def test_logins_and_denials_are_audited(client, factory):
    login(client, "employee", "wrong-password")
    login(client, "employee")
    emp = api_token(client, "employee")
    client.get("/api/v1/instances/424242", headers=emp)  # unknown: 404, not a denial
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    other = api_token(client, "employee2")
    assert client.get(f"/api/v1/instances/{started['id']}", headers=other).status_code == 404
    aud = api_token(client, "auditor")
    assert client.post("/api/v1/processes/speech_clearance/instances", headers=aud).status_code == 403
    got = actions(factory)
    assert ("login_failed", "employee", None) in got
    assert ("login", "employee", None) in got
    assert ("access_denied", "employee2", f"instance:{started['id']}") in got
    assert ("access_denied", "auditor", "process:speech_clearance") in got
    assert not [a for a in got if a[0] == "access_denied" and a[2] == "instance:424242"]


@pytest.fixture
def cli_env(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("KELISIM_DATABASE_URL", db_url)
    monkeypatch.setenv("KELISIM_DATA_DIR", str(tmp_path / "cli"))


def test_seed_is_idempotent_and_worker_runs_once(cli_env):
    from web.cli import main

    first = CliRunner().invoke(main, ["seed-demo"])
    assert first.exit_code == 0 and "0 accounts added" in first.output
    once = CliRunner().invoke(main, ["worker", "--once"])
    assert once.exit_code == 0 and "advanced 0" in once.output
    sweep = CliRunner().invoke(main, ["files", "sweep"])
    assert sweep.exit_code == 0 and "removed 0" in sweep.output


def test_user_create_refuses_weak_passwords(cli_env, factory):
    from web.cli import main

    weak = CliRunner().invoke(main, ["user", "create", "new.person", "--name", "New Person", "--role", "employee",
                                     "--password", "password123"])
    assert weak.exit_code != 0 and "too common" in weak.output
    ok = CliRunner().invoke(main, ["user", "create", "new.person", "--name", "New Person", "--role", "employee",
                                   "--password", "a sound passphrase"])
    assert ok.exit_code == 0, ok.output
    assert ("user_created", None, "user:new.person") in actions(factory)
