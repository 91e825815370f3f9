"""The render queue: a decision commits its documents pending, the worker renders each PDF exactly once —
with two workers at once on PostgreSQL (`FOR UPDATE SKIP LOCKED`), and after a worker was killed mid-render."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from processes import rendering
from processes.usecases import instances
from processes.worker import run_renderer
from storage import audit
from storage.db import make_engine, make_sessionmaker
from storage.models import AuditEvent, Document
from tests.conftest import PG_URL, ROOT
from tests.service.helpers import my_task, start_and_submit

needs_pg = pytest.mark.skipif(not PG_URL, reason="SKIP LOCKED is PostgreSQL's (KELISIM_DATABASE_URL)")


@pytest.fixture(autouse=True)
def _seeded_documents_rendered(factory, services, monkeypatch):
    """The seeded policy edition's PDF is pending too: render it (stubbed) so the queue holds only what a
    test issues."""
    with monkeypatch.context() as patch:
        stub_renderer(patch)
        rendering.render_pending(factory, services)


def approve(act) -> int:
    iid = start_and_submit(act)
    act("vr.finance", instances.complete_task, my_task(act, "vr.finance", iid).id, {"decision": "approve"})
    return iid


def docs(factory) -> list[Document]:
    with factory() as s:
        return list(s.execute(select(Document).where(Document.instance_id.is_not(None)).order_by(Document.id))
                    .scalars())


def rendered_entries(factory) -> Counter[str]:
    """How many `document_rendered` audit entries each document of an instance has."""
    with factory() as s:
        rows = s.execute(select(AuditEvent.object).where(AuditEvent.action == "document_rendered",
                                                         AuditEvent.instance_id.is_not(None))).scalars()
        return Counter(rows)


def tiny_pdf(title: str) -> bytes:
    """A one-page PDF whose metadata names it (pypdf)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def stub_renderer(monkeypatch, delay: float = 0.0, fail: set[int] | None = None) -> Counter[int]:
    """Replace every document renderer by one that counts its calls per document (and may be slow, or fail)."""
    calls: Counter[int] = Counter()
    lock = threading.Lock()

    def render(doc, _settings) -> bytes:
        with lock:
            calls[doc.id] += 1
        time.sleep(delay)
        if fail and doc.id in fail:
            raise RuntimeError("the renderer broke")
        return tiny_pdf(f"stub of document {doc.id}")  # a real PDF: it is signed before it is stored

    monkeypatch.setattr(rendering, "renderer_of", lambda _kind: render)
    return calls


def test_decision_commits_the_document_pending_and_the_worker_renders_it_once(act, factory, services):
    iid = approve(act)
    (doc,) = [d for d in docs(factory) if d.instance_id == iid]
    assert doc.sha256 is None and doc.rendered_at is None and doc.public["fingerprint"]  # pending, content fixed
    assert rendering.has_pending(factory)
    assert rendering.render_pending(factory, services) == 1
    assert rendering.render_pending(factory, services) == 0  # nothing rendered twice
    assert not rendering.has_pending(factory)
    (doc,) = [d for d in docs(factory) if d.instance_id == iid]
    assert services.blobs.path(doc.sha256).read_bytes()[:5] == b"%PDF-" and doc.rendered_at is not None
    assert rendered_entries(factory) == {f"document:{doc.id}": 1}
    with factory() as s:
        assert audit.verify(s).ok


def test_a_failing_document_stays_pending_and_does_not_stop_the_others(act, factory, services, monkeypatch):
    first, second = approve(act), approve(act)
    bad, good = (next(d.id for d in docs(factory) if d.instance_id == i) for i in (first, second))
    calls = stub_renderer(monkeypatch, fail={bad})
    failed: set[int] = set()
    assert rendering.render_pending(factory, services, failed=failed) == 1
    assert failed == {bad} and calls == {bad: 1, good: 1}  # tried once in this pass, not in a loop
    state = {d.id: d.sha256 for d in docs(factory)}
    assert state[bad] is None and state[good] is not None
    assert rendering.render_pending(factory, services, failed=failed) == 0  # left alone for this pass


