"""The server `kelisim serve` starts stays responsive while clients send their bodies slowly or never:
a request reaches a thread only once its body has arrived, and a stalled connection is closed."""
from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import kelisim_command
from tests.service.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
STALLED = 200
READ_TIMEOUT_S = 2


def _healthz_seconds(base: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
        assert response.status == 200
    return time.perf_counter() - started


@pytest.fixture
def server(tmp_path):
    env = {**os.environ, "KELISIM_DATA_DIR": str(tmp_path), "KELISIM_LOG_LEVEL": "WARNING"}
    env.pop("KELISIM_DATABASE_URL", None)  # its own SQLite file
    subprocess.run(kelisim_command("db", "upgrade"), env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(kelisim_command("serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker",
                                     "--workers", "2", "--threads", "2", "--read-timeout", str(READ_TIMEOUT_S)),
                            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            _healthz_seconds(base)
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
    yield base, port
    proc.terminate()
    assert proc.wait(20) == 0
    log.close()


def _stall(port: int) -> socket.socket:
    """A request that promises 1000 bytes of body and sends 6."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"POST /api/v1/tokens HTTP/1.1\r\nHost: kelisim\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n{\"a\":1")
    return sock


def test_two_hundred_stalled_bodies_do_not_hold_the_server(server):
    base, port = server
    stalled = [_stall(port) for _ in range(STALLED)]
    try:
        time.sleep(0.5)
        worst = max(_healthz_seconds(base) for _ in range(5))
        assert worst < 1.0, f"/healthz took {worst:.2f} s with {STALLED} stalled connections"
        # a real request with a whole body is answered meanwhile, by a thread of its own
        with urllib.request.urlopen(urllib.request.Request(
                f"{base}/api/v1/tokens", data=b'{"username": "nobody", "password": "x"}',
                headers={"Content-Type": "application/json"}), timeout=10) as response:
            raise AssertionError(f"an unknown user got {response.status}")
    except urllib.error.HTTPError as refused:
        assert refused.code == 401
    finally:
        for sock in stalled:
            sock.close()


def test_a_stalled_body_is_cut_off_after_the_read_timeout(server):
    _base, port = server
    sock = _stall(port)
    started = time.monotonic()
    try:
        received = sock.recv(4096)  # the server closes the connection (no answer, or an error status)
    except ConnectionResetError:
        received = b""
    elapsed = time.monotonic() - started
    sock.close()
    assert elapsed < READ_TIMEOUT_S + 5, f"held for {elapsed:.1f} s"
    assert received == b"" or received.startswith(b"HTTP/1.1 4") or received.startswith(b"HTTP/1.1 5")
