"""Every endpoint × every demo role × somebody else's instance: zero unauthorized 2xx."""
from __future__ import annotations

import io

import pytest

from processes.usecases.seed import USERS
from tests import samples
from tests.conftest import api_token, csrf_from, login
from tests.helpers import submission

USERNAMES = [u[0] for u in USERS]


@pytest.fixture
def world(client):
    """employee's submission with a file, waiting for vr.finance, plus an approved one with a certificate."""
    emp, vrf = api_token(client, "employee"), api_token(client, "vr.finance")

    def submitted():
        started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
        up = client.post(f"/api/v1/instances/{started['id']}/files", headers=emp,
                         data={"file": (io.BytesIO(b"theses text"), "t.txt")}, content_type="multipart/form-data")
        client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=emp,
                    json={"data": submission(text="", file_ids=[up.get_json()["id"]])})
        decide = next(t for t in client.get("/api/v1/tasks", headers=vrf).get_json()
                      if t["instance_id"] == started["id"])
        return started["id"], up.get_json()["id"], decide["id"]

    open_id, file_id, task_id = submitted()
    done_id, _, done_task = submitted()
    client.post(f"/api/v1/tasks/{done_task}/complete", headers=vrf, json={"data": {"decision": "approve"}})
    doc_id = client.get(f"/api/v1/instances/{done_id}", headers=emp).get_json()["documents"][0]["id"]
    return {"instance": open_id, "file": file_id, "task": task_id, "document": doc_id}


def api_calls(w):
    i, f, t, d = w["instance"], w["file"], w["task"], w["document"]
    return {
        "api instance": ("GET", f"/api/v1/instances/{i}", None),
        "api events": ("GET", f"/api/v1/instances/{i}/events", None),
        "api diagram": ("GET", f"/api/v1/instances/{i}/diagram.svg", None),
        "api task": ("GET", f"/api/v1/tasks/{t}", None),
        "api complete": ("POST", f"/api/v1/tasks/{t}/complete", {"data": {"decision": "reject", "comment": "no"}}),
        "api upload": ("UPLOAD", f"/api/v1/instances/{i}/files", None),
        "api file": ("GET", f"/api/v1/files/{f}", None),
        "api document": ("GET", f"/api/v1/documents/{d}", None),
        "api audit events": ("GET", "/api/v1/audit/events", None),
        "api audit verify": ("GET", "/api/v1/audit/verify", None),
        # issue 14: every audit entry exported (auditors), the process definitions (auditors, administrators)
        "api audit csv": ("GET", f"/api/v1/audit/events.csv?instance={i}", None),
        "api audit json": ("GET", "/api/v1/audit/events.json?clause=%C2%A78", None),
        "api definitions": ("GET", "/api/v1/processes/definitions", None),
        "api case file": ("GET", f"/api/v1/instances/{i}/case-file", None),  # issue 14: auditors only
        "api dashboard": ("GET", "/api/v1/dashboard", None),  # issue 14: MCD, the rector, auditors
        # the flow of work (issue 12): vr.finance's own task is no queue's; only its holder delegates it
        "api claim": ("POST", f"/api/v1/tasks/{t}/claim", None),
        "api release": ("POST", f"/api/v1/tasks/{t}/release", None),
        "api reassign": ("POST", f"/api/v1/tasks/{t}/reassign", {"to": "vr.academic", "reason": "r"}),
        "api delegate": ("POST", f"/api/v1/tasks/{t}/delegate", {"to": "employee2", "comment": "c"}),
        "api return": ("POST", f"/api/v1/tasks/{t}/return", {"comment": "c"}),
        "api recall": ("POST", f"/api/v1/tasks/{t}/recall", {"comment": "c"}),  # nobody: the task is not delegated
        "api cancel": ("POST", f"/api/v1/instances/{i}/cancel", {"reason": "r"}),
    }


def page_calls(w):
    i, f, t, d = w["instance"], w["file"], w["task"], w["document"]
    return {
        "page instance": ("GET", f"/instances/{i}"), "page task": ("GET", f"/tasks/{t}"),
        "page diagram": ("GET", f"/instances/{i}/diagram.svg"),
        "page complete": ("POST", f"/tasks/{t}"), "page file": ("GET", f"/files/{f}"),
        "page document": ("GET", f"/documents/{d}"), "page audit instances": ("GET", "/audit/instances"),
        "page audit verify": ("GET", "/audit/verify"), "page audit csv": ("GET", f"/audit/events.csv?instance={i}"),
        "page audit events": ("GET", "/audit/events?clause=%C2%A78"), "page audit json": ("GET", "/audit/events.json"),
        "page definitions": ("GET", "/processes/definitions"),
        "page dashboard": ("GET", "/dashboard"),
        "page definition": ("GET", "/processes/definitions/speech_clearance/1"),
        "page case file": ("GET", f"/instances/{i}/case-file"),
        "page claim": ("POST", f"/tasks/{t}/claim"), "page release": ("POST", f"/tasks/{t}/release"),
        "page reassign": ("POST", f"/tasks/{t}/reassign"), "page delegate": ("POST", f"/tasks/{t}/delegate"),
        "page cancel": ("POST", f"/instances/{i}/cancel"), "page recall": ("POST", f"/tasks/{t}/recall"),
    }


ACTING = {"api complete", "api upload", "page complete", "api reassign", "page reassign", "api cancel", "page cancel",
          "api delegate", "page delegate"}
