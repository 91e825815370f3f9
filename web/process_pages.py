"""The web side of the process packages: each process's own pages and navigation, found, not listed.

A process whose pages need Flask (a register, the policy) keeps them in ``web/<process_key>/``:
``views.py`` with a blueprint ``bp``, optionally ``NAV`` (menu entries) and ``CSRF_EXEMPT`` (views of
the bearer-token API). The process's page fragments (details block, version card) live in its own
folder, ``processes/<process_key>/pages/``, and are found by templates as ``<process_key>/<name>``.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader

from forms.validate import N_
from processes import catalog

WEB_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class NavItem:
    """A main-menu entry of a process's pages: shown to the given roles (None: everyone logged in). Items of a
    `group` are one entry of the main menu (the group's label, leading to the first item the user may see), and
    each page of the group shows the group's items as a sub-menu: the menu stays one line at 1366 px."""

    endpoint: str
    label: str  # an English msgid, translated when shown
    roles: frozenset[str] | None = None
    order: int = 50
    group: str | None = None

    @property
    def section(self) -> str:
        """The blueprint of its pages: every page of it counts as this item's (aria-current, the sub-menu)."""
        return self.endpoint.partition(".")[0]


# group -> its label in the main menu (an English msgid)
GROUPS = {"media": N_("Media"), "registers": N_("Registers")}


@dataclass(frozen=True)
class MenuEntry:
    """One entry of the main menu as a user sees it: a page, or a group of pages (`items`, in order)."""

    endpoint: str
    label: str
    items: tuple[NavItem, ...]

    def current(self, endpoint: str | None) -> bool:
        return endpoint is not None and endpoint.partition(".")[0] in {item.section for item in self.items}


def menu(items: list[NavItem], roles: frozenset[str] | set[str]) -> list[MenuEntry]:
    """The process pages' entries of a user's main menu, a group where its first visible item is."""
    visible = [item for item in items if item.roles is None or set(roles) & item.roles]
    entries: list[MenuEntry] = []
    placed: set[str] = set()
    for item in visible:
        if item.group is None:
            entries.append(MenuEntry(item.endpoint, item.label, (item,)))
        elif item.group not in placed:
            placed.add(item.group)
            members = tuple(i for i in visible if i.group == item.group)
            entries.append(MenuEntry(members[0].endpoint, GROUPS[item.group], members))
    return entries


def section_menu(items: list[NavItem], roles: frozenset[str] | set[str], endpoint: str | None) -> MenuEntry | None:
    """The group the current page belongs to, with the items the user may see (its sub-menu), or None."""
    for entry in menu(items, roles):
        if len(entry.items) > 1 and entry.current(endpoint):
            return entry
    return None


def install_all(app: Flask, exempt: Callable[[Any], Any]) -> list[NavItem]:
    """Register the blueprints of every process that has web pages; return their menu entries."""
    nav: list[NavItem] = []
    keys = set(catalog.kinds())
    for info in sorted(pkgutil.iter_modules([str(WEB_DIR)]), key=lambda i: i.name):
        if not info.ispkg or info.name not in keys:
            continue
        views = importlib.import_module(f"web.{info.name}.views")
        app.register_blueprint(views.bp)
        for view in getattr(views, "CSRF_EXEMPT", ()):
            exempt(view)
        nav.extend(getattr(views, "NAV", ()))
    return sorted(nav, key=lambda item: item.order)


def fragment_loader(app_loader: BaseLoader | None) -> ChoiceLoader:
    """The application's templates first, then each process's page fragments under its key."""
    fragments = PrefixLoader({key: FileSystemLoader(str(kind.folder / "pages"))
                              for key, kind in catalog.kinds().items()})
    return ChoiceLoader([*([app_loader] if app_loader else []), fragments])


def openapi_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    """The paths and schemas each process's own API adds (``web/<process_key>/openapi.py``)."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for key in sorted(catalog.kinds()):
        if (WEB_DIR / key / "openapi.py").is_file():
            part = importlib.import_module(f"web.{key}.openapi")
            paths.update(part.paths())
            schemas.update(part.schemas())
    return paths, schemas
