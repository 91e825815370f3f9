"""A damaged audit entry (unreadable JSON, a garbage time, a value of the wrong type) is shown as damaged,
with its seq, by every page and API answer that shows it; none of them fails."""
from __future__ import annotations

import csv
import io
import re

import pytest

from tests.conftest import PG_URL, api_token, login
from tests.helpers import submission
from tests.service.audit_tamper import SQLITE_ONLY_REASON, tamper

_sqlite_only = pytest.mark.skipif(PG_URL.startswith("postgresql"), reason=SQLITE_ONLY_REASON)
DAMAGE = [
    pytest.param("data = '{not json'", id="invalid-json", marks=_sqlite_only),
    pytest.param("at = 'garbage'", id="garbage-at", marks=_sqlite_only),
    pytest.param("data = 'null'", id="json-null"),
    pytest.param("data = '[1, 2]'", id="json-list"),
    pytest.param("data = '\"text\"'", id="json-string"),
]


def _submitted(client):
    emp = api_token(client, "employee")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    done = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=emp,
                       json={"data": submission()})
    assert done.status_code == 200, done.get_json()
    return started["id"], emp


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_entry_is_shown_damaged_everywhere(client, db_url, damage):
    iid, emp = _submitted(client)
    aud = api_token(client, "auditor")
    events = client.get(f"/api/v1/instances/{iid}/events", headers=aud).get_json()
    seq = max(e["seq"] for e in events if e["action"] == "task_completed")
    tamper(db_url, f"UPDATE audit_events SET {damage} WHERE seq = {seq}")

    verify = client.get("/api/v1/audit/verify", headers=aud)
    assert verify.status_code == 200
    assert verify.get_json() | {"events": 0, "head": ""} == {"ok": False, "events": 0, "head": "",
                                                             "first_bad_seq": seq, "reason": "damaged entry"}

    for headers in (aud, emp):
        response = client.get(f"/api/v1/instances/{iid}/events", headers=headers)
        assert response.status_code == 200
        (bad,) = [e for e in response.get_json() if e["damaged"]]
        assert bad["seq"] == seq and bad["raw"]["seq"] == str(seq) and "action" not in bad
    listed = client.get(f"/api/v1/audit/events?instance={iid}", headers=aud)
    assert listed.status_code == 200 and [e["seq"] for e in listed.get_json() if e["damaged"]] == [seq]

    login(client, "auditor")
    page = client.get(f"/instances/{iid}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    damaged_row = html[html.index('class="entry-damaged"'):]
    assert re.match(rf'class="entry-damaged">\s*<td class="num"[^>]*>{seq}</td>', damaged_row)
    checked = client.get("/audit/verify")
    assert checked.status_code == 200 and f"No. {seq}" in checked.get_data(as_text=True).replace("№ ", "No. ")

    exported = client.get(f"/audit/events.csv?instance={iid}")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    (row,) = [r for r in rows if r["damaged"]]
    assert row["seq"] == str(seq) and all(not r["damaged"] for r in rows if r is not row)