VIEW = {"api instance", "api events", "api file", "api document", "page instance", "page file",
        "page document", "api task", "page task", "api diagram", "page diagram"}
ALLOWED = {
    "employee": VIEW,  # the submitter sees the approver's task, cannot act on it
    "vr.finance": VIEW | {"api complete", "page complete", "api delegate", "page delegate"},
    # the administrator reads cases, reassigns their tasks and cancels them (issue 12)
    "admin": VIEW | {"api reassign", "page reassign", "api cancel", "page cancel", "api definitions",
                     "page definitions", "page definition"},
    "auditor": VIEW | {"api audit events", "api audit verify", "page audit instances", "page audit verify",
                       "page audit csv", "api audit csv", "api audit json", "page audit events", "page audit json",
                       "api definitions", "page definitions", "page definition", "api case file", "page case file"},
}
DASHBOARD = {"api dashboard", "page dashboard"}  # deadlines at a glance: MCD, the rector's office, auditors
ALLOWED["auditor"] = ALLOWED["auditor"] | DASHBOARD
ALLOWED.update({"mcd.head": DASHBOARD, "mcd.specialist": DASHBOARD, "rector": DASHBOARD})


@pytest.mark.parametrize("username", USERNAMES)
def test_matrix(client, app, world, username):
    allowed = ALLOWED.get(username, set())
    headers = api_token(client, username)
    for name, (method, url, body) in api_calls(world).items():
        if name in ACTING and name in allowed:
            continue  # acting for real is covered elsewhere (tests/web/test_flow_api.py); here we look for leaks
        if method == "GET":
            response = client.get(url, headers=headers, buffered=True)
        elif method == "UPLOAD":
            response = client.post(url, headers=headers, data={"file": (io.BytesIO(b"x"), "x.txt")},
                                   content_type="multipart/form-data")
        else:
            response = client.post(url, headers=headers, json=body)
        ok = 200 <= response.status_code < 300
        assert ok == (name in allowed), (username, name, response.status_code)
    login(client, username)
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    for name, (method, url) in page_calls(world).items():
        if name in ACTING and name in allowed:
            continue
        if method == "GET":
            response = client.get(url, buffered=True)
        else:
            response = client.post(url, data={"decision": "reject", "comment": "no", "csrf_token": token})
        ok = 200 <= response.status_code < 300 or (response.status_code in (302, 303) and method == "POST")
        assert ok == (name in allowed), (username, name, response.status_code)


@pytest.fixture
def material_world(client):
    """unit.head's material waiting in the MCD specialists' review queue."""
    from tests.helpers import event_date

    head = api_token(client, "unit.head")
    started = client.post("/api/v1/processes/material_signoff/instances", headers=head).get_json()
    up = client.post(f"/api/v1/instances/{started['id']}/files", headers=head,
                     data={"file": (io.BytesIO(samples.pdf("x")), "m.pdf")}, content_type="multipart/form-data")
    data = {"unit": "FE-IS", "material_type": "poster", "channel": "website", "audiences": ["students"],
            "planned_date": event_date(20), "title": "Poster", "file_ids": [up.get_json()["id"]]}
    client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=head, json={"data": data})
    return {"instance": started["id"], "file": up.get_json()["id"]}


MATERIAL_VIEW = {"instance", "events", "file", "page instance", "page file"}
# the head of MCD sees the cases waiting in the MCD specialists' queue, which MCD owns (issue 12)
MATERIAL_ALLOWED = {"unit.head": MATERIAL_VIEW, "mcd.specialist": MATERIAL_VIEW, "auditor": MATERIAL_VIEW,
                    "mcd.head": MATERIAL_VIEW, "admin": MATERIAL_VIEW}


@pytest.mark.parametrize("username", USERNAMES)
def test_material_matrix(client, material_world, username):
    i, f = material_world["instance"], material_world["file"]
    headers = api_token(client, username)
    calls = {"instance": f"/api/v1/instances/{i}", "events": f"/api/v1/instances/{i}/events",
             "file": f"/api/v1/files/{f}"}
    allowed = MATERIAL_ALLOWED.get(username, set())
    for name, url in calls.items():
        response = client.get(url, headers=headers, buffered=True)
        assert (200 <= response.status_code < 300) == (name in allowed), (username, name, response.status_code)
    upload = client.post(f"/api/v1/instances/{i}/files", headers=headers,
                         data={"file": (io.BytesIO(samples.pdf("y")), "n.pdf")}, content_type="multipart/form-data")
    assert not 200 <= upload.status_code < 300, (username, "upload during review")
    login(client, username)
    for name, url in {"page instance": f"/instances/{i}", "page file": f"/files/{f}"}.items():
        response = client.get(url, buffered=True)
        assert (response.status_code == 200) == (name in allowed), (username, name, response.status_code)
    archive = client.get("/archive")
    readers = {"mcd.specialist", "mcd.head", "rector", "vr.finance", "vr.academic", "auditor"}
    assert (archive.status_code == 200) == (username in readers), (username, archive.status_code)
    # the queue (issue 12): its members claim, the head of the unit that owns it and the administrator reassign
    review = next(t["id"] for t in client.get("/api/v1/tasks", headers=api_token(client, "mcd.specialist")).get_json()
                  if t["instance_id"] == i)
    moved = client.post(f"/api/v1/tasks/{review}/reassign", headers=headers,
                        json={"to": "mcd.specialist", "reason": "r"})
    assert (moved.status_code == 200) == (username in {"mcd.head", "admin"}), (username, "reassign", moved.status_code)
    claimed = client.post(f"/api/v1/tasks/{review}/claim", headers=headers)
    assert (claimed.status_code == 200) == (username == "mcd.specialist"), (username, "claim", claimed.status_code)


