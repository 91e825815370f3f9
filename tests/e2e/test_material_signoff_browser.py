"""External material sign-off in a real browser against `kelisim serve`: the unit head submits two files,
the MCD specialist returns them for revision, a new version of one file follows, the specialist approves,
and the sign-off sheet lists the fingerprints of exactly the approved file versions."""
from __future__ import annotations

import hashlib
import re

import pytest

from tests import samples
from tests.e2e.helpers import (
    confirm_and_submit,
    log_in_checked,
    log_out_checked,
    pdf_to_text,
    submit_task_form,
)
from tests.helpers import event_date

pytestmark = pytest.mark.e2e

TITLE = "Буклет кафедры информационных систем 2026 — e2e"
DESCRIPTION = "Буклет для абитуриентов: бағдарламалар, байланыстар.\nPoster for the open day."
AUDIENCES = ("applicants", "parents")
CHECKLIST = ("logo", "colours", "fonts", "languages", "contacts", "accuracy")
FAILED_ITEM = "languages"
REMARK = "Қазақша нұсқасы жоқ — the Kazakh version is missing."
COMMENT = "Add the Kazakh text to the booklet, please."
BOOKLET_V1 = samples.pdf("booklet, first version")
BOOKLET_V2 = samples.pdf("booklet, second version: kk, ru, en")
POSTER = samples.png("poster")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def open_inbox_task(page, task_name: str) -> None:
    """Open the inbox card of this test's material whose task is `task_name`."""
    from playwright.sync_api import expect

    page.locator("nav.main-nav a[href='/inbox']").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    card = page.locator("li.task-card").filter(has_text=TITLE)
    expect(card).to_have_count(1)
    expect(card.locator(".task-card-title")).to_have_text(task_name)
    card.locator(".task-card-title a").click()
    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]{36}$"))
    expect(page.locator("h1")).to_have_text(task_name)


def file_row(page, name: str):
    """The row of `name` in the "Files in this round" table."""
    return page.locator("table.table-round-files tbody tr").filter(
        has=page.locator(".file-name", has_text=re.compile(rf"^{re.escape(name)}$")))


def answer_checklist(form, failed: dict[str, str] | None = None) -> None:
    """Answer every checklist item Yes, except the items of `failed` (No, with their remark)."""
    from playwright.sync_api import expect

    failed = failed or {}
    for item in CHECKLIST:
        answer = "false" if item in failed else "true"
        radio = form.locator(f"input[type=radio][name='checklist.{item}.ok'][value={answer}]")
        radio.check()
        expect(radio).to_be_checked()
        if item in failed:
            form.locator(f"input[name='checklist.{item}.remark']").fill(failed[item])


