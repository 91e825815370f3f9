"""The provable log's endpoints (CONTRACT.md, "Provable log"): the public checkpoint and its key, the auditors'
inclusion and consistency proofs with 400 and the reason for what lies outside the tree, `leaf` in the events."""
from __future__ import annotations

import base64
import hashlib

from processes.usecases.audit_checkpoints import checkpoint_step
from processes.usecases.context import Ctx
from storage import audit, audit_log, merkle
from storage.audit import Actor
from storage.db import transaction
from tests.conftest import api_token


def _grow_and_checkpoint(app, n: int = 12) -> None:
    factory, services = app.extensions["kelisim.db"], app.extensions["kelisim.services"]
    with transaction(factory) as s:
        for i in range(n):
            audit.append(s, Actor("tester", "auditor"), "test_event", data={"i": i})
    with transaction(factory) as s:
        assert checkpoint_step(Ctx(session=s, services=services), force=True) is not None


def test_checkpoint_and_key_are_public_and_verify(app, client):
    assert client.get("/api/v1/audit/checkpoint").status_code == 404  # none made yet: said so
    _grow_and_checkpoint(app)
    note = client.get("/api/v1/audit/checkpoint")
    assert note.status_code == 200 and note.mimetype == "text/plain"
    key = client.get("/api/v1/audit/checkpoint-key")
    assert key.status_code == 200 and key.mimetype == "text/plain"
    name, _, public = audit_log.parse_verifier_key(key.get_data(as_text=True))
    text = note.get_data(as_text=True)
    body, _, sig_line = text.partition("\n\n")
    origin, size, root = body.split("\n")
    assert origin == name == "kelisim.test/kelisim-audit"
    public.verify(base64.b64decode(sig_line.split(" ")[2])[4:], (body + "\n").encode())

    headers = api_token(client, "auditor")
    proof = client.get(f"/api/v1/audit/proof/inclusion?seq=5&size={size}", headers=headers).get_json()
    assert set(proof) == {"seq", "tree_size", "leaf_hash", "hashes"} and proof["tree_size"] == int(size)
    events = client.get("/api/v1/audit/events?limit=100", headers=headers).get_json()
    fifth = next(e for e in events if e["seq"] == 5)
    leaf = base64.b64decode(fifth["leaf"])
    assert base64.b64decode(proof["leaf_hash"]) == hashlib.sha256(b"\x00" + leaf).digest()
    assert merkle.verify_inclusion(4, int(size), base64.b64decode(proof["leaf_hash"]),
                                   [base64.b64decode(h) for h in proof["hashes"]], base64.b64decode(root))
    latest = client.get("/api/v1/audit/proof/inclusion?seq=5", headers=headers).get_json()
    assert latest == proof  # size defaults to the latest checkpoint's

    consistency = client.get(f"/api/v1/audit/proof/consistency?from=3&to={size}", headers=headers).get_json()
    assert consistency["from"] == 3 and consistency["to"] == int(size)
    with app.extensions["kelisim.db"]() as session:  # closed here: an open read would block PostgreSQL's cleanup
        old_root = audit_log.root_at(session, 3)
    assert merkle.verify_consistency(3, int(size), old_root, base64.b64decode(root),
                                     [base64.b64decode(h) for h in consistency["hashes"]])


def test_proofs_are_for_auditors(app, client):
    _grow_and_checkpoint(app, 3)
    assert client.get("/api/v1/audit/proof/inclusion?seq=1").status_code == 401
    headers = api_token(client, "employee")
    assert client.get("/api/v1/audit/proof/inclusion?seq=1", headers=headers).status_code == 403
    assert client.get("/api/v1/audit/proof/consistency?from=1&to=2", headers=headers).status_code == 403


def test_requests_outside_the_tree_are_400_with_the_reason(app, client):
    _grow_and_checkpoint(app, 5)
    headers = api_token(client, "auditor")
    size = int(client.get("/api/v1/audit/checkpoint").get_data(as_text=True).split("\n")[1])
    for query in (f"seq={size + 1}&size={size}", f"seq={size + 50}", "seq=4&size=3", "seq=0&size=3",
                  "seq=abc", "seq=1.5", "seq=-1", "seq=", "size=3", f"seq=1&size={size + 1}",
                  "seq=99999999999999999999999", "seq=١"):
        response = client.get(f"/api/v1/audit/proof/inclusion?{query}", headers=headers)
        assert response.status_code == 400, (query, response.status_code)
        assert response.get_json()["error"], query
    for query in ("from=5&to=4", "from=0&to=3", "from=x&to=3", f"from=1&to={size + 1}", "to=3"):
        response = client.get(f"/api/v1/audit/proof/consistency?{query}", headers=headers)
        assert response.status_code == 400, (query, response.status_code)
        assert response.get_json()["error"], query
    assert client.get("/api/v1/audit/proof/consistency?from=2&to=2", headers=headers).get_json()["hashes"] == []


def test_reasons_are_translated(app, client):
    _grow_and_checkpoint(app, 2)
    headers = {**api_token(client, "auditor"), "Accept-Language": "ru"}
    response = client.get("/api/v1/audit/proof/consistency?from=5&to=4", headers=headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert any("\u0400" <= ch <= "\u04ff" for ch in error), error