@pytest.fixture
def request_world(client):
    """A registered information request waiting for unit.head's answer, with its scan, and a refused one
    with its letter."""
    from datetime import timedelta

    from processes.university_time import local
    from storage.models import utcnow

    reg, rector = api_token(client, "registry"), api_token(client, "rector")

    def registered():
        started = client.post("/api/v1/processes/information_request/instances", headers=reg).get_json()
        up = client.post(f"/api/v1/instances/{started['id']}/files", headers=reg,
                         data={"file": (io.BytesIO(samples.pdf("scan")), "scan.pdf")},
                         content_type="multipart/form-data")
        data = {"requester_name": "R", "requester_kind": "person", "email": "r@example.kz", "subject": "S",
                "items": "I", "form": "electronic", "language": "ru", "file_ids": [up.get_json()["id"]],
                "received_at": local(utcnow() - timedelta(hours=1)).isoformat(timespec="minutes")}
        done = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=reg, json={"data": data})
        assert done.status_code == 200, done.get_json()
        decide = next(t for t in client.get("/api/v1/tasks", headers=rector).get_json()
                      if t["instance_id"] == started["id"])
        return started["id"], up.get_json()["id"], decide["id"]

    open_id, scan_id, decide_id = registered()
    client.post(f"/api/v1/tasks/{decide_id}/complete", headers=rector,
                json={"data": {"decision": "provide", "responsible_unit": "FE-IS"}})
    refused_id, _, refuse_task = registered()
    client.post(f"/api/v1/tasks/{refuse_task}/complete", headers=rector,
                json={"data": {"decision": "refuse", "ground": "state_secret", "reason": "§2.4"}})
    return {"instance": open_id, "file": scan_id, "refused": refused_id}


# registry, rector and auditors read every request; unit.head holds the open one's task
REQUEST_READERS = {"registry", "rector", "auditor"}
CASE_READERS = REQUEST_READERS | {"admin"}  # the administrator reads cases too (issue 12), not the register


@pytest.mark.parametrize("username", USERNAMES)
def test_information_request_matrix(client, request_world, username):
    i, f, r = request_world["instance"], request_world["file"], request_world["refused"]
    headers = api_token(client, username)
    readers = CASE_READERS | {"unit.head"}
    calls = {"instance": (f"/api/v1/instances/{i}", readers), "events": (f"/api/v1/instances/{i}/events", readers),
             "scan": (f"/api/v1/files/{f}", readers), "refused": (f"/api/v1/instances/{r}", CASE_READERS),
             "register": ("/api/v1/information-requests", REQUEST_READERS)}
    for name, (url, allowed) in calls.items():
        response = client.get(url, headers=headers, buffered=True)
        assert (200 <= response.status_code < 300) == (username in allowed), (username, name, response.status_code)
    letter = client.get(f"/api/v1/instances/{r}/letter", headers=headers)
    assert (letter.status_code == 303) == (username in CASE_READERS), (username, letter.status_code)
    if letter.status_code == 303:
        assert client.get(letter.headers["Location"], headers=headers, buffered=True).status_code == 200
    upload = client.post(f"/api/v1/instances/{i}/files", headers=headers,
                         data={"file": (io.BytesIO(samples.pdf("y")), "n.pdf")}, content_type="multipart/form-data")
    assert (upload.status_code == 201) == (username == "unit.head"), (username, "upload", upload.status_code)
    login(client, username)
    for name, url in {"page instance": f"/instances/{i}", "register": "/requests", "csv": "/requests.csv"}.items():
        response = client.get(url, buffered=True)
        allowed = readers if name == "page instance" else REQUEST_READERS
        assert (response.status_code == 200) == (username in allowed), (username, name, response.status_code)


@pytest.fixture
def proposal_world(client):
    """amd.head's amendment proposal waiting for MCD's review."""
    amd = api_token(client, "amd.head")
    started = client.post("/api/v1/processes/policy_amendment/instances", headers=amd).get_json()
    done = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=amd, json={"data": {
        "changes": [{"clause": "7.10.2", "text": "Жаңа мәтін."}], "rationale": "r"}})
    assert done.status_code == 200, done.get_json()
    return {"instance": started["id"]}


# the proposer, and who takes part in amending the policy (§14, §7.1), and auditors
PROPOSAL_READERS = {"amd.head", "mcd.head", "mcd.specialist", "council.secretary", "rector", "auditor", "admin"}


@pytest.mark.parametrize("username", USERNAMES)
def test_policy_matrix(client, proposal_world, username):
    i = proposal_world["instance"]
    headers = api_token(client, username)
    for name, url in {"instance": f"/api/v1/instances/{i}", "proposal": f"/api/v1/policy/proposals/{i}",
                      "events": f"/api/v1/instances/{i}/events"}.items():
        response = client.get(url, headers=headers)
        allowed = username in PROPOSAL_READERS
        assert (200 <= response.status_code < 300) == allowed, (username, name, response.status_code)
    for url in ("/api/v1/policy/editions", "/api/v1/policy/editions/1", "/api/v1/policy/clauses/7.10.2/history"):
        assert client.get(url, headers=headers).status_code == 200, (username, url)  # the policy is for everyone
    started = client.post("/api/v1/processes/policy_amendment/instances", headers=headers)
    proposers = {"rector", "vr.finance", "vr.academic", "amd.head", "mcd.head", "mcd.specialist"}
    assert (started.status_code == 201) == (username in proposers), (username, started.status_code)
    review = [t for t in client.get("/api/v1/tasks", headers=headers).get_json() if t["instance_id"] == i]
    assert bool(review) == (username == "mcd.head"), (username, review)


