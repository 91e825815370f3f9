"""Issue 12 ("How it is checked") in a real browser, as its people do it: the administrator creates an employee
(name and position in kk, ru and en, a unit) and hands over a one-time password link; the employee sets a
password through it (a second use is refused), logs in and submits a speech text on finance; the vice-rector
for finance records an absence with the vice-rector for academic affairs as substitute; the substitute finds
the task marked "acting for" her (Kazakh, then Russian) and approves; the certificate says "м.а. / и.о. /
acting"; the auditor finds every step in the case's history and the absence in the audit trail. Then the
administrator changes the speech text routing table so that finance goes to the rector: a new submission goes
to the rector, the first case keeps its approver.

Screenshots of the key pages at 390 px and 1366 px go to $KELISIM_E2E_SHOTS (else the test's tmp_path)."""
from __future__ import annotations

import csv
import io
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from processes.university_time import today_local
from storage.models import utcnow
from tests.e2e.helpers import INSTANCE_URL, log_out, pdf_to_text
from tests.e2e.walkthrough import PHONE, browser_page, choose_language, log_in_as
from tests.helpers import event_date

pytestmark = pytest.mark.e2e

WIDE = {"width": 1366, "height": 900}
USERNAME = "o.seitkali"
NAME = {"kk": "Ораз Бекұлы Сейтқали", "ru": "Ораз Бекович Сейткали", "en": "Oraz Seitkali"}
POSITION = {"kk": "Ақпараттық жүйелер кафедрасының доценті", "ru": "Доцент кафедры информационных систем",
            "en": "Associate professor, Department of Information Systems"}
UNIT_KK = "Ақпараттық жүйелер кафедрасы"
PASSWORD = "Sary-Arqa-2026-kuz"
TITLE = "Университеттің 2027 жылғы бюджеті — org e2e"
SECOND_TITLE = "Қаржылық есеп беру — org e2e, after the routing change"
VR_FINANCE = "Гүлнар Маратқызы Әлиева"
VR_ACADEMIC = "Сергей Викторович Петров"
RECTOR = "Бақыт Әбдірахманұлы Дүйсенов"
ADMIN = "Kelisim Administrator"
VR_POSITION = {"kk": "Қаржы және экономика жөніндегі проректор", "ru": "Проректор по финансам и экономике",
               "en": "Vice-rector for finance and economy"}
ABSENCE_REASON = "Іссапар, Астана"
ROUTING_REASON = "Ректордың 2026 жылғы 1 желтоқсандағы бұйрығы: қаржы мәтіндерін ректор келіседі."


def shots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("KELISIM_E2E_SHOTS") or tmp_path / "shots")
    target.mkdir(parents=True, exist_ok=True)
    return target


def shoot(page, folder: Path, name: str) -> None:
    """The page as it is, at 390 px and at 1366 px (full page), then back to 1366 px."""
    for size in (PHONE, WIDE):
        page.set_viewport_size(size)
        page.screenshot(path=str(folder / f"{name}-{size['width']}.png"), full_page=True)


def log_in_with(page, username: str, password: str, lang: str = "kk") -> None:
    """The login form with a password of one's own (tests.e2e.helpers.log_in uses the demo password)."""
    from playwright.sync_api import expect

    page.goto("/login")
    form = page.locator("form:has(#password)")
    form.locator("#username").fill(username)
    form.locator("#password").fill(password)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    choose_language(page, lang)


