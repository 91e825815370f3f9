"""Issue 10 for external material sign-off, as its people find it in a real browser, in Kazakh: the unit head
chooses the unit by name, has a refused form handed back with both files already received, is told the case went
to the MCD specialists' queue, and withdraws a second material before anyone decided it; the specialist is told
of both, returns the material, sees which file changed in the next round and approves after a confirmation; the
tasks say who of the queue did them; the sign-off sheet names the unit in Kazakh with one date format; the head of
MCD reads the archive on a 390 px phone. A shorter pass in Russian ends it."""
from __future__ import annotations

import re

import pytest

from tests import samples
from tests.e2e.helpers import INSTANCE_URL, log_out, pdf_to_text
from tests.e2e.walkthrough import (
    DATE,
    DATETIME,
    DESKTOP,
    PHONE,
    assert_rows_stacked,
    browser_page,
    choose_language,
    log_in_as,
    open_task,
)
from tests.helpers import event_date

pytestmark = pytest.mark.e2e

TITLE = "Талапкерлерге арналған буклет — kk e2e"
WITHDRAWN_TITLE = "Ашық есік күнінің постері — kk e2e"
WITHDRAW_REASON = "Ашық есік күні кейінге қалдырылды."
COMMENT = "Буклеттің қазақша нұсқасын қосыңыз."
REMARK = "Қазақша нұсқасы жоқ."
CHECKLIST = ("logo", "colours", "fonts", "languages", "contacts", "accuracy")
HEAD_NAME = "Ғалым Серікұлы Жақсыбеков"
HEAD_KK = "Ақпараттық жүйелер кафедрасының меңгерушісі"
SPECIALIST_NAME = "Айгерім Болатқызы Сейітова"
UNIT_KK, UNIT_RU = "Ақпараттық жүйелер кафедрасы", "Кафедра информационных систем"
FACULTY_KK, FACULTY_RU = "Инженерлік факультеті", "Инженерный факультет"


def fill_material(form, title: str, planned: str) -> None:
    form.locator("#field-title").fill(title)
    form.locator("#field-material_type").select_option("booklet")
    form.locator("#field-channel").select_option("print")
    form.locator("input[name=audiences][value=applicants]").check()
    form.locator("#field-planned_date").fill(planned)
    form.locator("#field-description").fill("Талапкерлерге арналған буклет.")


def answer_checklist(form, failed: dict[str, str] | None = None) -> None:
    failed = failed or {}
    for item in CHECKLIST:
        answer = "false" if item in failed else "true"
        form.locator(f"input[type=radio][name='checklist.{item}.ok'][value={answer}]").check()
        if item in failed:
            form.locator(f"input[name='checklist.{item}.remark']").fill(failed[item])