@pytest.fixture
def absence_world(client):
    """employee's absence from tomorrow, employee2 substituting."""
    from datetime import timedelta

    from processes.university_time import today_local
    from storage.models import utcnow

    tomorrow = today_local(utcnow()) + timedelta(days=1)
    body = {"starts_on": tomorrow.isoformat(), "ends_on": (tomorrow + timedelta(days=2)).isoformat(),
            "substitute": "employee2"}
    created = client.post("/api/v1/absences", headers=api_token(client, "employee"), json=body)
    assert created.status_code == 201, created.get_json()
    later = {"user": "employee", "starts_on": (tomorrow + timedelta(days=10)).isoformat(),
             "ends_on": (tomorrow + timedelta(days=11)).isoformat(), "substitute": "employee2"}
    page = {**later, "starts_on": (tomorrow + timedelta(days=20)).isoformat(),
            "ends_on": (tomorrow + timedelta(days=20)).isoformat()}
    return {"id": created.get_json()["id"], "later": later, "page": page}


# the person, the head of their unit (FE-IS) and the administrator manage someone's absences
ABSENCE_MANAGERS = {"employee", "unit.head", "admin"}


@pytest.mark.parametrize("username", USERNAMES)
def test_absence_matrix(client, absence_world, username):
    aid, later = absence_world["id"], absence_world["later"]
    headers = api_token(client, username)
    allowed = username in ABSENCE_MANAGERS
    assert client.get("/api/v1/absences", headers=headers).status_code == 200  # one's own, always
    response = client.get("/api/v1/absences?user=employee", headers=headers)
    assert (response.status_code == 200) == allowed, (username, "list", response.status_code)
    response = client.post("/api/v1/absences", headers=headers, json=later)
    assert (response.status_code == 201) == allowed, (username, "record", response.status_code)
    login(client, username)
    token = csrf_from(client.get("/absences").get_data(as_text=True))  # one's own page, always
    response = client.get("/absences?user=employee")
    assert (response.status_code == 200) == allowed, (username, "page", response.status_code)
    response = client.post("/absences", data={**absence_world["page"], "csrf_token": token})
    assert (response.status_code == 302) == allowed, (username, "page record", response.status_code)
    response = client.delete(f"/api/v1/absences/{aid}", headers=headers)
    assert (response.status_code == 200) == allowed, (username, "end", response.status_code)
    response = client.post(f"/absences/{aid}/end", data={"csrf_token": token})  # ended above, or not theirs
    assert response.status_code == (409 if allowed else 404), (username, "page end", response.status_code)


# --- people administration (issue 12): the administrator only; one's own password: everyone signed in ---

PEOPLE_API = {
    "list": ("GET", "/api/v1/admin/users", None),
    "one": ("GET", "/api/v1/admin/users/employee2", None),
    "create": ("POST", "/api/v1/admin/users",
               {"username": "m.new", "full_name": {"kk": "Жаңа"}, "roles": ["employee"]}),
    "edit": ("PATCH", "/api/v1/admin/users/employee2", {"email": "e2@kineu.example"}),
    "link": ("POST", "/api/v1/admin/users/employee2/password-link", None),
}
PEOPLE_PAGES = {
    "page new": ("GET", "/admin/users/new"), "page user": ("GET", "/admin/users/employee2"),
    "page edit": ("POST", "/admin/users/employee2"), "page create": ("POST", "/admin/users/new"),
    "page link": ("POST", "/admin/users/employee2/password-link"),
    "page disable": ("POST", "/admin/users/employee2/disable"),
    "page enable": ("POST", "/admin/users/employee2/enable"),
    # the administration's sub-pages
    "page admin people": ("GET", "/admin/people?q=emp&status=active"),
    "page admin cases": ("GET", "/admin/cases?status=running"),
    "page admin settings": ("GET", "/admin/settings"),
}


@pytest.mark.parametrize("username", USERNAMES)
def test_people_matrix(client, username):
    headers = api_token(client, username)
    for name, (method, url, body) in PEOPLE_API.items():
        response = client.open(url, method=method, headers=headers, json=body)
        ok = 200 <= response.status_code < 300
        assert ok == (username == "admin"), (username, name, response.status_code)
    login(client, username)
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    form = {"full_name_kk": "Жаңа", "username": "p.new", "roles": ["employee"], "reason": "x", "confirm": "yes",
            "csrf_token": token}
    for name, (method, url) in PEOPLE_PAGES.items():
        response = client.get(url) if method == "GET" else client.post(url, data=form)
        if username == "admin":  # allowed: done (2xx, or a redirect after a POST) or refused for its state (409)
            assert response.status_code in {200, 201, 302, 409}, (username, name, response.status_code)
        else:
            assert response.status_code == 403, (username, name, response.status_code)
    assert client.get("/account/password").status_code == 200, username  # everyone's own password


