"""Fuzz the JSON API of a real `kelisim serve` with schemathesis, as three roles, and count 5xx answers.

Steps: a fresh data directory (`kelisim db upgrade`, `kelisim seed-demo`), `kelisim serve --no-worker`
on a free port with its access log on, a bearer token for each role, then `st run` against
`/api/openapi.json` once per role. Every request the server answered is counted from its access log
(so the figure does not depend on schemathesis's own report), by status class. Exit code 1 when any
answer was a 5xx or fewer requests than --min-requests were made.

    python bench/fuzz.py [--examples N] [--min-requests 5000] [--roles employee,registry,auditor]

Needs schemathesis (`pip install 'schemathesis>=4,<5'`); it is not a dependency of the application.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "kelisim-demo"
LOG_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S*)" (?P<status>\d{3}) ')


def kelisim(*args: str) -> list[str]:
    script = Path(sys.executable).parent / "kelisim"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "web.cli", *args]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def token(base: str, username: str) -> str:
    request = urllib.request.Request(f"{base}/api/v1/tokens", method="POST",
                                     data=json.dumps({"username": username, "password": PASSWORD}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["token"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=60, help="schemathesis examples per operation and phase")
    parser.add_argument("--min-requests", type=int, default=5000)
    parser.add_argument("--roles", default="employee,registry,auditor")
    args = parser.parse_args()
    st = shutil.which("st") or str(Path(sys.executable).parent / "st")
    if not Path(st).exists():
        print("schemathesis is not installed: pip install 'schemathesis>=4,<5'")
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="kelisim-fuzz-"))
    env = {**os.environ, "KELISIM_DATA_DIR": str(data_dir), "KELISIM_LOG_LEVEL": "WARNING",
           "KELISIM_DEMO_PASSWORD": PASSWORD, "KELISIM_ACCESS_LOG": "1", "KELISIM_INSECURE_COOKIES": "1"}
    env.pop("KELISIM_DATABASE_URL", None)
    for command in (("db", "upgrade"), ("seed-demo",)):
        subprocess.run(kelisim(*command), env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = data_dir / "access.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(kelisim("serve", "--port", str(port), "--no-worker", "--workers", "2"),
                                  env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            started = time.monotonic()
            for role in args.roles.split(","):
                bearer = token(base, role)
                print(f"== schemathesis as {role}", flush=True)
                run = subprocess.run([st, "run", f"{base}/api/openapi.json", "--url", base,
                                      "-H", f"Authorization: Bearer {bearer}", "-n", str(args.examples),
                                      "--checks", "not_a_server_error", "--workers", "2"],
                                     cwd=data_dir, check=False, capture_output=True, text=True)
                for line in run.stdout.splitlines():  # its summary; the full output is long
                    if "generated" in line or "Runtime Error" in line or "not_a_server_error" in line:
                        print("  ", line.strip(), flush=True)
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(30)
    counts: collections.Counter[str] = collections.Counter()
    errors: list[str] = []
    for line in log_path.read_text(errors="replace").splitlines():
        match = LOG_LINE.search(line)
        if match:
            counts[match["status"][0] + "xx"] += 1
            if match["status"].startswith("5"):
                errors.append(line)
    total = sum(counts.values())
    print(f"\nrequests answered: {total} in {elapsed:.0f} s as {args.roles}; by class: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for line in errors[:20]:
        print("5xx:", line)
    shutil.rmtree(data_dir, ignore_errors=True)
    ok = not errors and total >= args.min_requests
    print("PASS" if ok else "FAIL", f"(0 5xx and >= {args.min_requests} requests wanted)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