def api_token(page, server, username: str, password: str | None = None) -> dict[str, str]:
    """Bearer headers for reading facts the pages do not show (POST /api/v1/tokens)."""
    response = page.request.post(f"{server.base_url}/api/v1/tokens",
                                 data={"username": username, "password": password or server.password})
    assert response.status == 201, response.text()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def create_employee(page, server, folder: Path | None) -> str:
    """1. The administrator creates the account on the people pages; the page shows the one-time link once."""
    from playwright.sync_api import expect

    log_in_as(page, server, "admin", "kk")
    page.goto("/admin/")
    page.locator("nav.subnav a[href='/admin/people']").click()
    expect(page).to_have_url(re.compile(r"/admin/people$"))
    page.locator("#new-account").click()
    expect(page).to_have_url(re.compile(r"/admin/users/new$"))
    expect(page.locator("h1")).to_have_text("Жаңа тіркелгі")
    form = page.locator("form.task-form")
    form.locator("#field-username").fill(USERNAME)
    for lang in ("kk", "ru", "en"):
        form.locator(f"#field-full_name-{lang}").fill(NAME[lang])
        form.locator(f"#field-position-{lang}").fill(POSITION[lang])
    form.locator("#field-unit").select_option(label=UNIT_KK)  # chosen by its name, not its code
    expect(form.locator("#role-employee")).to_be_checked()  # a new account is an employee unless changed
    if folder:
        shoot(page, folder, "01-new-account-filled")
    form.locator("button[type=submit]").click()
    box = page.locator("#password-link")
    expect(box).to_be_visible()
    expect(box).to_contain_text("Құпиясөзге арналған бір реттік сілтеме")
    expect(box).to_contain_text(NAME["kk"])
    link = page.locator("#password-link-url").inner_text().strip()
    assert re.fullmatch(re.escape(server.base_url) + r"/password/[A-Za-z0-9_-]{20,}", link), link
    expect(page.locator("h1")).to_have_text(NAME["kk"])
    expect(page.locator(".page-sub").filter(has_text=USERNAME)).to_have_count(1)
    if folder:
        shoot(page, folder, "02-account-created-link")
    # the account is listed, by its name in the page's language; a fresh page shows no link any more
    page.goto("/admin/people")
    row = page.locator("#people-table tbody tr").filter(has_text=USERNAME)
    expect(row).to_have_count(1)
    expect(row.locator("th a")).to_have_text(NAME["kk"])
    row.locator("th a").click()
    expect(page.locator("#field-position-ru")).to_have_value(POSITION["ru"])
    expect(page.locator("#field-unit")).to_have_value("FE-IS")
    expect(page.locator("#password-link")).to_have_count(0)
    log_out(page)
    return link


def set_password(page, link: str, folder: Path | None) -> None:
    """2. The employee opens the link, sets a password; the link cannot be used again."""
    from playwright.sync_api import expect

    page.goto(link)
    choose_language(page, "kk")
    expect(page.locator("h1")).to_have_text("Құпиясөзіңізді орнатыңыз")
    expect(page.locator(".page-sub")).to_contain_text(f"{NAME['kk']} · {USERNAME}")
    if folder:
        shoot(page, folder, "03-set-password")
    page.locator("#field-password").fill(PASSWORD)
    page.locator("#field-password2").fill(PASSWORD)
    page.locator("form.task-form button[type=submit]").click()
    expect(page.locator("#password-done")).to_contain_text("Құпиясөзіңіз орнатылды.")
    # a second time: gone (410), no form to set a password with
    response = page.goto(link)
    assert response is not None and response.status == 410, response and response.status
    expect(page.locator("h1")).to_have_text("Бұл сілтеме енді жарамсыз")
    expect(page.locator("main")).to_contain_text("Бұл сілтеменің мерзімі өтті немесе ол пайдаланылып қойған.")
    expect(page.locator("#field-password")).to_have_count(0)
    if folder:
        shoot(page, folder, "04-link-used-twice")


def submit_speech(page, title: str) -> tuple[int, str]:
    """2. The new employee submits a speech text on finance; return the case and whom the page says it went to."""
    from playwright.sync_api import expect

    page.goto("/processes/speech_clearance/new")
    expect(page.locator("h1")).to_have_text("Сөз сөйлеу мәтінін келісу")
    form = page.locator("form.task-form")
    form.locator("#field-event_name").fill("Қаржы форумы 2027")
    form.locator("#field-event_kind").select_option("conference")
    form.locator("#field-organizer").fill("KInEU")
    form.locator("#field-location").fill("Қостанай, мәжіліс залы")
    form.locator("#field-event_date").fill(event_date(25))
    form.locator("#field-title").fill(title)
    form.locator("#field-text").fill("Баяндаманың тезистері: 2027 жылғы бюджет, шығыстар және инвестициялар.")
    form.locator("input[name=categories][value=finance]").check()
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(INSTANCE_URL)
    found = INSTANCE_URL.search(page.url)
    assert found, page.url
    instance_id = int(found.group(1))
    holder = page.locator("#done-alert .sent-to .sent-to-holder")
    expect(holder).to_have_count(1)
    return instance_id, holder.inner_text().strip()


