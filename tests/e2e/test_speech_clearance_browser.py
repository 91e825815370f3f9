"""Speech text clearance in a real browser against `kelisim serve`: submit, return, revise, approve,
download the certificate, and audit the whole trail as the auditor."""
from __future__ import annotations

import hashlib
import re

import pytest

from tests.e2e.helpers import (
    confirm_and_submit,
    log_in_checked,
    log_out_checked,
    pdf_to_text,
    submit_task_form,
)
from tests.helpers import event_date

pytestmark = pytest.mark.e2e

EVENT_NAME = "Digital University 2026 — e2e"
TITLE = "Цифровая трансформация университета: финансовые итоги"
# Leading/trailing blanks and several lines: the browser sends CRLF, the server keeps LF and strips.
FIRST_TEXT = "  Тезистер: университеттің қаржы-шаруашылық қызметі туралы.\nБірінші нұсқа.  \n"
FINAL_TEXT = ("\n  Тезистер (қайта қаралған): қаржы-шаруашылық қызметінің қорытындылары.\n"
              "Екінші жол: стратегия туралы ештеңе жоқ.\n\nҮшінші абзац.   \n")
COMMENT = "Қаржылық көрсеткіштерді қысқартыңыз, please."


def server_normalised(text: str) -> str:
    """What the server stores of a textarea: CRLF → LF, surrounding whitespace stripped."""
    return text.replace("\r\n", "\n").strip()


def open_inbox_task(page, task_name: str):
    """Open the inbox card of the test's instance whose task is `task_name` (the BPMN label)."""
    from playwright.sync_api import expect

    page.locator("nav.main-nav a[href='/inbox']").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    card = page.locator("li.task-card").filter(has_text=TITLE)
    expect(card).to_have_count(1)
    expect(card.locator(".task-card-title")).to_have_text(task_name)
    card.locator(".task-card-title a").click()
    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]{36}$"))
    return card


