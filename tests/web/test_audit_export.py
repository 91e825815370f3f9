"""The auditor's CSV export: every entry, formula-looking cells neutralised, auditors only."""
from __future__ import annotations

import csv
import io

from tests.conftest import api_token, login
from tests.helpers import submission


def test_csv_export_neutralises_formulas(client):
    emp, vrf = api_token(client, "employee"), api_token(client, "vr.finance")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=emp,
                json={"data": submission(title="=HYPERLINK(\"http://evil\")")})
    decide = next(t for t in client.get("/api/v1/tasks", headers=vrf).get_json() if t["instance_id"] == started["id"])
    client.post(f"/api/v1/tasks/{decide['id']}/complete", headers=vrf,
                json={"data": {"decision": "revise", "comment": "@SUM(1+1)*cmd|' /C calc'!A0"}})
    login(client, "auditor")
    response = client.get(f"/audit/events.csv?instance={started['id']}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["action"] for r in rows][:2] == ["instance_started", "task_assigned"]
    comments = [r["comment"] for r in rows if r["comment"]]
    assert comments == ["'@SUM(1+1)*cmd|' /C calc'!A0"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())
    assert client.get("/audit/events.csv?instance=abc").status_code == 400


def test_only_auditors_export(client):
    login(client, "rector")
    assert client.get("/audit/events.csv").status_code == 403
