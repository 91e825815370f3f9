"""Issue 10 for the policy amendment, as its users find it in a real browser, in Kazakh, with a shorter pass
in Russian: the policy's sections have titles; the head of the AMD proposes two changes ("Add another
change") from a clause's page, and the page says who the case went to; MCD consolidates; the Council's
secretary records the vote (a refused form keeps the minutes), the rector approves after a confirmation; the
finished case still shows the approved changes, the vote and the minutes, who did each queue task, and its
tables stack on a 390 px phone; the addition PDF is Kazakh with one date format; in Russian the finished
case and the section titles, and a proposal withdrawn before a decision that stays on record."""
from __future__ import annotations

import re

import pytest

from processes.university_time import today_local
from storage.models import utcnow
from tests import samples
from tests.e2e.conftest import ACTION_TIMEOUT_MS
from tests.e2e.helpers import INSTANCE_URL, log_in, log_out, pdf_to_text
from tests.e2e.walkthrough import PHONE, assert_rows_stacked

pytestmark = pytest.mark.e2e

RATIONALE = "Жедел жауап мерзімін қысқарту және саясатты қайта қарау тәртібін нақтылау — kk жол"
TEXT_1 = "МКБ шұғыл сұрау салуларына жауап 2 сағаттан аспайтын уақыт ішінде беріледі."
TEXT_2 = "Осы Саясат кемінде үш жылда бір рет қайта қаралады."
MCD_HEAD, SECRETARY, RECTOR = "Марат Ерланұлы Тоқтаров", "Ольга Николаевна Ким", "Бақыт Әбдірахманұлы Дүйсенов"
DATE = r"\d\d\.\d\d\.20\d\d"


