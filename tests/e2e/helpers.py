"""Steps the browser tests share: log in and out through the forms, submit a task form, read a PDF."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

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


def log_in_checked(page, server, username: str) -> str:
    """Log in as log_in() does, check the header and the English page; return the full name the header shows."""
    from playwright.sync_api import expect

    log_in(page, server, username)
    expect(page.locator("header .user-name")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    own_text = "e => Array.from(e.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join('')"
    return page.locator("header .user-name").evaluate(own_text).strip()


def log_out_checked(page) -> None:
    """Log out as log_out() does and check that the login form is shown."""
    from playwright.sync_api import expect

    log_out(page)
    expect(page.locator("#password")).to_be_visible()


def submit_task_form(page) -> int:
    """Submit the task form as submit() does, check the success message; return the instance it went to."""
    from playwright.sync_api import expect

    instance_id = submit(page)
    expect(page.locator(".alert-success")).to_be_visible()
    return instance_id


def pdf_to_text(path: Path) -> str:
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    return result.stdout.decode("utf-8")


def confirm_and_submit(page, form: str = "form.task-form") -> int:
    """Submit a final step's form: the page asks first (the confirmation box), then the ticked box sends it
    again; return the instance it went to."""
    from playwright.sync_api import expect

    page.locator(f"{form} button[type=submit]").click()
    box = page.locator("#confirm-box")
    expect(box).to_be_visible()
    box.locator("#field-confirm").check()
    page.locator(f"{form} button[type=submit]").click()
    expect(page).to_have_url(INSTANCE_URL)
    return int(INSTANCE_URL.search(page.url).group(1))