def test_speech_clearance_end_to_end(kelisim_server, e2e_page, tmp_path):
    from playwright.sync_api import expect

    page, server = e2e_page, kelisim_server
    date_value = event_date(20)

    # 1. The employee submits the text through "New request".
    names = {"employee": log_in_checked(page, server, "employee")}
    page.locator("nav.main-nav a[href='/processes']").click()
    expect(page).to_have_url(re.compile(r"/processes$"))
    page.locator("a[href='/processes/speech_clearance/new']").click()
    expect(page).to_have_url(re.compile(r"/processes/speech_clearance/new$"))
    form = page.locator("form.task-form")
    form.locator("#field-event_name").fill(EVENT_NAME)
    form.locator("#field-event_kind").select_option("conference")
    form.locator("#field-organizer").fill("KInEU")
    form.locator("#field-event_date").fill(date_value)
    form.locator("#field-location").fill("Kostanay, main hall")
    form.locator("#field-title").fill(TITLE)
    form.locator("#field-text").fill(FIRST_TEXT)
    finance = form.locator("input[name=categories][value=finance]")
    finance.check()
    expect(finance).to_be_checked()
    expect(form.locator("input[name=categories][value=strategy]")).not_to_be_checked()
    instance_id = submit_task_form(page)
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".version .text-block:not(.diff)").first).to_have_text(server_normalised(FIRST_TEXT))
    log_out_checked(page)

    # 2. The vice-rector for finance returns it for revision with a comment.
    names["vr.finance"] = log_in_checked(page, server, "vr.finance")
    card = page.locator("li.task-card").filter(has_text=TITLE)
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Clear speech text")
    page.screenshot(path=str(tmp_path / "inbox-vr-finance.png"), full_page=True)
    open_inbox_task(page, "Clear speech text")
    expect(page.locator(".version .text-block:not(.diff)").first).to_have_text(server_normalised(FIRST_TEXT))
    page.locator("input[name=decision][value=revise]").check()
    page.locator("#field-comment").fill(COMMENT)
    assert submit_task_form(page) == instance_id
    log_out_checked(page)

    # 3. The employee sees the comment on the revision task, changes the text and resubmits.
    log_in_checked(page, server, "employee")
    open_inbox_task(page, "Revise speech text")
    expect(page.locator(".comment-latest .comment-text")).to_have_text(COMMENT)
    expect(page.locator(".comment-latest .comment-meta")).to_contain_text("Return for revision")
    form = page.locator("form.task-form")
    expect(form.locator("#field-event_name")).to_have_value(EVENT_NAME)  # prefilled from version 1
    expect(form.locator("#field-title")).to_have_value(TITLE)
    expect(form.locator("#field-event_date")).to_have_value(date_value)
    expect(form.locator("input[name=categories][value=finance]")).to_be_checked()
    expect(form.locator("#field-text")).to_have_value(server_normalised(FIRST_TEXT))
    form.locator("#field-text").fill(FINAL_TEXT)
    assert submit_task_form(page) == instance_id
    log_out_checked(page)

    # 4. The vice-rector sees version 2 and agrees.
    log_in_checked(page, server, "vr.finance")
    open_inbox_task(page, "Clear speech text")
    latest = page.locator("details.version[open]")
    expect(latest).to_have_count(1)
    expect(latest.locator(".version-title")).to_have_text("Version 2")
    expect(latest.locator(".text-block:not(.diff)")).to_have_text(server_normalised(FINAL_TEXT))
    assert latest.locator(".text-block:not(.diff)").evaluate("e => e.textContent") == server_normalised(FINAL_TEXT)
    page.locator("input[name=decision][value=approve]").check()
    assert confirm_and_submit(page) == instance_id  # agreeing issues the certificate: the page asks first
    expect(page.locator(".badge-outcome-approved").first).to_be_visible()
    log_out_checked(page)

    # 5. The employee downloads the certificate; it names the fingerprint of the approved text.
    log_in_checked(page, server, "employee")
    page.goto(f"/instances/{instance_id}")
    expect(page.locator(".badge-status-completed").first).to_be_visible()
    expect(page.locator(".badge-outcome-approved").first).to_be_visible()
    approved = server_normalised(FINAL_TEXT)
    digest = hashlib.sha256(approved.encode("utf-8")).hexdigest()
    expect(page.locator("details.version[open] .fingerprint code.hash")).to_have_text(digest)
    page.screenshot(path=str(tmp_path / "instance-employee.png"), full_page=True)
    download_link = page.locator(".doc-card a[href^='/documents/']")
    expect(download_link).to_have_count(1)
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.failure() is None
    pdf_path = tmp_path / "certificate.pdf"
    download.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert download.suggested_filename.lower().endswith(".pdf")
    pdf_text = pdf_to_text(pdf_path)
    assert digest in re.sub(r"\s+", "", pdf_text), f"fingerprint {digest} not in the certificate:\n{pdf_text}"
    log_out_checked(page)

    # 6. The auditor finds the instance, reads its whole history, and verifies the audit chain.
    log_in_checked(page, server, "auditor")
    page.locator("nav.main-nav a[href='/audit/instances']").click()
    expect(page).to_have_url(re.compile(r"/audit/instances$"))
    row = page.locator("table tbody tr").filter(has=page.locator(f"a[href='/instances/{instance_id}']"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(TITLE)
    expect(row.locator(".badge-status-completed")).to_be_visible()
    row.locator(f"a[href='/instances/{instance_id}']").click()
    expect(page).to_have_url(re.compile(rf"/instances/{instance_id}$"))
    timeline = page.locator("table.table-timeline tbody tr")
    expect(timeline.first).to_be_visible()
    page.screenshot(path=str(tmp_path / "instance-auditor.png"), full_page=True)
    actions = [a.strip() for a in timeline.locator(".action-cell").all_inner_texts()]
    assert actions.count("Process started") == 1, actions
    assert actions.count("Task completed") == 4, actions
    assert actions.count("Document issued") == 1, actions
    assert actions.index("Process started") < actions.index("Task completed") < actions.index("Document issued")
    completed = timeline.filter(has=page.locator(".action-cell", has_text="Task completed"))
    tasks = [t.strip() for t in completed.locator(".task-cell").all_inner_texts()]
    assert tasks == ["Submit speech text", "Clear speech text", "Revise speech text", "Clear speech text"], tasks
    actors = [a.strip() for a in completed.locator("td:nth-child(3)").all_inner_texts()]
    expected = ["employee", "vr.finance", "employee", "vr.finance"]
    assert all(actor in (who, names[who]) for actor, who in zip(actors, expected, strict=True)), (actors, names)
    expect(completed.nth(1).locator(".comment-cell")).to_have_text(COMMENT)
    seqs = [int(s) for s in timeline.locator("td.num").all_inner_texts()]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs

    page.locator("nav.main-nav a[href='/audit/instances']").click()  # the menu's "Audit" item
    page.locator("nav.subnav a[href='/audit/verify']").click()
    expect(page).to_have_url(re.compile(r"/audit/verify$"))
    expect(page.locator(".verdict-ok")).to_be_visible()
    expect(page.locator(".verdict-bad")).to_have_count(0)
    expect(page.locator("#verdict-title")).to_have_text("The audit trail is intact")
    checked = int(page.locator(".big-number").inner_text().strip())
    assert checked >= len(seqs)
    head = page.locator("code.hash").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", head), head
    # The command-line check agrees (before logging out, which appends an entry).
    result = server.cli("audit", "verify")
    assert result.returncode == 0
    assert result.stdout.startswith(f"ok: {checked} events, head {head}"), result.stdout
    log_out_checked(page)
    assert "Traceback" not in server.log(), server.log()
