"""The case file of an instance for auditors (issue 14, point 4): a PDF with the summary, the path taken, the
whole timeline, every document and file version with its SHA-256, the audit chain's verification up to the
case's last entry, and a verification code that /verify finds; auditors only, in one language."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from processes.university_time import datetime_text
from processes.usecases import case_files
from storage import audit
from storage.models import AuditEvent, Document
from tests.conftest import api_token, login
from tests.helpers import submission
from tests.service.audit_tamper import tamper

ACTIONS_EN = {"instance_started": "Process started", "task_assigned": "Task assigned",
              "task_completed": "Task completed", "file_uploaded": "File uploaded",
              "document_issued": "Document issued", "document_rendered": "Document rendered",
              "instance_completed": "Process completed"}


def pdf_text(pdf: bytes, tmp_path: Path, layout: bool = True) -> str:
    """The PDF's text as pdftotext gives it (poppler-utils)."""
    executable = shutil.which("pdftotext")
    if executable is None:
        pytest.skip("pdftotext (Debian package poppler-utils) is not installed")
    source = tmp_path / "case-file.pdf"
    source.write_bytes(pdf)
    command = [executable, "-enc", "UTF-8", *(["-layout"] if layout else []), str(source), "-"]
    return subprocess.run(command, capture_output=True, check=True).stdout.decode("utf-8")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _tasks_of(client, headers, iid):
    return [t for t in client.get("/api/v1/tasks", headers=headers).get_json() if t["instance_id"] == iid]


def _upload(client, headers, iid, content: bytes) -> int:
    up = client.post(f"/api/v1/instances/{iid}/files", headers=headers,
                     data={"file": (io.BytesIO(content), "theses.txt")}, content_type="multipart/form-data")
    assert up.status_code == 201, up.get_json()
    return up.get_json()["id"]


def revised_once(client, *, approve: bool = True) -> int:
    """A speech clearance: submitted with a file, sent back once, resubmitted with a new version of the file,
    then cleared (or left waiting for the second decision)."""
    emp, vrf = api_token(client, "employee"), api_token(client, "vr.finance")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    iid = started["id"]
    first = _upload(client, emp, iid, b"theses, first version")
    assert client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=emp,
                       json={"data": submission(text="", file_ids=[first])}).status_code == 200
    (decide,) = _tasks_of(client, vrf, iid)
    assert client.post(f"/api/v1/tasks/{decide['id']}/complete", headers=vrf,
                       json={"data": {"decision": "revise", "comment": "Shorter, please"}}).status_code == 200
    (revise,) = _tasks_of(client, emp, iid)
    second = _upload(client, emp, iid, b"theses, second version")
    assert client.post(f"/api/v1/tasks/{revise['id']}/complete", headers=emp,
                       json={"data": submission(text="", file_ids=[second])}).status_code == 200
    if approve:
        (decide,) = _tasks_of(client, vrf, iid)
        done = client.post(f"/api/v1/tasks/{decide['id']}/complete", headers=vrf,
                           json={"data": {"decision": "approve"}})
        assert done.get_json()["instance"]["outcome"] == "approved"
    return iid