# --- units (issue 12, point 2): the administrator only ---

UNITS_API = {
    "list": ("GET", "/api/v1/admin/units", None),
    "one": ("GET", "/api/v1/admin/units/FE-IS", None),
    "history": ("GET", "/api/v1/admin/units/FE-IS/history", None),
    "create": ("POST", "/api/v1/admin/units",
               {"code": "M-NEW", "name": {"kk": "Жаңа бөлім"}, "kind": "office"}),
    "edit": ("PATCH", "/api/v1/admin/units/AMD", {"name": {"kk": "Оқу-әдістемелік басқармасы", "en": "AMD"}}),
    "move": ("PATCH", "/api/v1/admin/units/REGISTRY", {"parent": "RECTORATE"}),
}
UNITS_PAGES = {
    "page units": ("GET", "/admin/units"), "page create": ("POST", "/admin/units"),
    "page unit": ("GET", "/admin/units/FE-IS"), "page edit": ("POST", "/admin/units/FE-IS"),
    "page move": ("POST", "/admin/units/FE-IS/move"),
}


@pytest.mark.parametrize("username", USERNAMES)
def test_units_matrix(client, username):
    headers = api_token(client, username)
    for name, (method, url, body) in UNITS_API.items():
        response = client.open(url, method=method, headers=headers, json=body)
        ok = 200 <= response.status_code < 300
        assert ok == (username == "admin"), (username, name, response.status_code)
    login(client, username)
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    form = {"code": "P-NEW", "name_kk": "Жаңа", "kind": "department", "parent": "FE", "csrf_token": token}
    for name, (method, url) in UNITS_PAGES.items():
        response = client.get(url) if method == "GET" else client.post(url, data=form)
        if username == "admin":
            assert response.status_code in {200, 302}, (username, name, response.status_code)
        else:
            assert response.status_code == 403, (username, name, response.status_code)


# --- routing tables (issue 12, point 3): administrators edit, auditors read, everyone asks who would approve
ROUTING_READERS = {"admin", "auditor"}


@pytest.mark.parametrize("username", USERNAMES)
def test_routing_matrix(client, username):
    headers = api_token(client, username)
    reads = {"list": "/api/v1/admin/routing", "table": "/api/v1/admin/routing/approver_routing",
             "version": "/api/v1/admin/routing/approver_routing/versions/1"}
    for name, url in reads.items():
        response = client.get(url, headers=headers)
        assert (response.status_code == 200) == (username in ROUTING_READERS), (username, name, response.status_code)
    explain = client.get("/api/v1/routing/approver_routing/explain?case=finance", headers=headers)
    assert explain.status_code == 200, (username, "explain", explain.status_code)
    if username != "admin":  # saving for real is covered in tests/web/test_routing_pages.py
        saved = client.post("/api/v1/admin/routing/approver_routing/versions", headers=headers,
                            json={"rules": [{"inputs": ["-", "-", "-"], "output": "rector"}], "reason": "r",
                                  "base_version": 1})
        assert saved.status_code == 403, (username, "save", saved.status_code)
    login(client, username)
    for url in ("/admin/routing", "/admin/routing/approver_routing", "/admin/routing/approver_routing/versions/1"):
        response = client.get(url)
        assert (response.status_code == 200) == (username == "admin"), (username, url, response.status_code)
    assert client.get("/routing/who?decision=approver_routing&case=finance").status_code == 200
    if username != "admin":
        token = csrf_from(client.get("/routing/who").get_data(as_text=True))
        response = client.post("/admin/routing/approver_routing", data={"csrf_token": token, "reason": "r",
                                                                        "output-Rule_Finance": "rector"})
        assert response.status_code == 403, (username, "page save", response.status_code)


# --- the expert pool (issue 15): everyone logged in reads it; MCD proposes; the rector approves ---

@pytest.fixture
def pool_world(client, act):
    """The demo's edition 1, and mcd.specialist's proposal waiting for the rector."""
    from datetime import timedelta

    from processes.expert_pool.kind import KIND
    from processes.university_time import today_local
    from storage.models import utcnow

    act(None, KIND.seed_demo)
    spec = api_token(client, "mcd.specialist")
    started = client.post("/api/v1/processes/expert_pool/instances", headers=spec).get_json()
    term = (today_local(utcnow()) + timedelta(days=90)).isoformat()
    done = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=spec, json={"data": {
        "changes": [{"action": "add", "person": "employee", "topics": "қабылдау", "languages": ["kk"],
                     "formats": ["press"], "term_until": term}]}})
    assert done.status_code == 200, done.get_json()
    return {"instance": started["id"]}


POOL_PROPOSAL_READERS = {"mcd.specialist", "mcd.head", "rector", "auditor", "admin"}
POOL_STARTERS = {"mcd.specialist", "mcd.head"}
POOL_OPEN = ("/expert-pool", "/expert-pool?q=%D2%9B%D0%B0%D0%B1%D1%8B%D0%BB%D0%B4%D0%B0%D1%83",
             "/expert-pool/editions", "/expert-pool/editions/1")
POOL_API = ("/api/v1/expert-pool", "/api/v1/expert-pool?q=x&limit=1", "/api/v1/expert-pool/editions",
            "/api/v1/expert-pool/editions/1")


def test_expert_pool_anonymous(client, pool_world):
    for url in POOL_OPEN:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for url in POOL_API:
        assert client.get(url).status_code == 401, url


