"""The production WSGI server: Waitress in one process per core, sharing one listening socket.

Waitress reads each request (headers and body) in its event loop and hands a request to a worker
thread only once it has arrived whole (bodies over 512 KiB are buffered to a temporary file; the body
of a raw upload straight into the blob store, hashed as it arrives: web/raw_body.py), so
a client that sends its body slowly — or never — holds a connection, not a thread: the server stays
responsive with hundreds of such connections open. A connection that sends nothing for
``channel_timeout`` seconds is closed (the body-read timeout).

The parent binds the socket, forks the server processes (each builds its own application and
database pool after the fork: no connection crosses it), restarts one that dies, and stops them all
on SIGTERM or SIGINT.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("kelisim.server")
RECV_BYTES = 1024 * 1024  # at most this much per read from a socket (Waitress: 64 KiB): fewer passes per upload

DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1", "port": 5000, "workers": 1, "threads": 4,
    "channel_timeout": 30,  # seconds without a byte from the client before its connection is closed
    "connection_limit": 1000,  # open connections per process (slow or idle ones included)
    "access_log": False,
}


def serve_forever(options: dict[str, Any]) -> int:
    """Serve until stopped; return the exit code."""
    opts = {**DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
    listener = socket.create_server((opts["host"], int(opts["port"])), backlog=2048)
    listener.set_inheritable(True)
    children: dict[int, int] = {}  # pid -> slot
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            _signal(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for slot in range(max(1, int(opts["workers"]))):
        children[_spawn(listener, opts)] = slot
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for clarity
            continue
        if pid not in children:
            continue
        slot = children.pop(pid)
        if not stopping:
            log.error("server process %s ended (status %s); starting another", pid, status)
            time.sleep(0.5)  # do not spin if it cannot start
            children[_spawn(listener, opts)] = slot
    listener.close()
    return 0


def _spawn(listener: socket.socket, opts: dict[str, Any]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:  # the child: its own application, then Waitress on the shared socket
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _serve_child(listener, opts)
    except BaseException:  # noqa: BLE001 - a child never returns into the parent's loop
        log.exception("server process failed")
        code = 1
    finally:
        os._exit(code)


def _serve_child(listener: socket.socket, opts: dict[str, Any]) -> None:
    from waitress import serve

    from web import create_app, raw_body

    app = create_app()
    raw_body.install(app)  # raw uploads (PUT …/files/<name>) are received straight into the blob store
    handler: Callable[..., Iterable[bytes]] = _AccessLog(app) if opts["access_log"] else app
    serve(handler, sockets=[listener], threads=int(opts["threads"]), channel_timeout=int(opts["channel_timeout"]),
          connection_limit=int(opts["connection_limit"]), asyncore_use_poll=True, ident="Kelisim",
          cleanup_interval=max(1, min(30, int(opts["channel_timeout"]) // 2)),
          max_request_body_size=int(app.config["MAX_CONTENT_LENGTH"]),
          recv_bytes=RECV_BYTES,
          # X-Forwarded-* reach the application only when it trusts proxies (its ProxyFix reads them)
          clear_untrusted_proxy_headers=not app.config["TRUSTED_PROXIES"])


class _AccessLog:
    """One line per request on standard output (KELISIM_ACCESS_LOG=1): method, path, status, time."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()

        def logged(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            elapsed = (time.perf_counter() - started) * 1000
            print(f'{environ.get("REMOTE_ADDR", "-")} "{environ["REQUEST_METHOD"]} {environ.get("PATH_INFO", "")}" '
                  f"{status.split(' ', 1)[0]} {elapsed:.0f}ms", flush=True)
            return start_response(status, headers, exc_info)

        return self.app(environ, logged)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    import json

    logging.basicConfig(level=os.environ.get("KELISIM_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(serve_forever(json.loads(sys.argv[1])))
