"""Real-browser end-to-end fixtures: a `kelisim serve` subprocess and a headless Debian Chromium.

The tools a browser test needs are not Python dependencies of the project: Debian's Chromium at
/usr/bin/chromium, the `playwright` package, and `pdftotext` (poppler-utils). When one is missing
the tests are skipped, or fail when KELISIM_REQUIRE_E2E=1 (CI machines that must run them).
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# Debian's chromium, headless, without a sandbox or background traffic. Never `playwright install`: it downloads
# a browser.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
DEMO_PASSWORD = "e2e-demo-password-1"
ACTION_TIMEOUT_MS = 15_000
CLI_TIMEOUT_S = 180
START_TIMEOUT_S = 60
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Every test of this folder is a browser test (`-m "not e2e"` leaves them out), whether or not its module
    says so."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def missing_tools() -> list[str]:
    missing = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Chromium at {CHROMIUM} (Debian package `chromium`)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the `playwright` Python package (pip install -e '.[test]')")
    if shutil.which("pdftotext") is None:
        missing.append("`pdftotext` (Debian package `poppler-utils`)")
    return missing


@pytest.fixture(scope="session")
def e2e_tools() -> None:
    """Skip (or, with KELISIM_REQUIRE_E2E=1, fail) when a tool of the browser tests is missing."""
    missing = missing_tools()
    if missing:
        message = "end-to-end browser test needs: " + "; ".join(missing)
        if os.environ.get("KELISIM_REQUIRE_E2E") == "1":
            pytest.fail(message + " (KELISIM_REQUIRE_E2E=1)", pytrace=False)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _kelisim_command() -> list[str]:
    """The installed `kelisim` console script of this environment (docs/API.md)."""
    script = Path(sys.executable).parent / "kelisim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "web.cli"]


@dataclass
class KelisimServer:
    base_url: str
    data_dir: Path
    env: dict[str, str]
    log_path: Path
    password: str = DEMO_PASSWORD

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run `kelisim ARGS` against the same data directory and database as the server."""
        result = subprocess.run([*_kelisim_command(), *args], env=self.env, cwd=ROOT, capture_output=True,
                                text=True, timeout=CLI_TIMEOUT_S, check=False)
        if check and result.returncode != 0:
            pytest.fail(f"`kelisim {' '.join(args)}` exited {result.returncode}:\n"
                        f"{result.stdout}\n{result.stderr}", pytrace=False)
        return result

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def _wait_healthy(url: str, proc: subprocess.Popen, server: KelisimServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`kelisim serve` exited with {proc.returncode} before it was healthy:\n{server.log()}",
                        pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"`kelisim serve` was not healthy within {START_TIMEOUT_S} s:\n{server.log()}", pytrace=False)


def _server_env(data_dir: Path, base_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("KELISIM_DATABASE_URL", None)  # always its own SQLite file in the data directory
    env.pop("KELISIM_SECRET_KEY", None)
    env.update({
        "KELISIM_DATA_DIR": str(data_dir),
        "KELISIM_DEMO_PASSWORD": DEMO_PASSWORD,
        "KELISIM_BASE_URL": base_url,
        "KELISIM_LOG_LEVEL": "WARNING",
        "KELISIM_ENV": "production",
        "KELISIM_RENDER_INLINE": "1",  # served --no-worker: issued PDFs are rendered right after the commit
        "PYTHONUNBUFFERED": "1",
    })
    return env


@pytest.fixture(scope="session")
def _seeded_data_dir(e2e_tools, tmp_path_factory) -> Path:
    """A data directory migrated and seeded once (`kelisim db upgrade`, `kelisim seed-demo`); each test
    serves a copy of it, so the tests never see each other's data."""
    data_dir = tmp_path_factory.mktemp("e2e-template") / "data"
    data_dir.mkdir()
    template = KelisimServer(base_url="http://127.0.0.1:5000", data_dir=data_dir,
                             env=_server_env(data_dir, "http://127.0.0.1:5000"), log_path=data_dir / "unused.log")
    template.cli("db", "upgrade")
    template.cli("seed-demo")
    return data_dir


@pytest.fixture
def kelisim_server(e2e_tools, _seeded_data_dir, tmp_path) -> KelisimServer:
    """A migrated, seeded Kelisim served by `kelisim serve --no-worker` (Waitress) on a free port."""
    data_dir = tmp_path / "data"
    shutil.copytree(_seeded_data_dir, data_dir)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = _server_env(data_dir, base_url)
    server = KelisimServer(base_url=base_url, data_dir=data_dir, env=env, log_path=tmp_path / "server.log")
    with open(server.log_path, "wb") as log:
        proc = subprocess.Popen([*_kelisim_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--no-worker"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        try:
            _wait_healthy(f"{base_url}/healthz", proc, server)
            yield server
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)


@pytest.fixture
def e2e_browser(e2e_tools):
    """Headless Debian Chromium driven by Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def e2e_page(e2e_browser, kelisim_server, tmp_path):
    """A page in a fresh English-speaking context (Accept-Language: en-US) with downloads on."""
    context = e2e_browser.new_context(base_url=kelisim_server.base_url, locale="en-US", accept_downloads=True,
                                      timezone_id="Asia/Almaty", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        with contextlib.suppress(Exception):  # the last page, only a debugging aid
            page.screenshot(path=str(tmp_path / "last-page.png"), full_page=True)
        context.close()
