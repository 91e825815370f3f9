"""Steps the browser tests share: log in and out through the forms, submit a task form."""
from __future__ import annotations

import re

INSTANCE_URL = re.compile(r"/instances/(\d+)\?done=1$")


def log_in(page, server, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/login")
    form = page.locator("form:has(#password)")
    form.locator("#username").fill(username)
    form.locator("#password").fill(server.password)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))


def log_out(page) -> None:
    from playwright.sync_api import expect

    page.locator("form.logout-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def submit(page) -> int:
    """Submit the task form on the page; return the instance it went to."""
    from playwright.sync_api import expect

    page.locator("form.task-form button[type=submit]").click()
    expect(page).to_have_url(INSTANCE_URL)
    return int(INSTANCE_URL.search(page.url).group(1))
