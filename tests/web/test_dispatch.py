"""Recording an information request's dispatch truthfully (issue 10, point 12): every real way can be recorded,
the form offers what fits the request, the page asks to confirm, and each is audited with its details."""
from __future__ import annotations

import re

from tests.conftest import api_token, csrf_from, login
from tests.helpers import api_complete, api_ready
from tests.web.test_information_request_api import register


def _refused(client, **overrides) -> int:
    reg, rector = api_token(client, "registry"), api_token(client, "rector")
    iid, _ = register(client, reg, **overrides)
    api_complete(client, rector, api_ready(client, rector, iid)["id"],
                 {"decision": "refuse", "ground": "personal_data", "reason": "Дербес деректер"})
    return iid


def _dispatch(client, headers, iid, data):
    return client.post(f"/api/v1/instances/{iid}/dispatch", headers=headers, json={"data": data})


def _event(client, headers, iid) -> dict:
    events = client.get(f"/api/v1/instances/{iid}/events", headers=headers).get_json()
    (entry,) = [e for e in events if e["action"] == "letter_dispatched"]
    return entry["data"]


def test_email_from_the_university_mailbox_with_address_and_time(client):
    iid = _refused(client)  # e-mail anna@gazeta.kz, no postal address; mail is not configured in tests
    reg = api_token(client, "registry")
    assert _dispatch(client, reg, iid, {"method": "email_manual", "sent_at": "2999-01-01T10:00"}).status_code == 422
    assert _dispatch(client, reg, iid, {"method": "email_manual", "email_address": "not an address"}).status_code == 422
    response = _dispatch(client, reg, iid, {"method": "email_manual"})
    assert response.status_code == 200 and response.get_json()["dispatch_method"] == "email_manual"
    data = _event(client, reg, iid)
    assert data["method"] == "email_manual" and data["to"] == "anna@gazeta.kz" and data["sent_at"]


def test_post_without_a_registered_address_takes_it_at_dispatch(client):
    iid = _refused(client)
    reg = api_token(client, "registry")
    response = _dispatch(client, reg, iid, {"method": "post", "tracking_number": "RR1KZ"})
    assert response.status_code == 422 and "postal_address" in response.get_json()["errors"]
    response = _dispatch(client, reg, iid, {"method": "post", "tracking_number": "RR1KZ",
                                             "postal_address": "Астана қ., Мәңгілік Ел 8"})
    assert response.status_code == 200 and response.get_json()["tracking_number"] == "RR1KZ"
    data = _event(client, reg, iid)
    assert data["to"] == "Астана қ., Мәңгілік Ел 8" and data["postal_address_added"] is True


def test_in_person_needs_the_recipients_name(client):
    iid = _refused(client)
    reg = api_token(client, "registry")
    response = _dispatch(client, reg, iid, {"method": "in_person"})
    assert response.status_code == 422 and "recipient_name" in response.get_json()["errors"]
    bad = _dispatch(client, reg, iid, {"method": "email_manual", "recipient_name": "X"})
    assert bad.status_code == 422 and "recipient_name" in bad.get_json()["errors"]
    assert _dispatch(client, reg, iid, {"method": "in_person", "recipient_name": "Анна Иванова"}).status_code == 200
    assert _event(client, reg, iid)["recipient_name"] == "Анна Иванова"


def test_the_page_offers_what_fits_and_asks_to_confirm(client):
    iid = _refused(client)
    login(client, "registry")
    page = client.get(f"/instances/{iid}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    section = page[page.index('id="dispatch-title"'):]
    assert 'value="email_manual"' in section and 'value="post"' in section and 'value="in_person"' in section
    assert 'name="method" value="email"' not in section  # Kelisim's own mail is not configured here
    assert 'name="postal_address"' in section  # none registered: asked at dispatch
    assert re.search(r'value="email_manual"[^>]*checked', section)
    token = csrf_from(page)
    url = f"/instances/{iid}/dispatch"
    asked = client.post(url, data={"csrf_token": token, "method": "in_person", "recipient_name": "Анна Иванова"},
                        headers={"Accept-Language": "ru"})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 422 and 'id="confirm-box"' in html and "вручено лично: Анна Иванова" in html
    reg = api_token(client, "registry")
    assert client.get("/api/v1/information-requests?status=to_dispatch", headers=reg).get_json()  # not yet
    done = client.post(url, data={"csrf_token": token, "method": "in_person", "recipient_name": "Анна Иванова",
                                  "confirm": "yes"})
    assert done.status_code == 302
    shown = client.get(f"/instances/{iid}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "handed to Анна Иванова" in shown and 'id="dispatch-title"' not in shown


def test_a_registered_postal_address_is_used(client):
    """Post to the registered address needs only the tracking number; the page shows where it went."""
    iid = _refused(client, postal_address="Қостанай қ., Абай 10")
    reg = api_token(client, "registry")
    assert _dispatch(client, reg, iid, {"method": "post", "tracking_number": "RR2KZ"}).status_code == 200
    login(client, "registry")
    shown = client.get(f"/instances/{iid}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "RR2KZ" in shown and "to Қостанай қ., Абай 10" in shown
