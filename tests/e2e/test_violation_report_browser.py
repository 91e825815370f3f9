"""Violation report in a real browser against `kelisim serve` (§1.6, §13.1–13.3): an employee reports a breach (a
clause the policy does not have is refused first), the head of MCD sees who reported and finds a breach with
measures, the administrator reading the case sees "Reporter withheld" and never the name, and the register shows
the report under its clause."""
from __future__ import annotations

import re

import pytest

from tests.e2e.helpers import confirm_and_submit, log_in, log_out, submit

pytestmark = pytest.mark.e2e

WHAT = "Кафедраның ішкі хаттамасы Telegram арнасында жарияланды — e2e"
REPORTER_NAME = "Дмитрий Сергеевич Ковалёв"  # employee2 (processes/usecases/seed.py)


def test_violation_report_withheld_from_the_administrator(kelisim_server, e2e_page):
    from playwright.sync_api import expect

    page, server = e2e_page, kelisim_server

    # 1. An employee reports; a clause the policy does not have is refused, nothing saved.
    log_in(page, server, "employee2")
    page.goto("/processes/violation_report/new")
    form = page.locator("form.task-form")
    form.locator("#field-what_happened").fill(WHAT)
    form.locator("#field-happened_on").fill("2026-01-05")
    form.locator("#field-published_where").fill("Telegram")
    form.locator("#field-links").fill("https://t.me/example/1")
    form.locator("#field-clause").fill("99.9")
    form.locator("button[type=submit]").click()
    expect(page.locator(".error-summary")).to_contain_text("99.9")
    page.locator("#field-clause").fill("13.1")
    instance_id = submit(page)
    expect(page.locator("h1")).to_contain_text("VR-")
    expect(page.locator(".vr-what")).to_contain_text(WHAT)
    number = re.search(r"VR-\d{4}-\d{5}", page.locator("h1").inner_text()).group(0)  # the demo has reports too
    log_out(page)

    # 2. The head of MCD sees who reported, finds a breach and records the measures.
    log_in(page, server, "mcd.head")
    page.goto(f"/instances/{instance_id}")
    expect(page.locator("main")).to_contain_text(REPORTER_NAME)
    page.goto("/inbox")
    card = page.locator("li.task-card").filter(has_text=number)
    expect(card).to_contain_text("Assess the report")
    card.locator(".task-card-title a").click()
    page.locator("input[name=assessment][value=breach]").check()
    assert submit(page) == instance_id
    page.goto("/inbox")
    page.locator("li.task-card").filter(has_text="Record findings and measures").locator(".task-card-title a").click()
    page.locator("#field-findings").fill("Хаттама рұқсатсыз жарияланды.")
    page.locator("input[name=measures][value=removal]").check()
    page.locator("input[name=refer][value=no]").check()
    assert confirm_and_submit(page) == instance_id
    expect(page.locator(".vr-measures")).to_contain_text("Removal of the publication")
    page.goto("/violation-reports")
    expect(page.locator(".vr-by-clause")).to_contain_text("§13.1")
    log_out(page)

    # 3. The administrator reads the case: the reporter is withheld everywhere on the page.
    log_in(page, server, "admin")
    page.goto(f"/instances/{instance_id}")
    expect(page.locator("main")).to_contain_text("Reporter withheld")
    assert REPORTER_NAME not in page.content() and "employee2" not in page.content()
    page.goto("/admin/cases?q=Ковалёв")
    assert "VR-" not in page.content()
    assert page.goto("/violation-reports").status == 403
