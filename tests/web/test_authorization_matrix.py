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
