"""Dates far out of range in submitted forms are a 422 naming the field, never a 500."""
from __future__ import annotations

import pytest

from tests import samples
from tests.conftest import api_token
from tests.helpers import api_upload, submission


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_speech_event_date_out_of_range(client, day):
    emp = api_token(client, "employee")
    started = client.post("/api/v1/processes/speech_clearance/instances", headers=emp).get_json()
    response = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=emp,
                           json={"data": submission(event_date=day)})
    assert response.status_code == 422, response.get_json()
    assert "event_date" in response.get_json()["errors"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_information_request_received_out_of_range(client, moment):
    reg = api_token(client, "registry")
    started = client.post("/api/v1/processes/information_request/instances", headers=reg).get_json()
    scan = api_upload(client, reg, started["id"], "letter.pdf", samples.pdf("request"))
    data = {"file_ids": [scan], "requester_name": "A. Person", "requester_kind": "person", "email": "a@example.com",
            "subject": "Plans", "items": "The plan", "form": "electronic", "language": "kk",
            "received_at": moment}
    response = client.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", headers=reg, json={"data": data})
    assert response.status_code == 422, response.get_json()
    assert "received_at" in response.get_json()["errors"]