def test_material_signoff_walkthrough_in_kazakh_then_russian(kelisim_server, e2e_browser, tmp_path):
    from playwright.sync_api import expect

    server = kelisim_server
    planned = event_date(20)
    booklet, poster = tmp_path / "буклет.pdf", tmp_path / "постер.png"
    booklet.write_bytes(samples.pdf("booklet, first version"))
    poster.write_bytes(samples.png("poster"))
    revised = tmp_path / "revised"
    revised.mkdir()
    (revised / "буклет.pdf").write_bytes(samples.pdf("booklet, second version: kk, ru, en"))

    with browser_page(e2e_browser, server, tmp_path, "kk") as page:
        # 15. The unit head chooses the unit by its name: their own, or the faculty above it.
        log_in_as(page, server, "unit.head")
        page.goto("/processes/material_signoff/new")
        expect(page.locator("h1")).to_have_text("Сыртқы материалдарды келісу")
        form = page.locator("form.task-form")
        unit = form.locator("select#field-unit")
        expect(unit).to_have_value("FE-IS")
        assert unit.locator("option").all_inner_texts() == [UNIT_KK, FACULTY_KK]
        fill_material(form, "   ", planned)  # a blank title: the browser lets it through, the server does not
        expect(form.locator("#field-description-limit")).to_contain_text("20 000 таңбаның")
        form.locator("input[type=file][name=file]").set_input_files([booklet, poster])
        form.locator("button[type=submit]").click()
        # 8–10. Refused: the message names the field; every value and both files come back, already received.
        summary = page.locator("#error-summary")
        expect(summary).to_contain_text("Тақырыбы: Бұл өрісті толтыру міндетті.")
        expect(page.locator("#field-material_type")).to_have_value("booklet")
        expect(page.locator("#field-planned_date")).to_have_value(planned)
        expect(page.locator("input[name=audiences][value=applicants]")).to_be_checked()
        received = page.locator(".received-files li")
        expect(received).to_have_count(2)
        expect(page.locator(".received-files")).to_contain_text("буклет.pdf")
        expect(page.locator(".received-files")).to_contain_text("постер.png")
        page.locator("#field-title").fill(TITLE)
        page.locator("form.task-form button[type=submit]").click()  # the files come along unchosen
        expect(page).to_have_url(INSTANCE_URL)
        instance_id = int(INSTANCE_URL.search(page.url).group(1))
        # 11. It went to the MCD specialists' queue, whose only member is named; 1. both files, with who
        # uploaded them and when.
        expect(page.locator("#done-alert .sent-to-holder")).to_have_text(
            "Айгерім Болатқызы Сейітова, Маркетинг және коммуникациялар бөлімінің маманы")
        rows = page.locator("section[aria-labelledby=files-title] tr.file-row")
        expect(rows).to_have_count(2)
        expect(rows.locator("td[data-label='Жүктеген']").first).to_have_text(HEAD_NAME)
        expect(rows.locator("td[data-label='Жүктелген уақыты']").first).to_have_text(DATETIME)
        poster_view = rows.filter(has_text="постер.png").locator("a.file-open").get_attribute("href")
        response = page.request.get(poster_view)
        assert response.status == 200 and response.headers["content-type"] == "image/png"
        assert response.headers["content-disposition"].startswith("inline")
        expect(page.locator(".version .round-files")).to_contain_text("буклет.pdf (1-нұсқа")

        # 13. A second material, withdrawn before the MCD decided on it: the reason, a ticked confirmation.
        page.goto("/processes/material_signoff/new")
        form = page.locator("form.task-form")
        fill_material(form, WITHDRAWN_TITLE, planned)
        form.locator("input[type=file][name=file]").set_input_files(poster)
        form.locator("button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        withdrawn_id = int(INSTANCE_URL.search(page.url).group(1))
        page.locator("details#withdraw summary").click()
        page.locator("#withdraw-reason").fill(WITHDRAW_REASON)
        page.locator("#withdraw-confirm").check()
        page.locator("form.withdraw-form button[type=submit]").click()
        expect(page).to_have_url(re.compile(rf"/instances/{withdrawn_id}"))
        expect(page.locator(".badge-outcome-withdrawn").first).to_have_text("Кері қайтарып алынды")
        log_out(page)

        # 20. The specialist: told of the new material and of the withdrawn one (its task is gone).
        log_in_as(page, server, "mcd.specialist")
        page.goto("/notifications")
        expect(page.locator("li.notif-task_assigned.is-unread").filter(has_text=TITLE)).to_have_count(1)
        gone = page.locator("li.notif-withdrawn").filter(has_text=WITHDRAWN_TITLE)
        expect(gone).to_contain_text("кері қайтарып алынды")
        expect(gone).to_contain_text(WITHDRAW_REASON)
        page.goto("/inbox")
        expect(page.locator("li.task-card").filter(has_text=WITHDRAWN_TITLE)).to_have_count(0)
        open_task(page, TITLE, "Материалды тексеру")
        expect(page.locator("#action-title")).to_have_text("Материалды тексеру")  # 17
        first_round = page.locator("table.table-round-files tbody tr")
        expect(first_round).to_have_count(2)
        expect(first_round.locator(".badge-change")).to_have_text(["Жаңа", "Жаңа"])
        form = page.locator("form.task-form")
        answer_checklist(form, {"languages": REMARK})
        form.locator("input[name=decision][value=revise]").check()
        form.locator("#field-comment").fill(COMMENT)
        form.locator("button[type=submit]").click()  # returning is not final: no confirmation
        expect(page).to_have_url(INSTANCE_URL)
        expect(page.locator("#done-alert .sent-to-holder")).to_have_text(f"{HEAD_NAME}, {HEAD_KK}")
        log_out(page)

        # The unit head: the comment, the files kept from round 1, a new version of the booklet.
        log_in_as(page, server, "unit.head")
        page.goto("/notifications")
        expect(page.locator("li.notif-revision_requested").filter(has_text=TITLE)).to_contain_text(COMMENT)
        open_task(page, TITLE, "Материалды пысықтау")
        expect(page.locator(".comment-latest .comment-text")).to_have_text(COMMENT)
        form = page.locator("form.task-form")
        expect(form.locator("select#field-unit")).to_have_value("FE-IS")
        expect(form.locator(".kept-files-list li")).to_have_count(2)
        form.locator("input[type=file][name=file]").set_input_files(revised / "буклет.pdf")
        form.locator("button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        expect(page.locator("details.version[open] .version-title")).to_have_text("2-кезең")
        log_out(page)

        # 4. The specialist sees which file changed since round 1, and approves after the confirmation (11).
        log_in_as(page, server, "mcd.specialist")
        open_task(page, TITLE, "Материалды тексеру")
        expect(page.locator("#changes-title")).to_contain_text("Осы кезеңдегі файлдар")
        changed = page.locator("table.table-round-files tbody tr").filter(has_text="буклет.pdf")
        expect(changed.locator(".badge-change")).to_have_text("Алдыңғы кезеңнен бері өзгерген")
        expect(changed.locator(".file-meta")).to_contain_text("2-нұсқа")
        kept = page.locator("table.table-round-files tbody tr").filter(has_text="постер.png")
        expect(kept.locator(".badge-change")).to_have_text("Өзгермеген")
        form = page.locator("form.task-form")
        answer_checklist(form)
        form.locator("input[name=decision][value=approve]").check()
        form.locator("button[type=submit]").click()
        box = page.locator("#confirm-box")
        expect(box).to_contain_text("келісу парағын дәл қазір береді")
        box.locator("#field-confirm").check()
        page.locator("form.task-form button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        expect(page.locator("#done-alert .sent-to")).to_have_text("Іс аяқталды: Келісілді.")
        log_out(page)

        # 16. The unit head: who of the queue did each task; 5, 6. the sign-off sheet in Kazakh, one date format.
        log_in_as(page, server, "unit.head")
        page.goto(f"/instances/{instance_id}")
        reviews = page.locator("section[aria-labelledby=tasks-title] tbody tr").filter(has_text="Материалды тексеру")
        expect(reviews).to_have_count(2)
        expect(reviews.locator(".task-done-by")).to_have_text([SPECIALIST_NAME, SPECIALIST_NAME])
        expect(reviews.first.locator(".cell-sub")).to_have_text("МКБ маманы")
        expect(page.locator("section[aria-labelledby=files-title] tr.file-row")).to_have_count(3)
        card = page.locator(".doc-card")
        expect(card.locator(".doc-title")).to_have_text("Келісу парағы")
        code = card.locator("a[href^='/verify/'] code").inner_text().strip()
        with page.expect_download() as download_info:
            card.locator("a[href^='/documents/']").click()
        pdf_path = tmp_path / "sheet.pdf"
        download_info.value.save_as(pdf_path)
        sheet = " ".join(pdf_to_text(pdf_path).split())
        assert "Келісу парағы" in sheet and "Лист согласования" in sheet, sheet[:1500]
        assert "Ақпараттық жүйелер кафедрасы" in sheet and "Буклет" in sheet, sheet[:1500]
        assert re.search(r"\d\d\.\d\d\.20\d\d, \d\d:\d\d", sheet), sheet[:1500]
        assert not re.search(r"\b20\d\d-\d\d-\d\d\b", sheet), sheet[:1500]
        log_out(page)

        # 22. The head of MCD reads the archive on a phone: its rows stacked, in Kazakh.
        log_in_as(page, server, "mcd.head")
        page.set_viewport_size(PHONE)
        page.goto("/archive")
        row = page.locator("table.table-archive tbody tr").filter(has_text=TITLE)
        expect(row).to_have_count(1)
        expect(row.locator("td[data-label='Құрылымдық бөлімше']")).to_have_text(UNIT_KK)
        expect(row.locator("td[data-label='Материал түрі']")).to_have_text("Буклет")
        expect(row.locator("td[data-label='Жариялаудың жоспарланған күні']")).to_have_text(DATE)
        expect(page.locator("table.table-archive tbody tr").filter(has_text=WITHDRAWN_TITLE)).to_have_count(0)
        assert_rows_stacked(page, "table.table-archive")
        page.screenshot(path=str(tmp_path / "archive-390-kk.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        log_out(page)

    # The same in Russian: the unit by its Russian name, the tasks' queue, the sheet and its public check.
    with browser_page(e2e_browser, server, tmp_path, "ru") as page:
        log_in_as(page, server, "unit.head", "ru")
        page.goto("/processes/material_signoff/new")
        assert page.locator("select#field-unit option").all_inner_texts() == [UNIT_RU, FACULTY_RU]
        page.goto(f"/instances/{instance_id}")
        expect(page.locator(".doc-card .doc-title")).to_have_text("Лист согласования")
        reviews = page.locator("section[aria-labelledby=tasks-title] tbody tr").filter(has_text="Проверить материал")
        expect(reviews.first.locator(".cell-sub")).to_have_text("Специалист ОМК")
        expect(page.locator("section[aria-labelledby=files-title] h2")).to_contain_text("Файлы")
        page.goto(f"/instances/{withdrawn_id}")
        expect(page.locator(".badge-outcome-withdrawn").first).to_have_text("Отозвано")
        log_out(page)
        page.goto(f"/verify/{code}")
        choose_language(page, "ru")
        expect(page.locator(".verdict-ok")).to_be_visible()
        expect(page.locator("main")).to_contain_text("Подлинный лист согласования")
        expect(page.locator("main")).to_contain_text(UNIT_RU)
        expect(page.locator("main")).not_to_contain_text(UNIT_KK)
    assert "Traceback" not in server.log(), server.log()
