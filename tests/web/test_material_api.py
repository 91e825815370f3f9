"""External material sign-off over the JSON API: files with versions, review, management, archive."""
from __future__ import annotations

import hashlib
import io

from tests import samples
from tests.conftest import api_token, login
from tests.helpers import event_date

ITEMS = ("logo", "colours", "fonts", "languages", "contacts", "accuracy")
CHECK_OK = {item: {"ok": True, "remark": ""} for item in ITEMS}


def upload(client, headers, iid, name, content):
    response = client.post(f"/api/v1/instances/{iid}/files", headers=headers,
                           data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def ready(client, headers, iid):
    (task,) = [t for t in client.get("/api/v1/tasks", headers=headers).get_json() if t["instance_id"] == iid]
    return task


def complete(client, headers, task_id, data, status=200):
    response = client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json={"data": data})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_mass_media_material_with_a_revised_file(client):
    head, spec, vrf, aud = (api_token(client, u) for u in ("unit.head", "mcd.specialist", "vr.finance", "auditor"))
    started = client.post("/api/v1/processes/material_signoff/instances", headers=head).get_json()
    iid = started["id"]
    first = upload(client, head, iid, "booklet.pdf", samples.pdf("first"))
    poster = upload(client, head, iid, "poster.png", samples.png("poster"))
    data = {"unit": "FE-IS", "material_type": "booklet", "channel": "mass_media", "area": "finance",
            "audiences": ["applicants", "parents"], "planned_date": event_date(15), "title": "Талапкерге",
            "description": "Буклет және постер", "file_ids": [first["id"], poster["id"]]}
    complete(client, head, started["tasks"][0]["id"], data)
    review = ready(client, spec, iid)
    detail = client.get(f"/api/v1/tasks/{review['id']}", headers=spec).get_json()
    assert set(detail["form"]["properties"]["checklist"]["required"]) == set(CHECK_OK)
    failing = {**CHECK_OK, "contacts": {"ok": False, "remark": "old phone number"}}
    errors = complete(client, spec, review["id"], {"checklist": failing, "decision": "approve"}, 422)["errors"]
    assert "override_reason" in errors
    complete(client, spec, review["id"], {"checklist": failing, "decision": "revise", "comment": "Fix the phone"})
    revise = ready(client, head, iid)
    login(client, "unit.head")
    notes = client.get("/notifications", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your material" in notes and "Fix the phone" in notes
    second = upload(client, head, iid, "booklet.pdf", samples.pdf("second"))
    assert second["sha256"] == hashlib.sha256(samples.pdf("second")).hexdigest()
    complete(client, head, revise["id"], {**data, "file_ids": [second["id"], poster["id"]]})
    complete(client, spec, ready(client, spec, iid)["id"], {"checklist": CHECK_OK, "decision": "approve"})
    mgmt = ready(client, vrf, iid)
    assert mgmt["name"] == "Task_ManagementApprove"
    done = complete(client, vrf, mgmt["id"], {"decision": "approve"})
    assert done["instance"] == {"id": iid, "status": "completed", "outcome": "approved"}
    inst = client.get(f"/api/v1/instances/{iid}", headers=head).get_json()
    (sheet,) = inst["documents"]
    assert sheet["kind"] == "signoff_sheet" and sheet["reg_number"].startswith("MS-")
    pdf = client.get(f"/api/v1/documents/{sheet['id']}", headers=aud, buffered=True)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    verify = client.get(f"/verify/{sheet['verification_code']}").get_data(as_text=True)
    assert second["sha256"] in verify and poster["sha256"] in verify and first["sha256"] not in verify
    login(client, "mcd.head")
    archive = client.get("/archive?channel=mass_media").get_data(as_text=True)
    assert sheet["reg_number"] in archive


def test_archive_is_for_mcd_management_and_auditors(client):
    login(client, "employee")
    assert client.get("/archive").status_code == 403
