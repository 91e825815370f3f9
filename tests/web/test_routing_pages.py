"""Routing tables in the browser-facing pages and the JSON API (issue 12, point 3): the administrator reads
and edits a table, errors come back at their fields, the auditor reads through the API, everyone asks who
would approve."""
from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import AuditEvent, DecisionVersion
from tests.conftest import api_token, csrf_from, login

SPEECH = "approver_routing"


def edit_form(client, decision=SPEECH, **changes):
    """The edit form's values as the page offers them, with `changes` applied."""
    html = client.get(f"/admin/routing/{decision}").get_data(as_text=True)
    data = {"csrf_token": csrf_from(html)}
    for select_ in re.finditer(r'<select id="[^"]*" name="([^"]+)">(.*?)</select>', html, re.S):
        name, options = select_.group(1), select_.group(2)
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        data[name] = chosen.group(1) if chosen else ""
    data["base_version"] = re.search(r'name="base_version" value="(\d+)"', html).group(1)
    data.update(changes)
    return data


def test_admin_reads_the_table_and_what_it_decides(client):
    login(client, "admin")
    html = client.get("/admin/routing").get_data(as_text=True)
    assert "/admin/routing/approver_routing" in html and "/admin/routing/management_routing" in html
    page = client.get(f"/admin/routing/{SPEECH}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Version 1" in html and "As shipped with Kelisim" in html
    assert "Vice-rector (finance and economy)" in html and "Head of MCD" in html
    assert "vice_rector:finance" not in re.sub(r'<option value="[^"]*"|name="[^"]*"', "", html)  # labels only
    assert 'name="output-Rule_Finance"' in html


def test_admin_edits_in_the_form_and_a_new_version_is_in_force(client, factory):
    login(client, "admin")
    response = client.post(f"/admin/routing/{SPEECH}",
                           data=edit_form(client, **{"output-Rule_Finance": "rector",
                                                     "reason": "Order No. 12: finance to the rector"}))
    assert response.status_code == 302 and "done=1" in response.headers["Location"]
    html = client.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Saved as version 2." in html and "Order No. 12: finance to the rector" in html
    with factory() as s:
        row = s.execute(select(DecisionVersion).where(DecisionVersion.decision == SPEECH)
                        .order_by(DecisionVersion.version.desc())).scalars().first()
        assert row.version == 2 and row.created_by == "admin" and '"rector"' in row.content
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "routing_changed")).scalar_one()
    old = client.get(f"/admin/routing/{SPEECH}/versions/1", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "This is an earlier version." in old and 'name="reason"' not in old


def test_a_gap_comes_back_at_its_situation_and_nothing_is_saved(client, factory):
    login(client, "admin")
    data = edit_form(client, **{"remove-Rule_Finance": "1", "reason": "drop finance"})
    response = client.post(f"/admin/routing/{SPEECH}", data=data, headers={"Accept-Language": "ru"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#field-case-finance"' in html and 'id="field-case-finance"' in html
    assert "drop finance" in html  # the reason is kept
    with factory() as s:
        assert len(s.execute(select(DecisionVersion).where(DecisionVersion.decision == SPEECH)).scalars().all()) == 1


def test_a_stale_form_conflicts(client):
    login(client, "admin")
    data = edit_form(client, **{"output-Rule_Finance": "rector", "reason": "first"})
    assert client.post(f"/admin/routing/{SPEECH}", data=data).status_code == 302
    data.update({"output-Rule_Finance": "mcd_head", "reason": "second"})
    response = client.post(f"/admin/routing/{SPEECH}", data=data)
    assert response.status_code == 409 and 'id="routing-conflict"' in response.get_data(as_text=True)


def test_pages_are_for_administrators(client):
    login(client, "auditor")
    assert client.get("/admin/routing").status_code == 403
    assert client.get(f"/admin/routing/{SPEECH}").status_code == 403
    login(client, "employee")
    assert client.post(f"/admin/routing/{SPEECH}", data={"csrf_token": "x"}).status_code in (400, 403)


def test_api_reads_saves_and_refuses(client):
    admin = api_token(client, "admin")
    body = client.get(f"/api/v1/admin/routing/{SPEECH}", headers=admin).get_json()
    assert body["version"] == 1
    assert {r["id"]: r["output"] for r in body["rules"]}["Rule_Finance"] == "vice_rector:finance"
    rules = [{**r, "output": "rector"} if r["id"] == "Rule_Finance" else r for r in body["rules"]]
    created = client.post(f"/api/v1/admin/routing/{SPEECH}/versions", headers=admin,
                          json={"rules": rules, "reason": "by the API", "base_version": 1})
    assert created.status_code == 201 and created.get_json()["version"] == 2
    stale = client.post(f"/api/v1/admin/routing/{SPEECH}/versions", headers=admin,
                        json={"rules": body["rules"], "reason": "stale", "base_version": 1})
    assert stale.status_code == 409
    bad = client.post(f"/api/v1/admin/routing/{SPEECH}/versions", headers=admin,
                      json={"rules": [{"inputs": ["True", "-", "-"], "output": "nobody"}], "reason": "x",
                            "base_version": 2})
    assert bad.status_code == 422 or bad.status_code == 400
    assert client.post(f"/api/v1/admin/routing/{SPEECH}/versions", headers=admin, data="x").status_code == 400
    assert client.post(f"/api/v1/admin/routing/{SPEECH}/versions", headers=admin,
                       json={"rules": [], "why": 1}).status_code == 400
    auditor = api_token(client, "auditor")
    versions = client.get(f"/api/v1/admin/routing/{SPEECH}", headers=auditor).get_json()["versions"]
    assert [v["version"] for v in versions] == [2, 1] and versions[0]["reason"] == "by the API"
    assert client.get(f"/api/v1/admin/routing/{SPEECH}/versions/1", headers=auditor).get_json()["version"] == 1
    assert client.post(f"/api/v1/admin/routing/{SPEECH}/versions", headers=auditor,
                       json={"rules": rules, "reason": "x", "base_version": 2}).status_code == 403
    employee = api_token(client, "employee")
    assert client.get("/api/v1/admin/routing", headers=employee).status_code == 403
    assert client.get("/api/v1/admin/routing/nope", headers=admin).status_code == 404
    assert client.get(f"/api/v1/admin/routing/{SPEECH}/versions/9", headers=admin).status_code == 404


def test_who_would_approve_page_and_api(client):
    login(client, "employee")
    page = client.get("/routing/who?decision=approver_routing&case=finance", headers={"Accept-Language": "ru"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="answer"' in html
    attributes = r'(value|name|id|href|for|action)="[^"]*"'
    assert "finance" not in re.sub(attributes, "", html)
    assert client.get("/routing/who?decision=approver_routing&case=bogus").status_code == 400
    assert client.get("/routing/who?decision=bogus&case=finance").status_code == 400
    token = api_token(client, "employee")
    body = client.get("/api/v1/routing/approver_routing/explain?case=finance", headers=token).get_json()
    assert body["person"] == "vr.finance" and body["role"] == "vice_rector:finance" and body["rule"] == "Rule_Finance"
    assert client.get("/api/v1/routing/approver_routing/explain?case=x", headers=token).status_code in (400, 422)
    assert client.get("/api/v1/routing/approver_routing/explain?case=finance").status_code == 401


def test_cli_lists_shows_and_sets(db_url, tmp_path, monkeypatch, factory):
    from click.testing import CliRunner

    from web.cli import main

    monkeypatch.setenv("KELISIM_DATABASE_URL", db_url)
    monkeypatch.setenv("KELISIM_DATA_DIR", str(tmp_path / "cli"))
    listed = CliRunner().invoke(main, ["routing", "list"])
    assert listed.exit_code == 0 and "approver_routing" in listed.output and "v1" in listed.output, listed.output
    shown = CliRunner().invoke(main, ["routing", "show", SPEECH])
    assert "Rule_Finance" in shown.output and "vice_rector:finance" in shown.output
    unnamed = CliRunner().invoke(main, ["routing", "set", SPEECH, "--rule", "Rule_Finance=rector", "--reason", "x"])
    assert unnamed.exit_code != 0 and "--as" in unnamed.output
    wrong = CliRunner().invoke(main, ["routing", "set", SPEECH, "--rule", "Rule_Nope=rector", "--reason", "x",
                                      "--as", "admin"])
    assert wrong.exit_code != 0 and "Rule_Nope" in wrong.output
    refused = CliRunner().invoke(main, ["routing", "set", SPEECH, "--rule", "Rule_Finance=rector", "--reason", "x",
                                        "--as", "employee"])
    assert refused.exit_code != 0
    done = CliRunner().invoke(main, ["routing", "set", SPEECH, "--rule", "Rule_Finance=rector", "--reason",
                                     "Order No. 12", "--as", "admin"])
    assert done.exit_code == 0 and "version 2" in done.output, done.output
    with factory() as s:
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "routing_changed")).scalar_one()
        assert ev.actor == "admin" and ev.comment == "Order No. 12"


def test_a_case_names_the_routing_version_it_follows(client):
    emp, admin = api_token(client, "employee"), api_token(client, "admin")

    def submit():
        from tests.helpers import submission

        started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
        client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=emp,
                    json={"data": submission(categories=["finance"])})
        return started["id"]

    old = submit()
    rules = client.get(f"/api/v1/admin/routing/{SPEECH}", headers=admin).get_json()["rules"]
    rules = [{**r, "output": "rector"} if r["id"] == "Rule_Finance" else r for r in rules]
    assert client.post(f"/api/v1/admin/routing/{SPEECH}/versions", headers=admin,
                       json={"rules": rules, "reason": "order", "base_version": 1}).status_code == 201
    new = submit()
    assert client.get(f"/api/v1/instances/{old}", headers=emp).get_json()["routing"] == {SPEECH: 1}
    assert client.get(f"/api/v1/instances/{new}", headers=emp).get_json()["routing"] == {SPEECH: 2}
    login(client, "employee")
    html = client.get(f"/instances/{new}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Кто согласовывает текст выступления, версия 2" in html
