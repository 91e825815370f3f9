"""The flow of work on the pages: Claim / Release in the inbox and on the task page, Delegate and the
delegate's "Save draft and return", Reassign, and the administrator's "Cancel case" — POST forms with CSRF,
in Kazakh, Russian and English."""
from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import InboxTask, Instance, User, UserRole
from tests.conftest import csrf_from, login
from tests.web.test_flow_api import _material, _speech


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _post(client, url, data, page="/inbox"):
    token = csrf_from(_page(client, page))
    return client.post(url, data={**data, "csrf_token": token})


def _as(client, username, lang="en"):
    """Log in as `username` (after logging out whoever was in), reading the pages in `lang`."""
    if client.get("/inbox").status_code == 200:
        client.post("/logout", data={"csrf_token": csrf_from(_page(client, "/inbox"))})
    login(client, username)
    client.post("/language", data={"lang": lang, "csrf_token": csrf_from(_page(client, "/inbox"))})


def test_claim_and_release_from_the_inbox(client, factory):
    iid, tid = _material(client)
    with factory() as s:
        uid = s.execute(select(User.id).where(User.username == "employee2")).scalar_one()
        s.add(UserRole(user_id=uid, role="mcd_specialist"))
        s.commit()
    _as(client, "mcd.specialist")
    inbox = _page(client, "/inbox")
    assert "In the shared queue: not claimed" in inbox
    assert f'action="/tasks/{tid}/claim"' in inbox
    assert _post(client, f"/tasks/{tid}/claim", {}).status_code == 303
    inbox = _page(client, "/inbox")
    assert "Claimed by you" in inbox and f'action="/tasks/{tid}/release"' in inbox
    task_page = _page(client, f"/tasks/{tid}")
    assert f'action="/tasks/{tid}/release"' in task_page and "Who works on it" in task_page
    _as(client, "employee2")
    assert tid not in _page(client, "/inbox")  # it left the others' queue
    refused = _post(client, f"/tasks/{tid}/claim", {})
    assert refused.status_code == 409
    _as(client, "mcd.specialist")
    back = _post(client, f"/tasks/{tid}/release", {})
    assert back.status_code == 303 and back.headers["Location"].endswith("/inbox")
    _as(client, "employee2")
    assert tid in _page(client, "/inbox")
    without_token = client.post(f"/tasks/{tid}/claim", data={})
    assert without_token.status_code == 400  # CSRF


def test_delegate_draft_and_return_on_the_pages(client, factory):
    iid, tid = _speech(client)
    _as(client, "vr.finance")
    page = _page(client, f"/tasks/{tid}")
    assert f'action="/tasks/{tid}/delegate"' in page
    assert 'value="employee"' not in page.split(f'/tasks/{tid}/delegate')[1].split("</form>")[0]  # never the submitter
    asked = _post(client, f"/tasks/{tid}/delegate", {"to": "employee2", "comment": "Сандарды тексеріңіз"},
                  page=f"/tasks/{tid}")
    assert asked.status_code == 303
    assert "is preparing this task" in _page(client, f"/tasks/{tid}")
    _as(client, "employee2")
    inbox = _page(client, "/inbox")
    assert tid in inbox and "Prepare for" in inbox
    page = _page(client, f"/tasks/{tid}")
    assert "Save draft and return" in page and "Сандарды тексеріңіз" in page
    assert ">Submit<" not in page  # the decision is the holder's
    token = csrf_from(page)
    refused = client.post(f"/tasks/{tid}", data={"csrf_token": token, "decision": "revise",
                                                  "comment": "Бет 2", "return_comment": "x" * 2001})
    assert refused.status_code == 422 and 'id="return-comment-error"' in refused.get_data(as_text=True)
    saved = client.post(f"/tasks/{tid}", data={"csrf_token": token, "decision": "revise", "comment": "Бет 2",
                                                "return_comment": "Екінші бетті қараңыз"})
    assert saved.status_code == 303
    with factory() as s:
        row = s.get(InboxTask, tid)
        assert row.state == "ready" and row.draft == {"decision": "revise", "comment": "Бет 2"}
        assert s.get(Instance, iid).status == "running"
    _as(client, "vr.finance")
    page = _page(client, f"/tasks/{tid}")
    assert "Prepared by" in page and "Екінші бетті қараңыз" in page
    assert re.search(r'<textarea[^>]*name="comment"[^>]*>Бет 2</textarea>', page), "the draft is prefilled"


