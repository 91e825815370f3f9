"""Every user-facing message is in the kk, ru and en catalogs, and the pages speak each language."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.conftest import ROOT, login

LANGS = ("kk", "ru", "en")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg", "-k", "N_",
                    "-k", "_l", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as src:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(src) if m.id}


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_is_complete(extracted, lang):
    with (ROOT / f"web/translations/{lang}/LC_MESSAGES/messages.po").open("rb") as src:
        catalog = read_po(src)
    have = {}
    for m in catalog:
        if m.id:
            have[m.id if isinstance(m.id, str) else m.id[0]] = m
    missing = sorted(extracted - set(have))
    assert not missing, f"{lang}: not in the catalog (run make extract-messages): {missing[:10]}"
    for msgid in extracted:
        m = have[msgid]
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(strings) and not m.fuzzy, f"{lang}: untranslated or fuzzy: {msgid!r}"
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) <= wanted, f"{lang}: placeholders differ in {msgid!r}"


@pytest.mark.parametrize("lang, words", [("kk", "Менің тапсырмаларым"), ("ru", "Мои задачи"), ("en", "My tasks")])
def test_pages_speak_the_language(client, lang, words):
    login(client, "employee")
    from tests.conftest import csrf_from

    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    client.post("/language", data={"lang": lang, "csrf_token": token})
    html = client.get("/inbox").get_data(as_text=True)
    assert f'lang="{lang}"' in html and words in html


def test_kazakh_is_the_default(client):
    assert "Кіру" in client.get("/login").get_data(as_text=True)