def case_file(client, headers, iid, lang="en"):
    response = client.get(f"/api/v1/instances/{iid}/case-file?lang={lang}", headers=headers, buffered=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def case_file_row(app, reg_number: str) -> Document:
    with app.extensions["kelisim.db"]() as session:
        return session.execute(select(Document).where(Document.reg_number == reg_number)).scalar_one()


def test_the_case_file_holds_every_entry_fingerprint_and_the_chain_check(client, app, tmp_path):
    iid = revised_once(client)
    aud = api_token(client, "auditor")
    events = client.get(f"/api/v1/instances/{iid}/events", headers=aud).get_json()
    detail = client.get(f"/api/v1/instances/{iid}", headers=aud).get_json()
    response = case_file(client, aud, iid)
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    reg = re.search(rf"case-file-{iid}-(CF-\d{{4}}-\d{{5}})\.pdf", disposition).group(1)
    assert disposition.startswith("attachment")

    text = pdf_text(response.data, tmp_path)
    # every timeline entry: a row starts with its number and time (Almaty), its action's label is in that row
    starts = []
    for e in events:
        moment = datetime_text(datetime.fromisoformat(e["at"]))
        found = re.search(rf"^ *{e['seq']} +{re.escape(moment)} ", text, re.MULTILINE)
        assert found, e
        starts.append(found.start())
    assert starts == sorted(starts)
    for i, e in enumerate(events):
        row = text[starts[i]:starts[i + 1] if i + 1 < len(events) else text.index("Documents", starts[i])]
        words = row.split()
        assert all(word in words for word in ACTIONS_EN[e["action"]].split()), (e, row)
    assert "Shorter, please" in text and "§8.6" in text
    # every file version and the certificate, by SHA-256
    assert len(detail["files"]) == 2 and {f["version"] for f in detail["files"]} == {1, 2}
    (certificate,) = detail["documents"]
    for sha in [f["sha256"] for f in detail["files"]] + [certificate["sha256"]]:
        assert sha in squash(text)
    assert certificate["reg_number"] in text
    # the summary, the path taken, the chain's check
    assert "Cleared" in text and "Speech text clearance" in text
    assert "Revise speech text" in text and "Path taken" in text
    last = max(e["seq"] for e in events)
    assert f"Intact: the audit trail was not changed up to entry No. {last}." in text
    assert "Check made: the whole trail was recomputed from its first entry" in text
    # numbered, verifiable, audited
    row = case_file_row(app, reg)
    assert row.kind == "case_file" and row.sha256 and row.public["up_to_seq"] == last
    assert row.verification_code in text
    verify = client.get(f"/verify/{row.verification_code}", headers={"Accept-Language": "en"})
    assert verify.status_code == 200
    assert reg in verify.get_data(as_text=True) and "Case file" in verify.get_data(as_text=True)
    issued = client.get(f"/api/v1/instances/{iid}/events", headers=aud).get_json()
    (entry,) = [e for e in issued if e["action"] == "case_file_issued"]
    assert entry["data"] == {"kind": "case_file", "reg_number": reg, "lang": "en", "up_to_seq": last}
    assert entry["actor"] == "auditor" and entry["object"] == f"document:{row.id}"


def test_a_running_case_says_until_when_it_is_complete(client, tmp_path):
    iid = revised_once(client, approve=False)
    aud = api_token(client, "auditor")
    events = client.get(f"/api/v1/instances/{iid}/events", headers=aud).get_json()
    text = pdf_text(case_file(client, aud, iid).data, tmp_path)
    last = events[-1]
    moment = datetime_text(datetime.fromisoformat(last["at"]))
    assert squash(f"Running — this file is complete up to {moment} (entry No. {last['seq']})") in squash(text)
    assert "Open now" in text  # the decision waiting


def test_the_file_speaks_the_language_asked_for_only(client, tmp_path):
    iid = revised_once(client)
    aud = api_token(client, "auditor")
    kk = pdf_text(case_file(client, aud, iid, "kk").data, tmp_path)
    for kazakh in ("Іс материалдары", "Аудит журналын тексеру", "Қысқаша мәлімет", "Бүтін: аудит журналы"):
        assert kazakh in kk, kazakh
    for english in ("Case file", "Summary", "Verification of the audit trail", "Task completed", "History",
                    "Submitter", "Intact", "Path taken", "Times completed", "Verification code"):
        assert english not in kk, english
    ru = pdf_text(case_file(client, aud, iid, "ru").data, tmp_path)
    assert "Материалы дела" in ru and "Проверка журнала аудита" in ru
    for other in ("Case file", "Summary", "Іс материалдары", "Қысқаша мәлімет"):
        assert other not in ru, other
    # by default the caller's language: the auditor chooses Russian for the interface
    login(client, "auditor")
    page = client.get(f"/instances/{iid}/case-file?lang=ru", buffered=True)
    assert page.status_code == 200 and page.mimetype == "application/pdf"
    assert "Материалы дела" in pdf_text(page.data, tmp_path)


def test_only_auditors_have_it_and_it_is_not_a_document_of_the_case(client, app):
    iid = revised_once(client)
    emp, vrf, aud = (api_token(client, u) for u in ("employee", "vr.finance", "auditor"))
    for headers in (emp, vrf, api_token(client, "admin")):
        assert client.get(f"/api/v1/instances/{iid}/case-file", headers=headers).status_code == 403
    assert client.get(f"/api/v1/instances/{iid}/case-file").status_code == 401
    assert client.get("/api/v1/instances/999999/case-file", headers=aud).status_code == 404
    assert client.get(f"/api/v1/instances/{iid}/case-file?lang=de", headers=aud).status_code == 400
    denials = client.get("/api/v1/audit/events?action=access_denied", headers=aud).get_json()
    assert any(d["object"] == f"instance:{iid}" and d["data"] == {"operation": "case_file"} for d in denials)

    reg = re.search(r"(CF-\d{4}-\d{5})", case_file(client, aud, iid).headers["Content-Disposition"]).group(1)
    row = case_file_row(app, reg)
    # the case's documents (API and page) are the certificate alone; only auditors download the case file
    for headers in (emp, aud):
        kinds = [d["kind"] for d in client.get(f"/api/v1/instances/{iid}", headers=headers).get_json()["documents"]]
        assert kinds == ["clearance_certificate"]
    assert client.get(f"/api/v1/documents/{row.id}", headers=emp).status_code == 403
    assert client.get(f"/api/v1/documents/{row.id}", headers=aud, buffered=True).status_code == 200
    login(client, "employee")
    page = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert f"/documents/{row.id}" not in page and "/case-file" not in page
    assert client.get(f"/instances/{iid}/case-file").status_code == 403
    login(client, "auditor")
    page = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert f'href="/instances/{iid}/case-file"' in page and f"/documents/{row.id}" not in page


def test_an_altered_entry_makes_the_file_say_where_the_chain_is_broken(client, db_url, tmp_path):
    iid = revised_once(client)
    aud = api_token(client, "auditor")
    events = client.get(f"/api/v1/instances/{iid}/events", headers=aud).get_json()
    seq = next(e["seq"] for e in events if e["action"] == "task_completed" and e["comment"])
    tamper(db_url, f"UPDATE audit_events SET comment = 'Fine as it is' WHERE seq = {seq}")
    text = pdf_text(case_file(client, aud, iid).data, tmp_path)
    assert f"Broken: the audit trail is broken at entry No. {seq}." in text
    assert squash("An entry does not match its hash: it was changed after it was written.") in squash(text)
    assert "Intact" not in text and "towards entry No." in text


def test_beyond_the_limit_each_entry_of_the_case_is_checked_and_the_file_says_so(client, app, db_url, tmp_path,
                                                                               monkeypatch):
    iid = revised_once(client)
    aud = api_token(client, "auditor")
    events = client.get(f"/api/v1/instances/{iid}/events", headers=aud).get_json()
    last = max(e["seq"] for e in events)
    monkeypatch.setattr(case_files, "FULL_LIMIT", 3)
    text = pdf_text(case_file(client, aud, iid).data, tmp_path)
    assert "Check made: the trail holds" in text and "the entries of other cases between them were not" in text
    assert f"Intact: the audit trail was not changed up to entry No. {last}." in text

    with app.extensions["kelisim.db"]() as session:
        assert audit.verify_up_to(session, last, 3, instance_id=iid).mode == "case"
        full = audit.verify_up_to(session, last)
        assert (full.ok, full.mode, full.count) == (True, "full", last)
        own = session.execute(select(AuditEvent.seq).where(AuditEvent.instance_id == iid)).scalars().all()
    other = next(s for s in range(1, last) if s not in own)  # an entry of no case (a log-in, a token)
    tamper(db_url, f"UPDATE audit_events SET comment = 'edited' WHERE seq = {other}")
    with app.extensions["kelisim.db"]() as session:
        case = audit.verify_up_to(session, last, 3, instance_id=iid)
        assert case.ok and case.mode == "case"  # what that check does not cover, and the file says so
        full = audit.verify_up_to(session, last)
        assert not full.ok and full.first_bad_seq == other
    mine = next(s for s in own if s > other)
    tamper(db_url, f"UPDATE audit_events SET prev_hash = '{'0' * 64}' WHERE seq = {mine}")
    with app.extensions["kelisim.db"]() as session:
        case = audit.verify_up_to(session, last, 3, instance_id=iid)
        assert not case.ok and case.first_bad_seq == mine


def test_a_row_names_who_acted_for_whom_and_the_changes_before_and_after():
    from datetime import UTC

    labels = {"action": lambda code: f"<{code}>", "role": lambda code: f"[{code}]",
              "task": lambda name, fallback=None, process=None: f"{name}@{process}",
              "data_key": lambda key: key.upper(), "data_value": lambda key, value, process: f"'{value}'"}
    names = {"vr.finance": "Vice-rector F.", "rector": "Rector R."}
    entry = audit.Entry(seq=7, at=datetime(2026, 12, 2, 9, 5, tzinfo=UTC), actor="vr.finance",
                        role="public_person,vice_rector", action="task_completed", task="Task_Decide",
                        data={"acting_for": "rector", "decision": "approve", "comment": "ok",
                              "before": {"unit": "FE"}, "after": {"unit": "IS", "head": "x"}},
                        comment="ok", clause="§8.6", prev_hash="0" * 64, hash="1" * 64)
    row = case_files._entry(entry, labels, "speech_clearance", lambda u: names.get(u or "", u or "System"))
    assert row["actor"] == "Vice-rector F." and row["acting_for"] == "Rector R."
    assert row["role"] == "[public_person]; [vice_rector]" and row["action"] == "<task_completed>"
    assert row["task"] == "Task_Decide@speech_clearance" and row["clause"] == "§8.6" and row["comment"] == "ok"
    assert row["changes"] == ["UNIT: 'FE' → 'IS'", "HEAD: — → 'x'", "DECISION: 'approve'"]
    damaged = case_files._entry(audit.Entry(seq=9, damaged=("data",), raw={"seq": "9"}), labels, "x", str)
    assert damaged == {"seq": 9, "damaged": ["data"]}


def test_the_case_file_proves_its_entries_against_the_checkpoint_in_force(client, app, tmp_path):
    """Issue 17: each entry the latest checkpoint covers has its inclusion proof, checked here against that
    checkpoint's root; the entries after it are named as not yet covered."""
    import base64

    from processes.usecases.audit_checkpoints import checkpoint_step
    from processes.usecases.context import Ctx
    from storage import audit_log, merkle
    from storage.db import transaction

    iid = revised_once(client, approve=False)
    with transaction(app.extensions["kelisim.db"]) as session:
        checkpoint = checkpoint_step(Ctx(session=session, services=app.extensions["kelisim.services"]), force=True)
        size, root = checkpoint.tree_size, bytes.fromhex(checkpoint.root_hash)
    vrf, aud = api_token(client, "vr.finance"), api_token(client, "auditor")
    (decide,) = _tasks_of(client, vrf, iid)
    assert client.post(f"/api/v1/tasks/{decide['id']}/complete", headers=vrf,
                       json={"data": {"decision": "approve"}}).status_code == 200
    events = client.get(f"/api/v1/instances/{iid}/events", headers=aud).get_json()
    response = case_file(client, aud, iid)
    reg = re.search(r"(CF-\d{4}-\d{5})", response.headers["Content-Disposition"]).group(1)
    proofs = case_file_row(app, reg).public["proofs"]
    covered = [e["seq"] for e in events if e["seq"] <= size]
    later = [e["seq"] for e in events if e["seq"] > size]
    assert covered and later
    assert proofs["tree_size"] == size and [p["seq"] for p in proofs["entries"]] == covered
    assert proofs["uncovered"] == later
    for p in proofs["entries"]:
        assert merkle.verify_inclusion(p["seq"] - 1, size, base64.b64decode(p["leaf_hash"]),
                                       [base64.b64decode(h) for h in p["hashes"]], root)
    name, _, _ = audit_log.parse_verifier_key(proofs["key"])
    assert proofs["checkpoint"].startswith(f"{name}\n{size}\n")
    text = pdf_text(response.data, tmp_path, layout=False)
    assert "Proofs against the signed checkpoint" in text
    assert squash(proofs["entries"][0]["leaf_hash"]) in squash(text)
    assert "Not yet covered by a checkpoint" in text and str(later[0]) in text
