"""Labels of the installed processes for the templates: each process's own (its ``labels.py``),
translated here. A code no process knows is shown as it is (or the caller's fallback)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _gettext
from markupsafe import Markup

from processes import case_file, catalog
from processes.usecases.kinds import Labels, ProcessKind

# document kinds no process issues, and their labels (msgids)
GENERAL_DOCUMENTS = {case_file.KIND: case_file.TITLE}


def gettext(msgid: str) -> Markup:
    """A translated label, trusted as the templates' own translations are (Jinja marks those safe)."""
    return Markup(_gettext(msgid))


class ProcessLabels:
    """Looked up by the templates as ``labels``: process names, task titles, outcomes, values."""

    @staticmethod
    def _kinds() -> Iterable[ProcessKind]:
        return catalog.kinds().values()

    def _own(self, process: str | None) -> Labels | None:
        kind = catalog.kinds().get(process or "")
        return kind.labels if kind else None

    def _first(self, group: str, code: Any, process: str | None = None) -> str | None:
        """The msgid of a code in the process's labels, else in the only (or same) label all processes give."""
        own = self._own(process)
        if own is not None and code in getattr(own, group):
            return getattr(own, group)[code]
        hits = {getattr(kind.labels, group)[code] for kind in self._kinds()
                if isinstance(code, str) and code in getattr(kind.labels, group)}
        return hits.pop() if len(hits) == 1 else None

    def process(self, key: str | None) -> str:
        own = self._own(key)
        return gettext(own.title) if own and own.title else (key or "")

    def description(self, key: str | None) -> str:
        own = self._own(key)
        return gettext(own.description) if own and own.description else ""

    def task(self, name: str | None, fallback: str | None = None, process: str | None = None) -> str:
        """A task's title: the process's own when known; else the one all processes agree on."""
        own = self._own(process)
        msgid = own.tasks.get(name or "") if own is not None else self._first("tasks", name)
        if msgid:
            return gettext(msgid)
        return fallback or name or ""

    def _label(self, group: str, code: Any, process: str | None) -> str | None:
        """A code's label: the process's own when the process is known; else the one all processes give;
        where they differ and the process is not known (a list across processes), every distinct label
        joined by " / " rather than the bare code."""
        msgid = self._first(group, code, process)
        if msgid:
            return gettext(msgid)
        if not isinstance(code, str):
            return None
        found = sorted({str(gettext(getattr(kind.labels, group)[code])) for kind in self._kinds()
                        if code in getattr(kind.labels, group)})
        return Markup(" / ").join(Markup(label) for label in found) if found else None

    def outcome(self, code: str | None, process: str | None = None) -> str | None:
        return self._label("outcomes", code, process)

    def decision(self, code: str | None, process: str | None = None) -> str | None:
        return self._label("decisions", code, process)

    def field(self, key: str) -> str | None:
        msgid = self._first("fields", key)
        return gettext(msgid) if msgid else None

    def document(self, kind: str | None) -> str | None:
        msgid = self._first("documents", kind) or GENERAL_DOCUMENTS.get(kind or "")
        return gettext(msgid) if msgid else None

    def value(self, key: str, code: Any) -> str | None:
        """The label of a coded value of a data key (e.g. channel "print" → "Print"), or None."""
        for kind in self._kinds():
            table: Mapping[str, str] = kind.labels.values.get(key, {})
            if isinstance(code, str) and code in table:
                return gettext(table[code])
        return None

    def has_values(self, key: str) -> bool:
        return any(key in kind.labels.values for kind in self._kinds())

    def is_date(self, key: str) -> bool:
        return any(key in kind.labels.dates for kind in self._kinds())

    def is_datetime(self, key: str) -> bool:
        return any(key in kind.labels.datetimes for kind in self._kinds())

    def notification(self, kind: str, process: str | None) -> str | None:
        """A process's own wording of a notification, or None for the shared one."""
        own = self._own(process)
        msgid = own.notifications.get(kind) if own else None
        return gettext(msgid) if msgid else None

    def kind(self, process: str | None) -> ProcessKind | None:
        return catalog.kinds().get(process or "")

    def issuer(self, document_kind: str | None) -> ProcessKind | None:
        """The process that issues a document kind (its page fragments show the document)."""
        return catalog.issuer(document_kind)

    def keys(self) -> list[str]:
        """The installed process keys, in their listing order."""
        return sorted(catalog.kinds(), key=lambda k: (catalog.kinds()[k].order, k))
