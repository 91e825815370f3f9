"""A process killed between storing a file and committing leaves no row pointing to a missing file."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from click.testing import CliRunner
from sqlalchemy import select

from storage import audit
from storage.models import StoredFile
from tests.conftest import ROOT

CRASHING_UPLOAD = textwrap.dedent("""
    import io, os, signal, sys
    from pathlib import Path
    import processes.material_signoff.kind  # registers the process kind
    from processes.engine import ProcessEngine
    from processes.usecases import files, instances
    from processes.usecases.context import Ctx, Services
    from sqlalchemy import select
    from storage.blobs import BlobStore
    from tests.samples import pdf
    from storage.db import make_engine, make_sessionmaker, transaction
    from storage.models import User

    url, blob_root = sys.argv[1], Path(sys.argv[2])
    factory = make_sessionmaker(make_engine(url))
    services = Services(engine=ProcessEngine(Path("processes")), blobs=BlobStore(blob_root))
    with transaction(factory) as s:
        user = s.execute(select(User).where(User.username == "unit.head")).scalar_one()
        iid = instances.start_instance(Ctx(session=s, services=services, user=user), "material_signoff").id
    print(iid, flush=True)
    with transaction(factory) as s:
        user = s.execute(select(User).where(User.username == "unit.head")).scalar_one()
        files.upload(Ctx(session=s, services=services, user=user), iid, "video.pdf", io.BytesIO(pdf("video")))
        s.flush()
        os.kill(os.getpid(), signal.SIGKILL)  # dies after the file is durable, before the commit
""")


def test_kill_between_file_and_commit(db_url, factory, tmp_path, monkeypatch):
    blob_root = tmp_path / "data" / "blobs"
    proc = subprocess.run([sys.executable, "-c", CRASHING_UPLOAD, db_url, str(blob_root)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    stored = [p for p in blob_root.glob("??/??/*")]
    assert len(stored) == 1  # the bytes reached the disk ...
    with factory() as s:
        assert s.execute(select(StoredFile)).scalars().all() == []  # ... but no row was committed
        assert audit.verify(s).ok
    os.utime(stored[0], (0, 0))  # older than the sweeper's grace period
    from web.cli import main

    monkeypatch.setenv("KELISIM_DATABASE_URL", db_url)
    monkeypatch.setenv("KELISIM_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["files", "sweep"])
    assert result.exit_code == 0 and "removed 1" in result.output
    assert list(blob_root.glob("??/??/*")) == []


CRASHING_RENDER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import processes.speech_clearance.kind as speech
    from processes.engine import ProcessEngine
    from processes.rendering import render_pending
    from processes.usecases.context import Services
    from storage.blobs import BlobStore
    from storage.db import make_engine, make_sessionmaker

    def die(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)  # killed while WeasyPrint would be working

    speech.render_certificate = die
    factory = make_sessionmaker(make_engine(sys.argv[1]))
    render_pending(factory, Services(engine=ProcessEngine(Path("processes")), blobs=BlobStore(Path(sys.argv[2]))))
""")


def test_kill_during_pdf_rendering(act, db_url, factory, services, tmp_path):
    from processes.usecases import instances
    from processes.worker import tick
    from storage.models import Document, Instance, InstanceState
    from tests.service.helpers import my_task, start_and_submit

    iid = start_and_submit(act)
    act("vr.finance", instances.complete_task, my_task(act, "vr.finance", iid).id, {"decision": "approve"})
    proc = subprocess.run([sys.executable, "-c", CRASHING_RENDER, db_url, str(tmp_path / "crash-blobs")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with factory() as s:
        for inst in s.execute(select(Instance)).scalars():  # every instance still loads
            services.engine.restore(inst.definition.spec_json, s.get(InstanceState, inst.id).state_json)
        assert s.execute(select(Document.sha256).where(Document.instance_id == iid)).scalar_one() is None  # pending
        assert audit.verify(s).ok
    tick(factory, services)  # the worker renders what the killed process left
    with factory() as s:
        doc = s.execute(select(Document).where(Document.instance_id == iid)).scalar_one()
    assert doc.sha256 is not None and services.blobs.exists(doc.sha256)
