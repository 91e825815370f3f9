"""The layers stay visible: nothing below web/ imports Flask; only the engine adapter imports SpiffWorkflow."""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def imported_by(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(out.stdout.split())


def test_nothing_below_web_imports_flask():
    for module in ("storage.models", "storage.audit", "forms.validate", "processes.usecases.instances",
                   "processes.speech_clearance.kind", "processes.worker", "processes.documents"):
        loaded = imported_by(module)
        assert not {m for m in loaded if m == "flask" or m.startswith("flask.")}, module


def test_only_the_engine_adapter_imports_spiffworkflow():
    pattern = re.compile(r"^\s*(from|import)\s+SpiffWorkflow", re.M)
    importers = {p.relative_to(ROOT).as_posix() for p in ROOT.glob("*/**/*.py")
                 if ".venv" not in p.parts and pattern.search(p.read_text("utf-8"))}
    # sandbox.py subclasses the engine's script environment and belongs to the adapter
    assert importers <= {"processes/engine.py", "processes/sandbox.py"}, importers


def test_storage_and_forms_do_not_import_the_engine():
    for module in ("storage.models", "storage.accounts", "forms.validate"):
        assert "SpiffWorkflow" not in imported_by(module), module
