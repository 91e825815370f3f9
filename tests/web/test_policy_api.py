"""The policy over the JSON API (docs/API.md) and its pages: editions, clauses, history, proposals."""
from __future__ import annotations

import io
import re

from tests import samples
from tests.conftest import api_token, csrf_from, login
from tests.helpers import api_complete as complete
from tests.helpers import api_ready as ready

KEY = "policy_amendment"
NEW = "МКБ шұғыл сұрау салуларына жауап 2 сағат ішінде беріледі."


def amend(client, changes=None, effective=None):
    from processes.university_time import today_local
    from storage.models import utcnow

    amd, mcd, sec, rector = (api_token(client, u) for u in ("amd.head", "mcd.head", "council.secretary", "rector"))
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=amd).get_json()
    iid = started["id"]
    complete(client, amd, started["tasks"][0]["id"], {"changes": changes or [{"clause": "7.10.2", "text": NEW}],
                                                      "rationale": "Жедел жауап"})
    complete(client, mcd, ready(client, mcd, iid)["id"], {"decision": "consolidate"})
    task = ready(client, sec, iid)
    up = client.post(f"/api/v1/instances/{iid}/files", headers=sec, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(samples.pdf("minutes")), "minutes.pdf")})
    assert up.status_code == 201, up.get_json()
    today = today_local(utcnow()).isoformat()
    complete(client, sec, task["id"], {"council_required": True, "meeting_date": today, "council_decision": "adopted",
                                       "votes_for": 20, "votes_against": 1, "votes_abstained": 0,
                                       "minutes_file_id": up.get_json()["id"]})
    done = complete(client, rector, ready(client, rector, iid)["id"],
                    {"decision": "approve", "effective_date": effective or today})
    return iid, done


def test_contract_endpoints(client):
    emp = api_token(client, "employee")
    eds = client.get("/api/v1/policy/editions", headers=emp).get_json()
    assert [e["number"] for e in eds] == [1] and eds[0]["approved_at"] is None
    one = client.get("/api/v1/policy/editions/1", headers=emp).get_json()
    assert len(one["clauses"]) == 88 and one["clauses"][0]["number"] == "1.1"
    clause = client.get("/api/v1/policy/editions/1/clauses/7.10.2", headers=emp).get_json()
    assert clause["number"] == "7.10.2" and "6 сағаттан" in clause["text"]
    assert client.get("/api/v1/policy/editions/1/clauses/7.10.99", headers=emp).status_code == 404
    assert client.get("/api/v1/policy/editions/1/clauses/x", headers=emp).status_code == 404
    assert client.get("/api/v1/policy/editions/9", headers=emp).status_code == 404
    assert client.get("/api/v1/policy/editions").status_code == 401

    iid, done = amend(client)
    assert done["instance"] == {"id": iid, "status": "completed", "outcome": "approved"}
    eds = client.get("/api/v1/policy/editions", headers=emp).get_json()
    assert [(e["number"], e["instance_id"]) for e in eds] == [(1, None), (2, iid)]
    assert client.get("/api/v1/policy/editions/2/clauses/7.10.2", headers=emp).get_json()["text"] == NEW
    history = client.get("/api/v1/policy/clauses/7.10.2/history", headers=emp).get_json()
    assert [(h["edition"], h["change"], h["proposed_by"]) for h in history] == [
        (1, None, None), (2, "changed", "amd.head")]
    aud = api_token(client, "auditor")
    docs = {d["kind"]: d for d in client.get(f"/api/v1/instances/{iid}", headers=aud).get_json()["documents"]}
    assert set(docs) == {"policy_addition", "policy_edition"}
    pdf = client.get(f"/api/v1/documents/{docs['policy_addition']['id']}", headers=emp, buffered=True)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")  # the policy is open to everyone


def test_proposal_view_and_conflicts(client):
    amd, vra = api_token(client, "amd.head"), api_token(client, "vr.academic")
    ids = []
    for headers, text in ((amd, NEW), (vra, NEW + " v2")):
        started = client.post(f"/api/v1/processes/{KEY}/instances", headers=headers).get_json()
        complete(client, headers, started["tasks"][0]["id"],
                 {"changes": [{"clause": "7.10.2", "text": text}], "rationale": "r"})
        ids.append(started["id"])
    mcd = api_token(client, "mcd.head")
    view = client.get(f"/api/v1/policy/proposals/{ids[1]}", headers=mcd).get_json()
    assert view["base_edition"] == 1 and view["diff"][0]["clause"] == "7.10.2"
    assert [c["instance_id"] for c in view["conflicts"]] == [ids[0]]
    ops = {op for op, _ in view["diff"][0]["segments"]}
    assert ops == {"equal", "insert", "delete"}
    assert client.get(f"/api/v1/policy/proposals/{ids[1]}", headers=api_token(client, "employee")).status_code == 404


def test_bad_proposals_over_the_api(client):
    amd = api_token(client, "amd.head")
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=amd).get_json()
    task = started["tasks"][0]["id"]
    errors = complete(client, amd, task, {"changes": [], "rationale": "r"}, 422)["errors"]
    assert "changes" in errors
    bad = {"changes": [{"clause": "77.1", "text": "x"}], "rationale": "r"}
    errors = complete(client, amd, task, bad, 422)["errors"]
    assert "changes.0.clause" in errors
    errors = complete(client, amd, task, {"changes": [{"clause": "7.10.2", "text": "x", "extra": 1}],
                                          "rationale": "r"}, 422)["errors"]
    assert errors
    assert client.post(f"/api/v1/processes/{KEY}/instances", headers=api_token(client, "employee")).status_code == 403


def test_policy_pages_and_proposing_through_the_form(client):
    login(client, "employee")
    page = client.get("/policy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Information policy" in page and "7.10.2" in page and "Propose an amendment" not in page
    found = client.get("/policy?q=ЖАЗБАША", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "11.4" in found and "7.10.2" not in found
    assert client.get("/policy/clauses/7.10.2").status_code == 200
    assert client.get("/policy/clauses/99.1").status_code == 404
    assert client.get("/policy/editions/1/pdf").status_code == 303
    login(client, "amd.head")
    new = client.get(f"/processes/{KEY}/new?clause=7.10.2", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r'name="changes\.0\.clause"\s+value="7\.10\.2"', new) and "6 сағаттан" in new
    token = csrf_from(new)
    bad = client.post(f"/processes/{KEY}/new", data={"csrf_token": token, "changes.0.clause": "7.10.2",
                                                     "changes.0.text": "", "changes.1.clause": "99.9",
                                                     "changes.1.text": "x", "rationale": "r"})
    assert bad.status_code == 422
    ok = client.post(f"/processes/{KEY}/new", data={"csrf_token": token, "changes.0.clause": "7.10.2",
                                                    "changes.0.text": NEW, "changes.1.clause": "",
                                                    "changes.1.text": "", "rationale": "Жедел жауап"})
    assert ok.status_code == 302
    detail = client.get(ok.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Proposed changes" in detail and "<ins>" in detail and "<del>" in detail
