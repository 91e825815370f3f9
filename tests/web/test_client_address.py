"""Under the production server (`kelisim serve`), the log-in throttle and the audit trail see the client
address the trusted proxies give (KELISIM_TRUSTED_PROXIES), and never a forged X-Forwarded-For."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import kelisim_command
from tests.service.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=[0, 1], ids=["no proxy", "one proxy"])
def served(request, tmp_path):
    """`kelisim serve` on its own SQLite file, trusting `param` proxies."""
    env = {**os.environ, "KELISIM_DATA_DIR": str(tmp_path), "KELISIM_LOG_LEVEL": "WARNING",
           "KELISIM_TRUSTED_PROXIES": str(request.param)}
    env.pop("KELISIM_DATABASE_URL", None)
    subprocess.run(kelisim_command("db", "upgrade"), env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(kelisim_command("serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker",
                                     "--workers", "1", "--threads", "2"),
                            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=5).close()
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
    yield request.param, base, tmp_path / "kelisim.sqlite3"
    proc.terminate()
    proc.wait(20)
    log.close()


def test_failed_log_in_is_recorded_with_the_address_the_trusted_proxy_gives(served):
    proxies, base, database = served
    body = json.dumps({"username": "nobody", "password": "wrong-password"}).encode()
    request = urllib.request.Request(f"{base}/api/v1/tokens", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Forwarded-For": "192.0.2.99, 198.51.100.7"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    refused.value.close()
    assert refused.value.code == 401
    conn = sqlite3.connect(database)
    try:
        rows = conn.execute("SELECT remote_addr FROM login_failures").fetchall()
        audited = [json.loads(data)["remote_addr"] for (data,) in
                   conn.execute("SELECT data FROM audit_events WHERE action = 'login_failed'")]
    finally:
        conn.close()
    expected = "198.51.100.7" if proxies else "127.0.0.1"  # with no proxy trusted, the header is ignored
    assert rows == [(expected,)] and audited == [expected]
