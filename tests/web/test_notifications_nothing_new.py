"""The notifications page offers "Mark all as read" only while a notice is shown as new: a notice whose task
is done counts as read (issue 10, point 20), so it no longer asks for the button."""
from __future__ import annotations

from tests.conftest import api_token, login
from tests.helpers import api_complete, api_ready, submission


def test_mark_all_read_only_while_something_is_new(client):
    emp, vrf = api_token(client, "employee"), api_token(client, "vr.finance")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    api_complete(client, emp, started["tasks"][0]["id"], submission())
    login(client, "vr.finance")
    before = client.get("/notifications", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "is-unread" in before and 'action="/notifications/read"' in before
    # the vice-rector does the task without opening the notice: it is done, no longer new
    api_complete(client, vrf, api_ready(client, vrf, started["id"])["id"], {"decision": "approve"})
    after = client.get("/notifications", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "is-resolved" in after and "is-unread" not in after
    assert 'action="/notifications/read"' not in after and "Mark all as read" not in after
