"""Benchmark of large uploads and downloads through a real `kelisim serve`, against `cp` on the same disk.

In one run, in a fresh temporary folder (removed at the end unless --keep):
  1. `kelisim db upgrade`, `kelisim seed-demo`, then `kelisim serve --no-worker` on a free 127.0.0.1
     port (SQLite, KELISIM_MAX_FILE_MB=300), started as `python -m web.cli` from the checkout;
  2. big.pdf: a valid PDF of --size-mb MiB, mostly random bytes in one stream object (speech_clearance
     accepts pdf; the upload check parses it);
  3. `cp big.pdf copy.pdf`, timed alone and then followed by os.sync() (the server fsyncs);
  4. as `employee`: start a speech_clearance instance, then POST /api/v1/instances/<id>/files with a
     streaming client (requests, a body iterable of 1 MiB chunks with a Content-Length, multipart
     written by hand: the file is never whole in the client's memory), while a thread samples the
     VmRSS of the server and all its descendants every 20 ms;
  5. the raw upload: PUT /api/v1/instances/<id>/files/big.pdf with the file's bytes as the body (1 MiB
     chunks, a Content-Length and its Content-Digest), sampled the same way, and the VmHWM (peak RSS)
     of each server process read before and after it;
  6. GET /api/v1/files/<id>, streamed to a file on the same disk.
Steps 3-6 are repeated --runs times (default 3); medians are printed, with PASS/FAIL against the
targets (issue 13): raw upload >= 50 % of cp (with sync), peak RSS of the server tree < 100 MB above
idle during it; the multipart upload is printed beside it. Figures, not a test. Usage:
`.venv/bin/python bench/uploads.py [--size-mb 100] [--runs 3] [--keep] [--quick]` (--quick: 20 MiB, one run).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "kelisim-demo"
MIB = 1024 * 1024
CHUNK = MIB
HTTP_TIMEOUT = 300.0
UPLOAD_TARGET = 0.50  # upload throughput / cp throughput (cp followed by sync)
RSS_TARGET_BYTES = 100_000_000  # 100 MB


# --- the server (the approach of bench/speech_clearance.py) -----------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kelisim(*args: str) -> list[str]:
    return [sys.executable, "-m", "web.cli", *args]


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KELISIM_")}
    env.update(KELISIM_DATA_DIR=str(data_dir), KELISIM_DATABASE_URL=f"sqlite:///{data_dir / 'kelisim.sqlite3'}",
               KELISIM_DEMO_PASSWORD=PASSWORD, KELISIM_LOG_LEVEL="WARNING", KELISIM_MAX_FILE_MB="300",
               NO_PROXY="127.0.0.1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return env


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def start_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    data_dir, log = tmp / "data", tmp / "server.log"
    data_dir.mkdir()
    env = server_env(data_dir)
    for args in (["db", "upgrade"], ["seed-demo"]):
        with log.open("ab") as out:
            done = subprocess.run(kelisim(*args), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=300, check=False)
        if done.returncode:
            raise RuntimeError(f"kelisim {' '.join(args)} failed:\n{tail(log)}")
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(kelisim("serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"),
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    with requests.Session() as http:
        http.trust_env = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if http.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return proc, base, data_dir
            except requests.RequestException:
                pass
            time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError(f"kelisim serve did not become ready (exit {proc.poll()}):\n{tail(log)}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


# --- memory of the server's process tree ------------------------------------------------------

def tree_rss_bytes(root_pid: int) -> int:
    """Sum of VmRSS over root_pid and all its live descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
    return total


