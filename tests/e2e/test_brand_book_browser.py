"""The brand book (§6.2–6.5) in a real browser against `kelisim serve`: the head of MCD uploads an edition (a taken
version is refused at its field), the rector downloads its file, a unit head is kept out of the library and asks
MCD for elements instead, a specialist answers with a file, and the unit head downloads it from the case."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from tests import samples
from tests.e2e.helpers import confirm_and_submit, log_in, log_out, submit

pytestmark = pytest.mark.e2e

MATERIAL = "Ашық есік күнінің буклеті — e2e"


def test_brand_book_and_an_element_request(kelisim_server, e2e_page, tmp_path):
    from playwright.sync_api import expect

    page, server = e2e_page, kelisim_server
    guide, logo = tmp_path / "guideline-2.0.pdf", tmp_path / "logo.png"
    guide.write_bytes(samples.pdf("KInEU brand guideline 2.0"))
    logo.write_bytes(samples.png("logo"))

    # 1. The head of MCD finds the library under Media; the demo edition 1.0 is in force.
    log_in(page, server, "mcd.head")
    page.locator("nav.main-nav a", has_text="Media").click()
    page.locator("nav.section-nav a[href='/brand-book']").click()
    expect(page.locator("#in-force")).to_contain_text("1.0")
    # a taken version is refused at its field, nothing kept; then 2.0, in force from today
    page.locator("#brand-version").fill("1.0")
    page.locator("#brand-effective_on").fill(date.today().isoformat())
    page.locator("#brand-files").set_input_files(str(guide))
    page.locator("form.task-form button[type=submit]").click()
    expect(page.locator("#brand-version-error")).to_contain_text("1.0")
    page.locator("#brand-version").fill("2.0")
    page.locator("#brand-files").set_input_files(str(guide))
    page.locator("form.task-form button[type=submit]").click()
    expect(page.locator(".flash, [role=status]").first).to_contain_text("2.0")
    expect(page.locator("#in-force")).to_contain_text("2.0")
    log_out(page)

    # 2. The rector downloads the file of the edition in force.
    log_in(page, server, "rector")
    page.goto("/brand-book")
    with page.expect_download() as download:
        page.locator("#in-force a", has_text="guideline-2.0.pdf").click()
    assert download.value.suggested_filename == "guideline-2.0.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    log_out(page)

    # 3. A unit head sees no link to the library and is refused at its address; they ask MCD instead.
    log_in(page, server, "unit.head")
    assert page.locator("a[href='/brand-book']").count() == 0
    refused = page.goto("/brand-book")
    assert refused is not None and refused.status == 403
    page.goto("/processes/brand_request/new")
    form = page.locator("form.task-form")
    form.locator("input[name=elements][value=logo]").check()
    form.locator("input[name=elements][value=other]").check()
    form.locator("#field-material").fill(MATERIAL)
    form.locator("button[type=submit]").click()
    expect(page.locator(".error-summary")).to_contain_text("other elements")
    page.locator("#field-details").fill("Белгішелер жиынтығы, SVG немесе PNG")
    instance_id = submit(page)
    expect(page.locator(".br-request")).to_contain_text(MATERIAL)
    log_out(page)

    # 4. An MCD specialist answers with the logo file.
    log_in(page, server, "mcd.specialist")
    page.goto(f"/instances/{instance_id}")
    page.locator("a[href^='/tasks/']", has_text="Answer with the elements").first.click()
    page.locator("input[name=decision][value=answer]").check()
    page.locator("#field-file_ids").set_input_files(str(logo))
    assert confirm_and_submit(page) == instance_id
    log_out(page)

    # 5. The unit head downloads it from the case.
    log_in(page, server, "unit.head")
    page.goto(f"/instances/{instance_id}")
    expect(page.locator(".br-answer")).to_contain_text("logo.png")
    with page.expect_download() as download:
        page.locator(".br-answer a", has_text="logo.png").click()
    assert Path(download.value.path()).read_bytes() == samples.png("logo")
    expect(page).to_have_url(re.compile(rf"/instances/{instance_id}"))
