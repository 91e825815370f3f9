"""Written information request in a real browser against `kelisim serve`: the registry clerk registers
a letter with its scan, the rector refuses on a lawful ground, the refusal letter PDF says so in the
request's language, the clerk dispatches it and the register shows the answered request."""
from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest

from processes.university_time import local
from storage.models import utcnow
from tests import samples
from tests.e2e.helpers import confirm_and_submit, log_in, log_out, submit

pytestmark = pytest.mark.e2e

SUBJECT = "Оқу ақысы туралы ақпарат — e2e"
REASON = "Сұралған мәліметтер үшінші тұлғалардың дербес деректерін қамтиды."


def test_information_request_refused_end_to_end(kelisim_server, e2e_page, tmp_path):
    from playwright.sync_api import expect

    page, server = e2e_page, kelisim_server
    scan = tmp_path / "letter-scan.pdf"
    scan.write_bytes(samples.pdf("scanned letter of the requester"))
    received = local(utcnow() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")

    # 1. The registry clerk registers the letter: a number and a due date at once.
    log_in(page, server, "registry")
    page.locator("nav.main-nav a[href='/processes']").click()
    page.locator("a[href='/processes/information_request/new']").click()
    form = page.locator("form.task-form")
    form.locator("#field-requester_name").fill("Ерлан Сапаров")
    form.locator("#field-requester_kind").select_option("person")
    form.locator("#field-email").fill("erlan@example.kz")
    form.locator("#field-postal_address").fill("110000, Қостанай қ., Абай даңғылы, 10")
    form.locator("#field-subject").fill(SUBJECT)
    form.locator("#field-items").fill("Студенттердің оқу ақысы туралы жеке мәліметтер")
    form.locator("input[name=form][value=electronic]").check()
    form.locator("input[name=language][value=kk]").check()
    form.locator("#field-received_at").fill(received)
    form.locator("#field-file_ids").set_input_files(str(scan))
    instance_id = submit(page)
    heading = page.locator("h1")
    expect(heading).to_contain_text(SUBJECT)
    reg_number = re.search(r"IR-\d{4}-\d{5}", heading.inner_text()).group(0)
    expect(page.locator("#request-title")).to_contain_text(reg_number)
    expect(page.locator(".summary-bar")).to_contain_text("(10 working days, §11.2)")  # once, by the due date
    log_out(page)

    # 2. The rector refuses: a ground and a reason are required.
    log_in(page, server, "rector")
    card = page.locator("li.task-card").filter(has_text=SUBJECT)
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Decide on the request")
    card.locator(".task-card-title a").click()
    page.locator("input[name=decision][value=refuse]").check()
    page.locator("form.task-form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()  # no ground, no reason: refused, nothing saved
    page.locator("input[name=decision][value=refuse]").check()
    page.locator("#field-ground").select_option("personal_data")
    page.locator("#field-reason").fill(REASON)
    assert confirm_and_submit(page) == instance_id  # refusing issues the refusal letter: the page asks first
    letter_link = page.locator("section[aria-labelledby=ir-letter-title] a[href^='/documents/']")
    expect(letter_link).to_have_text(re.compile(r"OUT-\d{4}-\d{5}"))
    with page.expect_download() as download_info:
        page.locator(".doc-card .doc-action a[href^='/documents/']").first.click()
    pdf_path = tmp_path / "refusal.pdf"
    download_info.value.save_as(str(pdf_path))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    assert reg_number in flat and "§3.2.6" in flat
    assert " ".join(REASON.split()) in flat
    assert "Қостанай" in flat and "Костанайский" not in flat  # the whole letter in Kazakh
    log_out(page)

    # 3. The register shows the refused request awaiting dispatch; the clerk hands the letter over.
    log_in(page, server, "registry")
    page.locator("nav.main-nav a[href='/requests']").click()
    row = page.locator("table.table-register tbody tr").filter(has_text=reg_number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Refused")
    expect(row).to_contain_text("Awaiting dispatch")
    expect(row).to_contain_text("Ерлан Сапаров")
    row.locator(f"a:has-text('{reg_number}')").click()
    dispatch = page.locator("section[aria-labelledby=dispatch-title]")
    dispatch.locator("input[name=method][value=post]").check()
    dispatch.locator("button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()  # a postal dispatch needs its tracking number
    dispatch = page.locator("section[aria-labelledby=dispatch-title]")
    dispatch.locator("input[name=method][value=in_person]").check()
    dispatch.locator("#field-recipient_name").fill("Ерлан Сапаров")
    assert confirm_and_submit(page, "section[aria-labelledby=dispatch-title] form") == instance_id
    expect(page.locator("section[aria-labelledby=ir-letter-title]")).to_contain_text("In person")
    page.locator("nav.main-nav a[href='/requests']").click()
    row = page.locator("table.table-register tbody tr").filter(has_text=reg_number)
    expect(row).not_to_contain_text("Awaiting dispatch")
    page.screenshot(path=str(tmp_path / "register.png"), full_page=True)
