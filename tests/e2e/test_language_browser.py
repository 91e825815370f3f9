"""What a person sees in Kazakh (and Russian): positions on the certificate and its verification page in
their language, a Kazakh letter signed in Kazakh, one date-time format in the PDFs, deadlines as days."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from processes.university_time import local
from storage.models import utcnow
from tests.e2e.conftest import ACTION_TIMEOUT_MS
from tests.e2e.helpers import log_in, pdf_to_text
from tests.helpers import submission
from tests.samples import pdf

pytestmark = pytest.mark.e2e

VR_KK = "Қаржы және экономика жөніндегі проректор"
VR_RU = "Проректор по финансам и экономике"
VR_EN = "Vice-rector for finance and economy"
DATETIME = re.compile(r"\b\d\d\.\d\d\.20\d\d, \d\d:\d\d\b")


class Api:
    """The JSON API through the browser context's request client."""

    def __init__(self, request, server):
        self.request, self.server = request, server

    def token(self, username: str) -> dict[str, str]:
        response = self.request.post("/api/v1/tokens", data={"username": username, "password": self.server.password})
        assert response.status == 201, response.text()
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def post(self, url, headers, **kwargs):
        response = self.request.post(url, headers=headers, **kwargs)
        assert response.status in (200, 201), (url, response.status, response.text())
        return response.json()

    def get(self, url, headers):
        response = self.request.get(url, headers=headers)
        assert response.status == 200, (url, response.status, response.text())
        return response.json()

    def complete(self, headers, task_id, data):
        return self.post(f"/api/v1/tasks/{task_id}/complete", headers, data={"data": data})

    def ready(self, headers, instance_id):
        (task,) = [t for t in self.get("/api/v1/tasks", headers) if t["instance_id"] == instance_id]
        return task

    def pdf_text(self, headers, document_id, path) -> str:
        deadline = time.monotonic() + 60
        while True:  # rendered after the commit: 409 while it is being rendered
            response = self.request.get(f"/api/v1/documents/{document_id}", headers=headers)
            if response.status == 200:
                break
            assert response.status == 409 and time.monotonic() < deadline, response.status
            time.sleep(0.5)
        path.write_bytes(response.body())
        return " ".join(pdf_to_text(path).split())


def new_page(browser, server, locale):
    context = browser.new_context(base_url=server.base_url, locale=locale, timezone_id="Asia/Almaty",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context.new_page()


def test_certificate_and_letter_speak_their_language(kelisim_server, e2e_browser, tmp_path):
    from playwright.sync_api import expect

    server = kelisim_server
    kk = new_page(e2e_browser, server, "kk-KZ")
    api = Api(kk.request, server)
    emp, vr, reg, rector = (api.token(u) for u in ("employee", "vr.finance", "registry", "rector"))

    # a speech clearance, approved by the vice-rector for finance
    started = api.post("/api/v1/processes/speech_clearance/instances", emp)
    api.complete(emp, started["tasks"][0]["id"], submission())
    api.complete(vr, api.ready(vr, started["id"])["id"], {"decision": "approve"})
    (cert,) = api.get(f"/api/v1/instances/{started['id']}", emp)["documents"]
    text = api.pdf_text(emp, cert["id"], tmp_path / "certificate.pdf")
    assert VR_KK in text and VR_RU in text and VR_EN in text
    assert text.index(VR_KK) < text.index(VR_RU) < text.index(VR_EN)  # Kazakh first
    assert DATETIME.search(text), text[:500]
    assert "(UTC+" not in text

    # its public verification page, in Kazakh and in Russian
    kk.goto(f"/verify/{cert['verification_code']}")
    expect(kk.locator("html")).to_have_attribute("lang", "kk")
    expect(kk.locator("main")).to_contain_text(VR_KK)
    expect(kk.locator("main")).not_to_contain_text(VR_EN)
    ru = new_page(e2e_browser, server, "ru-RU")
    ru.goto(f"/verify/{cert['verification_code']}")
    expect(ru.locator("html")).to_have_attribute("lang", "ru")
    expect(ru.locator("main")).to_contain_text(VR_RU)
    expect(ru.locator("main")).not_to_contain_text(VR_EN)

    # a written request in Kazakh, refused: the letter is Kazakh to its signature
    ir = api.post("/api/v1/processes/information_request/instances", reg)
    upload = kk.request.post(f"/api/v1/instances/{ir['id']}/files", headers=reg,
                             multipart={"file": {"name": "scan.pdf", "mimeType": "application/pdf",
                                                 "buffer": pdf("scan")}})
    assert upload.status == 201, upload.text()
    api.complete(reg, ir["tasks"][0]["id"], {
        "requester_name": "Анна Иванова", "requester_kind": "media", "email": "anna@gazeta.kz", "postal_address": "",
        "subject": "Қабылдау 2026", "items": "Қабылданғандар саны", "form": "electronic", "language": "kk",
        "received_at": local(utcnow() - timedelta(hours=2)).isoformat(timespec="minutes"),
        "file_ids": [upload.json()["id"]]})

    # the rector's inbox, in Kazakh: the deadline is its last day, "… күннің соңына дейін"
    log_in(kk, server, "rector")
    card = kk.locator("li.task-card").filter(has_text="IR-")
    expect(card.first).to_contain_text("күннің соңына дейін")
    expect(card.first).not_to_contain_text("00:00")
    due_day = api.get(f"/api/v1/instances/{ir['id']}", reg)["due_day"]
    y, m, d = due_day.split("-")
    expect(card.first).to_contain_text(f"{d}.{m}.{y} күннің соңына дейін")

    api.complete(rector, api.ready(rector, ir["id"])["id"],
                 {"decision": "refuse", "ground": "personal_data", "reason": "Дербес деректер қорғалады"})
    (letter,) = api.get(f"/api/v1/instances/{ir['id']}", reg)["documents"]
    text = api.pdf_text(reg, letter["id"], tmp_path / "letter.pdf")
    assert "Бақыт Әбдірахманұлы Дүйсенов" in text and "Ректор" in text
    assert "Rector" not in text

    # the same deadline in Russian on the register
    log_in(ru, server, "registry")
    ru.goto("/requests")
    expect(ru.locator("main")).to_contain_text(f"до конца дня {d}.{m}.{y}")
