"""Policy amendment in a real browser against `kelisim serve`: amd.head proposes a new text of §7.10.2
from the clause's page, MCD consolidates, the Council's secretary records the adoption with the minutes,
the rector approves, and edition 2 shows the new text while the addition PDF names the decision."""
from __future__ import annotations

import re
import subprocess

import pytest

from processes.university_time import today_local
from storage.models import utcnow
from tests import samples
from tests.e2e.helpers import confirm_and_submit, log_in, log_out, submit

pytestmark = pytest.mark.e2e

RATIONALE = "Жедел жауап мерзімін қысқарту — e2e"
NEW_TEXT = "МКБ шұғыл сұрау салуларына жауап 2 сағаттан аспайтын уақыт ішінде беріледі."


def open_task(page, label: str) -> None:
    from playwright.sync_api import expect

    card = page.locator("li.task-card").filter(has_text=RATIONALE)
    expect(card).to_have_count(1)
    expect(card).to_contain_text(label)
    card.locator(".task-card-title a").click()


def test_policy_amendment_end_to_end(kelisim_server, e2e_page, tmp_path):
    from playwright.sync_api import expect

    page, server = e2e_page, kelisim_server
    today = today_local(utcnow()).isoformat()
    minutes = tmp_path / "council-minutes.pdf"
    minutes.write_bytes(samples.pdf("minutes of the Academic Council"))

    # 1. amd.head proposes a new text of §7.10.2, starting from the clause's history page.
    log_in(page, server, "amd.head")
    page.locator("nav.main-nav a[href='/policy']").click()
    page.locator("#clause-7\\.10\\.2 a.policy-clause-number").click()
    expect(page.locator("h1")).to_contain_text("§7.10.2")
    page.locator("a[href*='/processes/policy_amendment/new']").click()
    form = page.locator("form.task-form")
    expect(form.locator("#field-changes-0-clause")).to_have_value("7.10.2")
    expect(form.locator("#field-changes-0-text")).to_contain_text("6 сағаттан")
    form.locator("#field-changes-0-text").fill(NEW_TEXT)
    form.locator("#field-rationale").fill(RATIONALE)
    instance_id = submit(page)
    expect(page.locator("section[aria-labelledby=proposal-title] ins").first).to_be_visible()
    log_out(page)

    # 2. The head of MCD consolidates it.
    log_in(page, server, "mcd.head")
    open_task(page, "Review and consolidate")
    page.locator("input[name=decision][value=consolidate]").check()
    assert submit(page) == instance_id
    log_out(page)

    # 3. The Council's secretary records the adoption, the vote and the minutes.
    log_in(page, server, "council.secretary")
    open_task(page, "Record the Academic Council's decision")
    page.locator("#field-council_required").check()
    page.locator("#field-meeting_date").fill(today)
    page.locator("input[name=council_decision][value=adopted]").check()
    page.locator("#field-votes_for").fill("31")
    page.locator("#field-votes_against").fill("2")
    page.locator("#field-votes_abstained").fill("1")
    page.locator("#field-minutes_file_id").set_input_files(str(minutes))
    assert submit(page) == instance_id
    log_out(page)

    # 4. The rector approves it, in force from today.
    log_in(page, server, "rector")
    open_task(page, "Approve the amendment")
    page.locator("input[name=decision][value=approve]").check()
    page.locator("#field-effective_date").fill(today)
    assert confirm_and_submit(page) == instance_id  # approving makes the next edition: the page asks first
    expect(page.locator("section[aria-labelledby=proposal-title]")).to_contain_text("edition 2")
    with page.expect_download() as download_info:
        page.locator(".doc-card").filter(has_text="PA-").locator(".doc-action a").click()
    pdf_path = tmp_path / "addition.pdf"
    download_info.value.save_as(str(pdf_path))
    text = " ".join(subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())
    assert "7.10.2" in text and "2 сағаттан аспайтын" in text
    assert re.search(r"PA-\d{4}-\d{5}", text)
    assert "31" in text and "Дүйсенов" in text  # the Council's vote and the approving rector
    log_out(page)

    # 5. Anyone sees edition 2 with the new text, marked as changed.
    log_in(page, server, "employee")
    page.locator("nav.main-nav a[href='/policy']").click()
    expect(page.locator(".page-sub")).to_contain_text("2")
    clause = page.locator("#clause-7\\.10\\.2")
    expect(clause).to_contain_text(NEW_TEXT)
    expect(clause).to_have_class(re.compile("policy-clause-changed"))
    page.locator("#clause-7\\.10\\.2 a.policy-clause-number").click()
    expect(page.locator("main")).to_contain_text(f"No. {instance_id}")
    page.screenshot(path=str(tmp_path / "history.png"), full_page=True)
