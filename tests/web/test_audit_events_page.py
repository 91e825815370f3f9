"""The auditor's page of every audit entry (issue 14, parts 5 and 6): its filters, keyset paging, the CSV
and JSON exports, the API's object and clause filters, and the policy's clauses linking to their decisions."""
from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import UTC, datetime

import pytest

from storage import audit
from storage.db import transaction
from tests.conftest import api_token, login

SEQ = re.compile(r'<tr data-seq="(\d+)"')
NEXT = re.compile(r'rel="next" href="([^"]+)"')


def add(app, action: str, actor: str | None = "rector", role: str = "rector", **fields) -> int:
    with transaction(app.extensions["kelisim.db"]) as session:
        return audit.append(session, audit.Actor(actor, role), action, **fields).seq


@pytest.fixture
def trail(app):
    """Entries of every kind the filters tell apart (the seeded trail holds none of these actions)."""
    seqs = {
        "a": add(app, "probe_refused", object="instance:9001", clause="§12", comment="refused: secret"),
        "b": add(app, "probe_refused", actor="vr.finance", role="vice_rector:finance", object="instance:9002",
                 clause="§12.3.2"),
        "c": add(app, "probe_other", object="user:employee", clause="§120"),
        "d": add(app, "probe_other", actor=None, role="system", object="unit:FE", clause="§1.2", instance_id=777),
    }
    # 19:30 UTC is already the next day in Almaty (UTC+5): the page's dates are Almaty days
    import time_machine

    with time_machine.travel(datetime(2025, 3, 10, 19, 30, tzinfo=UTC), tick=False):
        seqs["e"] = add(app, "probe_dated", object="mail:1")
    return seqs


