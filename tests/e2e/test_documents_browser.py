"""What a person sees of issue 10, points 1–4, in a real browser, in Kazakh (and a check in Russian): the
information request's scan, decision, answer and letter on its page, the scan opening in Chromium's PDF
viewer (inline, sandboxed), the rector led from their notice to the answer that goes out over their
signature, and the word-level difference of a resubmitted speech text."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from processes.university_time import local
from storage.models import utcnow
from tests import samples
from tests.e2e.conftest import ACTION_TIMEOUT_MS
from tests.e2e.helpers import log_in, log_out
from tests.helpers import submission

pytestmark = pytest.mark.e2e

ANSWER = "2026 жылы университетке 1 200 адам қабылданды."
PDF_VIEWER = """() => { const v = document.querySelector('pdf-viewer'); if (!v || !v.shadowRoot) return '';
  const t = v.shadowRoot.querySelector('viewer-toolbar');
  const s = t && t.shadowRoot && t.shadowRoot.querySelector('viewer-page-selector');
  return s && s.shadowRoot ? s.shadowRoot.textContent.replace(/\\s+/g, ' ').trim() : ''; }"""


def _context(browser, server, locale):
    context = browser.new_context(base_url=server.base_url, locale=locale, timezone_id="Asia/Almaty",
                                  extra_http_headers={"Accept-Language": locale.split("-")[0]},
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


class Api:
    """The JSON API through the browser context's request client (bearer tokens, no cookies)."""

    def __init__(self, request, server):
        self.request, self.server, self.tokens = request, server, {}

    def headers(self, user):
        if user not in self.tokens:
            r = self.request.post("/api/v1/tokens", data={"username": user, "password": self.server.password})
            assert r.status == 201, r.text()
            self.tokens[user] = {"Authorization": f"Bearer {r.json()['token']}"}
        return self.tokens[user]

    def post(self, user, url, **kwargs):
        r = self.request.post(url, headers=self.headers(user), **kwargs)
        assert r.status in (200, 201), r.text()
        return r.json()

    def upload(self, user, iid, name, content, mime):
        return self.post(user, f"/api/v1/instances/{iid}/files",
                         multipart={"file": {"name": name, "mimeType": mime, "buffer": content}})["id"]

    def complete(self, user, task_id, data):
        return self.post(user, f"/api/v1/tasks/{task_id}/complete", data={"data": data})

    def ready(self, user, iid):
        r = self.request.get("/api/v1/tasks", headers=self.headers(user))
        (task,) = [t for t in r.json() if t["instance_id"] == iid]
        return task["id"]


