"""A media inquiry in a real browser, on the hour clock (§7.10.2, §3.8, §10.2).

The server's clock is moved with libfaketime (Debian package `faketime`): the server is started again at each
moment of the story, on the same data, and the timer worker runs once at the reminder's moment. A journalist's
urgent inquiry is registered at t0 ("10:00"); two units are asked, FE-IS urgently (3 h) and AMD as a current
request (3 calendar days); FE-IS answers at t0 + 2 h 30 min ("12:30"); AMD is reminded at half its term; MCD
consolidates, the rector clears, MCD records the release; the release record (PDF) prints the answer's
SHA-256, and the register shows both units' times.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from tests.e2e.conftest import (
    ACTION_TIMEOUT_MS,
    ROOT,
    KelisimServer,
    _free_port,
    _kelisim_command,
    _server_env,
    _wait_healthy,
)
from tests.e2e.helpers import INSTANCE_URL, confirm_and_submit, log_in, pdf_to_text, submit

FAKETIME = shutil.which("faketime")
QUESTIONS = "1. When does the new laboratory open?\n2. How much did it cost?"
OFFICIAL = "The laboratory opens in January; it cost 50 million tenge."


@pytest.fixture
def faketime_tool(e2e_tools):
    if FAKETIME is None:
        message = "end-to-end browser test needs: `faketime` (Debian package `faketime`) to move the server's clock"
        if os.environ.get("KELISIM_REQUIRE_E2E") == "1":
            pytest.fail(message + " (KELISIM_REQUIRE_E2E=1)", pytrace=False)
        pytest.skip(message)
    return FAKETIME


@contextlib.contextmanager
def served_at(data_dir, port: int, minutes: int, log_path):
    """`kelisim serve --no-worker` on the data directory with its clock `minutes` ahead of now."""
    base_url = f"http://127.0.0.1:{port}"
    env = _server_env(data_dir, base_url)
    server = KelisimServer(base_url=base_url, data_dir=data_dir, env=env, log_path=log_path)
    with open(log_path, "ab") as log:
        # faketime runs the server as its child: both in a session of their own, stopped together
        proc = subprocess.Popen([FAKETIME, "-f", f"+{minutes}m", *_kelisim_command(), "serve", "--host",
                                 "127.0.0.1", "--port", str(port), "--no-worker"], env=env, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            _wait_healthy(f"{base_url}/healthz", proc, server)
            now = urllib.request.urlopen(f"{base_url}/healthz", timeout=5).headers.get("Date")
            shown = parsedate_to_datetime(now) if now else None
            expected = datetime.now(UTC) + timedelta(minutes=minutes)
            assert shown is not None and abs(shown - expected) < timedelta(minutes=2), (now, expected)  # its clock
            yield server
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            _wait_port_free(port)


def _wait_port_free(port: int) -> None:
    """Until nothing listens on the port any more (the next moment's server takes it)."""
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.1)
    pytest.fail(f"a server still listens on port {port}", pytrace=False)


