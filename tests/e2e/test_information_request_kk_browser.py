"""Issue 10 for the written information request, as its users find it in a real browser, in Kazakh, with a
shorter pass in Russian: the log-in page names the process; the registry clerk registers a letter (a refused
form keeps every value and the scan); the page says who the case went to; the rector decides, the unit head
answers (a final step asks first); the rector's notice leads to the answer, the done task's notice is
resolved; the clerk dispatches by post to an address given at dispatch (the methods fit the contact data,
every error at once); the letter is Kazakh to its signature with one date format; the page reads on a
390 px phone; in Russian the sections, the dispatch and the public check of the letter."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from processes import catalog
from processes.university_time import local
from storage.models import utcnow
from tests import samples
from tests.e2e.conftest import ACTION_TIMEOUT_MS
from tests.e2e.helpers import INSTANCE_URL, confirm_and_submit, log_in, log_out, pdf_to_text
from tests.e2e.walkthrough import PHONE, assert_rows_stacked

pytestmark = pytest.mark.e2e

SUBJECT = "Оқу ақысы туралы ақпарат — kk жол"
ANSWER = "2026–2027 оқу жылындағы оқу ақысы 950 000 теңге."
ADDRESS = "110000, Қостанай қ., Байтұрсынұлы к-сі, 47, 12-пәтер"
TRACKING = "KZ123456789KZ"
REGISTRY, RECTOR, UNIT_HEAD = "Жанна Әміржанқызы Бекова", "Бақыт Әбдірахманұлы Дүйсенов", "Ғалым Серікұлы Жақсыбеков"
DATE = r"\d\d\.\d\d\.20\d\d"
DATETIME = re.compile(rf"{DATE}, \d\d:\d\d")


def _context(browser, server, locale, viewport=None):
    context = browser.new_context(base_url=server.base_url, locale=locale, timezone_id="Asia/Almaty",
                                  extra_http_headers={"Accept-Language": locale.split("-")[0]},
                                  viewport=viewport or {"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


def test_information_request_walkthrough_in_kazakh_and_russian(e2e_browser, kelisim_server, tmp_path):
    from playwright.sync_api import expect

    server = kelisim_server
    scan = tmp_path / "хат-скан.pdf"
    scan.write_bytes(samples.pdf("the requester's letter"))
    enclosure = tmp_path / "oqu-aqysy.pdf"
    enclosure.write_bytes(samples.pdf("tuition fees 2026"))
    received = local(utcnow() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    tomorrow = local(utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    kk = _context(e2e_browser, server, "kk-KZ")
    page = kk.new_page()
    try:
        # 21. The log-in page names every process, this one among them, in Kazakh.
        page.goto("/login")
        expect(page.locator("html")).to_have_attribute("lang", "kk")
        expect(page.locator(".login-process")).to_have_count(len(catalog.kinds()))
        expect(page.locator(".login-process[data-process=information_request] .login-process-title")
               ).to_have_text("Ақпаратқа жазбаша сұрау салу")

        # 8-9. The registry clerk registers the letter: no address at all and a date of receipt in the future
        #    are refused by the server, both at once, each named by its field; every value and the scan come
        #    back.
        log_in(page, server, "registry")
        page.locator("nav.main-nav a[href='/processes']").click()
        page.locator("a[href='/processes/information_request/new']").click()
        expect(page.locator("main h1")).to_have_text("Ақпаратқа жазбаша сұрау салу")
        form = page.locator("form.task-form")
        form.locator("#field-requester_name").fill("Ерлан Сапаров")
        form.locator("#field-requester_kind").select_option("person")
        form.locator("#field-subject").fill(SUBJECT)
        form.locator("#field-items").fill("2026–2027 оқу жылындағы оқу ақысының мөлшері")
        expect(form.locator("#field-items-limit")).to_contain_text("10 000 таңбаның 44")  # 10. the limit, counted
        form.locator("input[name=form][value=electronic]").check()
        form.locator("input[name=language][value=kk]").check()
        form.locator("#field-received_at").fill(tomorrow)
        form.locator("#field-file_ids").set_input_files(str(scan))
        form.locator("button[type=submit]").click()
        summary = page.locator("#error-summary")
        expect(summary.locator("li")).to_have_count(2)
        expect(summary).to_contain_text(
            "Электрондық пошта: Электрондық пошта мекенжайын немесе пошталық мекенжайды көрсетіңіз.")
        expect(summary).to_contain_text("Түскен күні: Түскен күні болашақта болмауы тиіс.")
        expect(page.locator("#field-subject")).to_have_value(SUBJECT)
        expect(page.locator("#field-requester_name")).to_have_value("Ерлан Сапаров")
        received_files = page.locator(".received-files")
        expect(received_files).to_contain_text("Қабылданған файлдар")
        expect(received_files).to_contain_text("хат-скан.pdf")
        page.locator("#field-email").fill("erlan@example.kz")
        page.locator("#field-received_at").fill(received)
        page.locator("form.task-form button[type=submit]").click()  # the scan comes along without choosing it
        expect(page).to_have_url(INSTANCE_URL)
        instance_id = int(INSTANCE_URL.search(page.url).group(1))

        # 11. The page says who the case went to: the rector, by name and position.
        sent = page.locator("#done-alert .sent-to")
        expect(sent).to_contain_text("Жіберілді:")
        expect(sent.locator(".sent-to-holder")).to_have_text(f"{RECTOR}, Ректор")
        heading = page.locator("#request-title")
        reg_number = re.search(r"IR-\d{4}-\d{5}", heading.inner_text()).group(0)
        expect(heading).to_contain_text("Жазбаша сұрау салу")
        # 2. Request, Decision, Answer and Letter, each in its own section; 6–7. one date format, the deadline
        #    as its last day.
        request = page.locator("section[aria-labelledby=request-title]")
        assert DATETIME.search(request.inner_text())  # received
        expect(page.locator(".summary-bar")).to_contain_text(re.compile(rf"{DATE} күннің соңына дейін"))
        expect(page.locator("#ir-decision-title")).to_have_text("Шешім")
        expect(page.locator("section[aria-labelledby=ir-decision-title]")).to_contain_text("Ректор әлі шешім")
        expect(page.locator("#ir-answer-title")).to_have_text("Жауап")
        expect(page.locator("#ir-letter-title")).to_have_text("Хат")
        # 1. The scan in the case's files: who uploaded it, Open and Download.
        files = page.locator("section[aria-labelledby=files-title]")
        expect(files.locator("#files-title")).to_contain_text("Файлдар")
        row = files.locator("tr.file-row").filter(has_text="хат-скан.pdf")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(REGISTRY)
        expect(row.locator("a.file-open")).to_have_attribute("href", re.compile(r"^/files/\d+/view$"))
        expect(row.locator("a.file-download")).to_contain_text("Жүктеп алу")
        log_out(page)

        # 2. The rector decides: the deadline in the inbox is a day; the task page shows the scan; the unit is
        #    chosen by its name; providing is not final, so it goes through at once, to the unit head.
        log_in(page, server, "rector")
        card = page.locator("li.task-card").filter(has_text=SUBJECT)
        expect(card).to_contain_text("Сұрау салу бойынша шешім қабылдау")
        expect(card).to_contain_text("күннің соңына дейін")
        card.locator(".task-card-title a").click()
        expect(page.locator("#action-title")).to_have_text("Сұрау салу бойынша шешім қабылдау")  # 17. what they do
        expect(page.locator("section[aria-labelledby=files-title] tr.file-row")).to_have_count(1)
        page.locator("input[name=decision][value=provide]").check()
        unit = page.locator("#field-responsible_unit")
        expect(unit.locator("option[value=FE-IS]")).to_contain_text("Ақпараттық жүйелер")
        unit.select_option("FE-IS")
        page.locator("form.task-form button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        expect(page.locator("#done-alert .sent-to-holder")).to_contain_text(UNIT_HEAD)
        decision = page.locator("section[aria-labelledby=ir-decision-title]")
        expect(decision).to_contain_text(RECTOR)
        expect(decision).to_contain_text("Ұсыну")
        log_out(page)

        # 3. The unit head answers with an enclosure: submitting issues the letter, so the page asks first.
        log_in(page, server, "unit.head")
        card = page.locator("li.task-card").filter(has_text=SUBJECT)
        expect(card).to_contain_text("Жауап дайындау")
        card.locator(".task-card-title a").click()
        page.locator("#field-answer_text").fill(ANSWER)
        page.locator("#field-file_ids").set_input_files(str(enclosure))
        page.locator("#field-accuracy_confirmed").check()
        page.locator("form.task-form button[type=submit]").click()
        box = page.locator("#confirm-box")
        expect(box.locator("h2")).to_have_text("Растаңыз")
        expect(box).to_contain_text("Жауапты жіберу сұрау салуды аяқтайды")
        expect(page.locator("#field-answer_text")).to_have_value(ANSWER)
        expect(page.locator(".received-files")).to_contain_text("oqu-aqysy.pdf")  # kept while it asks
        box.locator("#field-confirm").check()
        page.locator("form.task-form button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        expect(page.locator("section[aria-labelledby=ir-letter-title] a.ir-letter-link")
               ).to_have_text(re.compile(r"OUT-\d{4}-\d{5}"))
        log_out(page)

        # 2, 20. The rector is told the letter went out over their signature; the decision task's notice is
        #    marked done; "Open" leads to the answer and marks the notice read.
        log_in(page, server, "rector")
        page.goto("/notifications")
        notice = page.locator("li.notif-letter_issued").filter(has_text=SUBJECT)
        expect(notice).to_contain_text("қолыңызбен")
        expect(notice).to_have_class(re.compile("is-unread"))
        expect(notice.locator(".badge-new")).to_have_text("Жаңа")
        assigned = page.locator("li.notif.is-resolved").filter(has_text=SUBJECT)
        expect(assigned.first.locator(".badge-resolved")).to_have_text("Орындалды")
        notice_id = notice.get_attribute("id")
        notice.locator("form[action$='/open'] button").click()
        expect(page).to_have_url(re.compile(rf"/instances/{instance_id}#ir-answer-title$"))
        expect(page.locator("section[aria-labelledby=ir-answer-title]")).to_contain_text(ANSWER)
        expect(page.locator("section[aria-labelledby=ir-answer-title]")).to_contain_text(UNIT_HEAD)
        page.goto("/notifications")
        expect(page.locator(f"#{notice_id}")).not_to_have_class(re.compile("is-unread"))
        log_out(page)

        # 12. The clerk dispatches: Kelisim's own mail is not offered (no mail on this server); post without
        #     a tracking number and without an address (none registered) is refused with both errors at once.
        log_in(page, server, "registry")
        page.goto(f"/instances/{instance_id}")
        dispatch = page.locator("section[aria-labelledby=dispatch-title]")
        expect(dispatch.locator("#dispatch-title")).to_have_text("Хатты жөнелту")
        expect(dispatch.locator("input[name=method][value=email]")).to_have_count(0)
        expect(dispatch.locator("input[name=method][value=email_manual]")).to_have_count(1)
        expect(dispatch.locator("input[name=method][value=in_person]")).to_have_count(1)
        expect(dispatch.locator("#field-postal_address")).to_have_count(1)  # asked: none was registered
        dispatch.locator("input[name=method][value=post]").check()
        dispatch.locator("button[type=submit]").click()
        dispatch = page.locator("section[aria-labelledby=dispatch-title]")
        summary = page.locator("#error-summary")
        expect(summary).to_contain_text("Трек-нөмірі")
        expect(summary).to_contain_text("Сұрау салуда пошта мекенжайы тіркелмеген")
        dispatch.locator("input[name=method][value=post]").check()
        dispatch.locator("#field-postal_address").fill(ADDRESS)
        dispatch.locator("#field-tracking_number").fill(TRACKING)
        dispatch.locator("button[type=submit]").click()
        box = page.locator("#confirm-box")
        expect(box).to_contain_text(f"{ADDRESS} мекенжайына поштамен жіберілгені тіркеледі, трек-нөмірі {TRACKING}")
        assert confirm_and_submit(page, "section[aria-labelledby=dispatch-title] form") == instance_id
        # the dispatch as recorded (Letter section or register entry: the page says it once, in Kazakh)
        main = page.locator("main")
        expect(main).to_contain_text(f"Пошта {TRACKING}")
        expect(main).to_contain_text(f"мекенжайы: {ADDRESS}")
        request = page.locator("section[aria-labelledby=request-title]")
        expect(request).to_contain_text(ADDRESS)  # the register keeps the address given at dispatch
        expect(page.locator("section[aria-labelledby=dispatch-title]")).to_have_count(0)
        page.locator("nav.main-nav a[href='/requests']").click()  # the register: answered, sent
        row = page.locator("table.table-register tbody tr").filter(has_text=reg_number)
        expect(row).to_contain_text("Ерлан Сапаров")
        expect(row).not_to_contain_text("Жөнелтуді күтуде")
        page.go_back()

        # 5, 6. The letter: Kazakh to its signature, the rector's position in Kazakh, one date format.
        with page.expect_download() as download_info:
            page.locator(".doc-card .doc-action a[href^='/documents/']").first.click()
        pdf_path = tmp_path / "letter.pdf"
        download_info.value.save_as(str(pdf_path))
        text = " ".join(pdf_to_text(pdf_path).split())
        assert reg_number in text and ANSWER in text, text[:600]
        assert RECTOR in text and "Ректор" in text and "Rector" not in text
        assert "oqu-aqysy.pdf" in text  # the enclosure named in the letter
        assert re.search(DATE, text) and not re.search(r"\b20\d\d-\d\d-\d\d\b", text), text[:600]

        # 22. On a 390 px phone the page's tables read as stacked rows.
        page.set_viewport_size(PHONE)
        page.goto(f"/instances/{instance_id}")
        assert_rows_stacked(page, "section[aria-labelledby=files-title] table.table-files")
        assert_rows_stacked(page, "section[aria-labelledby=tasks-title] table")
        page.screenshot(path=str(tmp_path / "request-390-kk.png"), full_page=True)
        code = page.locator(".doc-card a[href^='/verify/'] code").first.inner_text()
    finally:
        kk.close()

    # Russian: the auditor reads the same case; anyone checks the letter's code on the public page.
    ru = _context(e2e_browser, server, "ru-RU")
    page = ru.new_page()
    try:
        log_in(page, server, "auditor")
        page.goto(f"/instances/{instance_id}")
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        expect(page.locator("#request-title")).to_contain_text("Письменный запрос")
        expect(page.locator("#ir-decision-title")).to_have_text("Решение")
        expect(page.locator("#ir-answer-title")).to_have_text("Ответ")
        expect(page.locator("#ir-letter-title")).to_have_text("Письмо")
        main = page.locator("main")
        expect(main).to_contain_text(f"Почта {TRACKING}")
        expect(main).to_contain_text(f"по адресу: {ADDRESS}")
        expect(page.locator(".summary-bar")).to_contain_text("до конца дня")
        tasks = page.locator("section[aria-labelledby=tasks-title] tbody tr")
        expect(tasks.filter(has_text="Принять решение по запросу").locator(".task-done-by")).to_have_text(RECTOR)
        log_out(page)
        page.goto("/verify")
        page.locator("#verify-code").fill(code.lower())
        page.locator("form.verify-card[role=search] button[type=submit]").click()
        expect(page).to_have_url(re.compile(rf"/verify/{code}$"))
        main = page.locator("main")
        expect(main).to_contain_text("Ответное письмо")
        expect(main).to_contain_text(reg_number)
        expect(main).to_contain_text(f"{RECTOR}, Ректор")
    finally:
        ru.close()