def test_reassign_form_lists_eligible_people_only(client):
    iid, tid = _speech(client)
    _as(client, "admin")
    page = _page(client, f"/tasks/{tid}")
    form = page.split(f'action="/tasks/{tid}/reassign"')[1].split("</form>")[0]
    assert 'value="rector"' in form and 'value="employee"' not in form and 'value="vr.finance"' not in form
    refused = _post(client, f"/tasks/{tid}/reassign", {"to": "rector", "reason": "", "flow_form": "reassign"},
                    page=f"/tasks/{tid}")
    assert refused.status_code == 422 and 'id="reassign-reason-error"' in refused.get_data(as_text=True)
    moved = _post(client, f"/tasks/{tid}/reassign", {"to": "rector", "reason": "Демалыста", "flow_form": "reassign"},
                  page=f"/tasks/{tid}")
    assert moved.status_code == 303
    _as(client, "rector")
    assert tid in _page(client, "/inbox")
    assert "Демалыста" in _page(client, "/notifications")  # the new holder is told why
    _as(client, "vr.finance")
    notes = _page(client, "/notifications")
    assert "was reassigned to" in notes and "Демалыста" in notes


def test_administrator_cancels_a_case_on_its_page(client):
    iid, tid = _speech(client)
    _as(client, "employee")
    assert "Cancel this case" not in _page(client, f"/instances/{iid}")
    assert _post(client, f"/instances/{iid}/cancel", {"reason": "x", "confirm": "yes"}).status_code == 403
    _as(client, "admin")
    page = _page(client, f"/instances/{iid}")
    assert "Cancel this case" in page and f'action="/instances/{iid}/cancel"' in page
    unconfirmed = _post(client, f"/instances/{iid}/cancel", {"reason": ""}, page=f"/instances/{iid}")
    html = unconfirmed.get_data(as_text=True)
    assert unconfirmed.status_code == 422 and 'id="cancel-confirm-error"' in html and 'id="cancel-reason-error"' in html
    done = _post(client, f"/instances/{iid}/cancel", {"reason": "Қайталанған іс", "confirm": "yes"},
                 page=f"/instances/{iid}")
    assert done.status_code == 303
    page = _page(client, f"/instances/{iid}")
    assert "Cancel this case" not in page and "Cancelled by the administrator" in page
    _as(client, "employee")
    notes = _page(client, "/notifications")
    assert "was cancelled by the administrator" in notes and "Қайталанған іс" in notes


def test_flow_controls_in_kazakh_and_russian(client):
    iid, tid = _material(client)
    _as(client, "mcd.specialist")
    words_of = {"kk": ("Ортақ кезекте: ешкім алмаған", "Алу"), "ru": ("В общей очереди: никто не взял", "Взять")}
    for lang, words in words_of.items():
        client.post("/language", data={"lang": lang, "csrf_token": csrf_from(_page(client, "/inbox"))})
        inbox = _page(client, "/inbox")
        assert all(w in inbox for w in words), lang
    _as(client, "admin")
    client.post("/language", data={"lang": "kk", "csrf_token": csrf_from(_page(client, "/inbox"))})
    assert "Бұл істің күшін жою" in _page(client, f"/instances/{iid}")


def test_flow_forms_label_every_control(client):
    """The task page with Delegate and Reassign, the delegate's draft form, and Cancel case: every control
    labelled, ids unique, no inline style."""
    from tests.web.test_accessibility import check

    iid, tid = _speech(client)
    _as(client, "vr.finance")
    check(_page(client, f"/tasks/{tid}"))
    _post(client, f"/tasks/{tid}/delegate", {"to": "employee2", "comment": "c"}, page=f"/tasks/{tid}")
    _as(client, "employee2")
    check(_page(client, f"/tasks/{tid}"))
    _as(client, "admin")
    check(_page(client, f"/tasks/{tid}"))
    check(_page(client, f"/instances/{iid}"))