def _answered_request(api):
    started = api.post("registry", "/api/v1/processes/information_request/instances")
    iid = started["id"]
    scan = api.upload("registry", iid, "hat-scan.pdf", samples.pdf("scanned letter"), "application/pdf")
    photo = api.upload("registry", iid, "konvert.png", samples.png("envelope"), "image/png")
    received = local(utcnow() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    api.complete("registry", started["tasks"][0]["id"], {
        "requester_name": "Ерлан Сапаров", "requester_kind": "person", "email": "erlan@example.kz",
        "postal_address": "", "subject": "Қабылдау туралы — e2e", "items": "Қабылданғандар саны",
        "form": "electronic", "language": "kk", "received_at": received, "file_ids": [scan, photo]})
    api.complete("rector", api.ready("rector", iid), {"decision": "provide", "responsible_unit": "FE-IS"})
    enclosure = api.upload("unit.head", iid, "qabyldau.pdf", samples.pdf("admissions"), "application/pdf")
    api.complete("unit.head", api.ready("unit.head", iid),
                 {"answer_text": ANSWER, "file_ids": [enclosure], "accuracy_confirmed": True})
    return iid, scan, photo, enclosure


def test_documents_one_click_away_in_kazakh_and_russian(e2e_browser, kelisim_server, tmp_path):
    from playwright.sync_api import expect

    server = kelisim_server
    kk = _context(e2e_browser, server, "kk-KZ")
    page = kk.new_page()
    try:
        iid, scan, photo, enclosure = _answered_request(Api(kk.request, server))

        # The rector's notice leads to the answer that went out over their signature.
        log_in(page, server, "rector")
        expect(page.locator("html")).to_have_attribute("lang", "kk")
        page.goto("/notifications")
        notice = page.locator("li.notif-letter_issued")
        expect(notice).to_contain_text("қолыңызбен")
        notice.locator("form[action$='/open'] button").click()
        expect(page).to_have_url(re.compile(rf"/instances/{iid}#ir-answer-title$"))
        answer = page.locator("section[aria-labelledby=ir-answer-title]")
        expect(answer.locator("h2")).to_have_text("Жауап")
        expect(answer).to_contain_text(ANSWER)
        expect(answer.locator(f"a[href='/files/{enclosure}/view']")).to_be_visible()
        expect(page.locator("section[aria-labelledby=ir-decision-title] h2")).to_have_text("Шешім")
        expect(page.locator("section[aria-labelledby=ir-letter-title]")).to_contain_text(re.compile(r"OUT-\d{4}"))
        files = page.locator("section[aria-labelledby=files-title]")
        expect(files.locator("tr.file-row")).to_have_count(3)
        expect(files).to_contain_text("Жанна Әміржанқызы Бекова")  # who uploaded the scan, by full name
        page.screenshot(path=str(tmp_path / "request-kk.png"), full_page=True)

        # The scan opens in Chromium's PDF viewer, in a new tab; the envelope photo as an image.
        request_section = page.locator("section[aria-labelledby=request-title]")
        with page.expect_popup() as popup_info:
            request_section.locator(f"a[href='/files/{scan}/view']").click()
        viewer = popup_info.value
        viewer.wait_for_load_state()
        assert viewer.url.endswith(f"/files/{scan}/view")
        pages = ""
        for _ in range(50):
            frames = [f for f in viewer.frames if f.url.startswith("chrome-extension://")]
            pages = frames[0].evaluate(PDF_VIEWER) if frames else ""
            if pages.endswith("/ 1"):  # the viewer shows "/ 0" until the document has loaded
                break
            viewer.wait_for_timeout(200)
        assert pages.endswith("/ 1"), f"the PDF viewer did not show the scan: {pages!r}"
        viewer.close()
        response = page.request.get(f"/files/{photo}/view")
        assert response.status == 200 and response.headers["content-type"] == "image/png"
        assert response.headers["content-disposition"].startswith("inline")
        assert "sandbox" in response.headers["content-security-policy"]
        with page.expect_popup() as popup_info:
            request_section.locator(f"a[href='/files/{photo}/view']").click()
        image = popup_info.value
        image.wait_for_load_state()
        assert image.evaluate("() => document.images.length === 1 && document.images[0].naturalWidth > 0")
        image.close()
        log_out(page)

        # A resubmitted speech text: the reviewer sees what changed, word by word.
        api = Api(kk.request, server)
        started = api.post("employee", "/api/v1/processes/speech_clearance/instances")
        sid = started["id"]
        api.complete("employee", started["tasks"][0]["id"], submission(text="Қаржы туралы баяндама."))
        api.complete("vr.finance", api.ready("vr.finance", sid), {"decision": "revise", "comment": "Толықтырыңыз"})
        api.complete("employee", api.ready("employee", sid),
                     submission(text="Қаржы және стратегия туралы баяндама."))
        log_in(page, server, "vr.finance")
        page.goto(f"/tasks/{api.ready('vr.finance', sid)}")
        expect(page.locator("#version-2-diff")).to_have_text("1-нұсқадан бергі өзгерістер")
        expect(page.locator(".version-diff ins")).to_contain_text("және стратегия")
        page.screenshot(path=str(tmp_path / "speech-diff-kk.png"), full_page=True)
    finally:
        kk.close()

    ru = _context(e2e_browser, server, "ru-RU")
    page = ru.new_page()
    try:
        log_in(page, server, "auditor")
        page.goto(f"/instances/{iid}")
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        expect(page.locator("section[aria-labelledby=ir-answer-title] h2")).to_have_text("Ответ")
        expect(page.locator("section[aria-labelledby=ir-answer-title]")).to_contain_text(ANSWER)
        expect(page.locator("section[aria-labelledby=files-title] thead")).to_contain_text("Загрузил")
    finally:
        ru.close()
