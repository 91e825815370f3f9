"""The PR plan (§7.1) in a real browser against `kelisim serve`: MCD drafts the next version of the demo plan from
the plan page (its items come prefilled) with one occasion more, the rector returns it with a comment, MCD sees the
comment and gives the date, the rector approves, and the plan page shows version 2 in force, the added item in the
comparison, and an item MCD marks as happened."""
from __future__ import annotations

import re

import pytest

from processes.university_time import today_local
from storage.models import utcnow
from tests.e2e.helpers import confirm_and_submit, log_in, log_out, submit

pytestmark = pytest.mark.e2e

TITLE = "PR plan, second half — e2e"
OCCASION = "Science olympiad e2e"
COMMENT = "Give the olympiad's date."


def test_the_pr_plan_is_drafted_returned_approved_and_followed(kelisim_server, e2e_page):
    from playwright.sync_api import expect

    page, server = e2e_page, kelisim_server
    today = today_local(utcnow())
    month = today.isoformat()[:7]

    # 1. MCD drafts version 2 from the plan page: version 1's items come prefilled; one occasion is added.
    log_in(page, server, "mcd.specialist")
    page.goto("/plans")
    expect(page.locator("#pa-current-title")).to_contain_text("PR plan")
    page.locator("a[href='/processes/plan_approval/new?kind=pr_plan']").click()
    form = page.locator("form.task-form")
    expect(form.locator("input[name=kind][value=pr_plan]")).to_be_checked()
    expect(form.locator("#field-items-0-occasion")).not_to_have_value("")
    # the form shows the fields of the chosen kind only: a regulation's text, or a plan's period and items
    expect(form.locator("#field-text")).to_be_hidden()
    form.locator("input[name=kind][value=website_regulation]").check()
    expect(form.locator("#field-text")).to_be_visible()
    expect(form.locator("#field-items-0-occasion")).to_be_hidden()
    expect(form.locator("#field-period_start")).to_be_hidden()
    form.locator("input[name=kind][value=pr_plan]").check()
    expect(form.locator("#field-text")).to_be_hidden()
    expect(form.locator("#field-items-0-occasion")).to_be_visible()
    form.locator("#field-title").fill(TITLE)
    form.locator("#field-items-5-occasion").fill(OCCASION)
    form.locator("#field-items-5-month").fill("1999-01")  # outside the period: refused, nothing saved
    form.locator("#field-items-5-channel").select_option("press")
    form.locator("#field-items-5-unit").select_option("FE-IS")
    form.locator("button[type=submit]").click()
    expect(page.locator(".error-summary")).to_contain_text("outside the plan's period")
    page.locator("#field-items-5-month").fill(month)
    instance_id = submit(page)
    expect(page.locator("#pa-draft-title")).to_contain_text(TITLE)
    log_out(page)

    # 2. The rector returns it with a comment.
    log_in(page, server, "rector")
    card = page.locator("li.task-card").filter(has_text=TITLE)
    expect(card).to_have_count(1)
    card.locator(".task-card-title a").click()
    page.locator("input[name=decision][value=return]").check()
    page.locator("#field-comment").fill(COMMENT)
    assert submit(page) == instance_id
    log_out(page)

    # 3. MCD sees the comment on its returned draft, gives the date and submits again.
    log_in(page, server, "mcd.specialist")
    card = page.locator("li.task-card").filter(has_text=TITLE)
    card.locator(".task-card-title a").click()
    expect(page.locator("body")).to_contain_text(COMMENT)
    rows = page.locator("[id^=field-items-][id$=-occasion]")
    olympiad = next(i for i in range(rows.count()) if rows.nth(i).input_value() == OCCASION)
    page.locator(f"#field-items-{olympiad}-date").fill(today.isoformat())
    assert submit(page) == instance_id
    log_out(page)

    # 4. The rector approves: the page asks first, as the approval supersedes version 1.
    log_in(page, server, "rector")
    page.locator("li.task-card").filter(has_text=TITLE).locator(".task-card-title a").click()
    page.locator("input[name=decision][value=approve]").check()
    assert confirm_and_submit(page) == instance_id
    expect(page.locator("#pa-draft-title").locator("xpath=..")).to_contain_text("version 2")
    log_out(page)

    # 5. The plan page: version 2 in force, the olympiad added, version 1 superseded; MCD marks the olympiad.
    log_in(page, server, "mcd.specialist")
    page.locator("nav.main-nav a", has_text="Registers").click()
    page.locator("nav.section-nav a[href='/plans']").click()
    expect(page.locator("#pa-current-title").locator("xpath=..")).to_contain_text(TITLE)
    expect(page.locator(".pa-diff .pa-added")).to_contain_text(OCCASION)
    versions = page.locator("section[aria-labelledby=pa-versions-title] tbody tr")
    expect(versions).to_have_count(2)
    expect(versions.nth(1)).to_contain_text("Superseded")
    row = page.locator("table.pa-items tbody tr").filter(has_text=OCCASION)
    expect(row.locator(".pa-status")).to_have_text(re.compile("Planned"))
    row.locator("summary").click()
    row.locator("input[name=done_on]").fill(today.isoformat())
    row.locator("button[type=submit]").click()
    expect(page.locator("table.pa-items tbody tr").filter(has_text=OCCASION).locator(".pa-status")).to_have_text(
        re.compile("Happened"))