def test_new_employee_absence_and_acting_substitute(kelisim_server, e2e_browser, tmp_path):
    from playwright.sync_api import expect

    server = kelisim_server
    folder = shots(tmp_path)
    today = today_local(utcnow())

    with browser_page(e2e_browser, server, tmp_path, "org") as page:
        page.set_viewport_size(WIDE)
        # 1. The administrator creates the employee.
        link = create_employee(page, server, folder)

        # 2. The employee sets a password through the link (once), logs in, submits a text on finance.
        set_password(page, link, folder)
        log_in_with(page, USERNAME, PASSWORD)
        expect(page.locator("header .user-name")).to_contain_text(NAME["kk"])
        instance_id, holder = submit_speech(page, TITLE)
        assert holder == f"{VR_FINANCE}, {VR_POSITION['kk']}", holder
        shoot(page, folder, "05-submitted")
        log_out(page)

        # 3. The vice-rector for finance records her absence, from yesterday (so the test does not depend on
        # the hour around Almaty midnight) to three days on, with the vice-rector for academic affairs.
        log_in_as(page, server, "vr.finance", "kk")
        page.goto("/inbox")
        expect(page.locator("li.task-card").filter(has_text=TITLE)).to_have_count(1)
        page.goto("/absences")
        form = page.locator("form[action='/absences']")
        form.locator("#field-starts_on").fill((today - timedelta(days=1)).isoformat())
        form.locator("#field-ends_on").fill((today + timedelta(days=3)).isoformat())
        form.locator("#field-substitute").select_option(label=f"{VR_ACADEMIC} (vr.academic)")
        form.locator("input[name=processes][value=speech_clearance]").check()
        form.locator("#field-reason").fill(ABSENCE_REASON)
        shoot(page, folder, "06-absence-form")
        form.locator("button[type=submit]").click()
        expect(page.locator(".alert-success")).to_contain_text("Сақталды.")
        row = page.locator("section[aria-labelledby=absences-title] tbody tr")
        expect(row).to_have_count(1)
        expect(row.locator("td[data-label='Орынбасар']")).to_have_text(VR_ACADEMIC)
        expect(row).to_contain_text("Күшінде")
        expect(row).to_contain_text(ABSENCE_REASON)
        shoot(page, folder, "07-absence-recorded")
        page.goto("/inbox")  # the task has left her inbox at once
        expect(page.locator("li.task-card").filter(has_text=TITLE)).to_have_count(0)
        log_out(page)

        # 4. The substitute finds it "acting for" her, in Kazakh and in Russian, and approves.
        log_in_as(page, server, "vr.academic", "kk")
        card = page.locator("li.task-card").filter(has_text=TITLE)
        expect(card).to_have_count(1)
        expect(card.locator(".acting-for dt")).to_have_text("Алмастыру")
        expect(card.locator(".acting-for dd")).to_have_text(f"{VR_FINANCE} міндетін атқарушы")
        shoot(page, folder, "08-inbox-acting-kk")
        choose_language(page, "ru")
        page.goto("/inbox")
        expect(card.locator(".acting-for dt")).to_have_text("Замещение")
        expect(card.locator(".acting-for dd")).to_have_text(f"исполняет обязанности: {VR_FINANCE}")
        shoot(page, folder, "09-inbox-acting-ru")
        card.locator(".task-card-title a").click()
        expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]{36}$"))
        expect(page.locator(".acting-for dd")).to_have_text(f"исполняет обязанности: {VR_FINANCE}")
        page.locator("input[name=decision][value=approve]").check()
        page.locator("form.task-form button[type=submit]").click()
        box = page.locator("#confirm-box")
        expect(box).to_be_visible()
        box.locator("#field-confirm").check()
        shoot(page, folder, "10-task-acting-ru")
        page.locator("form.task-form button[type=submit]").click()
        expect(page).to_have_url(re.compile(rf"/instances/{instance_id}\?done=1$"))
        expect(page.locator("#done-alert")).to_be_visible()
        log_out(page)

        # 5. The employee downloads the certificate from the case page: signed in the absent person's capacity.
        log_in_with(page, USERNAME, PASSWORD)
        page.goto(f"/instances/{instance_id}")
        tasks = page.locator("section[aria-labelledby=tasks-title] tbody tr")
        expect(tasks.last.locator(".task-done-by")).to_have_text(VR_ACADEMIC)
        doc = page.locator(".doc-card")
        expect(doc).to_have_count(1)
        code = doc.locator("a[href^='/verify/'] code").inner_text().strip()
        shoot(page, folder, "11-case-approved")
        with page.expect_download() as download_info:
            doc.locator("a[href^='/documents/']").click()
        pdf_path = tmp_path / "certificate.pdf"
        download_info.value.save_as(pdf_path)
        pdf = " ".join(pdf_to_text(pdf_path).split())
        assert VR_ACADEMIC in pdf, pdf[:2000]
        assert f"м.а. {VR_POSITION['kk']}" in pdf, pdf[:2000]
        assert f"и.о. {VR_POSITION['ru']}" in pdf, pdf[:2000]
        assert f"acting {VR_POSITION['en']}" in pdf, pdf[:2000]
        log_out(page)
        # ... and anyone checking its code reads the same.
        page.goto(f"/verify/{code}")
        choose_language(page, "kk")
        expect(page.locator(".verdict-ok")).to_be_visible()
        expect(page.locator("main")).to_contain_text(f"м.а. {VR_POSITION['kk']}")
        expect(page.locator("main")).to_contain_text(VR_FINANCE)  # "acting for" whom

        # 6. The auditor: every step on the case's history, and the absence itself in the audit trail.
        log_in_as(page, server, "auditor", "kk")
        page.goto("/audit/instances")
        page.locator("a").filter(has_text=TITLE).click()
        expect(page).to_have_url(re.compile(rf"/instances/{instance_id}$"))
        history = page.locator("section[aria-labelledby=history-title] tbody tr")

        def entry(action: str):
            rows = history.filter(has=page.locator("th.action-cell", has_text=re.compile(f"^{action}$")))
            expect(rows).to_have_count(1)
            return rows

        def seq(row) -> int:
            return int(row.locator("td.num").inner_text())

        started = entry("Процесс басталды")
        expect(started.locator("td.actor-cell")).to_contain_text(NAME["kk"])
        moved = entry("Тапсырма басқаға берілді")
        expect(moved.locator("td.actor-cell")).to_contain_text(VR_FINANCE)  # she recorded the absence
        details = moved.locator("td.details-cell")
        details.locator("details summary").click()  # five fields, folded: the auditor opens them
        expect(details.locator("dl.data-list")).to_be_visible()
        expect(details).to_contain_text(f"Кімнен{VR_FINANCE}")
        expect(details).to_contain_text(f"Кімге{VR_ACADEMIC}")
        expect(details).to_contain_text(f"Кімнің міндетін атқарады{VR_FINANCE}")
        completed = history.filter(has=page.locator("th.action-cell", has_text="Тапсырма орындалды")).filter(
            has_text=VR_ACADEMIC)
        expect(completed).to_have_count(1)
        expect(completed.locator("td.details-cell")).to_contain_text(f"Кімнің міндетін атқарады{VR_FINANCE}")
        issued = entry("Құжат берілді")
        assert seq(started) < seq(moved) < seq(completed) < seq(issued)
        shoot(page, folder, "12-auditor-history")
        # the same facts through the API (the page shows names; the entries keep usernames)
        headers = api_token(page, server, "auditor")
        events = page.request.get(f"{server.base_url}/api/v1/instances/{instance_id}/events", headers=headers)
        assert events.status == 200, events.text()
        by_action: dict[str, list[dict]] = {}
        for ev in events.json():
            by_action.setdefault(ev["action"], []).append(ev)
        (move,) = by_action["task_reassigned"]
        assert move["actor"] == "vr.finance" and move["acting_for"] == "vr.finance"
        assert move["data"]["from"] == "vr.finance" and move["data"]["to"] == "vr.academic"
        assert move["data"]["reason"] == "absence"
        approvals = [e for e in by_action["task_completed"] if e["actor"] == "vr.academic"]
        assert len(approvals) == 1 and approvals[0]["acting_for"] == "vr.finance", approvals
        assert approvals[0]["data"].get("decision") == "approve", approvals[0]
        # the absence is the person's, not the case's: the whole audit trail (the "Audit trail" page) has it
        page.goto("/audit/verify")
        with page.expect_download() as download_info:
            page.locator("a[href='/audit/events.csv']").click()
        trail = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8"))))
        recorded = [r for r in trail if r["action"] == "absence_recorded"]
        assert len(recorded) == 1, recorded
        assert recorded[0]["actor"] == "vr.finance" and recorded[0]["object"] == "user:vr.finance"
        assert '"substitute": "vr.academic"' in recorded[0]["data"], recorded[0]
        created = [r for r in trail if r["action"] == "user_created" and USERNAME in r["object"] + r["data"]]
        assert len(created) == 1 and created[0]["actor"] == "admin", created
        assert int(recorded[0]["seq"]) < move["seq"]  # recorded, then the task moved
        log_out(page)
    assert "Traceback" not in server.log(), server.log()


