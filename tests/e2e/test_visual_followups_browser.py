"""The visual review of issue 10, in a real browser: on a task page at 1366 px the case's files table fits the
narrow column beside the form, so "Open" and "Download" are never cut off at the card's edge (Kazakh and Russian)."""
from __future__ import annotations

import pytest

from tests import samples
from tests.e2e.helpers import submit
from tests.e2e.walkthrough import browser_page, choose_language, log_in_as
from tests.helpers import event_date

pytestmark = pytest.mark.e2e

TITLE = "Бюджет туралы баяндама — visual"


def test_the_files_table_fits_the_task_page_at_1366(kelisim_server, e2e_browser, tmp_path):
    from playwright.sync_api import expect

    server = kelisim_server
    theses = tmp_path / "тезистер.pdf"
    theses.write_bytes(samples.pdf("theses"))
    with browser_page(e2e_browser, server, tmp_path, "visual") as page:
        log_in_as(page, server, "employee")
        page.goto("/processes/speech_clearance/new")
        form = page.locator("form.task-form")
        form.locator("#field-title").fill(TITLE)
        form.locator("#field-event_name").fill("Форум 2026")
        form.locator("#field-event_kind").select_option("conference")
        form.locator("#field-organizer").fill("KInEU")
        form.locator("#field-location").fill("Қостанай")
        form.locator("#field-event_date").fill(event_date(20))
        form.locator("#field-text").fill("Тезистер.")
        form.locator("input[name=categories][value=finance]").check()
        form.locator("#field-file_ids").set_input_files(theses)
        submit(page)
        page.locator("form.logout-form button[type=submit]").click()

        log_in_as(page, server, "vr.finance")
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto("/inbox")
        page.locator("li.task-card").filter(has_text=TITLE).locator(".task-card-title a").click()
        for lang in ("kk", "ru"):
            choose_language(page, lang)
            wrap = page.locator("section[aria-labelledby=files-title] .table-wrap")
            expect(wrap.locator("a.file-download")).to_have_count(1)
            client_width, scroll_width = wrap.evaluate("w => [w.clientWidth, w.scrollWidth]")
            assert scroll_width <= client_width, (lang, client_width, scroll_width)
            box, link = wrap.bounding_box(), wrap.locator("a.file-download").bounding_box()
            assert link["x"] + link["width"] <= box["x"] + box["width"], (lang, box, link)
    assert "Traceback" not in server.log(), server.log()
