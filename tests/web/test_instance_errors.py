"""Instances the timer worker could not process: shown on the instance page, listed on the
Administration page with a Retry button (administrators only), and in the CLI."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select, update

from processes.worker import tick
from storage import audit
from storage.db import transaction
from storage.models import AuditEvent, Instance, InstanceState
from tests.conftest import csrf_from, login
from tests.service.helpers import load, start_and_submit


@pytest.fixture
def stopped(act, factory, services) -> int:
    """An instance whose timer processing failed (its saved state is broken) and was marked."""
    iid = start_and_submit(act)
    with transaction(factory) as s:
        s.execute(update(InstanceState).where(InstanceState.instance_id == iid).values(state_json="{broken"))
    with time_machine.travel(load(factory, iid).due_at - timedelta(days=2), tick=False):
        tick(factory, services)
    assert load(factory, iid).error == "The instance state could not be loaded."
    return iid


def retried(factory, iid) -> list[AuditEvent]:
    with factory() as s:
        return s.execute(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                  AuditEvent.action == "instance_retried")).scalars().all()


def test_the_instance_page_shows_the_error(client, stopped):
    login(client, "employee")
    html = client.get(f"/instances/{stopped}").get_data(as_text=True)
    assert "alert-warning" in html and "The instance state could not be loaded." in html


def test_admin_lists_and_retries_a_stopped_instance(app, factory, stopped):
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get("/admin/").get_data(as_text=True)
    assert f"/admin/instances/{stopped}/retry" in page and "The instance state could not be loaded." in page
    token = csrf_from(page)
    assert admin.post(f"/admin/instances/{stopped}/retry", data={}).status_code == 400  # no CSRF token
    assert load(factory, stopped).error is not None
    assert admin.post(f"/admin/instances/{stopped}/retry", data={"csrf_token": token}).status_code == 302
    assert load(factory, stopped).error is None
    (entry,) = retried(factory, stopped)
    assert entry.actor == "admin" and entry.data == {"error": "The instance state could not be loaded."}
    assert f"/admin/instances/{stopped}/retry" not in admin.get("/admin/").get_data(as_text=True)
    assert admin.post(f"/admin/instances/{stopped}/retry", data={"csrf_token": token}).status_code == 409
    assert admin.post("/admin/instances/999999/retry", data={"csrf_token": token}).status_code == 404
    assert admin.post("/admin/instances/99999999999/retry", data={"csrf_token": token}).status_code == 404
    with factory() as s:
        assert audit.verify(s).ok


def test_only_administrators_retry(client, factory, stopped):
    for user in ("employee", "auditor"):
        login(client, user)
        csrf = csrf_from(client.get("/inbox").get_data(as_text=True))
        assert client.post(f"/admin/instances/{stopped}/retry", data={"csrf_token": csrf}).status_code == 403
    assert load(factory, stopped).error is not None and retried(factory, stopped) == []
    with factory() as s:
        denied = s.execute(select(AuditEvent).where(AuditEvent.action == "access_denied")).scalars().all()
        assert [e.actor for e in denied] == ["employee", "auditor"]
        assert audit.verify(s).ok


def test_cli_lists_and_retries(db_url, tmp_path, monkeypatch, factory, stopped):
    from web.cli import main

    monkeypatch.setenv("KELISIM_DATABASE_URL", db_url)
    monkeypatch.setenv("KELISIM_DATA_DIR", str(tmp_path / "cli"))
    listed = CliRunner().invoke(main, ["instance", "errors"])
    assert listed.exit_code == 0 and str(stopped) in listed.output and "could not be loaded" in listed.output
    refused = CliRunner().invoke(main, ["instance", "retry", str(stopped), "--as", "employee"])
    assert refused.exit_code != 0 and "Only administrators" in refused.output
    done = CliRunner().invoke(main, ["instance", "retry", str(stopped)])
    assert done.exit_code == 0, done.output
    assert load(factory, stopped).error is None and len(retried(factory, stopped)) == 1
    again = CliRunner().invoke(main, ["instance", "retry", str(stopped)])
    assert again.exit_code != 0 and "not in error" in again.output
    assert CliRunner().invoke(main, ["instance", "retry", "999999"]).exit_code != 0
    empty = CliRunner().invoke(main, ["instance", "errors"])
    assert empty.exit_code == 0 and "no instance is stopped" in empty.output
    with factory() as s:
        assert s.get(Instance, stopped).error is None
