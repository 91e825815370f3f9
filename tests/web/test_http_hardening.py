"""HTTP details: date query parameters (malformed or out of range -> 400, never a 500 nor ignored),
no caching of authenticated API answers and tokens, notifications read only by a POST, `Allow` on
405, the OpenAPI document against what the server accepts, and the sweep's count of temporary files."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storage.models import AuditEvent, Notification, User, utcnow
from tests.conftest import api_token, csrf_from, login

# --- dates in query strings ---------------------------------------------------------------------

REGISTER = ("/api/v1/information-requests", "registry", "api")
PAGES = [("/requests", "registry"), ("/requests.csv", "registry"), ("/audit/instances", "auditor"),
         ("/archive", "mcd.head")]
DATE_PAGES = [(path, user, "page") for path, user in PAGES] + [REGISTER]


def _get(client, path: str, user: str, how: str, query: str):
    if how == "api":
        return client.get(f"{path}?{query}", headers=api_token(client, user))
    login(client, user)
    return client.get(f"{path}?{query}", headers={"Accept-Language": "en"})


@pytest.mark.parametrize("path, user, how", DATE_PAGES)
@pytest.mark.parametrize("query, reason", [
    ("since=0001-01-01", "since"), ("until=9999-12-31", "until"),  # used to overflow: 500
    ("since=yesterday", "since"), ("until=2026-13-01", "until"),  # used to be ignored: unfiltered data
    ("since=2026-01-01T00:00", "since"),
])
def test_bad_or_extreme_dates_are_refused(client, path, user, how, query, reason):
    response = _get(client, path, user, how, query)
    assert response.status_code == 400, (path, query, response.status_code)
    body = response.get_data(as_text=True)
    assert reason in body and ("0002-01-01" in body or "YYYY-MM-DD" in body)


@pytest.mark.parametrize("path, user, how", DATE_PAGES)
def test_every_real_date_passes(client, path, user, how):
    for query in ("since=1900-01-01&until=2999-12-31", "since=0002-01-01&until=9998-12-31",
                  "since=2026-01-01", "since=&until="):
        assert _get(client, path, user, how, query).status_code == 200, (path, query)


@pytest.mark.parametrize("query, reason", [
    ("since=0001-01-01T00:00:00%2B05:00", "since"), ("until=9999-12-31T23:59:59-05:00", "until"),
    ("since=yesterday", "since"), ("until=2026-01-01T10:00", "until"), ("since=2026-01-01", "since"),
])
def test_audit_events_refuse_bad_or_extreme_date_times(client, query, reason):
    response = client.get(f"/api/v1/audit/events?{query}", headers=api_token(client, "auditor"))
    assert response.status_code == 400 and reason in response.get_json()["error"]


def test_instance_filter_refuses_non_ascii_digits(client):
    auditor = api_token(client, "auditor")
    assert client.get("/api/v1/audit/events?instance=%C2%B2", headers=auditor).status_code == 400  # "²"
    login(client, "auditor")
    assert client.get("/audit/events.csv?instance=%C2%B2").status_code == 400


def test_audit_events_accept_real_date_times(client):
    auditor = api_token(client, "auditor")
    for query in ("since=1900-01-01T00:00:00Z&until=2999-12-31T23:59:59%2B05:00",
                  "since=0002-01-01T00:00:00%2B14:00&until=9998-12-31T23:59:59-12:00"):
        assert client.get(f"/api/v1/audit/events?{query}", headers=auditor).status_code == 200, query


def test_shared_parser_ranges():
    from datetime import date, timedelta

    from processes.university_time import FIRST_DAY, LAST_DAY, end_of_day_utc, start_of_day_utc

    assert FIRST_DAY <= date(2, 1, 1) and LAST_DAY >= date(9998, 12, 31)  # every real date
    start_of_day_utc(FIRST_DAY)  # the conversions hold over the whole range
    end_of_day_utc(LAST_DAY)
    start_of_day_utc(LAST_DAY + timedelta(days=1))  # the day after, as the filters use it


# --- caching ------------------------------------------------------------------------------------

def test_token_and_authenticated_api_answers_are_never_cached(client):
    token = client.post("/api/v1/tokens", json={"username": "employee", "password": "kelisim-demo"})
    assert token.status_code == 201
    assert token.headers["Cache-Control"] == "no-store" and token.headers["Pragma"] == "no-cache"
    emp = {"Authorization": f"Bearer {token.get_json()['token']}"}
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp)
    iid = started.get_json()["id"]
    for response in (started, client.get(f"/api/v1/instances/{iid}", headers=emp),
                     client.get("/api/v1/tasks", headers=emp),
                     client.get("/api/v1/information-requests", headers=api_token(client, "registry")),
                     client.get(f"/api/v1/instances/{iid}", headers=api_token(client, "employee2")),  # 404
                     client.get("/api/v1/tasks")):  # 401
        assert response.headers.get("Cache-Control") == "no-store", response.request.path


# --- notifications: reading never changes state ---------------------------------------------------

def _notify(factory, username: str, n: int = 2) -> None:
    with factory() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        for i in range(n):
            s.add(Notification(user_id=user.id, kind="task_assigned", params={"title": f"Note {i}"},
                               created_at=utcnow()))
        s.commit()


def _unread(factory, username: str) -> int:
    with factory() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        return len(s.execute(select(Notification).where(Notification.user_id == user.id,
                                                        Notification.read_at.is_(None))).all())


def _badge(html: str) -> str | None:
    match = re.search(r'class="count-badge">(\d+)', html)
    return match.group(1) if match else None


def test_reading_notifications_leaves_them_unread(client, factory):
    _notify(factory, "employee")
    login(client, "employee")
    for _ in range(2):
        page = client.get("/notifications", headers={"Accept-Language": "en"})
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and html.count("is-unread") == 2 and _badge(html) == "2"
    assert _unread(factory, "employee") == 2
    assert _badge(client.get("/inbox", headers={"Accept-Language": "en"}).get_data(as_text=True)) == "2"


def test_marking_notifications_read_is_a_csrf_protected_post(client, factory):
    _notify(factory, "employee")
    login(client, "employee")
    html = client.get("/notifications", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Mark all as read" in html
    assert client.post("/notifications/read").status_code == 400  # no CSRF token
    assert client.get("/notifications/read").status_code == 405
    assert _unread(factory, "employee") == 2
    done = client.post("/notifications/read", data={"csrf_token": csrf_from(html)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/notifications")
    assert _unread(factory, "employee") == 0
    after = client.get("/notifications", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "is-unread" not in after and _badge(after) is None and "Mark all as read" not in after
    with factory() as s:
        (entry,) = s.execute(select(AuditEvent).where(AuditEvent.action == "notifications_read")).scalars()
        assert entry.actor == "employee" and entry.data == {"count": 2}
    again = client.post("/notifications/read", data={"csrf_token": csrf_from(after)})
    assert again.status_code == 302  # nothing left to mark: nothing recorded
    with factory() as s:
        assert len(s.execute(select(AuditEvent).where(AuditEvent.action == "notifications_read")).all()) == 1
    _notify(factory, "employee2", 1)  # somebody else's stay unread
    assert _unread(factory, "employee2") == 1


def test_mark_all_read_spares_what_arrived_after_the_page(client, factory):
    _notify(factory, "employee", 1)
    login(client, "employee")
    html = client.get("/notifications").get_data(as_text=True)
    _notify(factory, "employee", 1)  # arrives while the page is open
    client.post("/notifications/read", data={"csrf_token": csrf_from(html),
                                             "up_to": re.search(r'name="up_to" value="(\d+)"', html).group(1)})
    assert _unread(factory, "employee") == 1
    assert client.post("/notifications/read", data={"csrf_token": csrf_from(html), "up_to": "x"}).status_code == 400
    assert _unread(factory, "employee") == 1


# --- 405 and the OpenAPI document ---------------------------------------------------------------

def test_method_not_allowed_says_what_is(client):
    api = client.put("/api/v1/tasks", headers=api_token(client, "employee"))
    assert api.status_code == 405 and set(api.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}
    assert "error" in api.get_json()
    page = client.delete("/login")
    assert page.status_code == 405 and {"GET", "POST"} <= set(page.headers["Allow"].replace(" ", "").split(","))


def test_openapi_matches_what_the_server_accepts(client):
    doc = client.get("/api/openapi.json").get_json()
    events = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/audit/events"]["get"]["parameters"]}
    assert events["instance"]["minimum"] == 1 and events["instance"]["maximum"] == 2**31 - 1
    assert events["since"]["format"] == "date-time" and events["until"]["format"] == "date-time"
    auditor = api_token(client, "auditor")
    assert client.get("/api/v1/audit/events?instance=0", headers=auditor).status_code == 400
    assert client.get("/api/v1/audit/events?instance=1", headers=auditor).status_code == 200
    register = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/information-requests"]["get"]["parameters"]}
    assert register["since"]["format"] == "date" and register["until"]["format"] == "date"
    for path in ("/api/v1/files/{id}", "/api/v1/documents/{id}"):
        responses = doc["paths"][path]["get"]["responses"]
        assert {"401", "404"} <= set(responses), path
    for path, item in doc["paths"].items():
        for op in item.values():
            if op.get("security") != []:
                assert "401" in op["responses"], path
            for param in op.get("parameters", []):
                if param["in"] == "path" and param["schema"]["type"] == "integer":
                    assert param["schema"]["minimum"] == 1 and param["schema"]["maximum"] == 2**31 - 1, path
    entry = doc["components"]["schemas"]["RegisterEntry"]["properties"]
    assert "dispatched_at" in entry
    event = doc["components"]["schemas"]["Event"]["properties"]
    assert {"object", "clause", "hash"} <= set(event)


# --- the sweep counts the temporary files it removes ----------------------------------------------

def test_sweep_counts_orphans_and_temporary_files(db_url, tmp_path, monkeypatch):
    import io
    import os
    import time

    from click.testing import CliRunner

    from storage.blobs import BlobStore
    from web.cli import main

    store = BlobStore(tmp_path / "data" / "blobs")
    orphan = store.put(io.BytesIO(b"orphan"), max_size=100)
    spool = store.new_spool()
    spool.write(b"half an upload")  # a crash leaves the spool's temp file behind
    spool.flush()
    fresh = store.tmp / "fresh.part"
    fresh.write_bytes(b"an upload in progress")
    old = time.time() - 2 * 86400  # older than the default grace (24 hours: a refused form's files stay 12)
    for path in (store.path(orphan.sha256), spool.path):
        os.utime(path, (old, old))
    monkeypatch.setenv("KELISIM_DATABASE_URL", db_url)
    monkeypatch.setenv("KELISIM_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["files", "sweep"])
    assert result.exit_code == 0, result.output
    assert "removed 1 orphan file(s) and 1 temporary file(s)" in result.output
    assert not spool.path.exists() and fresh.exists() and not store.exists(orphan.sha256)
