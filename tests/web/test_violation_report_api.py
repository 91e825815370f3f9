"""Violation reports over the JSON API and the pages (§1.6, §13.1–13.3): any employee reports; the head of MCD
assesses, asks a unit, records measures and refers to the rector; the register with counts, paging and CSV for the
head of MCD and auditors only. And the heart of it: the reporter is never revealed — a sweep of every GET endpoint
and page of the application, as every demo role but the head of MCD, auditors and the reporter, finds neither the
reporter's username nor any form of their name in any response body."""
from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy import select

from processes.usecases.seed import USERS
from storage.models import Document, User
from tests.conftest import api_token, login
from tests.helpers import api_complete as complete
from tests.helpers import api_upload

KEY = "violation_report"
REPORTER = "employee2"
SEES = {"mcd.head", "auditor", REPORTER}  # who may learn who reported (§13.1)
OTHERS = [u[0] for u in USERS if u[0] not in SEES]
REPORT = {"what_happened": "Кафедра хаттамасы Telegram арнасында жарияланды.", "happened_on": "2026-01-05",
          "published_where": "Telegram", "links": "https://t.me/example/1", "clause": "13.1"}


def start(client, headers):
    started = client.post(f"/api/v1/processes/{KEY}/instances", headers=headers)
    assert started.status_code == 201, started.get_json()
    return started.get_json()


def ready(client, headers, iid, name):
    (task,) = [t for t in client.get("/api/v1/tasks", headers=headers).get_json()
               if t["instance_id"] == iid and t["name"] == name]
    return task


def test_any_employee_reports_and_the_head_of_mcd_sees_who(client):
    reporter, head, unit_head = (api_token(client, u) for u in (REPORTER, "mcd.head", "unit.head"))
    started = start(client, reporter)
    iid = started["id"]
    complete(client, reporter, started["tasks"][0]["id"], REPORT)
    assert client.get(f"/api/v1/instances/{iid}", headers=head).get_json()["title"].startswith("VR-")
    assert client.get(f"/api/v1/instances/{iid}", headers=head).get_json()["started_by"] == REPORTER
    assert client.get(f"/api/v1/instances/{iid}", headers=reporter).get_json()["started_by"] == REPORTER
    assess = ready(client, head, iid, "Task_Assess")
    complete(client, head, assess["id"], {"assessment": "ask_units", "question": "Explain.",
                                          "units": [{"unit": "FE-IS", "due_on": "2026-01-01"}]}, 422)
    complete(client, head, assess["id"], {"assessment": "ask_units", "question": "Explain.",
                                          "units": [{"unit": "FE-IS", "due_on": "2099-01-01"}]}, 422)  # too far
    from processes.university_time import today_local
    from storage.models import utcnow
    due = today_local(utcnow()).isoformat()
    complete(client, head, assess["id"], {"assessment": "ask_units", "question": "Explain.",
                                          "units": [{"unit": "FE-IS", "due_on": due}]})
    complete(client, head, assess["id"], {"assessment": "breach"}, 409)
    explain = ready(client, unit_head, iid, "Task_Explain")
    assert explain["due_day"] == due
    # the unit head reads the case: the reporter is withheld
    seen = client.get(f"/api/v1/instances/{iid}", headers=unit_head).get_json()
    assert seen["started_by"] == "~withheld"
    events = client.get(f"/api/v1/instances/{iid}/events", headers=unit_head)
    assert events.status_code == 200 and REPORTER not in events.get_data(as_text=True)
    complete(client, unit_head, explain["id"], {"explanation": "Posted by mistake; removed."})
    complete(client, unit_head, explain["id"], {"explanation": "again"}, 409)
    # another employee may not act on it, nor read it
    other = api_token(client, "employee")
    assert client.get(f"/api/v1/instances/{iid}", headers=other).status_code in (403, 404)