@pytest.mark.parametrize("username", USERNAMES)
def test_expert_pool_matrix(client, pool_world, username):
    i = pool_world["instance"]
    headers = api_token(client, username)
    for url in POOL_API:
        assert client.get(url, headers=headers).status_code == 200, (username, url)
    response = client.get(f"/api/v1/instances/{i}", headers=headers)
    assert (response.status_code == 200) == (username in POOL_PROPOSAL_READERS), (username, response.status_code)
    started = client.post("/api/v1/processes/expert_pool/instances", headers=headers)
    assert (started.status_code == 201) == (username in POOL_STARTERS), (username, started.status_code)
    waiting = [t for t in client.get("/api/v1/tasks", headers=headers).get_json() if t["instance_id"] == i]
    assert bool(waiting) == (username == "rector"), (username, waiting)
    login(client, username)
    for url in POOL_OPEN:
        assert client.get(url).status_code == 200, (username, url)
    page = client.get(f"/instances/{i}")
    assert (page.status_code == 200) == (username in POOL_PROPOSAL_READERS), (username, page.status_code)
    new = client.get("/processes/expert_pool/new")
    assert (new.status_code == 200) == (username in POOL_STARTERS), (username, new.status_code)


# --- units' media contacts (§7.10.4): MCD and auditors read all, a unit's head keeps (and reads) theirs ---

CONTACT = {"name": "Дмитрий Ковалёв", "phone": "+7 714 255 10 21"}
CONTACT_READERS = {"mcd.head", "mcd.specialist", "auditor"}  # every unit's
HEADS = {"unit.head": "FE-IS", "mcd.head": "MCD", "rector": "RECTORATE", "dean.engineering": "FE",
         "amd.head": "AMD"}  # the demo units' heads (seed UNIT_DETAILS)


@pytest.fixture
def contact_world(client):
    made = client.post("/api/v1/units/FE-IS/media-contacts", headers=api_token(client, "unit.head"), json=CONTACT)
    assert made.status_code == 201
    return {"id": made.get_json()["id"]}


