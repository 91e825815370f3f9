"""The process kinds, found once at start-up: the one place that knows which processes exist.

A process is a folder holding its BPMN (and DMN), and a Python package whose ``KIND`` is its
``ProcessKind`` (the hooks, labels, fragments and document renderers). They are found in three
places, in this order:

1. every sub-package of ``processes/`` that has a ``kind.py`` (``processes/<process_key>/``);
2. the folders listed in ``KELISIM_PROCESS_PATH`` (separated by ``os.pathsep``) and those given
   to ``add_folder`` — a process kept outside this repository, e.g. a test's toy process;
3. the ``kelisim.processes`` entry points of installed distributions (a module with ``KIND``).

No Flask here: the worker and every CLI command know the kinds without a web application.
An unknown key is an error (``UnknownProcess``), never a silent default.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from processes.usecases.kinds import ProcessKind

if TYPE_CHECKING:
    from processes.usecases.context import Settings
    from storage.models import Document

PACKAGE_DIR = Path(__file__).resolve().parent
ENTRY_POINT_GROUP = "kelisim.processes"
PATH_VARIABLE = "KELISIM_PROCESS_PATH"

_lock = threading.RLock()
_kinds: dict[str, ProcessKind] | None = None
_extra_folders: list[Path] = []


class UnknownProcess(LookupError):
    """A process key that no installed process kind has."""

    def __init__(self, key: str, known: list[str]) -> None:
        super().__init__(f"Unknown process {key!r}: no process kind with this key is installed "
                         f"(installed: {', '.join(known) or 'none'})")
        self.key = key


class InvalidProcess(RuntimeError):
    """A process folder that cannot be used (no KIND, a key used twice, a key unlike its folder)."""


def kinds() -> dict[str, ProcessKind]:
    """Every installed process kind by key (discovered on first use)."""
    global _kinds
    if _kinds is None:
        with _lock:
            if _kinds is None:
                _kinds = _discover()
    return _kinds


def kind_of(key: str) -> ProcessKind:
    """The kind of a process key; ``UnknownProcess`` when none is installed."""
    found = kinds().get(key)
    if found is None:
        raise UnknownProcess(key, sorted(kinds()))
    return found


def exists(key: str) -> bool:
    return key in kinds()


def folders() -> list[Path]:
    """The folders of every installed process (their BPMN and DMN files are deployed)."""
    return [kind.folder for kind in kinds().values()]


def clerical_keys() -> list[str]:
    """The processes whose role queues show the user's own instances too."""
    return sorted(key for key, kind in kinds().items() if not kind.separate_duties)


def issuer(document_kind: str | None) -> ProcessKind | None:
    """The process that issues a document kind (it renders it and shows its public check)."""
    for kind in kinds().values():
        if document_kind in kind.renderers:
            return kind
    return None


# Document kinds no process issues (the auditor's case file): "module:function" of their renderer, imported on
# first use. `issuer` stays None for them (no process page shows them).
GENERAL_RENDERERS: dict[str, str] = {"case_file": "processes.case_file:render_case_file"}


def renderer(document_kind: str) -> Callable[[Document, Settings], bytes] | None:
    """The function that renders a document kind to PDF, from the process that issues it (or a general one)."""
    kind = issuer(document_kind)
    if kind:
        return kind.renderers[document_kind]
    target = GENERAL_RENDERERS.get(document_kind)
    if target is None:
        return None
    module, _, name = target.partition(":")
    found: Callable[[Document, Settings], bytes] = getattr(importlib.import_module(module), name)
    return found


def open_document_kinds() -> frozenset[str]:
    """Document kinds everyone logged in may read (e.g. the policy's editions)."""
    return frozenset().union(*(kind.open_documents for kind in kinds().values()))


def add_folder(folder: Path) -> ProcessKind:
    """Install a process kept in ``folder`` (a package folder with ``KIND``), now and on rediscovery."""
    folder = Path(folder).resolve()
    with _lock:
        if folder not in _extra_folders:
            _extra_folders.append(folder)
        current = kinds()
        kind = _load_folder(folder)
        _add(current, kind, folder, require_folder_name=False)
    return kind


def reset() -> None:
    """Forget the folders added with ``add_folder`` and discover again on next use (tests)."""
    global _kinds
    with _lock:
        _extra_folders.clear()
        _kinds = None


def _discover() -> dict[str, ProcessKind]:
    found: dict[str, ProcessKind] = {}
    for info in sorted(pkgutil.iter_modules([str(PACKAGE_DIR)]), key=lambda i: i.name):
        folder = PACKAGE_DIR / info.name
        if info.ispkg and (folder / "kind.py").is_file():
            module = importlib.import_module(f"processes.{info.name}")
            _add(found, _kind_in(module, folder), folder, require_folder_name=True)
    env_folders = [Path(p).resolve() for p in os.environ.get(PATH_VARIABLE, "").split(os.pathsep) if p.strip()]
    for folder in [*env_folders, *(f for f in _extra_folders if f not in env_folders)]:
        _add(found, _load_folder(folder), folder, require_folder_name=False)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry.load()
        module = loaded if isinstance(loaded, ModuleType) else sys.modules[type(loaded).__module__]
        kind = loaded if isinstance(loaded, ProcessKind) else _kind_in(module, Path(module.__file__ or "."))
        _add(found, kind, Path(module.__file__ or ".").resolve().parent, require_folder_name=False)
    return found


def _load_folder(folder: Path) -> ProcessKind:
    """Import a process folder kept outside ``processes/`` as a package of its own."""
    init = folder / "__init__.py"
    if not init.is_file():
        raise InvalidProcess(f"{folder} is not a process package: it has no __init__.py")
    name = f"kelisim_process_{folder.name}"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(folder)])
        if spec is None or spec.loader is None:  # pragma: no cover - a file location always gives a spec
            raise InvalidProcess(f"{folder} cannot be imported")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return _kind_in(module, folder)


def _kind_in(module: ModuleType, folder: Path) -> ProcessKind:
    kind = getattr(module, "KIND", None)
    if not isinstance(kind, ProcessKind):
        raise InvalidProcess(f"{folder}: the package {module.__name__} has no KIND (a ProcessKind)")
    return kind


def _add(found: dict[str, ProcessKind], kind: ProcessKind, folder: Path, *, require_folder_name: bool) -> None:
    if not kind.key:
        raise InvalidProcess(f"{folder}: the process kind has no key")
    if require_folder_name and kind.key != folder.name:
        raise InvalidProcess(f"{folder}: the folder of process {kind.key!r} must be named after it")
    if kind.key in found and found[kind.key] is not kind:
        raise InvalidProcess(f"Two processes have the key {kind.key!r}: {found[kind.key].folder} and {folder}")
    kind.folder = folder.resolve()
    found[kind.key] = kind
    forms = kind.folder / "forms"
    if forms.is_dir():
        from forms.validate import add_form_dir

        add_form_dir(forms)


# a withheld starter is written withheld into the audit trail wherever the kinds are known (web, worker, CLI)
from processes.usecases import withheld as _withheld  # noqa: E402,F401 - registers its audit filter
