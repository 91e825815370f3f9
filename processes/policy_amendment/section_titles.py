"""The titles of the Information Policy's fourteen sections, in the three languages of the interface.

The Kazakh source text (`policy_source/information-policy.kk.txt`, a plain-text export of the Word
document) kept a heading line for three sections only (7, 9 and 12, in capitals); the other headings
were Word's automatic numbered headings and the export lost their text. The titles below restore all
fourteen: those of sections 7, 9 and 12 are the source's own words (in sentence case), the others name
what the section's clauses regulate, as the policy's clause 1.3 and the English digest
(/work/shared/policy/RULES.md) describe it. There is no Russian or English text of the policy: those
titles are translations. An edition's stored headings (`policy_editions.sections`) are never changed;
a title shown or printed comes from here, else from the stored heading.
"""
from __future__ import annotations

from collections.abc import Mapping

SECTION_TITLES: dict[int, dict[str, str]] = {
    1: {"kk": "Жалпы ережелер", "ru": "Общие положения", "en": "General provisions"},
    2: {"kk": "Ақпараттық саясаттың мақсаттары", "ru": "Цели информационной политики",
        "en": "Goals of the information policy"},
    3: {"kk": "Ақпараттық саясаттың міндеттері мен қағидаттары", "ru": "Задачи и принципы информационной политики",
        "en": "Tasks and principles of the information policy"},
    4: {"kk": "Коммуникация бағыттары", "ru": "Направления коммуникации", "en": "Directions of communication"},
    5: {"kk": "Мақсатты аудиториялар", "ru": "Целевые аудитории", "en": "Target audiences"},
    6: {"kk": "Корпоративтік стиль", "ru": "Корпоративный стиль", "en": "Corporate style"},
    7: {"kk": "Өкілеттіктер мен жауапкершілікті бөлу", "ru": "Распределение полномочий и ответственности",
        "en": "Distribution of powers and responsibilities"},
    8: {"kk": "Ақпаратты ашу және жария тұлғалар", "ru": "Раскрытие информации и публичные лица",
        "en": "Disclosure of information and public persons"},
    9: {"kk": "Университеттің ақпараттық ресми сайтында ақпаратты ашу",
        "ru": "Раскрытие информации на официальном информационном сайте университета",
        "en": "Disclosure of information on the university's official website"},
    10: {"kk": "Бұқаралық ақпарат құралдарымен өзара іс-қимыл",
         "ru": "Взаимодействие со средствами массовой информации", "en": "Relations with the mass media"},
    11: {"kk": "Жазбаша сұрау салулар бойынша ақпарат беру", "ru": "Предоставление информации по письменным запросам",
         "en": "Information provided on written requests"},
    12: {"kk": "Университеттің коммерциялық немесе қызметтік құпиясы бар ақпарат",
         "ru": "Информация, составляющая коммерческую или служебную тайну университета",
         "en": "Information containing the university's commercial or official secret"},
    13: {"kk": "Ақпараттық саясаттың сақталуын бақылау және жауапкершілік",
         "ru": "Контроль за соблюдением информационной политики и ответственность",
         "en": "Compliance with the information policy and liability"},
    14: {"kk": "Қорытынды ережелер", "ru": "Заключительные положения", "en": "Final provisions"},
}

LANGUAGES = ("kk", "ru", "en")


def section_title(number: int, lang: str, stored: Mapping[int, str] | None = None) -> str | None:
    """The title of section `number` in `lang` (kk, ru or en; another falls back to kk), else the heading the
    edition stored for it, else None (a section the policy does not have, e.g. one an amendment added)."""
    titles = SECTION_TITLES.get(number)
    if titles:
        return titles.get(lang) or titles["kk"]
    heading = (stored or {}).get(number)
    return heading or None


def section_titles(numbers, lang: str, stored: Mapping[int, str] | None = None) -> dict[int, str]:
    """{number: title} for the given section numbers that have a title."""
    out: dict[int, str] = {}
    for number in numbers:
        title = section_title(number, lang, stored)
        if title:
            out[number] = title
    return out
