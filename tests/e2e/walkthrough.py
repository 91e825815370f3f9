"""Steps the per-process walkthroughs in Kazakh and Russian share (tests/e2e/test_*_kk_browser.py): a fresh
context per person, the language switch, and the 390 px check that table rows stack."""
from __future__ import annotations

import contextlib
import re

from tests.e2e.conftest import ACTION_TIMEOUT_MS
from tests.e2e.helpers import log_in

DATE = re.compile(r"^\d\d\.\d\d\.20\d\d$")
DATETIME = re.compile(r"^\d\d\.\d\d\.20\d\d, \d\d:\d\d$")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@contextlib.contextmanager
def browser_page(browser, server, tmp_path, name: str):
    """A fresh English-speaking context: each person chooses their language with the switch in the header."""
    context = browser.new_context(base_url=server.base_url, locale="en-US", timezone_id="Asia/Almaty",
                                  viewport=DESKTOP, accept_downloads=True)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        with contextlib.suppress(Exception):  # a debugging aid only
            page.screenshot(path=str(tmp_path / f"last-{name}.png"), full_page=True)
        context.close()


def choose_language(page, lang: str) -> None:
    """The language switch in the header (saved to the account when logged in)."""
    from playwright.sync_api import expect

    if page.locator("html").get_attribute("lang") != lang:
        page.locator("#lang-select").select_option(lang)
        page.locator("form.lang-form button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def log_in_as(page, server, username: str, lang: str = "kk") -> None:
    log_in(page, server, username)
    choose_language(page, lang)


def open_task(page, title: str, task_name: str) -> None:
    """Open the inbox card of the case `title`, whose task is `task_name`; its deadline is shown as a last day
    (in Kazakh, "… күннің соңына дейін")."""
    from playwright.sync_api import expect

    page.goto("/inbox")
    card = page.locator("li.task-card").filter(has_text=title)
    expect(card).to_have_count(1)
    expect(card.locator(".task-card-title")).to_have_text(task_name)
    expect(card).to_contain_text(re.compile(r"\d\d\.\d\d\.20\d\d күннің соңына дейін"))
    card.locator(".task-card-title a").click()
    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]{36}$"))
    expect(page.locator("h1")).to_have_text(task_name)


def assert_rows_stacked(page, table: str) -> None:
    """On a phone: no sideways scrolling; the first row's cells one above the other, inside the screen,
    each labelled with its column's heading."""
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    cells = page.locator(f"{table} tbody tr").first.locator(":scope > td, :scope > th")
    boxes = [cells.nth(i).bounding_box() for i in range(cells.count())]
    assert len(boxes) >= 4, boxes
    for above, below in zip(boxes, boxes[1:], strict=False):
        assert below["y"] >= above["y"] + above["height"] - 1, (table, above, below)
    for box in boxes:
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, (table, box)
    label = cells.first.evaluate("c => getComputedStyle(c, '::before').content").strip('"')
    assert label and label == cells.first.get_attribute("data-label"), label
