"""Every section of the policy shows its title in the page's language, never "Section 4"."""
from __future__ import annotations

import re

import pytest

from processes.policy_amendment.policy_text import load_policy, section_of
from processes.policy_amendment.section_titles import SECTION_TITLES, section_title
from tests.conftest import login

SECTIONS = sorted({section_of(c.number) for c in load_policy().clauses})


def test_every_section_of_the_source_has_a_title_in_each_language():
    assert SECTIONS == list(range(1, 15))
    for number in SECTIONS:
        titles = SECTION_TITLES[number]
        assert set(titles) == {"kk", "ru", "en"} and all(t.strip() for t in titles.values()), number
    # the source's own headings (7, 9, 12) are kept, in sentence case
    for number, heading in load_policy().sections.items():
        assert SECTION_TITLES[number]["kk"].upper() == heading, number


def test_a_section_without_a_known_title_keeps_its_stored_heading():
    assert section_title(4, "ru") == "Направления коммуникации"
    assert section_title(4, "de") == SECTION_TITLES[4]["kk"]
    assert section_title(15, "ru", {15: "ЖАҢА БӨЛІМ"}) == "ЖАҢА БӨЛІМ"
    assert section_title(15, "ru") is None


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_policy_page_names_every_section(client, lang):
    login(client, "employee")
    html = client.get("/policy", headers={"Accept-Language": lang}).get_data(as_text=True)
    for number in SECTIONS:
        title = SECTION_TITLES[number][lang].replace("'", "&#39;")
        assert f'<h2 id="section-{number}-title">{number}. {title}</h2>' in html, (lang, number)
        assert re.search(rf'<a href="#section-{number}">{re.escape(title)}</a>', html), (lang, number)
    assert not re.search(r"Section \d|\d-бөлім|Раздел \d", html)