def test_the_renderer_loop_makes_a_document_ready_within_moments(act, factory, services):
    stop = threading.Event()
    thread = threading.Thread(target=run_renderer, args=(factory, services, 0.05, stop), daemon=True)
    thread.start()
    try:
        iid = approve(act)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            doc = next(d for d in docs(factory) if d.instance_id == iid)
            if doc.sha256 is not None:
                break
            time.sleep(0.05)
        assert doc.sha256 is not None, "the renderer did not render the certificate"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert rendered_entries(factory) == {f"document:{doc.id}": 1}


@needs_pg
def test_two_workers_on_postgresql_render_each_document_exactly_once(act, db_url, services, monkeypatch):
    for _ in range(6):
        approve(act)
    calls = stub_renderer(monkeypatch, delay=0.15)
    engines = [make_engine(db_url) for _ in range(2)]
    stored = [0, 0]
    start = threading.Barrier(2)

    def worker(index: int) -> None:
        start.wait()
        stored[index] = rendering.render_pending(make_sessionmaker(engines[index]), services)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    factory = make_sessionmaker(engines[0])
    try:
        ids = [d.id for d in docs(factory)]
        assert len(ids) == 6 and all(d.sha256 for d in docs(factory))
        assert calls == dict.fromkeys(ids, 1)  # each PDF rendered by one worker only: none twice
        assert rendered_entries(factory) == {f"document:{i}": 1 for i in ids}
        assert sum(stored) == 6 and min(stored) >= 1  # both took a share of the queue
        with factory() as s:
            assert audit.verify(s).ok
    finally:
        for eng in engines:
            eng.dispose()


SLOW_WORKER = """
import sys, time
from pathlib import Path
from processes import rendering
from processes.engine import ProcessEngine
from processes.usecases.context import Services
from storage.blobs import BlobStore
from storage.db import make_engine, make_sessionmaker

def slow(doc, settings):
    Path(sys.argv[3]).write_text(str(doc.id))  # rendering has begun: the test kills this process now
    time.sleep(300)
    raise SystemExit("not killed")

rendering.renderer_of = lambda kind: slow
factory = make_sessionmaker(make_engine(sys.argv[1]))
rendering.render_pending(factory, Services(engine=ProcessEngine(Path("processes")), blobs=BlobStore(Path(sys.argv[2]))))
"""


def test_kill_9_of_a_worker_mid_render_leaves_the_document_to_the_next_worker_once(act, db_url, factory, services,
                                                                                   tmp_path):
    iid = approve(act)
    (doc,) = [d for d in docs(factory) if d.instance_id == iid]
    marker = tmp_path / "rendering"
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", SLOW_WORKER, db_url, str(tmp_path / "dead-blobs"),
                                 str(marker)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), log.read_text()
        assert marker.read_text() == str(doc.id)
        if PG_URL:  # the killed worker's claim holds: another worker skips the document instead of rendering it
            assert rendering.render_next(factory, services) is None
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    (after,) = [d for d in docs(factory) if d.instance_id == iid]
    assert after.sha256 is None and after.rendered_at is None  # still pending, nothing half-stored
    assert rendered_entries(factory) == {}
    deadline = time.monotonic() + 30  # PostgreSQL ends the dead connection's transaction (its lock) at once
    while (stored := rendering.render_pending(factory, services)) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stored == 1
    assert rendering.render_pending(factory, services) == 0
    (after,) = [d for d in docs(factory) if d.instance_id == iid]
    assert services.blobs.path(after.sha256).read_bytes()[:5] == b"%PDF-"
    assert rendered_entries(factory) == {f"document:{doc.id}": 1}
    with factory() as s:
        assert s.execute(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.action == "document_rendered",
                                AuditEvent.object == f"document:{doc.id}")).scalar_one() == 1
        assert audit.verify(s).ok
