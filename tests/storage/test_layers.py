"""The layers stay visible: nothing below web/ imports Flask; only the engine adapter imports SpiffWorkflow."""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def imported_by(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(out.stdout.split())


BELOW_WEB = ("processes", "storage", "forms")


def all_modules(package: str) -> list[str]:
    """Every module of a package, found on disk (not a hand-picked list)."""
    code = (f"import pkgutil, {package} as p; print('\\n'.join(m.name for m in "
            f"pkgutil.walk_packages(p.__path__, p.__name__ + '.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return out.stdout.split()


def test_every_module_below_web_is_checked():
    modules = {m for package in BELOW_WEB for m in all_modules(package)}
    # the process packages and their modules are among them, found from the folders
    assert {"processes.catalog", "processes.speech_clearance.kind", "processes.policy_amendment.documents",
            "processes.information_request.request_register", "processes.material_signoff.sheet",
            "storage.models", "forms.validate"} <= modules
    assert len(modules) >= 40


def test_nothing_below_web_imports_flask():
    modules = [m for package in BELOW_WEB for m in all_modules(package)]
    loaded = imported_by(", ".join(modules))  # all of them in one interpreter
    if any(m == "flask" or m.startswith("flask") for m in loaded):
        culprits = [m for m in modules if any(x.startswith("flask") for x in imported_by(m))]
        raise AssertionError(f"these modules load Flask: {culprits}")


def test_the_cli_and_worker_need_no_flask_app(tmp_path):
    """`kelisim worker --once` and `kelisim audit verify` run on the runtime alone: building a Flask app
    is made to fail, and they still work."""
    code = """
import sys, web
def refuse(*args, **kwargs):
    raise SystemExit("a Flask application was built")
web.create_app = refuse
from click.testing import CliRunner
from web.cli import main
for args in (["db", "upgrade"], ["seed-demo"], ["worker", "--once"], ["audit", "verify"], ["policy", "import"]):
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    print(result.output.strip().splitlines()[-1])
"""
    env = {**os.environ, "KELISIM_DATA_DIR": str(tmp_path), "KELISIM_LOG_LEVEL": "WARNING"}
    env.pop("KELISIM_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[-3] == "advanced 0 instance(s)" and lines[-2].startswith("ok: ")
    assert lines[-1] == "policy: an edition exists already; nothing imported"


def test_only_the_engine_adapter_imports_spiffworkflow():
    pattern = re.compile(r"^\s*(from|import)\s+SpiffWorkflow", re.M)
    importers = {p.relative_to(ROOT).as_posix() for p in ROOT.glob("*/**/*.py")
                 if ".venv" not in p.parts and pattern.search(p.read_text("utf-8"))}
    # sandbox.py subclasses the engine's script environment and belongs to the adapter
    assert importers <= {"processes/engine.py", "processes/sandbox.py"}, importers


def test_storage_and_forms_do_not_import_the_engine():
    for module in ("storage.models", "storage.accounts", "forms.validate"):
        assert "SpiffWorkflow" not in imported_by(module), module