class RssSampler:
    """Sample the tree's RSS every `interval` seconds in a thread; keep the peak."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid, self.interval = pid, interval
        self.peak, self.samples = 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def tree_hwm_bytes(root_pid: int) -> dict[int, int]:
    """VmHWM (the peak RSS it ever had) of root_pid and each live descendant, by pid."""
    peaks = {}
    for pid in _tree(root_pid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
    return peaks


def tree_cpu_seconds(root_pid: int) -> float:
    """User + system CPU time used so far by root_pid and its live descendants."""
    total = 0
    for pid in _tree(root_pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        except (OSError, ValueError, IndexError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def _tree(root_pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return tree


def idle_rss(pid: int, seconds: float = 1.0) -> int:
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        samples.append(tree_rss_bytes(pid))
        time.sleep(0.02)
    return int(statistics.median(samples))


# --- the file, cp, the streaming client --------------------------------------------------------

def make_file(path: Path, size: int) -> str:
    """Write a valid PDF of about `size` bytes, written as it goes: one blank page, and a stream object
    the page refers to holding random bytes (the upload check parses the PDF); return the sha256."""
    digest = hashlib.sha256()
    offsets: list[int] = []
    with path.open("wb") as out:
        def write(data: bytes) -> None:
            out.write(data)
            digest.update(data)

        write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        left = max(0, size - 1024)
        offsets.append(out.tell())
        write(b"1 0 obj\n<< /Length %d >>\nstream\n" % left)
        while left > 0:
            chunk = os.urandom(min(CHUNK, left))
            write(chunk)
            left -= len(chunk)
        write(b"\nendstream\nendobj\n")
        for body in (b"<< /Type /Catalog /Pages 3 0 R >>", b"<< /Type /Pages /Kids [ 4 0 R ] /Count 1 >>",
                     b"<< /Type /Page /Parent 3 0 R /MediaBox [ 0 0 595 842 ] /Resources << >> /PieceInfo 1 0 R >>"):
            offsets.append(out.tell())
            write(b"%d 0 obj\n%s\nendobj\n" % (len(offsets), body))
        xref = out.tell()
        write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        for offset in offsets:
            write(b"%010d 00000 n \n" % offset)
        write(b"trailer\n<< /Size %d /Root 2 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))
    os.sync()
    return digest.hexdigest()


def time_cp(src: Path, dst: Path) -> tuple[float, float]:
    """Return (seconds of cp alone, seconds of cp then os.sync())."""
    dst.unlink(missing_ok=True)
    os.sync()
    t0 = time.perf_counter()
    subprocess.run(["cp", str(src), str(dst)], check=True)
    t1 = time.perf_counter()
    os.sync()
    t2 = time.perf_counter()
    dst.unlink()
    os.sync()
    return t1 - t0, t2 - t0


class MultipartBody:
    """A multipart/form-data body with one file part, read from disk in chunks as it is sent."""

    def __init__(self, path: Path, field: str = "file"):
        self.path = path
        self.boundary = uuid.uuid4().hex
        self.head = (f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
                     f"filename=\"{path.name}\"\r\nContent-Type: application/pdf\r\n\r\n").encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.content_type = f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:  # requests sends a Content-Length, and streams the iterable
        return len(self.head) + self.path.stat().st_size + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        with self.path.open("rb") as src:
            while chunk := src.read(CHUNK):
                yield chunk
        yield self.tail


class RawBody:
    """The file itself as the body, read from disk in chunks as it is sent (with a Content-Length)."""

    def __init__(self, path: Path):
        self.path = path

    def __len__(self) -> int:
        return self.path.stat().st_size

    def __iter__(self) -> Iterator[bytes]:
        with self.path.open("rb") as src:
            while chunk := src.read(CHUNK):
                yield chunk


def mib_per_s(size: int, seconds: float) -> float:
    return size / MIB / seconds


# --- the run -----------------------------------------------------------------------------------

def run(size_mb: int, runs: int, keep: bool, base_dir: str | None) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="kelisim-uploads-", dir=base_dir))
    proc = None
    try:
        fs = (subprocess.run(["df", "--output=fstype", str(tmp)], capture_output=True, text=True,
                             check=False).stdout.split()[-1:] or ["?"])[0]
        big = tmp / "big.pdf"
        size = size_mb * MIB
        sha = make_file(big, size)
        proc, base, data_dir = start_server(tmp)
        http = requests.Session()
        http.trust_env = False
        token = http.post(f"{base}/api/v1/tokens", json={"username": "employee", "password": PASSWORD},
                          timeout=HTTP_TIMEOUT)
        token.raise_for_status()
        auth = {"Authorization": f"Bearer {token.json()['token']}"}
        started = http.post(f"{base}/api/v1/processes/speech_clearance/instances", headers=auth,
                            timeout=HTTP_TIMEOUT)
        started.raise_for_status()
        iid = started.json()["id"]

        digest_header = f"sha-256=:{base64.b64encode(bytes.fromhex(sha)).decode()}:"
        cp_plain, cp_sync, up_s, down_s, rss_delta, idle_values = [], [], [], [], [], []
        raw_s, raw_rss, raw_hwm, raw_cpu = [], [], [], []
        file_id = None
        for i in range(runs):
            plain, synced = time_cp(big, tmp / "copy.pdf")
            cp_plain.append(plain)
            cp_sync.append(synced)

            idle = idle_rss(proc.pid)
            idle_values.append(idle)
            body = MultipartBody(big)
            with RssSampler(proc.pid) as sampler:
                t0 = time.perf_counter()
                response = http.post(f"{base}/api/v1/instances/{iid}/files", data=body, timeout=HTTP_TIMEOUT,
                                     headers={**auth, "Content-Type": body.content_type})
                up_s.append(time.perf_counter() - t0)
            if response.status_code != 201 or response.json()["sha256"] != sha:
                raise RuntimeError(f"upload {i + 1}: {response.status_code} {response.text[:300]}")
            rss_delta.append(sampler.peak - idle)
            file_id = response.json()["id"]

            os.sync()
            idle = idle_rss(proc.pid)
            hwm_before = tree_hwm_bytes(proc.pid)
            cpu_before = tree_cpu_seconds(proc.pid)
            with RssSampler(proc.pid) as raw_sampler:
                t0 = time.perf_counter()
                response = http.put(f"{base}/api/v1/instances/{iid}/files/big.pdf", data=RawBody(big),
                                    timeout=HTTP_TIMEOUT, headers={**auth, "Content-Digest": digest_header,
                                                                   "Content-Type": "application/pdf"})
                raw_s.append(time.perf_counter() - t0)
            if response.status_code != 201 or response.json()["sha256"] != sha:
                raise RuntimeError(f"raw upload {i + 1}: {response.status_code} {response.text[:300]}")
            raw_cpu.append(tree_cpu_seconds(proc.pid) - cpu_before)
            hwm_after = tree_hwm_bytes(proc.pid)
            raw_rss.append(raw_sampler.peak - idle)
            raw_hwm.append(max((hwm_after[pid] - hwm_before.get(pid, 0) for pid in hwm_after), default=0))

            out = tmp / "down.pdf"
            digest = hashlib.sha256()
            t0 = time.perf_counter()
            with http.get(f"{base}/api/v1/files/{file_id}", headers=auth, stream=True,
                          timeout=HTTP_TIMEOUT) as got, out.open("wb") as dst:
                got.raise_for_status()
                for chunk in got.iter_content(CHUNK):
                    dst.write(chunk)
                    digest.update(chunk)
            down_s.append(time.perf_counter() - t0)
            if digest.hexdigest() != sha:
                raise RuntimeError(f"download {i + 1}: wrong content")
            out.unlink()
            os.sync()
            print(f"  run {i + 1}: cp {mib_per_s(size, plain):7.1f} MiB/s, cp+sync "
                  f"{mib_per_s(size, synced):7.1f} MiB/s, multipart {mib_per_s(size, up_s[-1]):7.1f} MiB/s, "
                  f"raw PUT {mib_per_s(size, raw_s[-1]):7.1f} MiB/s (server CPU {raw_cpu[-1]:.2f} s), "
                  f"download {mib_per_s(size, down_s[-1]):7.1f} MiB/s, server tree RSS peak "
                  f"+{rss_delta[-1] / MIB:.1f} MiB (multipart) +{raw_rss[-1] / MIB:.1f} MiB (raw, "
                  f"{raw_sampler.samples} samples; VmHWM +{raw_hwm[-1] / MIB:.1f} MiB) above idle")

        leftovers = sorted(p.name for p in (data_dir / "blobs" / "tmp").iterdir())
        med = statistics.median
        cp_p, cp_s = mib_per_s(size, med(cp_plain)), mib_per_s(size, med(cp_sync))
        up, down = mib_per_s(size, med(up_s)), mib_per_s(size, med(down_s))
        raw = mib_per_s(size, med(raw_s))
        rss = med(rss_delta) / MIB
        print()
        print(f"Uploads through `kelisim serve --no-worker` (Waitress, SQLite): {size_mb} MiB big.pdf, "
              f"medians of {runs} runs, filesystem {fs} at {tmp}")
        print(f"  cp (no sync)               {cp_p:8.1f} MiB/s   ({med(cp_plain):.3f} s)")
        print(f"  cp + os.sync()             {cp_s:8.1f} MiB/s   ({med(cp_sync):.3f} s)")
        print(f"  upload  POST .../files     {up:8.1f} MiB/s   ({med(up_s):.3f} s, multipart, incl. fsync + rename + "
              f"commit)")
        print(f"  upload  PUT .../files/big.pdf {raw:5.1f} MiB/s   ({med(raw_s):.3f} s, raw body, incl. the type check, "
              f"fsync + rename + commit)")
        print(f"  download GET /files/<id>   {down:8.1f} MiB/s   ({med(down_s):.3f} s, streamed to disk, no sync)")
        print(f"  raw PUT / cp+sync          {raw / cp_s:8.2f}   (raw PUT / cp without sync: {raw / cp_p:.2f}; best run "
              f"{min(raw_s) and max(cp_sync[i] / raw_s[i] for i in range(runs)):.2f})")
        print(f"  server CPU per raw PUT     {med(raw_cpu):8.2f} s  (user + system, all server processes; "
              f"{med(raw_cpu) / med(raw_s):.0%} of its wall time; the rest is waiting: disk, scheduler)")
        print(f"  multipart / cp+sync        {up / cp_s:8.2f}   (multipart / cp without sync: {up / cp_p:.2f})")
        print(f"  download / cp (no sync)    {down / cp_p:8.2f}   (download / cp+sync: {down / cp_s:.2f})")
        print(f"  server tree RSS: idle {med(idle_values) / MIB:.1f} MiB, peak during the multipart upload "
              f"+{rss:.1f} MiB above idle (max over runs +{max(rss_delta) / MIB:.1f} MiB)")
        print(f"  server tree RSS during the raw PUT: peak +{med(raw_rss) / MIB:.1f} MiB above idle (max over runs "
              f"+{max(raw_rss) / MIB:.1f} MiB); VmHWM growth of a server process +{max(raw_hwm) / MIB:.1f} MiB")
        print(f"  blobs/tmp after the runs: {leftovers or 'empty'}")
        worst = max(max(raw_rss), max(raw_hwm))
        up_ok, rss_ok = raw / cp_s >= UPLOAD_TARGET, worst < RSS_TARGET_BYTES
        print(f"{'PASS' if up_ok else 'FAIL'}: raw upload >= {UPLOAD_TARGET:.0%} of cp+sync ({raw / cp_s:.0%}; "
              f"multipart {up / cp_s:.0%})")
        print(f"{'PASS' if rss_ok else 'FAIL'}: server memory during the raw upload < {RSS_TARGET_BYTES / 1e6:.0f} MB "
              f"above idle (max {worst / MIB:.1f} MiB; multipart max {max(rss_delta) / MIB:.1f} MiB)")
        return 0 if up_ok and rss_ok and not leftovers else 1
    finally:
        if proc is not None:
            stop_server(proc)
        if keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100, help="size of big.pdf in MiB (default 100)")
    parser.add_argument("--runs", type=int, default=3, help="repetitions; medians are reported (default 3)")
    parser.add_argument("--dir", default=None, help="where to make the temporary folder (default: $TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--quick", action="store_true", help="a short run: 20 MiB, one run")
    args = parser.parse_args()
    if args.quick:
        args.size_mb, args.runs = 20, 1
    sys.exit(run(args.size_mb, args.runs, args.keep, args.dir))


if __name__ == "__main__":
    main()