def api_seqs(client, headers, query: str) -> list[int]:
    response = client.get(f"/api/v1/audit/events?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return [e["seq"] for e in response.get_json()]


def page_seqs(client, query: str) -> list[int]:
    response = client.get(f"/audit/events?{query}")
    assert response.status_code == 200, response.status_code
    return [int(s) for s in SEQ.findall(response.get_data(as_text=True))]


def test_api_filters_each_narrow_the_trail(client, trail):
    aud = api_token(client, "auditor")
    t = trail
    assert api_seqs(client, aud, "action=probe_refused") == [t["a"], t["b"]]
    assert api_seqs(client, aud, "action=probe_refused&actor=vr.finance") == [t["b"]]
    assert api_seqs(client, aud, "object=instance:900") == [t["a"], t["b"]]
    assert api_seqs(client, aud, "object=instance:9001") == [t["a"]]
    assert api_seqs(client, aud, "object=unit:") == [t["d"]]
    assert api_seqs(client, aud, "instance=777") == [t["d"]]
    assert api_seqs(client, aud, "since=2025-03-11T00:00:00%2B05:00&until=2025-03-12T00:00:00%2B05:00") == [t["e"]]
    # a clause with its sub-clauses, never a longer number: §12 is §12 and §12.3.2, not §120
    assert api_seqs(client, aud, "clause=%C2%A712") == [t["a"], t["b"]]
    assert api_seqs(client, aud, "clause=12") == [t["a"], t["b"]]
    assert api_seqs(client, aud, "clause=%C2%A712.3") == [t["b"]]
    assert api_seqs(client, aud, "clause=%C2%A7120") == [t["c"]]
    assert api_seqs(client, aud, "clause=%C2%A712&actor=rector") == [t["a"]]
    listed = client.get("/api/v1/audit/events?instance=777", headers=aud).get_json()
    assert listed[0]["instance_id"] == 777 and listed[0]["role"] == "system" and listed[0]["actor"] is None
    for bad in ("clause=twelve", "clause=%C2%A712x", "instance=x", "since=2025-03-11", "object=" + "x" * 101):
        response = client.get(f"/api/v1/audit/events?{bad}", headers=aud)
        assert response.status_code == 400 and response.get_json()["error"], bad


def test_page_filters_each_narrow_the_trail(client, trail):
    t = trail
    login(client, "auditor")
    assert page_seqs(client, "action=probe_refused") == [t["b"], t["a"]]  # newest first
    assert page_seqs(client, "action=probe_refused&order=chain") == [t["a"], t["b"]]
    assert page_seqs(client, "action=probe_refused&actor=vr.fin") == [t["b"]]  # part of a username or name
    assert page_seqs(client, "object=instance:9001") == [t["a"]]
    assert page_seqs(client, "instance=777") == [t["d"]]
    assert page_seqs(client, "clause=%C2%A712&order=chain") == [t["a"], t["b"]]
    assert page_seqs(client, "action=probe_dated&since=2025-03-11&until=2025-03-11") == [t["e"]]
    assert page_seqs(client, "action=probe_dated&since=2025-03-10&until=2025-03-10") == []
    body = client.get("/audit/events?instance=777").get_data(as_text=True)
    row = body[body.index(f'data-seq="{t["d"]}"'):]
    row = row[:row.index("</tr>")]
    assert "unit:FE" in row and 'href="/instances/777"' in row and "§1.2" in row
    body = client.get("/audit/events?action=probe_refused").get_data(as_text=True)
    assert "refused: secret" in body and '<span title="vr.finance">Гүлнар Маратқызы Әлиева</span>' in body
    for bad in ("clause=abc", "instance=-1", "since=10.03.2025", "order=sideways"):
        assert client.get(f"/audit/events?{bad}").status_code == 400, bad


def test_page_shows_changes_before_and_after(client, app):
    seq = add(app, "user_updated", actor="admin", role="admin", object="user:employee2",
              data={"before": {"email": "old@kineu.example"}, "after": {"email": "new@kineu.example"}})
    login(client, "auditor")
    body = client.get("/audit/events?object=user:employee2&action=user_updated").get_data(as_text=True)
    row = body[body.index(f'data-seq="{seq}"'):]
    row = row[:row.index("</tr>")]
    assert re.search(r"<del>.*old@kineu\.example</del>.*<ins>.*new@kineu\.example</ins>", row, re.S), row


def test_paging_across_pages_with_the_shared_cursor(client, app):
    seqs = [add(app, "probe_paged", comment=f"n{n}") for n in range(5)]
    login(client, "auditor")
    seen, url = [], "/audit/events?action=probe_paged&limit=2"
    for _ in range(5):
        response = client.get(url)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        seen += [int(s) for s in SEQ.findall(text)]
        found = NEXT.search(text)
        if not found:
            break
        url = html.unescape(found.group(1))
    assert seen == list(reversed(seqs))
    # the API's pages, in chain order, through the Link header
    aud = api_token(client, "auditor")
    got, url = [], "/api/v1/audit/events?action=probe_paged&limit=2"
    while url:
        response = client.get(url, headers=aud)
        got += [e["seq"] for e in response.get_json()]
        link = response.headers.get("Link")
        url = re.match(r"<([^>]+)>", link).group(1) if link else None
    assert got == seqs
    # an altered cursor, or one of the other order, is refused
    cursor = re.search(r"cursor=([^&]+)", NEXT.search(client.get("/audit/events?action=probe_paged&limit=2")
                                                       .get_data(as_text=True)).group(1)).group(1)
    assert client.get(f"/audit/events?action=probe_paged&limit=2&cursor={cursor[:-2]}xx").status_code == 400
    assert client.get(f"/audit/events?action=probe_paged&limit=2&order=chain&cursor={cursor}").status_code == 400


def test_csv_export_neutralises_formulas_and_is_audited(client, app):
    seq = add(app, "probe_csv", comment='=HYPERLINK("http://evil.example","click")', object="-2+3")
    login(client, "auditor")
    response = client.get("/audit/events.csv?action=probe_csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment; filename=kelisim-audit-all-" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [int(r["seq"]) for r in rows] == [seq]
    assert rows[0]["comment"] == "'=HYPERLINK(\"http://evil.example\",\"click\")" and rows[0]["object"] == "'-2+3"
    aud = api_token(client, "auditor")
    (recorded,) = client.get("/api/v1/audit/events?action=audit_exported", headers=aud).get_json()
    assert recorded["actor"] == "auditor" and recorded["data"]["format"] == "csv"
    assert recorded["data"]["filters"] == {"action": "probe_csv"} and recorded["data"]["count"] == 1
    assert recorded["data"]["up_to_seq"] == recorded["seq"] - 1


def test_json_export_equals_the_filtered_set(client, trail):
    aud = api_token(client, "auditor")
    listed = client.get("/api/v1/audit/events?clause=%C2%A712", headers=aud).get_json()
    for url, headers in (("/api/v1/audit/events.json?clause=%C2%A712", aud), ("/audit/events.json?clause=12", None)):
        if headers is None:
            login(client, "auditor")
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert response.headers["Content-Disposition"].endswith(".json") and response.headers["X-Total-Count"] == "2"
        exported = json.loads(response.get_data(as_text=True))
        assert [e["seq"] for e in exported] == [trail["a"], trail["b"]]
        assert [{k: e[k] for k in listed[0]} for e in exported] == listed  # the API's fields, the same values
        assert all(e["prev_hash"] and e["role"] for e in exported)
    csv_api = client.get("/api/v1/audit/events.csv?clause=%C2%A712&actor=vr.finance", headers=aud)
    assert [int(r["seq"]) for r in csv.DictReader(io.StringIO(csv_api.get_data(as_text=True)))] == [trail["b"]]
    assert client.get("/api/v1/audit/events.json?clause=x", headers=aud).status_code == 400
    empty = client.get("/api/v1/audit/events.json?action=nothing_like_this", headers=aud)
    assert json.loads(empty.get_data(as_text=True)) == []


def test_non_auditors_get_403(client):
    for username in ("rector", "admin", "employee"):
        headers = api_token(client, username)
        for url in ("/api/v1/audit/events?clause=12", "/api/v1/audit/events.csv", "/api/v1/audit/events.json"):
            assert client.get(url, headers=headers).status_code == 403, (username, url)
        login(client, username)
        for url in ("/audit/events", "/audit/events.json", "/audit/events.csv?clause=12"):
            assert client.get(url).status_code == 403, (username, url)
    aud = api_token(client, "auditor")
    assert client.get("/api/v1/audit/events?action=audit_exported", headers=aud).get_json() == []


def test_policy_clauses_link_to_their_decisions_for_auditors(client, trail):
    login(client, "auditor")
    page = client.get("/policy").get_data(as_text=True)
    assert 'href="/audit/events?clause=%C2%A712"' in page  # section 12, with its clauses
    assert 'href="/audit/events?clause=%C2%A712.1"' in page  # and each clause
    history = client.get("/policy/clauses/12.3").get_data(as_text=True)
    link = re.search(r'<a class="[^"]*policy-clause-decisions" href="([^"]+)"', history).group(1)
    assert page_seqs(client, html.unescape(link).split("?", 1)[1] + "&order=chain") == [trail["b"]]  # §12.3.2
    nav = client.get("/audit/instances").get_data(as_text=True)
    assert 'href="/audit/events"' in nav
    login(client, "rector")
    assert "/audit/events" not in client.get("/policy").get_data(as_text=True)
    assert "/audit/events" not in client.get("/policy/clauses/12.3").get_data(as_text=True)