def test_the_register_counts_by_clause_and_month_for_mcd_and_auditors_only(client):
    reporter = api_token(client, REPORTER)
    for clause in ("13.1", "13.1", "8.3"):
        started = start(client, reporter)
        complete(client, reporter, started["tasks"][0]["id"], {**REPORT, "clause": clause})
    for user in ("mcd.head", "auditor"):
        headers = api_token(client, user)
        counts = client.get("/api/v1/violation-reports/counts", headers=headers).get_json()
        assert counts["total"] == 3
        assert counts["by_clause"] == [{"clause": "13.1", "count": 2}, {"clause": "8.3", "count": 1}]
        assert sum(m["count"] for m in counts["by_month"]) == 3
        first = client.get("/api/v1/violation-reports?limit=2", headers=headers)
        assert len(first.get_json()) == 2 and 'rel="next"' in first.headers["Link"]
        nxt = re.search(r"<([^>]+)>", first.headers["Link"]).group(1)
        assert len(client.get(nxt, headers=headers).get_json()) == 1
        only = client.get("/api/v1/violation-reports?clause=8.3", headers=headers).get_json()
        assert [r["clause"] for r in only] == ["8.3"]
        assert all("reporter" not in r and "started_by" not in r for r in only)
    for user in ("employee", "unit.head", "admin", "rector", "mcd.specialist"):
        headers = api_token(client, user)
        assert client.get("/api/v1/violation-reports", headers=headers).status_code == 403
        assert client.get("/api/v1/violation-reports/counts", headers=headers).status_code == 403
    login(client, "mcd.head")
    page = client.get("/violation-reports")
    assert page.status_code == 200 and "§13.1" in page.get_data(as_text=True)
    csv_ = client.get("/violation-reports.csv")
    assert csv_.status_code == 200 and csv_.get_data(as_text=True).count("VR-") == 3
    assert client.get("/violation-reports?status=nonsense").status_code == 400


# --- the sweep: the reporter is never revealed --------------------------------------------------------------

def _identity(app) -> list[str]:
    from storage.db import make_sessionmaker

    factory = make_sessionmaker(app.extensions["kelisim.engine"])
    with factory() as s:
        user = s.execute(select(User).where(User.username == REPORTER)).scalar_one()
        names = {user.username, user.full_name, user.full_name_ru, user.full_name_en, user.email}
    parts = {n for n in names if n}
    # the name in any order or in part (surname, first name) is a giveaway too
    for name in list(parts):
        parts.update(w for w in name.split() if len(w) > 4 and "@" not in w)
    return sorted(parts)


def _forms(text: str, identity: list[str]) -> list[str]:
    variants = []
    for item in identity:
        variants += [item, quote(item), item.encode("unicode_escape").decode("ascii")]
    return [v for v in variants if v in text]


GENERIC_VALUES = {"username": [REPORTER], "user": [REPORTER], "key": [KEY], "process_key": [KEY]}


def _urls(app, values: dict[str, list]) -> tuple[list[str], list[str], list[str]]:
    """Every GET route of the application filled with the values at hand: those naming the case (its instance,
    tasks, files, documents) apart from the generic ones (no argument, or only a username or process key), which
    can be fetched before the report exists too; and the routes no value fits."""
    specific, generic, skipped = [], list(EXTRA), []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith("/static"):
            continue
        args = sorted(rule.arguments)
        available = {**GENERIC_VALUES, **values}
        if any(a not in available for a in args):
            skipped.append(rule.rule)
            continue
        combos: list[dict] = [{}]
        for a in args:
            combos = [{**c, a: v} for c in combos for v in available[a]]
        for combo in combos:
            url = rule.rule
            for a, v in combo.items():
                url = re.sub(r"<(?:[^:<>]+:)?" + a + r">", str(v), url)
            (generic if all(a in GENERIC_VALUES for a in args) else specific).append(url)
    return specific, generic, skipped


EXTRA = [  # searches that would find the case by its reporter
    f"/api/v1/instances?person={REPORTER}", f"/api/v1/instances?q={REPORTER}",
    f"/api/v1/instances?process={KEY}", f"/instances?person={REPORTER}", f"/inbox?q={REPORTER}",
    f"/admin/cases?q={REPORTER}", f"/audit/events?actor={REPORTER}", f"/api/v1/audit/events?actor={REPORTER}",
    f"/audit/events.csv?actor={REPORTER}", "/api/v1/audit/events", "/audit/events.csv", "/audit/events.json",
    "/api/v1/audit/events?instance={iid}", "/notifications", "/api/v1/notifications",
]