def worker_at(server: KelisimServer, minutes: int) -> None:
    """One pass of the timer worker with the clock `minutes` ahead of now."""
    done = subprocess.run([FAKETIME, "-f", f"+{minutes}m", *_kelisim_command(), "worker", "--once"],
                          env=server.env, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@contextlib.contextmanager
def as_user(browser, server: KelisimServer, username: str):
    context = browser.new_context(base_url=server.base_url, locale="en-US", accept_downloads=True,
                                  timezone_id="Asia/Almaty", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        log_in(page, server, username)
        yield page
    finally:
        context.close()


def open_task(page, instance_id: int, name: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"/instances/{instance_id}")
    page.get_by_role("link", name=name).first.click()
    expect(page.locator("h1")).to_contain_text(name)


def test_urgent_inquiry_two_units_one_reminded_released_and_registered(faketime_tool, e2e_browser, _seeded_data_dir,
                                                                       tmp_path):
    from playwright.sync_api import expect

    data_dir = tmp_path / "data"
    shutil.copytree(_seeded_data_dir, data_dir)
    port, log_path = _free_port(), tmp_path / "server.log"

    # t0 ("10:00"): MCD registers the journalist's inquiry and asks two units
    with served_at(data_dir, port, 0, log_path) as server, as_user(e2e_browser, server, "mcd.specialist") as page:
        page.goto("/processes/media_inquiry/new")
        page.locator("#field-outlet").fill("Qostanay TV")
        page.locator("#field-journalist").fill("Aigul Serikova")
        page.locator("#field-contact").fill("+7 700 000 00 00")
        page.locator("#field-subject").fill("New laboratory")
        page.locator("#field-questions").fill(QUESTIONS)
        instance_id = submit(page)
        expect(page.locator("h1, .page-sub").first).to_be_visible()
        assert re.search(r"MI-\d{4}-\d{5}", page.content())
        open_task(page, instance_id, "Choose the source and the units")
        page.locator("#field-source").select_option("rector")
        page.locator("#field-units-0-unit").select_option("FE-IS")
        page.locator("#field-units-0-urgency").select_option("urgent")
        page.locator("[data-add-row=units]").click()
        page.locator("#field-units-1-unit").select_option("AMD")
        page.locator("#field-units-1-urgency").select_option("current")
        confirm_and_submit(page)
        expect(page.locator("body")).to_contain_text("Waiting for the answer")

    # t0 + 2 h 30 min ("12:30"): the head of FE-IS answers both questions, on time
    with served_at(data_dir, port, 150, log_path) as server, as_user(e2e_browser, server, "unit.head") as page:
        open_task(page, instance_id, "Answer the questions")
        page.locator("#field-answers-1").fill("In January.")
        page.locator("#field-answers-2").fill("50 million tenge.")
        page.locator("#field-accuracy_confirmed").check()
        submit(page)

    # half of AMD's 3 days: the worker reminds its head
    worker_at(server, 36 * 60 + 1)
    with served_at(data_dir, port, 36 * 60 + 5, log_path) as server:
        with as_user(e2e_browser, server, "amd.head") as page:
            page.goto("/notifications")
            expect(page.locator("body")).to_contain_text("Reminder")
            open_task(page, instance_id, "Answer the questions")
            page.locator("#field-answers-1").fill("The department knows the date.")
            page.locator("#field-answers-2").fill("See the department.")
            page.locator("#field-accuracy_confirmed").check()
            submit(page)
        with as_user(e2e_browser, server, "mcd.specialist") as page:
            open_task(page, instance_id, "Consolidate the official answer")
            assert "In January." in page.locator("#field-answer_text").input_value()  # drafted from the units
            page.locator("#field-answer_text").fill(OFFICIAL)
            submit(page)
        with as_user(e2e_browser, server, "rector") as page:
            open_task(page, instance_id, "Clear the answer")
            page.locator("input[name=decision][value=approve]").check()
            submit(page)
        with as_user(e2e_browser, server, "mcd.specialist") as page:
            open_task(page, instance_id, "Record the release")
            page.locator("#field-method").select_option("email")
            page.locator("#field-released_to").fill("Aigul Serikova")
            assert INSTANCE_URL.search(page.url) is None
            confirm_and_submit(page)
            expect(page.locator("body")).to_contain_text("Answer released")
            expect(page.locator(".doc-card")).to_contain_text("Release record")
            with page.expect_download() as download:
                page.locator(".doc-card .doc-action a[href^='/documents/']").first.click()
            pdf = tmp_path / "release.pdf"
            download.value.save_as(pdf)
            text = " ".join(pdf_to_text(pdf).split())
            assert hashlib.sha256(OFFICIAL.encode("utf-8")).hexdigest() in text.replace(" ", "")
            assert "Qostanay TV" in text
        with as_user(e2e_browser, server, "mcd.head") as page:
            page.goto("/media-inquiries")
            row = page.locator("tbody tr", has_text="Qostanay TV")
            expect(row).to_contain_text("Department of Information Systems")
            expect(row).to_contain_text("Academic-Methodological Department")
            expect(row).to_contain_text("on time")
            expect(row.locator(".mi-timing")).to_have_count(2)
            expect(row).to_contain_text("Answer released")