def test_routing_change_sends_new_submissions_to_the_rector(kelisim_server, e2e_browser, tmp_path):
    from playwright.sync_api import expect

    server = kelisim_server
    folder = shots(tmp_path)
    with browser_page(e2e_browser, server, tmp_path, "routing") as page:
        page.set_viewport_size(WIDE)
        link = create_employee(page, server, None)
        set_password(page, link, None)
        log_in_with(page, USERNAME, PASSWORD)
        first_id, holder = submit_speech(page, TITLE)
        assert holder == f"{VR_FINANCE}, {VR_POSITION['kk']}", holder
        log_out(page)

        # 7. The administrator edits the speech text routing table: finance goes to the rector. The routing
        # pages list the decision tables; the table's page has one approver <select> per rule (role labels).
        log_in_as(page, server, "admin", "kk")
        page.goto("/admin/")
        page.locator("nav.subnav a[href='/admin/routing']").click()
        expect(page).to_have_url(re.compile(r"/admin/routing$"))
        listed = page.locator("section[aria-labelledby=routing-tables-title] tbody tr").filter(
            has=page.locator("a[href='/admin/routing/approver_routing']"))
        expect(listed).to_have_count(1)
        expect(listed).to_contain_text("Сөз сөйлеу мәтінін келісу")  # its process, by name
        expect(listed).to_contain_text("1-нұсқа")
        listed.locator("a[href='/admin/routing/approver_routing']").click()
        expect(page).to_have_url(re.compile(r"/admin/routing/approver_routing$"))
        rule = page.locator("select[name='output-Rule_Finance']")
        expect(rule).to_have_value("vice_rector:finance")
        expect(rule.locator("option[value=rector]")).to_have_text("Ректор")  # labels, not role keys
        expect(rule.locator("option[value='vice_rector:finance']")).not_to_have_text("vice_rector:finance")
        rule.select_option("rector")
        page.locator("textarea[name=reason]").fill(ROUTING_REASON)
        shoot(page, folder, "13-routing-edit")
        page.locator("form:has(textarea[name=reason]) button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/admin/routing/approver_routing\?done=1$"))
        expect(page.locator(".alert-success")).to_be_visible()
        expect(page.locator("#version-title")).to_contain_text("2-нұсқа")
        facts = page.locator("section[aria-labelledby=version-title] dl")
        expect(facts).to_contain_text(ADMIN)  # who
        expect(facts).to_contain_text(re.compile(r"\d\d\.\d\d\.20\d\d, \d\d:\d\d"))  # when
        expect(facts).to_contain_text(ROUTING_REASON)  # why
        versions = page.locator("section[aria-labelledby=versions-title] tbody tr")
        expect(versions).to_have_count(2)
        expect(versions.first).to_contain_text("2-нұсқа")
        expect(versions.first).to_contain_text(ROUTING_REASON)
        expect(page.locator("select[name='output-Rule_Finance']")).to_have_value("rector")
        shoot(page, folder, "14-routing-saved")
        # version 1 is kept as it was, finance to the vice-rector
        versions.last.locator("a").click()
        expect(page).to_have_url(re.compile(r"/admin/routing/approver_routing/versions/1$"))
        expect(page.locator("#version-title")).to_contain_text("1-нұсқа")
        expect(page.locator("select[name='output-Rule_Finance']")).to_have_count(0)  # an old version is read
        log_out(page)

        # a new submission goes to the rector ...
        log_in_with(page, USERNAME, PASSWORD)
        second_id, holder = submit_speech(page, SECOND_TITLE)
        assert second_id != first_id
        assert holder == f"{RECTOR}, Ректор", holder
        # ... while the first keeps its approver
        page.goto(f"/instances/{first_id}")
        expect(page.locator(".current-holder")).to_have_text(VR_FINANCE)
        expect(page.locator(".routing-version")).to_contain_text("1-нұсқа")
        shoot(page, folder, "15-first-case-kept")
        log_out(page)
        headers = api_token(page, server, "admin")
        first = page.request.get(f"{server.base_url}/api/v1/instances/{first_id}", headers=headers).json()
        second = page.request.get(f"{server.base_url}/api/v1/instances/{second_id}", headers=headers).json()
        assert [t["assignee"] for t in first["tasks"]] == ["vr.finance"], first["tasks"]
        assert [t["assignee"] for t in second["tasks"]] == ["rector"], second["tasks"]
        # the first follows routing table version 1, the second version 2, as each case page says
        assert first["routing"] == {"approver_routing": 1} and second["routing"] == {"approver_routing": 2}
        assert first["version"] < second["version"], (first["version"], second["version"])
    assert "Traceback" not in server.log(), server.log()
