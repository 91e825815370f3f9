"""The renderer runs at a lower CPU priority than the requests (processes.worker.lower_priority)."""
from __future__ import annotations

import os
import threading

import pytest

from processes.worker import lower_priority, run_renderer

pytestmark = pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no setpriority on this system")


def _nice_in_thread(body) -> tuple[int, int]:
    """(nice before, nice after) of a new thread running body."""
    seen: list[int] = []

    def run() -> None:
        tid = threading.get_native_id()
        seen.append(os.getpriority(os.PRIO_PROCESS, tid))
        body()
        seen.append(os.getpriority(os.PRIO_PROCESS, tid))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    return seen[0], seen[1]


def test_lower_priority_changes_only_the_calling_thread():
    main_before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    before, after = _nice_in_thread(lambda: lower_priority(5))
    assert after == min(19, before + 5)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main_before, "the process was reniced"
    assert _nice_in_thread(lambda: lower_priority(0)) == (before, before)


def test_the_renderer_loop_lowers_its_own_priority(factory, services):
    stop = threading.Event()
    stop.set()  # one look at the queue, then out
    before, after = _nice_in_thread(lambda: run_renderer(factory, services, 0.01, stop, nice=7))
    assert after == min(19, before + 7)
