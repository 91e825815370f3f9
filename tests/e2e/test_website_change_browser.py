"""Website change request in a real browser against `kelisim serve` (§9.4–9.8, §9.1): the unit head asks for a
change of the unit's page (a wanted date in the past is refused first), the vice-rector for academic affairs
consents, MCD cannot mark it published while the English text has neither a text nor a reason, then records the
publication; the request shows as published in MCD's register and the page among the unit's pages."""
from __future__ import annotations

from datetime import timedelta

import pytest

from processes.university_time import today_local
from storage.models import utcnow
from tests.e2e.helpers import confirm_and_submit, log_in, log_out, submit

pytestmark = pytest.mark.e2e

TITLE = "Кафедра құрамы — e2e"
PAGE = "https://kineu.edu.kz/kk/faculties/fe-is/staff"


def test_website_change_consented_and_published(kelisim_server, e2e_page):
    from playwright.sync_api import expect

    page, server = e2e_page, kelisim_server
    today = today_local(utcnow())

    # 1. The unit head requests it from the register page; a wanted date in the past is refused, nothing saved.
    log_in(page, server, "unit.head")
    page.goto("/website-changes")
    page.locator("a[href='/processes/website_change/new']").first.click()
    form = page.locator("form.task-form")
    expect(form.locator("#field-unit")).to_have_value("FE-IS")
    form.locator("#field-title").fill(TITLE)
    form.locator("#field-section").select_option("main.faculties")
    form.locator("input[name=change_kind][value=change]").check()
    form.locator("#field-pages-0-address").fill(PAGE)
    form.locator("#field-text_kk").fill("Кафедра меңгерушісі: Ғ. Жақсыбеков")
    form.locator("#field-text_ru").fill("Заведующий кафедрой: Г. Жаксыбеков")
    form.locator("#field-wanted_on").fill((today - timedelta(days=1)).isoformat())
    form.locator("#field-area").select_option("academic")
    form.locator("button[type=submit]").click()
    expect(page.locator(".error-summary")).to_contain_text("past")
    page.locator("#field-wanted_on").fill((today + timedelta(days=7)).isoformat())
    instance_id = submit(page)
    expect(page.locator("h1")).to_contain_text(TITLE)
    expect(page.locator(".wc-entry")).to_contain_text("Main: Faculties")
    log_out(page)

    # 2. The vice-rector for academic affairs consents (§9.8).
    log_in(page, server, "vr.academic")
    card = page.locator("li.task-card").filter(has_text=TITLE)
    expect(card).to_contain_text("Consent to the change")
    card.locator(".task-card-title a").click()
    page.locator("input[name=decision][value=consent]").check()
    assert submit(page) == instance_id
    log_out(page)

    # 3. MCD: without the English text or a reason it cannot be marked published (§9.1); then it is.
    log_in(page, server, "mcd.specialist")
    card = page.locator("li.task-card").filter(has_text=TITLE)
    card.locator(".task-card-title a").click()
    expect(page.locator("#field-text_ru")).to_have_value("Заведующий кафедрой: Г. Жаксыбеков")
    page.locator("#field-published_url").fill(PAGE)
    page.locator("#field-published_on").fill(today.isoformat())
    page.locator("form.task-form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_contain_text("English")
    page.locator("#field-reason_en").fill("The page has no English version yet")
    assert confirm_and_submit(page) == instance_id
    expect(page.locator("section[aria-labelledby=wc-pub-title]")).to_contain_text(PAGE)

    # 4. MCD's register shows it published; the unit head sees the page among the unit's pages.
    page.goto("/website-changes?status=finished")
    row = page.locator("table.table-website-changes tbody tr").filter(has_text=TITLE)
    expect(row).to_contain_text("Published")
    log_out(page)
    log_in(page, server, "unit.head")
    page.goto("/website-changes")
    expect(page.locator(".wc-unit-pages")).to_contain_text(PAGE)
