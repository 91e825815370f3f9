"""Administration in sub-pages (overview, people, cases, calendar and starters) with a sub-navigation; the
holder's "Take back" of a delegated task (page and API); the delegate's draft form marks nothing required;
the notices of claim, release and recall in words; the user's name in the header."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storage.models import AuditEvent, Instance, Notification, User
from tests.conftest import api_token, csrf_from, login
from tests.web.test_flow_api import _material, _speech

ADMIN_PAGES = ("/admin/", "/admin/people", "/admin/cases", "/admin/settings")


def _page(client, url, lang="en"):
    response = client.get(url, headers={"Accept-Language": lang})
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _subnav(html: str) -> list[tuple[str, bool]]:
    nav = html[html.index('<nav class="subnav"'):]
    nav = nav[:nav.index("</nav>")]
    return [(href, current) for href, current in
            ((m.group(1), 'aria-current="page"' in m.group(0)) for m in re.finditer(r'<a href="([^"]+)"[^>]*>', nav))]


def _rows(html: str, table_id: str) -> list[str]:
    table = html[html.index(f'id="{table_id}"'):]
    table = table[:table.index("</table>")]
    return re.findall(r"<tr[ >].*?</tr>", table[table.index("<tbody>"):], re.S)


# --- the sub-navigation ------------------------------------------------------------------------------

def test_every_admin_page_has_the_subnav_with_itself_current(client, app):
    login(client, "admin")
    for url in ADMIN_PAGES:
        links = _subnav(_page(client, url))
        hrefs = [h for h, _c in links]
        assert hrefs[0] == "/admin/" and {"/admin/people", "/admin/cases", "/admin/settings"} <= set(hrefs), url
        assert [h for h, current in links if current] == [url], url  # exactly this page is marked current
        for href in hrefs:  # every offered entry is a page that exists
            assert client.get(href).status_code == 200, href
    # Units and Routing are offered exactly when their pages are installed
    hrefs = [h for h, _c in _subnav(_page(client, "/admin/"))]
    for endpoint, path in (("admin.units", "/admin/units"), ("admin.routing", "/admin/routing")):
        installed = endpoint in app.view_functions
        assert any(h.startswith(path) for h in hrefs) == installed, endpoint


def test_the_overview_keeps_errors_and_mail_and_the_rest_moved(client):
    login(client, "admin")
    overview = _page(client, "/admin/")
    assert "Instances stopped by an error" in overview and "E-mail delivery" in overview
    assert 'id="start-role"' not in overview and 'id="cal-day"' not in overview and "/admin/users/" not in overview
    settings = _page(client, "/admin/settings")
    assert 'id="start-role"' in settings and 'id="cal-day"' in settings
    assert "Who may start a process" in settings and "Working-day calendar" in settings
    people = _page(client, "/admin/people")
    assert 'href="/admin/users/employee2"' in people and 'id="new-account"' in people
    main_nav = overview[overview.index('class="nav-list"'):]
    main_nav = main_nav[:main_nav.index("</ul>")]
    assert re.search(r'href="/admin/" aria-current="page"', main_nav)
    assert re.search(r'href="/admin/" aria-current="page"', _page(client, "/admin/cases"))


def test_settings_forms_land_back_on_their_page(client, factory):
    login(client, "admin")
    token = csrf_from(_page(client, "/admin/settings"))
    saved = client.post("/admin/calendar", data={"day": "2026-10-10", "kind": "working", "note": "Decree 7",
                                                 "csrf_token": token})
    assert saved.status_code == 302 and saved.headers["Location"].startswith("/admin/settings")
    assert "Decree 7" in _page(client, "/admin/settings")
    cleared = client.post("/admin/calendar/2026-10-10/clear", data={"csrf_token": token})
    assert cleared.headers["Location"].startswith("/admin/settings")
    allowed = client.post("/admin/start-roles", data={"process": "speech_clearance", "role": "dean",
                                                      "csrf_token": token})
    assert allowed.status_code == 302 and allowed.headers["Location"].startswith("/admin/settings")
    removed = client.post("/admin/start-roles/speech_clearance/dean/remove", data={"csrf_token": token})
    assert removed.headers["Location"].startswith("/admin/settings")


def test_admin_pages_are_for_administrators_only(client):
    for username in ("employee", "auditor", "unit.head"):
        login(client, username)
        for url in ADMIN_PAGES:
            assert client.get(url).status_code == 403, (username, url)


# --- people --------------------------------------------------------------------------------------------

def test_people_search_filter_and_paging(client, factory):
    login(client, "admin")
    with factory() as s:
        everyone = sorted(s.execute(select(User.username)).scalars())
        ru_name = s.execute(select(User.full_name_ru).where(User.username == "vr.finance")).scalar_one()
    found = _page(client, "/admin/people?q=vr.fin")
    assert 'href="/admin/users/vr.finance"' in found and 'href="/admin/users/employee2"' not in found
    if ru_name:  # a name in Russian finds the person too
        assert 'href="/admin/users/vr.finance"' in _page(client, f"/admin/people?q={ru_name[:6]}")
    nobody = _page(client, "/admin/people?q=no-such-person-zz")
    assert "Nobody matches the search." in nobody and 'id="people-table"' not in nobody
    token = csrf_from(_page(client, "/admin/people"))
    client.post("/admin/users/employee2/disable", data={"reason": "left", "confirm": "yes", "csrf_token": token})
    disabled = _page(client, "/admin/people?status=disabled")
    assert _rows(disabled, "people-table") and all("employee2" in r for r in _rows(disabled, "people-table"))
    active = _page(client, "/admin/people?status=active")
    assert 'href="/admin/users/employee2"' not in active and 'href="/admin/users/employee"' in active
    # keyset paging: pages of 4 that follow each other, cover everyone once, the last with no "Next page"
    seen: list[str] = []
    url = "/admin/people?limit=4"
    for _ in range(50):
        html = _page(client, url)
        seen += re.findall(r'<th scope="row" class="cell-title"><a href="/admin/users/([^"]+)"', html)
        nxt = re.search(r'rel="next" href="([^"]+)"', html)
        if not nxt:
            break
        assert "First page" in _page(client, nxt.group(1).replace("&amp;", "&"))
        url = nxt.group(1).replace("&amp;", "&")
    assert seen == everyone


def test_people_page_rows_are_labelled_for_a_phone(client):
    login(client, "admin")
    html = _page(client, "/admin/people", "ru")
    rows = _rows(html, "people-table")
    assert rows and all(r.count("data-label=") == 3 for r in rows)  # username, roles, status: label and value
    assert 'class="table table-striped table-compact"' in html
    assert "Сотрудники" in html  # the page speaks Russian


def test_a_disabled_account_says_why_by_whom_and_when(client, factory):
    login(client, "admin")
    token = csrf_from(_page(client, "/admin/users/employee2"))
    done = client.post("/admin/users/employee2/disable",
                       data={"reason": "Contract ended on 30 November", "confirm": "yes", "csrf_token": token})
    assert done.status_code == 302
    with factory() as s:
        admin_name = s.execute(select(User.full_name).where(User.username == "admin")).scalar_one()
        at = s.execute(select(AuditEvent.at).where(AuditEvent.action == "user_disabled")).scalar_one()
    html = _page(client, "/admin/users/employee2")
    note = html[html.index('id="disabled-note"'):]
    note = note[:note.index("</div>")]
    assert "Contract ended on 30 November" in note and admin_name in note
    assert f'datetime="{at.isoformat()}"' in note
    assert 'id="disabled-note"' not in _page(client, "/admin/users/employee")  # an active account: no note
    kk = _page(client, "/admin/users/employee2", "kk")
    assert "Бұл есептік жазба өшірілген." in kk


# --- cases ---------------------------------------------------------------------------------------------

def test_cases_newest_first_filtered_and_paged(client, factory):
    speech_1, _ = _speech(client)
    material, _ = _material(client)
    speech_2, _ = _speech(client)
    with factory() as s:
        s.execute(Instance.__table__.update().where(Instance.id == speech_1).values(title="Budget speech 2027"))
        s.commit()
    login(client, "admin")
    html = _page(client, "/admin/cases")
    ids = [int(i) for i in re.findall(r'<a href="/instances/(\d+)">', html)]
    assert ids == sorted(ids, reverse=True) and {speech_1, material, speech_2} <= set(ids)
    by_process = _page(client, "/admin/cases?process=material_signoff")
    assert f'href="/instances/{material}"' in by_process and f'href="/instances/{speech_1}"' not in by_process
    by_text = _page(client, "/admin/cases?q=budget")
    assert re.findall(r'<a href="/instances/(\d+)">', by_text) == [str(speech_1)]
    by_number = _page(client, f"/admin/cases?q=No.+{material}")
    assert re.findall(r'<a href="/instances/(\d+)">', by_number) == [str(material)]
    assert f'href="/instances/{speech_1}"' in _page(client, "/admin/cases?status=running")
    assert "No case matches the filter." in _page(client, "/admin/cases?status=cancelled")
    assert "No case matches the filter." in _page(client, "/admin/cases?process=nonsense")
    # the shared paging: signed cursors (an altered one, or one of another list, is a 400), a count, going back
    assert client.get("/admin/cases?cursor=abc").status_code == 400
    first = _page(client, "/admin/cases?limit=2")
    assert re.findall(r'<a href="/instances/(\d+)">', first) == [str(i) for i in ids[:2]]
    assert f"{len(ids)} cases found" in first or f"{len(ids)} case" in first
    nxt = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = _page(client, nxt)
    assert re.findall(r'<a href="/instances/(\d+)">', second) == [str(i) for i in ids[2:4]]
    back = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    assert re.findall(r'<a href="/instances/(\d+)">', _page(client, back)) == [str(i) for i in ids[:2]]
    people_cursor = re.search(r"cursor=([^&\"]+)", nxt).group(1)
    assert client.get(f"/admin/people?cursor={people_cursor}").status_code == 400  # another list's cursor


def test_cases_query_through_the_use_case_is_for_administrators(act):
    from processes.usecases import cases
    from processes.usecases.errors import Forbidden

    with pytest.raises(Forbidden):
        act("auditor", cases.search, cases.CaseFilter())
    assert act("admin", cases.search, cases.CaseFilter()).items == []


# --- recall: page and API ------------------------------------------------------------------------------

def test_recall_through_the_api(client, factory):
    iid, tid = _speech(client)
    vrf, e2, emp = api_token(client, "vr.finance"), api_token(client, "employee2"), api_token(client, "employee")
    assert client.post(f"/api/v1/tasks/{tid}/recall", headers=vrf, json={}).status_code == 409  # not delegated
    assert client.post(f"/api/v1/tasks/{tid}/delegate", headers=vrf,
                       json={"to": "employee2", "comment": "check"}).status_code == 200
    assert client.post(f"/api/v1/tasks/{tid}/recall", headers=e2, json={}).status_code == 403
    assert client.post(f"/api/v1/tasks/{tid}/recall", headers=emp, json={}).status_code == 403
    assert client.post(f"/api/v1/tasks/{tid}/recall", headers=vrf, json={"comment": 5}).status_code == 400
    done = client.post(f"/api/v1/tasks/{tid}/recall", headers=vrf, json={"comment": "Myself"})
    assert done.status_code == 200 and done.get_json()["delegated_to"] is None
    assert client.post(f"/api/v1/tasks/{tid}/return", headers=e2, json={"comment": "late"}).status_code == 404
    assert client.post(f"/api/v1/tasks/{tid}/recall", headers=vrf, json={}).status_code == 409
    completed = client.post(f"/api/v1/tasks/{tid}/complete", headers=vrf, json={"data": {"decision": "approve"}})
    assert completed.status_code == 200
    assert client.post(f"/api/v1/tasks/{tid}/recall", headers=vrf, json={}).status_code == 409
    with factory() as s:
        recalled = s.execute(select(AuditEvent).where(AuditEvent.action == "task_recalled")).scalar_one()
    assert recalled.actor == "vr.finance" and recalled.instance_id == iid and recalled.comment == "Myself"


def test_recall_on_the_task_page_and_the_colleague_reads_it_in_kazakh(client, factory):
    _iid, tid = _speech(client)
    login(client, "vr.finance")
    token = csrf_from(_page(client, f"/tasks/{tid}"))
    assert f'action="/tasks/{tid}/recall"' not in _page(client, f"/tasks/{tid}")
    client.post(f"/tasks/{tid}/delegate", data={"to": "employee2", "comment": "c", "csrf_token": token})
    page = _page(client, f"/tasks/{tid}")
    assert f'action="/tasks/{tid}/recall"' in page and "Take back" in page
    back = client.post(f"/tasks/{tid}/recall", data={"recall_comment": "Өзім жасаймын", "csrf_token": token})
    assert back.status_code == 303 and back.headers["Location"].endswith(f"/tasks/{tid}")
    page = _page(client, f"/tasks/{tid}")
    assert f'action="/tasks/{tid}/recall"' not in page and f'action="/tasks/{tid}/delegate"' in page
    login(client, "employee2")
    notices = _page(client, "/notifications", "kk")
    texts = re.findall(r'<p class="notif-text">(.*?)</p>', notices, re.S)
    assert any("қайтарып алды" in t and "Өзім жасаймын" in t for t in texts)
    assert not any("task_recalled" in t for t in texts)


# --- the delegate's draft form ------------------------------------------------------------------------

def test_the_draft_form_marks_nothing_required_and_the_holders_form_does(client):
    _iid, tid = _speech(client)
    vrf = api_token(client, "vr.finance")
    client.post(f"/api/v1/tasks/{tid}/delegate", headers=vrf, json={"to": "employee2", "comment": "c"})
    login(client, "employee2")
    page = _page(client, f"/tasks/{tid}")
    form = page[page.index('id="action-title"'):]
    form = form[:form.index("</form>")]
    assert 'name="decision"' in form  # the form's fields are there
    assert "(required)" not in form and not re.search(r"\srequired[\s>]", form)
    empty = client.post(f"/tasks/{tid}", data={"return_comment": "", "csrf_token": csrf_from(page)})
    assert empty.status_code == 303  # an incomplete draft is accepted
    login(client, "vr.finance")
    page = _page(client, f"/tasks/{tid}")
    form = page[page.index('id="action-title"'):]
    form = form[:form.index("</form>")]
    assert "(required)" in form and re.search(r'name="decision"[^>]*\srequired', form)
    refused = client.post(f"/tasks/{tid}", data={"csrf_token": csrf_from(page)})
    assert refused.status_code == 422  # the holder's decision still must be complete


# --- notices in words ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "claimed", "released"), [
    ("en", "from the queue: it has left your queue", "back in the queue: you can take it"),
    ("ru", "из очереди: задача ушла из вашей очереди", "в очередь: вы можете её взять"),
    ("kk", "кезектен алды", "кезекке қайтарды"),
])
def test_claim_and_release_notices_are_in_words(client, factory, lang, claimed, released):
    from tests.web.test_flow_pages import _as

    _iid, tid = _material(client)
    with factory() as s:
        uid = s.execute(select(User.id).where(User.username == "employee2")).scalar_one()
        from storage.models import UserRole

        s.add(UserRole(user_id=uid, role="mcd_specialist"))
        s.commit()
    spec = api_token(client, "mcd.specialist")
    assert client.post(f"/api/v1/tasks/{tid}/claim", headers=spec).status_code == 200
    assert client.post(f"/api/v1/tasks/{tid}/release", headers=spec).status_code == 200
    _as(client, "employee2", lang)
    html = client.get("/notifications").get_data(as_text=True)
    assert claimed in html and released in html
    texts = re.findall(r'<p class="notif-text">(.*?)</p>', html, re.S)
    assert texts and not any("task_claimed" in t or "task_released" in t for t in texts)  # words, not kinds
    with factory() as s:
        spec_id = s.execute(select(User.id).where(User.username == "mcd.specialist")).scalar_one()
        assert s.execute(select(Notification).where(Notification.user_id == spec_id,
                                                    Notification.kind.in_(("task_claimed", "task_released")))
                         ).first() is None  # never to whoever acted


# --- the header --------------------------------------------------------------------------------------

def test_the_header_name_carries_the_full_name_in_a_title(client, factory):
    with factory() as s:
        s.execute(User.__table__.update().where(User.username == "employee").values(
            full_name="Әбілқайырова-Нұрмағамбетова Гүлжанат Серікболқызы"))
        s.commit()
    login(client, "employee")
    html = _page(client, "/inbox", "kk")
    assert re.search(r'<span class="user-name" title="Әбілқайырова-Нұрмағамбетова Гүлжанат Серікболқызы">', html)
