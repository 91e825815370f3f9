"""The process definitions for auditors and administrators (issue 14, part 3): each process and version with
its instance counts, a version's diagram drawn inline from its deployed BPMN, and its routing tables."""
from __future__ import annotations

import re

import pytest

from tests.conftest import api_token, login


def _speech(api_json) -> dict:
    return next(p for p in api_json if p["key"] == "speech_clearance")


def test_definitions_list_versions_with_instance_counts(client):
    aud, emp = api_token(client, "auditor"), api_token(client, "employee")
    before = _speech(client.get("/api/v1/processes/definitions", headers=aud).get_json())
    newest = before["versions"][0]
    for _ in range(2):
        assert client.post("/api/v1/processes/speech_clearance/instances", headers=emp).status_code == 201
    after = _speech(client.get("/api/v1/processes/definitions", headers=aud).get_json())
    top = after["versions"][0]
    assert top["version"] == newest["version"] and top["instances"] == newest["instances"] + 2
    assert top["by_status"]["running"] == newest["by_status"]["running"] + 2
    assert after["instances"] == before["instances"] + 2
    assert len(top["checksum"]) == 64 and top["decisions"].get("approver_routing", 0) >= 1
    assert [v["version"] for v in after["versions"]] == sorted((v["version"] for v in after["versions"]), reverse=True)
    login(client, "auditor")
    page = client.get("/processes/definitions").get_data(as_text=True)
    section = page[page.index('id="process-speech_clearance"'):]
    row = section[section.index(f'data-version="{top["version"]}"'):]
    row = row[:row.index("</tr>")]
    assert re.search(r'class="num instance-count">\s*' + str(top["instances"]) + r"\s*<", row), row
    assert f'title="{top["checksum"]}"' in row and top["checksum"][:12] in row
    assert f'href="/processes/definitions/speech_clearance/{top["version"]}"' in row


def test_version_page_draws_the_diagram_inline_and_the_routing_table(client):
    pytest.importorskip("processes.diagram")
    aud = api_token(client, "auditor")
    version = _speech(client.get("/api/v1/processes/definitions", headers=aud).get_json())["versions"][0]["version"]
    login(client, "auditor")
    response = client.get(f"/processes/definitions/speech_clearance/{version}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    svg = body[body.index("<svg"):body.index("</svg>")]
    assert 'data-element-id="Task_Submit"' in svg and "<script" not in svg
    # the names in the page's language (Kazakh by default), as the instance page draws them
    from flask_babel import force_locale, gettext

    from web.labels import ProcessLabels

    with client.application.test_request_context(), force_locale("kk"):
        submit = str(ProcessLabels().task("Task_Submit", None, "speech_clearance"))
        planned = gettext("Speech planned")
    assert submit != "Submit speech text" and planned != "Speech planned"
    words = re.sub(r"<[^>]+>", " ", svg).split()  # the text, wrapped over lines
    assert all(w in words for w in (submit + " " + planned).split())
    assert "Submit" not in words and "planned" not in words
    table = body[body.index('class="table table-striped table-dmn"'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr>") >= 2  # the head and at least one rule
    assert client.get("/processes/definitions/speech_clearance/999").status_code == 404
    assert client.get("/processes/definitions/no_such_process/1").status_code == 404


def test_a_version_without_its_bpmn_says_so(client, app):
    from sqlalchemy import update

    from storage.db import transaction
    from storage.models import ProcessDefinition

    with transaction(app.extensions["kelisim.db"]) as session:
        session.execute(update(ProcessDefinition).where(ProcessDefinition.key == "material_signoff")
                        .values(diagram=None))
    login(client, "admin")
    body = client.get("/processes/definitions/material_signoff/1").get_data(as_text=True)
    diagram = body[body.index('id="diagram-title"'):body.index('id="tables-title"')]
    assert "<svg" not in diagram and 'class="alert alert-info"' in diagram


@pytest.mark.parametrize("username,allowed", [("auditor", True), ("admin", True), ("rector", False),
                                              ("employee", False)])
def test_only_auditors_and_administrators_read_them(client, username, allowed):
    headers = api_token(client, username)
    assert client.get("/api/v1/processes/definitions", headers=headers).status_code == (200 if allowed else 403)
    login(client, username)
    for url in ("/processes/definitions", "/processes/definitions/speech_clearance/1"):
        assert client.get(url).status_code == (200 if allowed else 403), (username, url)
