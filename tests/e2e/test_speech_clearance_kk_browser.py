"""Issue 10 for speech text clearance, as its people find it in a real browser, in Kazakh: the employee submits
(every error at once, the file kept, the limit counted), is told whom the text went to and finds every file on the
case's page (also on a 390 px phone); the vice-rector for finance is led by a notice, returns the text, reads what
changed word by word and which file changed, and approves after a confirmation; the employee downloads the
certificate (the position in Kazakh, one date format) and anyone checks its code on /verify. A shorter pass in
Russian ends it."""
from __future__ import annotations

import re

import pytest

from processes import catalog
from tests import samples
from tests.e2e.helpers import INSTANCE_URL, log_out, pdf_to_text
from tests.e2e.walkthrough import (
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

TITLE = "Университет қаржысы туралы баяндама — kk e2e"
FIRST_TEXT = "Баяндаманың тезистері: 2026 жылғы бюджет және шығыстар."
SECOND_TEXT = "Баяндаманың тезистері: 2026 жылғы бюджет және стратегия."
COMMENT = "Шығыстар туралы бөлімді алып тастаңыз."
VR_NAME = "Гүлнар Маратқызы Әлиева"
VR_KK = "Қаржы және экономика жөніндегі проректор"
VR_RU = "Проректор по финансам и экономике"
EMPLOYEE_NAME = "Әсел Нұрланқызы Қанатова"
def test_speech_clearance_walkthrough_in_kazakh_then_russian(kelisim_server, e2e_browser, tmp_path):
    from playwright.sync_api import expect

    server = kelisim_server
    theses_v1, revised = tmp_path / "тезистер.pdf", tmp_path / "revised"
    theses_v1.write_bytes(samples.pdf("theses, first version"))
    revised.mkdir()
    (revised / "тезистер.pdf").write_bytes(samples.pdf("theses, second version"))

    with browser_page(e2e_browser, server, tmp_path, "kk") as page:
        # 21. The login page, in Kazakh, names every process, this one first.
        page.goto("/login")
        choose_language(page, "kk")
        processes = page.locator("li.login-process")
        expect(processes).to_have_count(len(catalog.kinds()))
        expect(processes.first.locator(".login-process-title")).to_have_text("Сөз сөйлеу мәтінін келісу")
        expect(page.locator(".login-processes")).to_contain_text("Сыртқы материалдарды келісу")

        # 1. The employee fills the form; the theses' limit is counted at the field (9).
        log_in_as(page, server, "employee")
        page.goto("/processes/speech_clearance/new")
        expect(page.locator("h1")).to_have_text("Сөз сөйлеу мәтінін келісу")
        form = page.locator("form.task-form")
        form.locator("#field-event_name").fill("Цифрлық университет 2026")
        form.locator("#field-event_kind").select_option("conference")
        form.locator("#field-organizer").fill("KInEU")
        form.locator("#field-location").fill("Қостанай, мәжіліс залы")
        form.locator("#field-text").fill(FIRST_TEXT)
        expect(form.locator("#field-text-limit")).to_contain_text(f"200 000 таңбаның {len(FIRST_TEXT)}")
        form.locator("input[name=categories][value=finance]").check()
        form.locator("#field-file_ids").set_input_files(theses_v1)
        # two mistakes the browser cannot see: a blank title and an event that is over (8, 10)
        form.locator("#field-title").fill("   ")
        form.locator("#field-event_date").fill(event_date(-1))
        form.locator("button[type=submit]").click()
        summary = page.locator("#error-summary")
        expect(summary).to_be_visible()
        expect(summary.locator("li")).to_have_count(2)  # every error at once, each by its field's label
        expect(summary).to_contain_text("Іс-шара күні: Күн бүгінгі күннен кейін болуы тиіс.")
        expect(summary).to_contain_text("Тақырыбы: Бұл өрісті толтыру міндетті.")
        expect(page.locator("#field-text")).to_have_value(FIRST_TEXT)  # every value is kept
        expect(page.locator("#field-event_name")).to_have_value("Цифрлық университет 2026")
        expect(page.locator("input[name=categories][value=finance]")).to_be_checked()
        expect(page.locator(".received-files")).to_contain_text("тезистер.pdf")  # the file already received
        page.locator("#field-title").fill(TITLE)
        page.locator("#field-event_date").fill(event_date(20))
        page.locator("form.task-form button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        instance_id = int(INSTANCE_URL.search(page.url).group(1))

        # 11. The page says whom the text went to: the vice-rector, with her position in Kazakh.
        sent = page.locator("#done-alert .sent-to")
        expect(sent).to_contain_text("Жіберілді:")
        expect(sent.locator(".sent-to-holder")).to_have_text(f"{VR_NAME}, {VR_KK}")
        # 1. Its files, with who uploaded them and when (6: one date-time format); the file opens inline.
        files = page.locator("section[aria-labelledby=files-title]")
        expect(files.locator("h2")).to_contain_text("Файлдар")
        row = files.locator("table.table-files tr.file-row")
        expect(row).to_have_count(1)
        expect(row.locator(".file-name")).to_have_text("тезистер.pdf")
        expect(row.locator("td[data-label='Жүктеген']")).to_have_text(EMPLOYEE_NAME)
        expect(row.locator("td[data-label='Жүктелген уақыты']")).to_have_text(DATETIME)
        view = row.locator("a.file-open")
        expect(view).to_have_attribute("href", re.compile(r"^/files/\d+/view$"))
        response = page.request.get(view.get_attribute("href"))
        assert response.status == 200 and response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"].startswith("inline")
        # 7. The deadline is the event's eve, as a last day; 13. the submitter may still withdraw.
        expect(page.locator(".summary-bar")).to_contain_text(re.compile(r"\d\d\.\d\d\.20\d\d күннің соңына дейін"))
        expect(page.locator("details#withdraw summary")).to_have_text("Жіберілгенді кері қайтарып алу")
        # 22. On a phone the tables stack: the files and the tasks.
        page.set_viewport_size(PHONE)
        page.goto(f"/instances/{instance_id}")
        assert_rows_stacked(page, "section[aria-labelledby=files-title] table")
        assert_rows_stacked(page, "section[aria-labelledby=tasks-title] table")
        page.screenshot(path=str(tmp_path / "instance-390-kk.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        log_out(page)

        # 2. The vice-rector: a new notice; "Open" leads to the case and marks it read (20).
        log_in_as(page, server, "vr.finance")
        page.goto("/notifications")
        notice = page.locator("li.notif-task_assigned").filter(has_text=TITLE)
        expect(notice).to_have_count(1)
        expect(notice).to_have_class(re.compile(r"\bis-unread\b"))
        expect(notice.locator(".badge-new")).to_have_text("Жаңа")
        notice.locator("form[action$='/open'] button").click()
        expect(page).to_have_url(re.compile(rf"/instances/{instance_id}(#.*)?$"))
        page.goto("/notifications")
        expect(notice).not_to_have_class(re.compile(r"\bis-unread\b"))
        expect(notice.locator(".badge-new")).to_have_count(0)
        open_task(page, TITLE, "Сөз сөйлеу мәтінін келісу")
        # 17. The form is headed by what she does; 1. the employee's file is on the task page too.
        expect(page.locator("#action-title")).to_have_text("Сөз сөйлеу мәтінін келісу")
        expect(page.locator("table.table-files tr.file-row")).to_have_count(1)
        page.locator("input[name=decision][value=revise]").check()
        page.locator("#field-comment").fill(COMMENT)
        page.locator("form.task-form button[type=submit]").click()  # returning is not final: no confirmation
        expect(page).to_have_url(INSTANCE_URL)
        expect(page.locator("#done-alert .sent-to-holder")).to_contain_text(f"{EMPLOYEE_NAME}, Аға оқытушы")
        log_out(page)

        # 3. The employee is told, with the comment; she revises the theses and gives a new file version.
        log_in_as(page, server, "employee")
        page.goto("/notifications")
        returned = page.locator("li.notif-revision_requested")
        expect(returned).to_contain_text("пысықтауға қайтарылды")
        expect(returned).to_contain_text(COMMENT)
        open_task(page, TITLE, "Сөз сөйлеу мәтінін пысықтау")
        expect(page.locator(".comment-latest .comment-text")).to_have_text(COMMENT)
        expect(page.locator("#field-title")).to_have_value(TITLE)
        page.locator("#field-text").fill(SECOND_TEXT)
        page.locator("#field-file_ids").set_input_files(revised / "тезистер.pdf")
        page.locator("form.task-form button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        log_out(page)

        # 4. The vice-rector reads what changed, word by word, and which file changed.
        log_in_as(page, server, "vr.finance")
        open_task(page, TITLE, "Сөз сөйлеу мәтінін келісу")
        expect(page.locator("#version-2-diff")).to_have_text("1-нұсқадан бергі өзгерістер")
        diff = page.locator(".version-diff .diff")
        expect(diff.locator("del")).to_contain_text("шығыстар")
        expect(diff.locator("ins")).to_contain_text("стратегия")
        changed = page.locator("table.table-round-files tbody tr")
        expect(changed).to_have_count(1)
        expect(changed).to_contain_text("тезистер.pdf")
        expect(changed.locator(".file-meta")).to_contain_text("2-нұсқа (бұрын: 1)")
        expect(changed.locator(".download-list li")).to_have_count(2)  # this version and the one before
        page.screenshot(path=str(tmp_path / "review-2-kk.png"), full_page=True)
        # 11. Agreeing is final: the page asks first, nothing is saved until the box is ticked.
        page.locator("input[name=decision][value=approve]").check()
        page.locator("form.task-form button[type=submit]").click()
        box = page.locator("#confirm-box")
        expect(box).to_be_visible()
        expect(box).to_contain_text("дәл қазір береді; оны кері қайтаруға болмайды")
        expect(page.locator("input[name=decision][value=approve]")).to_be_checked()
        box.locator("#field-confirm").check()
        page.locator("form.task-form button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        expect(page.locator("#done-alert .sent-to")).to_have_text("Іс аяқталды: Келісілді.")
        # 20. Her task notices are done now, no longer waiting to be read.
        page.goto("/notifications")
        mine = page.locator("li.notif-task_assigned").filter(has_text=TITLE)
        expect(mine).to_have_count(2)
        expect(mine.locator(".badge-resolved")).to_have_count(2)
        expect(page.locator("li.notif.is-unread").filter(has_text=TITLE)).to_have_count(0)
        # nothing is new, so nothing is offered to mark read
        expect(page.locator("form[action='/notifications/read']")).to_have_count(0)
        log_out(page)

        # 5. The employee: the outcome notice (marked read by itself), the tasks and who did them, the certificate.
        log_in_as(page, server, "employee")
        page.goto("/notifications")
        outcome = page.locator("li.notif-outcome").filter(has_text=TITLE)
        expect(outcome).to_contain_text("Келісілді")
        outcome.locator("form[action$='/read'] button").click()
        expect(page.locator("li.notif-outcome").filter(has_text=TITLE)).not_to_have_class(
            re.compile(r"\bis-unread\b"))
        expect(page.locator("li.notif-revision_requested")).to_have_class(re.compile(r"\bis-unread\b"))
        page.goto(f"/instances/{instance_id}")
        expect(page.locator("details#withdraw")).to_have_count(0)  # decided: no withdrawing any more
        tasks = page.locator("section[aria-labelledby=tasks-title] tbody tr")
        expect(tasks).to_have_count(4)
        expect(tasks.nth(1).locator(".task-done-by")).to_have_text(VR_NAME)
        expect(tasks.nth(3).locator("td[data-label='Аяқталды']")).to_have_text(DATETIME)
        expect(page.locator("table.table-files tr.file-row")).to_have_count(2)  # both versions of the file
        card = page.locator(".doc-card")
        expect(card.locator(".doc-title")).to_have_text("Келісу туралы анықтама")
        code = card.locator("a[href^='/verify/'] code").inner_text().strip()
        with page.expect_download() as download_info:
            card.locator("a[href^='/documents/']").click()
        pdf_path = tmp_path / "certificate.pdf"
        download_info.value.save_as(pdf_path)
        pdf = " ".join(pdf_to_text(pdf_path).split())
        assert "Келісу туралы анықтама" in pdf and f"{VR_NAME} {VR_KK}" in pdf, pdf[:1500]
        assert re.search(r"Келісу күні \d\d\.\d\d\.20\d\d, \d\d:\d\d", pdf), pdf[:1500]
        assert re.search(r"Іс-шара күні \d\d\.\d\d\.20\d\d ", pdf), pdf[:1500]
        log_out(page)

        # 14. Anyone holding the paper types its code, loosely, on /verify.
        page.goto("/verify")
        choose_language(page, "kk")  # logged out: the session's language again
        expect(page.locator("#verify-form-title")).to_have_text("Құжатты коды бойынша тексеру")
        page.locator("#verify-code").fill(" ".join([code[:4].lower(), code[4:8], code[8:].lower()]))
        page.locator("form.verify-card[role=search] button[type=submit]").click()
        expect(page).to_have_url(re.compile(rf"/verify/{code}$"))
        expect(page.locator(".verdict-ok")).to_be_visible()
        expect(page.locator("main")).to_contain_text("Түпнұсқа анықтама")
        expect(page.locator("main")).to_contain_text(VR_KK)
        expect(page.locator("main")).to_contain_text(TITLE)

    # The same case in Russian: the employee's page and the public check.
    with browser_page(e2e_browser, server, tmp_path, "ru") as page:
        log_in_as(page, server, "employee", "ru")
        page.goto(f"/instances/{instance_id}")
        expect(page.locator("section[aria-labelledby=files-title] h2")).to_contain_text("Файлы")
        expect(page.locator("section[aria-labelledby=files-title] thead")).to_contain_text("Загрузил")
        expect(page.locator(".doc-card .doc-title")).to_have_text("Справка о согласовании")
        expect(page.locator("#version-2-diff")).to_have_text("Изменения по сравнению с версией 1")
        expect(page.locator("section[aria-labelledby=tasks-title] thead")).to_contain_text("Кто")
        expect(page.locator(".summary-bar")).to_contain_text(re.compile(r"до конца дня \d\d\.\d\d\.20\d\d"))
        log_out(page)
        page.goto(f"/verify/{code}")
        choose_language(page, "ru")
        expect(page).to_have_url(re.compile(rf"/verify/{code}$"))
        expect(page.locator(".verdict-ok")).to_be_visible()
        expect(page.locator("main")).to_contain_text("Подлинная справка")
        expect(page.locator("main")).to_contain_text(VR_RU)
        expect(page.locator("main")).not_to_contain_text(VR_KK)
    assert "Traceback" not in server.log(), server.log()