def test_material_signoff_end_to_end(kelisim_server, e2e_page, tmp_path):
    from playwright.sync_api import expect

    page, server = e2e_page, kelisim_server
    planned = event_date(20)
    booklet, poster = tmp_path / "booklet.pdf", tmp_path / "poster.png"
    booklet.write_bytes(BOOKLET_V1)
    poster.write_bytes(POSTER)

    # 1. The unit head submits the material with two files at once.
    log_in_checked(page, server, "unit.head")
    page.locator("nav.main-nav a[href='/processes']").click()
    expect(page).to_have_url(re.compile(r"/processes$"))
    page.locator("a[href='/processes/material_signoff/new']").click()
    expect(page).to_have_url(re.compile(r"/processes/material_signoff/new$"))
    expect(page.locator("h1")).to_have_text("External material sign-off")
    form = page.locator("form.task-form")
    expect(form.locator("#field-unit")).to_have_value("FE-IS")  # from the account
    form.locator("#field-title").fill(TITLE)
    form.locator("#field-material_type").select_option("booklet")
    form.locator("#field-channel").select_option("print")
    for code in AUDIENCES:
        box = form.locator(f"input[name=audiences][value={code}]")
        box.check()
        expect(box).to_be_checked()
    expect(form.locator("input[name=audiences][value=students]")).not_to_be_checked()
    form.locator("#field-planned_date").fill(planned)
    form.locator("#field-description").fill(DESCRIPTION)
    file_input = form.locator("input[type=file][name=file]")
    expect(file_input).to_have_attribute("multiple", "")
    file_input.set_input_files([booklet, poster])
    assert file_input.evaluate("e => Array.from(e.files).map(f => f.name)") == ["booklet.pdf", "poster.png"]
    instance_id = submit_task_form(page)
    expect(page.locator("h1")).to_have_text(TITLE)
    round_1 = page.locator("details.version[open]")
    expect(round_1.locator(".version-title")).to_have_text("Round 1")
    expect(round_1.locator(".round-files li")).to_have_count(2)
    expect(round_1.locator(".round-files")).to_contain_text("booklet.pdf")
    expect(round_1.locator(".round-files")).to_contain_text("poster.png")
    expect(page.locator(".badge-late")).to_have_count(0)  # 20 days ahead: not late (§7.4)
    log_out_checked(page)

    # 2. The MCD specialist sees both files, answers the checklist (one No) and returns the material.
    log_in_checked(page, server, "mcd.specialist")
    open_inbox_task(page, "Review material")
    expect(page.locator("#changes-title")).to_contain_text("Files in this round")
    expect(page.locator("table.table-round-files tbody tr")).to_have_count(2)
    for name, content in (("booklet.pdf", BOOKLET_V1), ("poster.png", POSTER)):
        row = file_row(page, name)
        expect(row).to_have_count(1)
        expect(row).to_have_class(re.compile(r"\bchange-new\b"))
        expect(row.locator(".file-meta")).to_contain_text("version 1")
        expect(row.locator("code.hash")).to_have_text(sha256(content))
    page.screenshot(path=str(tmp_path / "review-1.png"), full_page=True)
    form = page.locator("form.task-form")
    answer_checklist(form, {FAILED_ITEM: REMARK})
    form.locator("input[name=decision][value=revise]").check()
    form.locator("#field-comment").fill(COMMENT)
    assert submit_task_form(page) == instance_id
    checklist = page.locator("table.table-checklist tbody tr")
    expect(checklist).to_have_count(len(CHECKLIST))
    expect(page.locator("table.table-checklist tr.check-row-no")).to_have_count(1)
    expect(page.locator("table.table-checklist tr.check-row-no .remark-cell")).to_have_text(REMARK)
    log_out_checked(page)

    # 3. The unit head reads the comment and uploads a new version of the booklet; the poster is kept.
    log_in_checked(page, server, "unit.head")
    open_inbox_task(page, "Revise material")
    expect(page.locator(".comment-latest .comment-text")).to_have_text(COMMENT)
    expect(page.locator(".comment-latest .comment-meta")).to_contain_text("Return for revision")
    form = page.locator("form.task-form")
    expect(form.locator("#field-title")).to_have_value(TITLE)  # prefilled from round 1
    expect(form.locator("#field-unit")).to_have_value("FE-IS")
    expect(form.locator("#field-material_type")).to_have_value("booklet")
    expect(form.locator("#field-channel")).to_have_value("print")
    expect(form.locator("#field-planned_date")).to_have_value(planned)
    for code in AUDIENCES:
        expect(form.locator(f"input[name=audiences][value={code}]")).to_be_checked()
    kept = form.locator(".kept-files-list li")
    expect(kept).to_have_count(2)
    expect(kept.filter(has_text="booklet.pdf")).to_contain_text("version 1")
    expect(kept.filter(has_text="poster.png")).to_contain_text("version 1")
    expect(form.locator("input[type=hidden][name=file_ids]")).to_have_count(2)
    revised = tmp_path / "revised"
    revised.mkdir()
    (revised / "booklet.pdf").write_bytes(BOOKLET_V2)
    form.locator("input[type=file][name=file]").set_input_files(revised / "booklet.pdf")
    assert submit_task_form(page) == instance_id
    round_2 = page.locator("details.version[open]")
    expect(round_2.locator(".version-title")).to_have_text("Round 2")
    expect(round_2.locator(".round-files li")).to_have_count(2)
    expect(round_2.locator(".round-files li").filter(has_text="booklet.pdf")).to_contain_text("version 2")
    expect(round_2.locator(".round-files li").filter(has_text="poster.png")).to_contain_text("version 1")
    log_out_checked(page)

    # 4. The specialist sees what changed and agrees.
    log_in_checked(page, server, "mcd.specialist")
    open_inbox_task(page, "Review material")
    expect(page.locator("table.table-round-files tbody tr")).to_have_count(2)
    booklet_row = file_row(page, "booklet.pdf")
    expect(booklet_row).to_have_class(re.compile(r"\bchange-changed\b"))
    expect(booklet_row.locator(".badge-change")).to_have_text("Changed since the last round")
    expect(booklet_row.locator(".file-meta")).to_contain_text("version 2")
    expect(booklet_row.locator(".file-meta")).to_contain_text("was 1")
    expect(booklet_row.locator("code.hash")).to_have_text(sha256(BOOKLET_V2))
    expect(booklet_row.locator(".download-list li")).to_have_count(2)  # current and previous version
    poster_row = file_row(page, "poster.png")
    expect(poster_row).to_have_class(re.compile(r"\bchange-unchanged\b"))
    expect(poster_row.locator(".badge-change")).to_have_text("Unchanged")
    expect(poster_row.locator(".file-meta")).to_contain_text("version 1")
    expect(poster_row.locator("code.hash")).to_have_text(sha256(POSTER))
    page.screenshot(path=str(tmp_path / "review-2.png"), full_page=True)
    form = page.locator("form.task-form")
    answer_checklist(form)
    form.locator("input[name=decision][value=approve]").check()
    assert confirm_and_submit(page) == instance_id  # approving issues the sign-off sheet: the page asks first
    expect(page.locator(".badge-outcome-approved").first).to_be_visible()
    log_out_checked(page)

    # 5. The unit head downloads the sign-off sheet: it names the approved versions' fingerprints only.
    log_in_checked(page, server, "unit.head")
    page.goto(f"/instances/{instance_id}")
    expect(page.locator(".badge-status-completed").first).to_be_visible()
    expect(page.locator(".badge-outcome-approved").first).to_be_visible()
    download_link = page.locator(".doc-card a[href^='/documents/']")
    expect(download_link).to_have_count(1)
    expect(page.locator(".doc-card .doc-title")).to_have_text("Sign-off sheet")
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.failure() is None
    pdf_path = tmp_path / "signoff-sheet.pdf"
    download.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert download.suggested_filename.lower().endswith(".pdf")
    sheet = re.sub(r"\s+", "", pdf_to_text(pdf_path))
    assert sha256(BOOKLET_V2) in sheet, f"booklet v2 {sha256(BOOKLET_V2)} not in the sheet:\n{sheet}"
    assert sha256(POSTER) in sheet, f"poster {sha256(POSTER)} not in the sheet:\n{sheet}"
    assert sha256(BOOKLET_V1) not in sheet, "the sheet names the superseded booklet version 1"
    log_out_checked(page)

    # 6. The head of MCD finds the material in the archive; the auditor reads its timeline.
    log_in_checked(page, server, "mcd.head")
    page.locator("nav.main-nav a[href='/archive']").click()
    expect(page).to_have_url(re.compile(r"/archive$"))
    page.locator("#f-q").fill(TITLE)
    page.locator("form.filter-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/archive\?"))
    rows = page.locator("table.table-archive tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator(".title-cell a")).to_have_text(TITLE)
    expect(rows.locator(".title-cell a")).to_have_attribute("href", f"/instances/{instance_id}")
    expect(rows).to_contain_text("Booklet")
    expect(rows).to_contain_text("Print")
    expect(rows.locator("a[href^='/documents/']")).to_contain_text("MS")
    rows.locator(".title-cell a").click()
    expect(page).to_have_url(re.compile(rf"/instances/{instance_id}$"))
    expect(page.locator("h1")).to_have_text(TITLE)
    log_out_checked(page)

    log_in_checked(page, server, "auditor")
    page.locator("nav.main-nav a[href='/audit/instances']").click()
    expect(page).to_have_url(re.compile(r"/audit/instances$"))
    row = page.locator("table tbody tr").filter(has=page.locator(f"a[href='/instances/{instance_id}']"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(TITLE)
    row.locator(f"a[href='/instances/{instance_id}']").click()
    expect(page).to_have_url(re.compile(rf"/instances/{instance_id}$"))
    timeline = page.locator("table.table-timeline tbody tr")
    expect(timeline.first).to_be_visible()
    page.screenshot(path=str(tmp_path / "instance-auditor.png"), full_page=True)
    actions = [a.strip() for a in timeline.locator(".action-cell").all_inner_texts()]
    assert actions.count("Process started") == 1, actions
    assert actions.count("File uploaded") == 3, actions
    assert actions.count("Task completed") == 4, actions
    assert actions.count("Document issued") == 1, actions
    assert actions.index("Process started") < actions.index("Task completed") < actions.index("Document issued")
    completed = timeline.filter(has=page.locator(".action-cell", has_text="Task completed"))
    tasks = [t.strip() for t in completed.locator(".task-cell").all_inner_texts()]
    assert tasks == ["Submit material", "Review material", "Revise material", "Review material"], tasks
    expect(completed.nth(1).locator(".comment-cell")).to_have_text(COMMENT)
    seqs = [int(s) for s in timeline.locator("td.num").all_inner_texts()]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    log_out_checked(page)
    assert "Traceback" not in server.log(), server.log()
