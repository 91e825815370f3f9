"""Event pre-notification in a real browser against `kelisim serve` (§7.4, §7.6, §7.8): a unit head notifies MCD
of an event (an event in the past is refused first), an MCD specialist accepts it with a coverage plan chosen in
the form, and the event shows on MCD's calendar for its month and on the unit's own."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from processes.university_time import local
from storage.models import utcnow
from tests.e2e.helpers import log_in, log_out, submit

pytestmark = pytest.mark.e2e

TITLE = "Ашық есік күні — e2e"


def test_event_notice_accepted_and_on_the_calendar(kelisim_server, e2e_page):
    from playwright.sync_api import expect

    page, server = e2e_page, kelisim_server
    starts = local(utcnow() + timedelta(days=10)).replace(hour=10, minute=0)
    past = local(utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    # 1. The unit head notifies MCD from the calendar page; a date in the past is refused, nothing saved.
    log_in(page, server, "unit.head")
    page.locator("nav.main-nav a[href='/event-notices']").click()
    page.locator("a[href='/processes/event_notice/new']").click()
    form = page.locator("form.task-form")
    expect(form.locator("#field-unit")).to_have_value("FE-IS")
    form.locator("#field-title").fill(TITLE)
    form.locator("#field-event_kind").select_option("open_day")
    form.locator("#field-starts_at").fill(past)
    form.locator("#field-place").fill("Бас ғимарат, акт залы")
    form.locator("#field-organiser").fill("Ақпараттық жүйелер кафедрасы")
    form.locator("input[name=audiences][value=applicants]").check()
    form.locator("input[name=requests][value=photo]").check()
    form.locator("input[name=requests][value=site_news]").check()
    form.locator("input[name=site_languages][value=kk]").check()
    form.locator("input[name=site_languages][value=ru]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator(".error-summary")).to_contain_text("future")
    page.locator("#field-starts_at").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    instance_id = submit(page)
    expect(page.locator("h1")).to_contain_text(TITLE)
    expect(page.locator("#en-title")).to_be_visible()
    expect(page.locator(".en-entry")).to_contain_text("Ақпараттық жүйелер кафедрасы")
    log_out(page)

    # 2. An MCD specialist accepts it with a coverage plan: who covers it, the channels, by when.
    log_in(page, server, "mcd.specialist")
    card = page.locator("li.task-card").filter(has_text=TITLE)
    expect(card).to_contain_text("Decide on the coverage")
    card.locator(".task-card-title a").click()
    page.locator("input[name=decision][value=accept]").check()
    page.locator("#field-covered_by").select_option("mcd.specialist")
    page.locator("input[name=channels][value=website]").check()
    page.locator("input[name=channels][value=social_networks]").check()
    page.locator("#field-publish_by").fill((starts + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    assert submit(page) == instance_id
    plan = page.locator("section[aria-labelledby=en-plan-title]")
    expect(plan).to_contain_text("Social networks")

    # 3. MCD's calendar shows it on its day; the month can be paged back and forth.
    page.goto(f"/event-notices?month={starts:%Y-%m}")
    day = page.locator("li.en-day").filter(has_text=TITLE)
    expect(day).to_have_count(1)
    expect(day.locator("time").first).to_have_attribute("datetime", starts.date().isoformat())
    page.locator("a[rel=next]").click()
    expect(page.locator("li.en-day").filter(has_text=TITLE)).to_have_count(0)
    page.locator("a[rel=prev]").click()
    expect(page).to_have_url(re.compile(rf"month={starts:%Y-%m}$"))
    expect(page.locator("li.en-day").filter(has_text=TITLE)).to_have_count(1)
    log_out(page)

    # 4. A member of the unit sees the unit's notice on its own calendar, accepted.
    log_in(page, server, "employee2")
    page.goto(f"/event-notices?month={starts:%Y-%m}")
    event = page.locator("li.en-event").filter(has_text=TITLE)
    expect(event).to_contain_text("Accepted")