def _body(response) -> str:
    data = response.get_data()
    response.close()  # a file's or document's stream
    return data.decode("utf-8", "replace")


def _fetch(client, url, headers):
    if url.startswith("/api/"):
        return client.get(url, headers=headers)
    return client.get(url)


def test_the_reporter_is_never_revealed_to_anyone_else(app):
    identity = _identity(app)
    clients = {}
    for user in OTHERS:
        c = app.test_client()
        login(c, user)
        clients[user] = (c, api_token(c, user))
    # the baseline: pages that list people anyway (the directory, the administration) name the reporter before
    # any report; after it they must not name them more often
    _, generic_before, _ = _urls(app, {})
    baseline = {}
    for user, (c, headers) in clients.items():
        for url in generic_before:
            if "{iid}" in url:
                continue
            baseline[(user, url)] = len(_forms(_body(_fetch(c, url, headers)), identity))

    # the report, its way through MCD and a unit to the rector, a file, and a second report not yet submitted
    setup = app.test_client()
    reporter, head, unit_head, auditor = (api_token(setup, u) for u in (REPORTER, "mcd.head", "unit.head", "auditor"))
    started = start(setup, reporter)
    iid = started["id"]
    fid = api_upload(setup, reporter, iid, "notes.txt", "Скриншот сипаттамасы".encode())
    complete(setup, reporter, started["tasks"][0]["id"], {**REPORT, "file_ids": [fid]})
    from processes.university_time import today_local
    from storage.models import utcnow
    complete(setup, head, ready(setup, head, iid, "Task_Assess")["id"],
             {"assessment": "ask_units", "question": "Explain.",
              "units": [{"unit": "FE-IS", "due_on": today_local(utcnow()).isoformat()}]})
    complete(setup, unit_head, ready(setup, unit_head, iid, "Task_Explain")["id"], {"explanation": "Removed."})
    complete(setup, head, ready(setup, head, iid, "Task_Assess")["id"], {"assessment": "breach"})
    complete(setup, head, ready(setup, head, iid, "Task_Measures")["id"],
             {"findings": "Disclosed.", "measures": ["removal"], "refer": "yes", "recommendation": "Reprimand."})
    draft = start(setup, reporter)["id"]  # parked at the reporter's own task
    case_file = setup.get(f"/api/v1/instances/{iid}/case-file", headers=auditor)
    assert case_file.status_code == 200
    case_file.close()
    tasks = [t["id"] for t in setup.get(f"/api/v1/instances/{iid}", headers=head).get_json()["tasks"]]
    tasks += [t["id"] for t in setup.get(f"/api/v1/instances/{draft}", headers=reporter).get_json()["tasks"]]
    from storage.db import make_sessionmaker
    factory = make_sessionmaker(app.extensions["kelisim.engine"])
    with factory() as s:
        docs = list(s.execute(select(Document).where(Document.instance_id == iid)).scalars())
        from storage.models import InboxTask
        tasks += [t.id for t in s.execute(select(InboxTask).where(InboxTask.instance_id.in_([iid, draft]))).scalars()]
        assert docs and not _forms(str([d.public for d in docs]), identity)  # the case file withholds them too
    # the head of MCD and auditors do see who reported
    for user in ("mcd.head", "auditor"):
        c = app.test_client()
        login(c, user)
        assert _forms(_body(c.get(f"/instances/{iid}")), identity)
    values = {"instance_id": [iid, draft], "task_id": sorted(set(tasks)), "file_id": [fid],
              "document_id": [d.id for d in docs], "id": [iid]}
    specific, generic, skipped = _urls(app, values)
    assert len(skipped) < 40, skipped  # nearly every page and endpoint is swept
    leaks, fetched, statuses = [], 0, {}
    for user, (c, headers) in clients.items():
        for url in specific + generic:
            url = url.replace("{iid}", str(iid))
            response = _fetch(c, url, headers)
            fetched += 1
            found = _forms(_body(response), identity)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            allowed = baseline.get((user, url), 0) if url in generic else 0
            if len(found) > allowed:
                leaks.append((user, url, response.status_code, found))
    assert fetched > 500 and statuses.get(200, 0) > 300, statuses  # most of it was really read
    assert not statuses.get(500), statuses
    assert not leaks, leaks[:20]