def test_media_contacts_anonymous(client, contact_world):
    for url in ("/media-contacts", "/units/FE-IS/media-contacts"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for method, url in (("GET", "/api/v1/media-contacts"), ("GET", "/api/v1/units/FE-IS/media-contacts"),
                        ("POST", "/api/v1/units/FE-IS/media-contacts"),
                        ("PATCH", f"/api/v1/units/FE-IS/media-contacts/{contact_world['id']}"),
                        ("DELETE", f"/api/v1/units/FE-IS/media-contacts/{contact_world['id']}")):
        assert client.open(url, method=method, json=CONTACT).status_code == 401, url


@pytest.mark.parametrize("username", USERNAMES)
def test_media_contacts_matrix(client, contact_world, username):
    cid = contact_world["id"]
    headers = api_token(client, username)
    reads_unit = username in CONTACT_READERS or username == "unit.head"
    response = client.get("/api/v1/media-contacts", headers=headers)
    assert (response.status_code == 200) == (username in CONTACT_READERS), (username, "all", response.status_code)
    if response.status_code != 200:
        assert response.status_code == 403
    response = client.get("/api/v1/units/FE-IS/media-contacts", headers=headers)
    assert response.status_code == (200 if reads_unit else 403), (username, "unit", response.status_code)
    if username != "unit.head":  # the head's own changes are covered in tests/web/test_media_contacts_pages.py
        for method, url in (("POST", "/api/v1/units/FE-IS/media-contacts"),
                            ("PATCH", f"/api/v1/units/FE-IS/media-contacts/{cid}"),
                            ("DELETE", f"/api/v1/units/FE-IS/media-contacts/{cid}"),
                            ("POST", f"/api/v1/units/FE-IS/media-contacts/{cid}/confirm")):
            response = client.open(url, method=method, headers=headers, json=CONTACT)
            assert response.status_code == 403, (username, method, url, response.status_code)
    login(client, username)
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    index = client.get("/media-contacts")
    expected = 200 if username in CONTACT_READERS else (302 if username in HEADS else 403)
    assert index.status_code == expected, (username, "index", index.status_code)
    page = client.get("/units/FE-IS/media-contacts")
    assert page.status_code == (200 if reads_unit else 403), (username, "page", page.status_code)
    if username != "unit.head":
        posted = client.post("/units/FE-IS/media-contacts", data={"csrf_token": token, **CONTACT})
        assert posted.status_code == 403, (username, "page add", posted.status_code)
        removed = client.post(f"/units/FE-IS/media-contacts/{cid}/remove", data={"csrf_token": token})
        assert removed.status_code == 403, (username, "page remove", removed.status_code)


# --- event pre-notification (§7.4, §7.6): the unit's notice, read by MCD; a unit sees its own on the calendar ---

@pytest.fixture
def event_world(client):
    """employee's notice of an event in 10 days, waiting for MCD's decision."""
    from datetime import timedelta

    from processes.university_time import local
    from storage.models import utcnow

    emp = api_token(client, "employee")
    started = client.post("/api/v1/processes/event_notice/instances", headers=emp).get_json()
    starts = local(utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT10:00")
    done = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=emp, json={"data": {
        "unit": "FE-IS", "title": "Ашық есік күні", "event_kind": "open_day", "starts_at": starts,
        "place": "Акт залы", "organiser": "АЖ кафедрасы", "audiences": ["applicants"], "requests": ["photo"]}})
    assert done.status_code == 200, done.get_json()
    return {"instance": started["id"], "month": starts[:7]}


EVENT_READERS = {"employee", "mcd.head", "mcd.specialist", "auditor", "admin"}
EVENT_STARTERS = {u[0] for u in USERS if {"employee", "unit_head"} & set(u[3])}
EVENT_CALENDAR = {u[0] for u in USERS if u[4] is not None} | {"auditor"}  # MCD, auditors, anyone with a unit


def test_event_notice_anonymous(client, event_world):
    response = client.get("/event-notices")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("username", USERNAMES)
def test_event_notice_matrix(client, event_world, username):
    i, month = event_world["instance"], event_world["month"]
    headers = api_token(client, username)
    for url in (f"/api/v1/instances/{i}", f"/api/v1/instances/{i}/events"):
        response = client.get(url, headers=headers)
        assert (response.status_code == 200) == (username in EVENT_READERS), (username, url, response.status_code)
    waiting = [t for t in client.get("/api/v1/tasks", headers=headers).get_json() if t["instance_id"] == i]
    assert bool(waiting) == (username == "mcd.specialist"), (username, waiting)
    task = client.get(f"/api/v1/instances/{i}", headers=api_token(client, "auditor")).get_json()["tasks"]
    decide = next(t["id"] for t in task if t["name"] == "Task_Decide")
    if username not in ("mcd.specialist", "mcd.head"):
        response = client.post(f"/api/v1/tasks/{decide}/complete", headers=headers,
                               json={"data": {"decision": "decline", "comment": "x"}})
        assert response.status_code in (403, 404), (username, "decide", response.status_code)
    login(client, username)
    page = client.get(f"/instances/{i}")
    assert (page.status_code == 200) == (username in EVENT_READERS), (username, page.status_code)
    new = client.get("/processes/event_notice/new")
    assert (new.status_code == 200) == (username in EVENT_STARTERS), (username, new.status_code)
    listed = client.get("/api/v1/event-notices", headers=headers)
    assert (listed.status_code == 200) == (username in EVENT_CALENDAR), (username, "api", listed.status_code)
    if listed.status_code == 200:
        seen = [r["instance_id"] for r in listed.get_json()]
        assert (i in seen) == (username in {"employee", "employee2", "unit.head"}), (username, seen)
    cal = client.get(f"/event-notices?month={month}")
    assert (cal.status_code == 200) == (username in EVENT_CALENDAR), (username, cal.status_code)
    if cal.status_code != 200:
        assert cal.status_code == 403
    else:
        # MCD sees accepted events only (none yet); the unit's own people see their notice; other units nothing
        shown = "Ашық есік күні" in cal.get_data(as_text=True)
        assert shown == (username in {"employee", "employee2", "unit.head"}), (username, shown)


# --- violation reports (§1.6, §13.1–13.3): any employee reports; the head of MCD and auditors read the register and
# learn who reported; a unit asked to explain reads the case but not the reporter; the administrator neither ---

@pytest.fixture
def violation_world(client):
    """employee2's report; the head of MCD asked FE-IS (unit.head) to explain by the end of today."""
    from processes.university_time import today_local
    from storage.models import utcnow

    rep, head = api_token(client, "employee2"), api_token(client, "mcd.head")
    started = client.post("/api/v1/processes/violation_report/instances", headers=rep).get_json()
    done = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=rep, json={"data": {
        "what_happened": "Хаттама жарияланды", "happened_on": "2026-01-05", "clause": "13.1"}})
    assert done.status_code == 200, done.get_json()
    assess = next(t["id"] for t in client.get("/api/v1/tasks", headers=head).get_json()
                  if t["instance_id"] == started["id"])
    asked = client.post(f"/api/v1/tasks/{assess}/complete", headers=head, json={"data": {
        "assessment": "ask_units", "question": "Why?",
        "units": [{"unit": "FE-IS", "due_on": today_local(utcnow()).isoformat()}]}})
    assert asked.status_code == 200, asked.get_json()
    return {"instance": started["id"]}


VIOLATION_READERS = {"employee2", "mcd.head", "auditor", "admin", "unit.head"}
VIOLATION_SEE_REPORTER = {"employee2", "mcd.head", "auditor"}
VIOLATION_REGISTER = {"mcd.head", "auditor"}
VIOLATION_STARTERS = {u[0] for u in USERS if "employee" in u[3]}


