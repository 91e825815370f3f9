"""Forms in a real browser, in Kazakh (and a check in Russian): a text over its limit is neither cut nor
lost (a live count says by how much; the server says it too), a refused form comes back with every value
and the file already received, which the next submission attaches without choosing it again; the form
with its errors reads on a 390 px phone; "Add another change" adds a row in place."""
from __future__ import annotations

import contextlib
import re

import pytest

from tests.e2e.conftest import ACTION_TIMEOUT_MS
from tests.e2e.helpers import log_in
from tests.helpers import event_date

pytestmark = pytest.mark.e2e

TITLE = "Қаржы есебі — e2e формалар"


@contextlib.contextmanager
def browser_page(e2e_browser, server, tmp_path, locale: str, width: int = 1280):
    context = e2e_browser.new_context(base_url=server.base_url, locale=locale, timezone_id="Asia/Almaty",
                                      viewport={"width": width, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(tmp_path / f"last-{locale}.png"), full_page=True)
        context.close()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_refused_form_keeps_the_text_and_the_file_in_kazakh(kelisim_server, e2e_browser, tmp_path):
    from playwright.sync_api import expect

    theses = tmp_path / "тезистер.txt"
    theses.write_text("Тезистер файлда.\n", encoding="utf-8")
    too_long = "ә" * 200_005
    with browser_page(e2e_browser, kelisim_server, tmp_path, "kk-KZ") as page:
        log_in(page, kelisim_server, "employee")
        page.goto("/processes/speech_clearance/new")
        expect(page.locator("html")).to_have_attribute("lang", "kk")
        form = page.locator("form.task-form")
        form.locator("#field-event_name").fill("Цифрлық университет")
        form.locator("#field-event_kind").select_option("conference")
        form.locator("#field-organizer").fill("KInEU")
        form.locator("#field-event_date").fill(event_date(20))
        form.locator("#field-location").fill("Қостанай")
        form.locator("#field-title").fill(TITLE)
        form.locator("input[name=categories][value=finance]").check()
        form.locator("#field-file_ids").set_input_files(str(theses))
        limit = form.locator("#field-text-limit")
        expect(limit).to_contain_text("200 000")  # the limit is said at the field
        form.locator("#field-text").fill(too_long)
        # nothing is cut, and the live count says by how much it is over
        assert form.locator("#field-text").evaluate("e => e.value.length") == 200_005
        expect(limit).to_contain_text("200 005: 5 таңба артық")
        expect(limit).to_have_class(re.compile("char-limit-over"))
        form.locator("button[type=submit]").click()

        # the form comes back: the message at the field, every value, the file already received
        expect(page.locator("#error-summary")).to_be_visible()
        expect(page.locator("#field-text-error")).to_contain_text(
            "Ең көбі 200 000 таңба (сіз 200 005 таңба енгіздіңіз)")
        expect(page.locator("#error-summary")).to_contain_text("Тезистер")  # the field by its label
        assert page.locator("#field-text").evaluate("e => e.value.length") == 200_005
        expect(page.locator("#field-title")).to_have_value(TITLE)
        expect(page.locator(".received-files")).to_contain_text("тезистер.txt")

        # a phone of 390 px: the form with its errors reads without sideways scrolling
        page.set_viewport_size({"width": 390, "height": 844})
        page.locator("#error-summary").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "form-errors-390.png"), full_page=True)
        assert no_horizontal_scroll(page)
        page.set_viewport_size({"width": 1280, "height": 900})

        # shortened, submitted again: the file comes along without being chosen again
        page.locator("#field-text").fill("Қысқа тезистер.")
        page.locator("form.task-form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/instances/\d+\?done=1$"))
        expect(page.locator("main")).to_contain_text("тезистер.txt")


def test_add_another_change_in_place_in_russian(kelisim_server, e2e_browser, tmp_path):
    from playwright.sync_api import expect

    with browser_page(e2e_browser, kelisim_server, tmp_path, "ru-RU") as page:
        log_in(page, kelisim_server, "amd.head")
        page.goto("/processes/policy_amendment/new")
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        form = page.locator("form.task-form")
        expect(form.locator("[data-row]")).to_have_count(1)
        form.locator("#field-changes-0-clause").fill("7.10.2")
        form.locator("#field-changes-0-text").fill("Новый текст пункта.")
        url = page.url
        add = form.locator("button[data-add-row]")
        expect(add).to_have_text("Добавить ещё одно изменение")
        add.click()
        add.click()
        assert page.url == url  # in place, no round trip
        expect(form.locator("[data-row]")).to_have_count(3)
        expect(form.locator("[data-row]").nth(2).locator("legend")).to_have_text("Изменение 3")
        expect(form.locator("#field-changes-2-clause")).to_be_focused()
        expect(form.locator("#field-changes-0-text")).to_have_value("Новый текст пункта.")
        expect(form.locator("#field-changes-2-text-limit")).to_contain_text("из 20 000 символов")
        form.locator("#field-changes-2-clause").fill("7.10.2")
        form.locator("#field-changes-2-text").fill("Ещё раз.")
        form.locator("#field-rationale").fill("Обоснование")
        form.locator("button[type=submit]").click()
        # the server checks all rows: the third changes the same clause twice; every value came back
        expect(page.locator("#error-summary")).to_contain_text("Изменение 2")
        expect(page.locator("#field-changes-0-text")).to_have_value("Новый текст пункта.")
        expect(page.locator("#field-changes-1-text")).to_have_value("Ещё раз.")