def _context(browser, server, locale):
    context = browser.new_context(base_url=server.base_url, locale=locale, timezone_id="Asia/Almaty",
                                  extra_http_headers={"Accept-Language": locale.split("-")[0]},
                                  viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


def _open_task(page, label: str) -> None:
    from playwright.sync_api import expect

    card = page.locator("li.task-card").filter(has_text=RATIONALE[:40])
    expect(card).to_have_count(1)
    expect(card).to_contain_text(label)
    card.locator(".task-card-title a").click()


def test_policy_amendment_walkthrough_in_kazakh_and_russian(e2e_browser, kelisim_server, tmp_path):
    from playwright.sync_api import expect

    server = kelisim_server
    today = today_local(utcnow())
    minutes = tmp_path / "кеңес-хаттамасы.pdf"
    minutes.write_bytes(samples.pdf("minutes of the Academic Council"))

    kk = _context(e2e_browser, server, "kk-KZ")
    page = kk.new_page()
    try:
        # 21. The log-in page names this process too.
        page.goto("/login")
        expect(page.locator(".login-process[data-process=policy_amendment] .login-process-title")
               ).to_have_text("Саясатқа өзгеріс енгізу")

        # 19. The head of the AMD reads the policy: every section has its title, in the contents and above it.
        log_in(page, server, "amd.head")
        expect(page.locator("html")).to_have_attribute("lang", "kk")
        page.locator("nav.main-nav a[href='/policy']").click()
        expect(page.locator("#section-1-title")).to_have_text("1. Жалпы ережелер")
        expect(page.locator("#section-7-title")).to_have_text("7. Өкілеттіктер мен жауапкершілікті бөлу")
        expect(page.locator("#section-14-title")).to_have_text("14. Қорытынды ережелер")
        expect(page.locator(".policy-toc")).to_contain_text("Бұқаралық ақпарат құралдарымен өзара іс-қимыл")
        expect(page.locator(".policy-toc")).not_to_contain_text("-бөлім")  # no "Section N" placeholder

        # 18. From §7.10.2's page a proposal starts with that clause; "Add another change" adds §14.2.
        page.locator("#clause-7\\.10\\.2 a.policy-clause-number").click()
        page.locator("a[href*='/processes/policy_amendment/new']").click()
        expect(page.locator("main h1")).to_have_text("Саясатқа өзгеріс енгізу")
        form = page.locator("form.task-form")
        expect(form.locator("#field-changes-0-clause")).to_have_value("7.10.2")
        form.locator("#field-changes-0-text").fill(TEXT_1)
        rows = form.locator("[data-row]")
        count = rows.count()  # the clause's row, and a spare one
        add = form.locator("button[data-add-row]")
        expect(add).to_have_text("Тағы бір өзгеріс қосу")
        add.click()
        expect(rows).to_have_count(count + 1)
        expect(rows.nth(count).locator("legend")).to_have_text(f"{count + 1}-өзгеріс")
        expect(form.locator(f"#field-changes-{count}-clause")).to_be_focused()
        form.locator(f"#field-changes-{count}-clause").fill("14.2")
        form.locator(f"#field-changes-{count}-text").fill(TEXT_2)  # rows left empty are no change
        form.locator("#field-rationale").fill(RATIONALE)
        form.locator("button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        instance_id = int(INSTANCE_URL.search(page.url).group(1))

        # 11. The page says where the proposal went; both changes are shown word by word.
        expect(page.locator("#done-alert .sent-to")).to_contain_text("Жіберілді:")
        # the head of MCD's queue, named by its one member and position
        expect(page.locator("#done-alert .sent-to-holder")).to_contain_text(
            "Марат Ерланұлы Тоқтаров, Маркетинг және коммуникациялар бөлімінің басшысы")
        expect(page.locator("#done-alert .sent-to")).to_contain_text("Қарау және біріктіру")
        proposal = page.locator("section[aria-labelledby=proposal-title]")
        expect(proposal.locator("h2")).to_have_text("Ұсынылған өзгерістер")
        expect(proposal.locator(".policy-clause")).to_have_count(2)
        expect(proposal.locator(".policy-clause").filter(has_text="§14.2")).to_contain_text("өзгертілді")
        expect(proposal.locator("ins").first).to_be_visible()
        expect(page.locator("details#withdraw summary")).to_contain_text("Жіберілгенді кері қайтарып алу")
        log_out(page)

        # The head of MCD consolidates it as proposed.
        log_in(page, server, "mcd.head")
        _open_task(page, "Қарау және біріктіру")
        expect(page.locator("#field-changes-1-text")).to_have_value(TEXT_2)
        page.locator("input[name=decision][value=consolidate]").check()
        page.locator("form.task-form button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        log_out(page)

        # 8-9. The Council's secretary records an adoption the vote does not carry: refused with the field's
        #      label, the minutes handed back as already received; corrected, it goes through without them.
        log_in(page, server, "council.secretary")
        _open_task(page, "Ғылыми кеңестің шешімін тіркеу")
        expect(page.locator("#action-title")).to_have_text("Ғылыми кеңестің шешімін тіркеу")  # 17. what they do
        page.locator("#field-council_required").check()
        page.locator("#field-meeting_date").fill(today.isoformat())
        page.locator("input[name=council_decision][value=adopted]").check()
        page.locator("#field-votes_for").fill("2")
        page.locator("#field-votes_against").fill("30")
        page.locator("#field-votes_abstained").fill("1")
        page.locator("#field-minutes_file_id").set_input_files(str(minutes))
        page.locator("form.task-form button[type=submit]").click()
        expect(page.locator("#error-summary")).to_contain_text(
            "«Қабылданды» шешімі үшін жақтап берілген дауыстар қарсы дауыстардан көп болуы тиіс.")
        expect(page.locator(".received-files")).to_contain_text("кеңес-хаттамасы.pdf")
        expect(page.locator("#field-votes_abstained")).to_have_value("1")
        page.locator("#field-votes_for").fill("31")
        page.locator("#field-votes_against").fill("2")
        page.locator("form.task-form button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        expect(page.locator("#done-alert .sent-to")).to_contain_text("Өзгерістерді бекіту")
        log_out(page)

        # 11. The rector approves: the page says first that this makes the next edition, for good.
        log_in(page, server, "rector")
        _open_task(page, "Өзгерістерді бекіту")
        page.locator("input[name=decision][value=approve]").check()
        page.locator("#field-effective_date").fill(today.isoformat())
        page.locator("form.task-form button[type=submit]").click()
        box = page.locator("#confirm-box")
        expect(box.locator("h2")).to_have_text("Растаңыз")
        expect(box).to_contain_text("келесі редакциясын дәл қазір жасайды")
        box.locator("#field-confirm").check()
        page.locator("form.task-form button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        # the outcome and the decision in the amendment's own words (approved, approve), not clearance's
        expect(page.locator("#done-alert .sent-to")).to_have_text("Іс аяқталды: Бекітілді.")
        approval = page.locator("section[aria-labelledby=approval-title]")
        expect(approval.locator("h2")).to_have_text("Ректордың шешімі")
        expect(approval.locator("dd").first).to_have_text("Бекіту")  # a label, never the code "approve"
        expect(approval).to_contain_text(today.strftime("%d.%m.%Y"))

        # 5, 6. The addition: in Kazakh, the rector by name and position, one date format.
        with page.expect_download() as download_info:
            page.locator(".doc-card").filter(has_text="PA-").locator(".doc-action a").click()
        pdf_path = tmp_path / "addition.pdf"
        download_info.value.save_as(str(pdf_path))
        text = " ".join(pdf_to_text(pdf_path).split())
        assert "7.10.2" in text and "14.2" in text and "2 сағаттан аспайтын" in text, text[:800]
        assert RECTOR in text and "Ректор" in text and "31" in text
        assert today.strftime("%d.%m.%Y") in text
        assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), text[:800]
        log_out(page)

        # 20. The proposer is told the outcome; "Open" leads to the case and marks the notice read.
        log_in(page, server, "amd.head")
        page.goto("/notifications")
        notice = page.locator("li.notif-outcome").filter(has_text=RATIONALE[:40])
        expect(notice).to_contain_text("аяқталды: Бекітілді.")
        expect(notice.locator(".badge-new")).to_have_text("Жаңа")
        notice_id = notice.get_attribute("id")
        notice.locator("form[action$='/open'] button").click()
        expect(page).to_have_url(re.compile(rf"/instances/{instance_id}"))

        # 3. The finished case still shows what was approved, the Council's vote and minutes, the decision.
        proposal = page.locator("section[aria-labelledby=proposal-title]")
        expect(proposal.locator("h2")).to_have_text("Бекітілген өзгерістер")
        expect(proposal).to_contain_text("Саясаттың 2-редакциясы бекітілді")
        expect(proposal).to_contain_text(re.compile(rf"күшіне ену күні — {DATE}"))
        expect(proposal.locator(".policy-clause")).to_have_count(2)
        expect(proposal.locator("ins").first).to_contain_text("2")
        council = page.locator("section[aria-labelledby=council-title]")
        expect(council.locator("h2")).to_have_text("Ғылыми кеңес")
        expect(council.locator(".votes-for")).to_have_text("31")
        expect(council.locator(".votes-against")).to_have_text("2")
        expect(council).to_contain_text("Қабылданды")
        expect(council).to_contain_text(today.strftime("%d.%m.%Y"))
        expect(council.locator("tr.file-row")).to_contain_text("кеңес-хаттамасы.pdf")
        expect(council.locator("tr.file-row")).to_contain_text(SECRETARY)
        expect(page.locator("details#withdraw")).to_have_count(0)  # decided: no longer withdrawn
        # 16. Who did each task, the queue's tasks too.
        tasks = page.locator("section[aria-labelledby=tasks-title] tbody tr")
        expect(tasks.filter(has_text="Ғылыми кеңестің шешімін тіркеу").locator(".task-done-by")).to_have_text(SECRETARY)
        expect(tasks.filter(has_text="Қарау және біріктіру").locator(".task-done-by")).to_have_text(MCD_HEAD)
        page.goto("/notifications")
        expect(page.locator(f"#{notice_id}")).not_to_have_class(re.compile("is-unread"))
        page.goto(f"/instances/{instance_id}")

        # 22. On a 390 px phone the case's tables read as stacked rows.
        page.set_viewport_size(PHONE)
        page.reload()
        assert_rows_stacked(page, "section[aria-labelledby=council-title] table.table-files")
        assert_rows_stacked(page, "section[aria-labelledby=tasks-title] table")
        page.screenshot(path=str(tmp_path / "amendment-390-kk.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

        # Edition 2 marks both clauses as changed in this edition.
        page.locator("a[href^='/policy/editions/2']").first.click()
        for number in ("7\\.10\\.2", "14\\.2"):
            clause = page.locator(f"#clause-{number}")
            expect(clause).to_have_class(re.compile("policy-clause-changed"))
            expect(clause.locator(".badge")).to_have_text("осы редакцияда өзгертілді")
        log_out(page)
    finally:
        kk.close()

    # Russian: the auditor reads the finished case and the section titles; a second proposal is withdrawn
    # before any decision, and stays on record.
    ru = _context(e2e_browser, server, "ru-RU")
    page = ru.new_page()
    try:
        log_in(page, server, "auditor")
        page.goto(f"/instances/{instance_id}")
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        expect(page.locator("#proposal-title")).to_have_text("Утверждённые изменения")
        expect(page.locator("#council-title")).to_have_text("Учёный совет")
        expect(page.locator("section[aria-labelledby=council-title]")).to_contain_text("Протокол заседания")
        expect(page.locator("section[aria-labelledby=approval-title] h2")).to_have_text("Решение ректора")
        page.goto("/policy")
        expect(page.locator("#section-1-title")).to_have_text("1. Общие положения")
        expect(page.locator("#section-14-title")).to_have_text("14. Заключительные положения")
        log_out(page)

        log_in(page, server, "amd.head")
        page.goto("/processes/policy_amendment/new")
        form = page.locator("form.task-form")
        form.locator("#field-changes-0-clause").fill("14.4")
        form.locator("#field-changes-0-text").fill("Предложения вносятся в письменной форме.")
        form.locator("#field-rationale").fill("Уточнение — отзыв")
        form.locator("button[type=submit]").click()
        expect(page).to_have_url(INSTANCE_URL)
        withdrawn_id = int(INSTANCE_URL.search(page.url).group(1))
        page.locator("details#withdraw summary").click()
        page.locator("#withdraw-reason").fill("Предложение будет объединено с другим")
        page.locator("#withdraw-confirm").check()
        page.locator("form.withdraw-form button[type=submit]").click()
        expect(page).to_have_url(re.compile(rf"/instances/{withdrawn_id}"))
        expect(page.locator(".badge-outcome-withdrawn")).to_have_text("Отозвано")
        expect(page.locator("section[aria-labelledby=proposal-title]")).to_contain_text("§14.4")
        expect(page.locator("details#withdraw")).to_have_count(0)
    finally:
        ru.close()
