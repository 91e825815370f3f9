"""Every element name of the shipped process diagrams is marked for translation (processes/diagram_labels.py) and
Kazakh and Russian translate it, so the instance page's diagram prints no English in those languages."""
from __future__ import annotations

import pytest
from babel.messages.extract import extract_from_file
from babel.support import Translations
from lxml import etree

from processes import diagram_labels
from tests.conftest import ROOT

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# names spelled the same in every language; keep it small (none today: "MCD" is МКБ / ОМК)
SAME_IN_EVERY_LANGUAGE: frozenset[str] = frozenset()


def _shipped_names() -> list[str]:
    """Each distinct name of a BPMN element (not of an extension element) in file order, whitespace collapsed."""
    names: list[str] = []
    files = sorted(ROOT.glob("processes/*/*.bpmn"))
    assert len(files) >= 4, files
    for path in files:
        for el in etree.parse(str(path)).iter(f"{{{BPMN}}}*"):
            name = " ".join((el.get("name") or "").split())
            if name and name not in names:
                names.append(name)
    return names


SHIPPED = _shipped_names()


def test_the_shipped_names_are_read():
    # a gateway, a lane, a flow label and a pool of the four processes, and no extension property
    for name in ("§8.6 category ticked?", "Registry", "provide, provide in part", "Policy amendment (§14)",
                 "Escalated to the rector's office", "External material sign-off (§7.5)"):
        assert name in SHIPPED
    assert "formJsonSchemaFilename" not in SHIPPED


def test_every_name_is_listed_once_and_nothing_else():
    missing = [name for name in SHIPPED if name not in diagram_labels.NAMES]
    assert not missing, f"add to processes/diagram_labels.py NAMES: {missing}"
    stale = [name for name in diagram_labels.NAMES if name not in SHIPPED]
    assert not stale, f"no diagram has these names any more: {stale}"
    assert len(diagram_labels.NAMES) == len(set(diagram_labels.NAMES))


def test_the_names_are_extracted_for_the_catalogs():
    """Each name is a literal N_(…) call, which is what `make extract-messages` (pybabel -k N_) picks up."""
    path = ROOT / "processes/diagram_labels.py"
    found = {msg for _, msg, _, _ in extract_from_file("python", str(path), keywords={"N_": None})}
    assert set(diagram_labels.NAMES) <= found


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_name_is_translated(lang):
    translations = Translations.load(str(ROOT / "web/translations"), [lang])
    assert isinstance(translations, Translations), f"no compiled {lang} catalog"
    untranslated = []
    for name in SHIPPED:
        text = translations.gettext(name)
        if not text.strip() or (text == name and name not in SAME_IN_EVERY_LANGUAGE):
            untranslated.append(name)
    assert not untranslated, f"{lang}: untranslated diagram names: {untranslated}"


@pytest.mark.parametrize("lang, name, text", [
    ("kk", "Decision?", "Шешім?"),
    ("ru", "Decision?", "Решение?"),
    ("kk", "Head of MCD", "МКБ бастығы"),
    ("ru", "return to MCD", "вернуть в ОМК"),
    ("ru", "§8.6 category ticked?", "Отмечена категория §8.6?"),
])
def test_known_translations(lang, name, text):
    assert Translations.load(str(ROOT / "web/translations"), [lang]).gettext(name) == text
