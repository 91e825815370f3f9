"""What a person sees of issue 10, points 11–14, in a real browser, in Kazakh (and a check in Russian): a final
click asks first, the page says where the case went, the submitter withdraws, and a code from paper is checked."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import ACTION_TIMEOUT_MS
from tests.e2e.helpers import INSTANCE_URL, log_in, log_out
from tests.helpers import event_date

pytestmark = pytest.mark.e2e


def _context(browser, server, locale):
    context = browser.new_context(base_url=server.base_url, locale=locale, timezone_id="Asia/Almaty",
                                  extra_http_headers={"Accept-Language": locale.split("-")[0]},
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


def _fill_speech(page, title, categories):
    form = page.locator("form.task-form")
    form.locator("#field-event_name").fill("Цифрлық университет 2026")
    form.locator("#field-event_kind").select_option("conference")
    form.locator("#field-organizer").fill("KInEU")
    form.locator("#field-event_date").fill(event_date(20))
    form.locator("#field-location").fill("Қостанай, мәжіліс залы")
    form.locator("#field-title").fill(title)
    form.locator("#field-text").fill("Тезистер: университеттің қызметі туралы.")
    for code in categories:
        form.locator(f"input[name=categories][value={code}]").check()


def test_final_steps_in_kazakh_and_russian(e2e_browser, kelisim_server, tmp_path):
    from playwright.sync_api import expect

    server = kelisim_server
    kk = _context(e2e_browser, server, "kk-KZ")
    page = kk.new_page()
    try:
        # 11. No category ticked: the page asks before the case ends unreviewed; nothing is saved until then.
        log_in(page, server, "employee")
        expect(page.locator("html")).to_have_attribute("lang", "kk")
        page.goto("/processes/speech_clearance/new")
        _fill_speech(page, "Санатсыз мәтін", [])
        page.locator("form.task-form button[type=submit]").click()
        box = page.locator("#confirm-box")
        expect(box).to_be_visible()
        expect(box.locator("h2")).to_have_text("Растаңыз")
        expect(box).to_contain_text("мәтінді ешкім қарамайды")
        expect(page.locator("#field-title")).to_have_value("Санатсыз мәтін")  # the values are kept
        page.screenshot(path=str(tmp_path / "confirm-kk.png"), full_page=True)
        box.locator("#field-confirm").check()
        page.locator("form.task-form button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        expect(page.locator("#done-alert")).to_contain_text("Іс аяқталды")

        # A text with a category goes to the vice-rector for finance: the page says to whom.
        page.goto("/processes/speech_clearance/new")
        _fill_speech(page, "Қаржы туралы мәтін", ["finance"])
        page.locator("form.task-form button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        sent = page.locator("#done-alert .sent-to")
        expect(sent).to_contain_text("Жіберілді:")
        expect(sent.locator(".sent-to-holder")).to_have_count(1)
        instance_id = int(INSTANCE_URL.search(page.url).group(1))

        # 13. The submitter withdraws it before the decision, with a reason and a ticked confirmation.
        page.locator("details#withdraw summary").click()
        page.locator("#withdraw-reason").fill("Іс-шара кейінге қалдырылды")
        page.locator("#withdraw-confirm").check()
        page.locator("form.withdraw-form button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        expect(page.locator(".badge-outcome-withdrawn")).to_have_text("Кері қайтарып алынды")
        expect(page.locator("details#withdraw")).to_have_count(0)
        log_out(page)

        # 14. The public check: the form, a code typed loosely, a wrong code says so and offers the form again.
        page.goto("/verify")
        expect(page.locator("#verify-form-title")).to_have_text("Құжатты коды бойынша тексеру")
        page.locator("#verify-code").fill("abcd efgh jkmn")
        page.locator("form.verify-card[role=search] button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/verify/ABCDEFGHJKMN$"))
        expect(page.locator(".verdict-bad")).to_be_visible()
        expect(page.locator("#verify-code")).to_have_value("ABCDEFGHJKMN")
    finally:
        kk.close()

    # Russian: the vice-rector is told that the text was withdrawn, with the reason.
    ru = _context(e2e_browser, server, "ru-RU")
    page = ru.new_page()
    try:
        log_in(page, server, "vr.finance")
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        page.goto("/notifications")
        note = page.locator(".notif").filter(has_text="отозвано подавшим")
        expect(note).to_have_count(1)
        expect(note).to_contain_text("Іс-шара кейінге қалдырылды")
        page.goto(f"/instances/{instance_id}")
        expect(page.locator(".badge-outcome-withdrawn")).to_have_text("Отозвано")
    finally:
        ru.close()
