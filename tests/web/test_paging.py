"""Paging through the API (limit, signed cursor, Link header) and the pages (count, First / Previous / Next,
search), and reads that never wait for SQLite's write lock."""
from __future__ import annotations

import re
import sqlite3
import threading
import time
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import create_engine, select

from processes.usecases import paging
from storage.models import Instance, ProcessDefinition, User, utcnow
from tests.conftest import api_token, login

T0 = utcnow().replace(microsecond=0) - timedelta(days=10)


def add_instances(app, n: int, username="employee", title="Case", at=T0) -> list[int]:
    with app.extensions["kelisim.db"]() as s:
        definition = s.execute(select(ProcessDefinition).where(ProcessDefinition.key == "speech_clearance")
                               ).scalars().first()
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        rows = [Instance(definition_id=definition.id, process_key="speech_clearance", title=f"{title} {k}",
                         started_by_id=user.id, created_at=at + timedelta(minutes=k), updated_at=T0)
                for k in range(n)]
        s.add_all(rows)
        s.commit()
        return [r.id for r in rows]


def next_link(response) -> str | None:
    header = response.headers.get("Link")
    if header is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', header)
    assert match, header
    return match.group(1)


def follow(client, headers, url: str) -> tuple[list[dict], int]:
    """Every item of an API list, following its Link headers; and how many pages it took."""
    items, pages = [], 0
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert isinstance(body, list)  # the body stays a JSON array
        items += body
        pages += 1
        url = next_link(response)
    return items, pages


def test_instances_api_pages_with_link_headers(client, app):
    made = add_instances(app, 12)
    headers = api_token(client, "employee")
    items, pages = follow(client, headers, "/api/v1/instances?limit=5")
    assert [i["id"] for i in items] == sorted(made, reverse=True) and pages == 3
    last = client.get("/api/v1/instances?limit=20", headers=headers)
    assert "Link" not in last.headers and len(last.get_json()) == 12  # one page: no next
    assert last.headers["X-Total-Count"] == "12"
    first = client.get("/api/v1/instances?limit=5&status=running", headers=headers)
    query = parse_qs(urlsplit(next_link(first)).query)
    assert query["limit"] == ["5"] and query["status"] == ["running"]  # the filters carry on to the next page
    assert set(items[0]) >= {"id", "process_key", "status", "outcome", "title", "started_by", "due_day"}


def test_default_and_bounds_of_limit(client, app):
    add_instances(app, 55)
    headers = api_token(client, "employee")
    assert len(client.get("/api/v1/instances", headers=headers).get_json()) == 50
    assert len(client.get("/api/v1/instances?limit=200", headers=headers).get_json()) == 55
    for bad in ("0", "201", "abc", "-1", "5.5"):
        response = client.get(f"/api/v1/instances?limit={bad}", headers=headers)
        assert response.status_code == 400, bad
        assert "limit" in response.get_json()["error"]


def test_inserts_between_pages_are_neither_repeated_nor_skipped(client, app):
    made = add_instances(app, 9)
    headers = api_token(client, "employee")
    first = client.get("/api/v1/instances?limit=4", headers=headers)
    later = add_instances(app, 3, title="Later", at=T0 + timedelta(days=1))  # newer: before the cursor
    older = add_instances(app, 2, title="Older", at=T0 - timedelta(days=1))  # after it: still to come
    rest, _ = follow(client, headers, next_link(first))
    seen = [i["id"] for i in first.get_json() + rest]
    assert len(seen) == len(set(seen)) and sorted(seen) == sorted(made + older) and not set(later) & set(seen)


def test_tampered_and_foreign_cursors_are_refused(client, app):
    add_instances(app, 6)
    headers = {**api_token(client, "auditor"), "Accept-Language": "en"}
    nxt = next_link(client.get("/api/v1/instances?limit=2", headers=headers))
    cursor = parse_qs(urlsplit(nxt).query)["cursor"][0]
    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    response = client.get(f"/api/v1/instances?cursor={tampered}", headers=headers)
    assert response.status_code == 400 and "altered" in response.get_json()["error"]
    response = client.get("/api/v1/instances?cursor=not-a-cursor", headers=headers)
    assert response.status_code == 400
    response = client.get(f"/api/v1/audit/events?cursor={cursor}", headers=headers)  # another list's cursor
    assert response.status_code == 400 and "another list" in response.get_json()["error"]
    response = client.get(f"/api/v1/tasks?cursor={cursor}", headers=headers)
    assert response.status_code == 400 and "another list" in response.get_json()["error"]
    assert client.get(f"/api/v1/instances?cursor={cursor}", headers=headers).status_code == 200


def test_instances_api_lists_only_what_the_caller_may_read(client, app):
    mine = add_instances(app, 3, username="employee")
    theirs = add_instances(app, 2, username="employee2")
    listed, _ = follow(client, api_token(client, "employee2"), "/api/v1/instances")
    assert {i["id"] for i in listed} == set(theirs)
    everything, _ = follow(client, api_token(client, "auditor"), "/api/v1/instances")
    assert {i["id"] for i in everything} >= set(mine) | set(theirs)
    found, _ = follow(client, api_token(client, "auditor"), "/api/v1/instances?q=Case%201")
    assert {i["id"] for i in found} == {mine[1], theirs[1]}
    assert client.get("/api/v1/instances?status=nonsense", headers=api_token(client, "auditor")).status_code == 400


