"""The notifications page: each notice marked read on its own (or by opening it), notices about a task that
is done shown as done and no longer unread, and the list paged (newest first, every unread one shown)."""
from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import AuditEvent, Notification, User, utcnow
from tests.conftest import api_token, csrf_from, login
from tests.helpers import api_complete, api_ready, submission

EN = {"Accept-Language": "en"}


def _user_id(factory, username: str) -> int:
    with factory() as s:
        return s.execute(select(User.id).where(User.username == username)).scalar_one()


def _add(factory, username: str, n: int, kind: str = "outcome", instance_id: int | None = None) -> list[int]:
    uid = _user_id(factory, username)
    with factory() as s:
        notes = [Notification(user_id=uid, instance_id=instance_id, kind=kind,
                              params={"title": f"Note {i}", "outcome": "approved"}, created_at=utcnow())
                 for i in range(n)]
        s.add_all(notes)
        s.commit()
        return [n.id for n in notes]


def _read_at(factory, note_id: int):
    with factory() as s:
        return s.get(Notification, note_id).read_at


def _badge(html: str) -> str | None:
    match = re.search(r'class="count-badge">(\d+)', html)
    return match.group(1) if match else None


def _speech_clearance(client) -> tuple[int, dict]:
    """An employee's text waiting for vr.finance (who got a "task_assigned" notice)."""
    emp = api_token(client, "employee")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    api_complete(client, emp, started["tasks"][0]["id"], submission())
    return started["id"], api_token(client, "vr.finance")


def test_one_notice_is_marked_read_on_its_own(client, factory):
    first, second = _add(factory, "employee", 2)
    login(client, "employee")
    html = client.get("/notifications", headers=EN).get_data(as_text=True)
    assert f'action="/notifications/{first}/read"' in html and f'action="/notifications/{second}/read"' in html
    assert client.post(f"/notifications/{first}/read").status_code == 400  # no CSRF token
    assert client.get(f"/notifications/{first}/read").status_code == 405
    done = client.post(f"/notifications/{first}/read", data={"csrf_token": csrf_from(html)})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/notifications#notice-{first}")
    assert _read_at(factory, first) is not None and _read_at(factory, second) is None
    after = client.get("/notifications", headers=EN).get_data(as_text=True)
    assert _badge(after) == "1"
    assert f'action="/notifications/{first}/read"' not in after  # nothing left to mark on it
    with factory() as s:
        (entry,) = s.execute(select(AuditEvent).where(AuditEvent.action == "notification_read")).scalars()
        assert entry.actor == "employee" and entry.data["notification"] == first
    # marking it again records nothing
    client.post(f"/notifications/{first}/read", data={"csrf_token": csrf_from(after)})
    with factory() as s:
        assert len(s.execute(select(AuditEvent).where(AuditEvent.action == "notification_read")).all()) == 1


def test_someone_elses_or_no_notice_is_404_and_a_bad_cursor_400(client, factory):
    (other,) = _add(factory, "employee2", 1)
    login(client, "employee")
    token = csrf_from(client.get("/notifications").get_data(as_text=True))
    assert client.post(f"/notifications/{other}/read", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/notifications/{other}/open", data={"csrf_token": token}).status_code == 404
    assert client.post("/notifications/999999/read", data={"csrf_token": token}).status_code == 404
    assert _read_at(factory, other) is None
    for bad in ("abc", "-1", "0", "99999999999", "1.5"):
        assert client.get(f"/notifications?cursor={bad}").status_code == 400, bad
    assert client.post(f"/notifications/{other}/read", data={"csrf_token": token, "cursor": "x"}).status_code == 404


def test_opening_a_notice_marks_it_read_and_goes_to_its_instance(client, factory):
    iid, vrf = _speech_clearance(client)
    login(client, "vr.finance")
    html = client.get("/notifications", headers=EN).get_data(as_text=True)
    with factory() as s:
        note = s.execute(select(Notification).where(Notification.instance_id == iid,
                                                    Notification.kind == "task_assigned")).scalar_one()
    assert f'action="/notifications/{note.id}/open"' in html and _badge(html) == "1"
    opened = client.post(f"/notifications/{note.id}/open", data={"csrf_token": csrf_from(html)})
    assert opened.status_code == 303 and opened.headers["Location"].endswith(f"/instances/{iid}")
    assert _read_at(factory, note.id) is not None
    assert _badge(client.get("/inbox").get_data(as_text=True)) is None


def test_a_new_task_notice_is_done_once_the_task_is(client, factory):
    iid, vrf = _speech_clearance(client)
    login(client, "vr.finance")
    before = client.get("/notifications", headers=EN).get_data(as_text=True)
    assert _badge(before) == "1" and "is-unread" in before and "is-resolved" not in before
    api_complete(client, vrf, api_ready(client, vrf, iid)["id"], {"decision": "approve"})
    after = client.get("/notifications", headers=EN).get_data(as_text=True)
    assert _badge(after) is None  # no longer counted as unread…
    assert "is-unread" not in after and "is-resolved" in after and "Done" in after  # …and shown as done
    with factory() as s:  # decided at read time: nothing was written
        note = s.execute(select(Notification).where(Notification.instance_id == iid,
                                                    Notification.kind == "task_assigned")).scalar_one()
        assert note.read_at is None


def test_the_list_is_paged_and_never_hides_the_unread(client, factory):
    oldest_unread = _add(factory, "employee", 1)[0]
    ids = _add(factory, "employee", 69)
    with factory() as s:  # everything but the oldest one read
        for note in s.execute(select(Notification).where(Notification.id.in_(ids))).scalars():
            note.read_at = utcnow()
        s.commit()
    login(client, "employee")
    first = client.get("/notifications", headers=EN).get_data(as_text=True)
    shown = [int(n) for n in re.findall(r'id="notice-(\d+)"', first)]
    newest = sorted(ids, reverse=True)[:50]
    assert shown == [*newest, oldest_unread]  # the newest 50, then the older unread one
    match = re.search(r'href="/notifications\?cursor=(\d+)"[^>]*>Older notifications', first)
    assert match and int(match.group(1)) == newest[-1]
    second = client.get(f"/notifications?cursor={match.group(1)}", headers=EN).get_data(as_text=True)
    rest = [int(n) for n in re.findall(r'id="notice-(\d+)"', second)]
    assert rest == [i for i in sorted([*ids, oldest_unread], reverse=True) if i < newest[-1]]
    assert "Older notifications" not in second and "Newest notifications" in second