def test_violation_report_anonymous(client, violation_world):
    for url in ("/violation-reports", "/violation-reports.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    for url in ("/api/v1/violation-reports", "/api/v1/violation-reports/counts"):
        assert client.get(url).status_code == 401


@pytest.mark.parametrize("username", USERNAMES)
def test_violation_report_matrix(client, violation_world, username):
    i = violation_world["instance"]
    headers = api_token(client, username)
    for url in (f"/api/v1/instances/{i}", f"/api/v1/instances/{i}/events"):
        response = client.get(url, headers=headers)
        assert (response.status_code == 200) == (username in VIOLATION_READERS), (username, url, response.status_code)
    seen = client.get(f"/api/v1/instances/{i}", headers=headers)
    if seen.status_code == 200:
        expected = "employee2" if username in VIOLATION_SEE_REPORTER else "~withheld"
        assert seen.get_json()["started_by"] == expected, username
    waiting = [t for t in client.get("/api/v1/tasks", headers=headers).get_json() if t["instance_id"] == i]
    assert bool(waiting) == (username == "unit.head"), (username, waiting)
    tasks = client.get(f"/api/v1/instances/{i}", headers=api_token(client, "auditor")).get_json()["tasks"]
    explain = next(t["id"] for t in tasks if t["name"] == "Task_Explain")
    if username != "unit.head":
        response = client.post(f"/api/v1/tasks/{explain}/complete", headers=headers,
                               json={"data": {"explanation": "x"}})
        assert response.status_code in (403, 404), (username, "explain", response.status_code)
    for url in ("/api/v1/violation-reports", "/api/v1/violation-reports/counts"):
        response = client.get(url, headers=headers)
        assert (response.status_code == 200) == (username in VIOLATION_REGISTER), (username, url, response.status_code)
    login(client, username)
    page = client.get(f"/instances/{i}")
    assert (page.status_code == 200) == (username in VIOLATION_READERS), (username, page.status_code)
    new = client.get("/processes/violation_report/new")
    assert (new.status_code == 200) == (username in VIOLATION_STARTERS), (username, new.status_code)
    for url in ("/violation-reports", "/violation-reports.csv"):
        response = client.get(url)
        assert (response.status_code == 200) == (username in VIOLATION_REGISTER), (username, url, response.status_code)


# --- plans and regulations the rector approves (§7.1): MCD drafts, the rector decides; MCD, management and
# auditors read the plans; only MCD marks an item done ---

@pytest.fixture
def plan_world(client):
    """Version 1 of the PR plan in force, and mcd.specialist's next draft waiting for the rector."""
    spec, rector = api_token(client, "mcd.specialist"), api_token(client, "rector")
    data = {"kind": "pr_plan", "title": "PR plan", "period_start": "2026-01-01", "period_end": "2030-12-31",
            "items": [{"occasion": "Open day", "month": "2027-03", "channel": "website", "unit": "MCD"}]}

    def drafted():
        started = client.post("/api/v1/processes/plan_approval/instances", headers=spec).get_json()
        done = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=spec, json={"data": data})
        assert done.status_code == 200, done.get_json()
        task = next(t for t in client.get("/api/v1/tasks", headers=rector).get_json()
                    if t["instance_id"] == started["id"])
        return started["id"], task["id"]

    first, task = drafted()
    assert client.post(f"/api/v1/tasks/{task}/complete", headers=rector,
                       json={"data": {"decision": "approve"}}).status_code == 200
    waiting, _ = drafted()
    return {"instance": waiting}


PLAN_READERS = {"mcd.specialist", "mcd.head", "rector", "vr.finance", "vr.academic", "auditor", "admin"}
PLAN_STARTERS = {"mcd.specialist", "mcd.head"}
PLAN_MARKERS = {"mcd.specialist", "mcd.head"}
PLAN_PAGES = ("/plans", "/plans?kind=website_regulation", "/plans?kind=pr_plan&from=1&to=1")
PLAN_API = ("/api/v1/plans/pr_plan/versions", "/api/v1/plans/pr_plan/versions/1", "/api/v1/plans/pr_plan/current",
            "/api/v1/plans/pr_plan/compare")


def _plan_mark_url(prefix=""):
    from processes.plan_approval.plans import item_key

    return f"{prefix}/plans/pr_plan/1/items/{item_key('Open day')}/done"


def test_plans_anonymous(client, plan_world):
    for url in PLAN_PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for url in PLAN_API:
        assert client.get(url).status_code == 401, url
    assert client.post(_plan_mark_url("/api/v1").replace("/plans/pr_plan/1/", "/plans/pr_plan/versions/1/"),
                       json={"done_on": "2026-01-02"}).status_code == 401


@pytest.mark.parametrize("username", USERNAMES)
def test_plans_matrix(client, plan_world, username):
    i = plan_world["instance"]
    headers = api_token(client, username)
    reader = username in PLAN_READERS
    for url in PLAN_API:
        assert (client.get(url, headers=headers).status_code == 200) == reader, (username, url)
    response = client.get(f"/api/v1/instances/{i}", headers=headers)
    assert (response.status_code == 200) == reader, (username, response.status_code)
    started = client.post("/api/v1/processes/plan_approval/instances", headers=headers)
    assert (started.status_code == 201) == (username in PLAN_STARTERS), (username, started.status_code)
    waiting = [t for t in client.get("/api/v1/tasks", headers=headers).get_json() if t["instance_id"] == i]
    assert bool(waiting) == (username == "rector"), (username, waiting)
    api_mark = _plan_mark_url("/api/v1").replace("/plans/pr_plan/1/", "/plans/pr_plan/versions/1/")
    marked = client.post(api_mark, headers=headers, json={"done_on": "2026-01-02"})
    assert (marked.status_code == 201) == (username in PLAN_MARKERS), (username, marked.status_code)
    login(client, username)
    for url in PLAN_PAGES:
        assert (client.get(url).status_code == 200) == reader, (username, url)
    page = client.get(f"/instances/{i}")
    assert (page.status_code == 200) == reader, (username, page.status_code)
    new = client.get("/processes/plan_approval/new")
    assert (new.status_code == 200) == (username in PLAN_STARTERS), (username, new.status_code)
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    posted = client.post(_plan_mark_url(), data={"csrf_token": token, "done_on": "2026-01-02"})
    assert (posted.status_code == 303) == (username in PLAN_MARKERS), (username, posted.status_code)
    assert posted.status_code < 500