def test_audit_events_and_tasks_page_through_the_api(client, app):
    headers = api_token(client, "employee")
    for _ in range(3):
        client.post("/api/v1/processes/speech_clearance/instances", headers=headers)
    auditor = api_token(client, "auditor")
    every, pages = follow(client, auditor, "/api/v1/audit/events?limit=2")
    seqs = [e["seq"] for e in every]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) and pages >= 3
    tasks, pages = follow(client, headers, "/api/v1/tasks?limit=1")
    assert len(tasks) == 3 and pages == 3 and len({t["id"] for t in tasks}) == 3


def test_register_api_pages(client, app):
    registry = api_token(client, "registry")
    response = client.get("/api/v1/information-requests?limit=1", headers=registry)
    assert response.status_code == 200 and isinstance(response.get_json(), list)
    assert "Link" not in response.headers  # nothing registered: one (empty) page
    assert client.get("/api/v1/information-requests?limit=500", headers=registry).status_code == 400


def _links(html: str) -> dict[str, str]:
    found = {}
    for rel, label in (("next", "Next page"), ("prev", "Previous page"), ("first", "First page")):
        match = re.search(r'<a [^>]*href="([^"]+)"[^>]*>' + label, html)
        if match:
            found[rel] = unescape(match.group(1))
    return found


def test_all_instances_page_pages_counts_and_searches(client, app, monkeypatch):
    made = add_instances(app, 60)
    with app.extensions["kelisim.db"]() as s:
        every = set(s.execute(select(Instance.id)).scalars())
    login(client, "auditor")
    html = client.get("/audit/instances", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"{len(every)} instances found" in html
    links = _links(html)
    assert set(links) == {"next"}  # the first page: no First, no Previous
    second = client.get(links["next"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert set(_links(second)) == {"prev", "first"}  # the last page: no Next
    shown = list(map(int, re.findall(r'data-label="No.">(\d+)<', html + second)))
    assert sorted(shown) == sorted(every) and set(made) <= set(shown)
    found = client.get("/audit/instances?q=Case+17", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "1 instance found" in found and f">{made[17]}<" in found
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    capped = client.get("/audit/instances", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "More than 10 found" in capped
    bad = client.get("/audit/instances?cursor=xyz", headers={"Accept-Language": "en"})
    assert bad.status_code == 400


def test_inbox_and_submissions_pages_page_and_search(client, app):
    made = add_instances(app, 55, title="Report")
    login(client, "employee")
    en = {"Accept-Language": "en"}
    html = client.get("/submissions", headers=en).get_data(as_text=True)
    assert "55 cases found" in html and 'name="q"' in html
    nxt = _links(html)["next"]
    second = client.get(nxt, headers=en).get_data(as_text=True)
    assert "Report 4<" in second and "Report 54<" not in second  # the oldest five on page two
    assert set(_links(second)) == {"prev", "first"}
    back = client.get(_links(second)["prev"], headers=en).get_data(as_text=True)
    assert "Report 54<" in back
    found = client.get(f"/submissions?q=%23{made[3]}", headers=en).get_data(as_text=True)
    assert "1 case found" in found and "Report 3<" in found
    inbox = client.get("/inbox?q=nothing+like+this", headers=en).get_data(as_text=True)
    assert "Nothing matches your search" in inbox


def test_a_read_does_not_wait_for_the_write_lock(client, app, db_url):
    """SQLite: while another connection holds the write lock (BEGIN IMMEDIATE), a GET page and a GET of the
    API answer at once; a write still waits for the lock, as before."""
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock; PostgreSQL readers never wait for writers")
    login(client, "employee")
    headers = api_token(client, "employee")
    client.get("/inbox")  # warm up (templates compiled, session fresh)
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None, timeout=1,
                             check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE users SET locale = locale WHERE id = 1")
    try:
        for url, kw in (("/inbox", {}), ("/submissions", {}), ("/api/v1/tasks", {"headers": headers}),
                        ("/api/v1/instances", {"headers": headers})):
            started = time.monotonic()
            response = client.get(url, **kw)
            assert response.status_code == 200, url
            assert time.monotonic() - started < 2, url  # the busy timeout is 30 s
        # a write transaction still takes the lock first: it waits (here, until the holder lets go)
        engine = create_engine(db_url)
        from storage.db import _tune_sqlite

        _tune_sqlite(engine)
        released = threading.Timer(0.5, holder.rollback)
        released.start()
        started = time.monotonic()
        with engine.begin() as conn:
            conn.exec_driver_sql("SELECT 1")
        assert time.monotonic() - started >= 0.4
        engine.dispose()
    finally:
        holder.close()


def test_notifications_page_counts_them_all(client, app):
    from storage.models import Notification

    with app.extensions["kelisim.db"]() as s:
        me = s.execute(select(User).where(User.username == "employee")).scalar_one()
        s.add_all([Notification(user_id=me.id, kind="decided", params={}, created_at=T0 + timedelta(minutes=k),
                                read_at=T0) for k in range(57)])
        s.commit()
    login(client, "employee")
    html = client.get("/notifications", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "57 notifications in all" in html and "Older notifications" in html
