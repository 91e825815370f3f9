"""PDF rendering of the answer and refusal letters to written information requests (§11).

The letters are rendered with the project's own catalogs (web/translations, compiled at
session start by tests/conftest.py), so these tests also check the kk and ru translations.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from processes.documents import TEMPLATES_DIR
from processes.information_request import letters
from processes.information_request.letters import (
    UNIVERSITY_ADDRESSES,
    UNIVERSITY_NAMES,
    Letter,
    LetterFile,
    paragraphs,
    render_letter,
    render_letter_html,
)
from tests.engine.pdf_helpers import HOSTILE, FetchSpy, pdf_text, squash

TRANSLATIONS = Path(__file__).resolve().parents[2] / "web" / "translations"
ISSUED = datetime(2026, 4, 28, 5, 0, tzinfo=UTC)  # 28.04.2026 in Almaty
RECEIVED = datetime(2026, 4, 14, 20, 0, tzinfo=UTC)  # already 15.04.2026 in Almaty
VERIFY_URL = "https://kelisim.kineu.edu.kz/verify/L7QK-3M8X-RT2D"

# Sample data and the fixed phrases that must (or must not) appear, per letter language.
SAMPLES = {
    "kk": {
        "requester_name": "Айгүл Серікқызы Тоқтарова",
        "postal_address": "110000, Қостанай қ., Абай даңғылы, 28, 14-пәтер",
        "email": "aigul.toktarova@example.kz",
        "subject": "Жатақханадағы орындар саны туралы ақпарат",
        "answer_text": "Университет жатақханаларында 2025–2026 оқу жылында 1 240 орын бар.\n"
        "Оның 180 орны бірінші курс студенттеріне бөлінген.\n\n"
        "Орындарды бөлу тәртібі қоса берілген ережеде көрсетілген.",
        "reason": "Сұратылған тізімде студенттердің тегі мен мекенжайлары бар.",
        "unit_name": "Тәрбие жұмысы және жастар саясаты бөлімі",
        "signatory_name": "Серік Болатұлы Жұмабаев",
        "signatory_position": "Ректор",
        "law": "«Ақпаратқа қол жеткізу туралы» ҚР Заңының 11-бабы",
        "phrases": (
            "Шығыс №", "Күні", "Сіздің 15.04.2026 күнгі, № IR-2026-00001 болып тіркелген сұрау салуыңызға",
            "Сұрау салудың мәні", "Электрондық пошта",
            "Ақпараттық саясатының §11-бөліміне сәйкес қаралды",
            "§11.2", "10 жұмыс күні ішінде", "§11.4", "шешімді ректор қабылдайды",
            "Тексеру коды", "Хатты тексеру үшін QR-кодты сканерлеңіз",
        ),
        "answer_phrases": ("Ақпаратқа жазбаша сұрау салуға жауап", "Ұсынылатын ақпарат", "Қосымшалар",
                           "Бақылау сомасы (SHA-256)", "Жауапты дайындаған құрылымдық бөлімше"),
        "refusal_phrases": ("Ақпарат беруден бас тарту", "Негізделген бас тарту", "Бас тарту негізі",
                            "шағым жасалуы мүмкін"),
    },
    "ru": {
        "requester_name": "Иванова Мария Петровна",
        "postal_address": "110000, г. Костанай, пр. Аль-Фараби, 65, кв. 12",
        "email": "m.ivanova@example.kz",
        "subject": "Сведения о количестве мест в общежитиях",
        "answer_text": "В общежитиях университета в 2025–2026 учебном году 1 240 мест.\n"
        "Из них 180 мест отведено студентам первого курса.\n\n"
        "Порядок распределения мест изложен в прилагаемом положении.",
        "reason": "Запрошенный список содержит фамилии и адреса студентов.",
        "unit_name": "Отдел воспитательной работы и молодёжной политики",
        "signatory_name": "Жумабаев Серик Болатович",
        "signatory_position": "Ректор",
        "law": "статья 11 Закона РК «О доступе к информации»",
        "phrases": (
            "Исх. №", "Дата", "На Ваш запрос от 15.04.2026, зарегистрированный за № IR-2026-00001",
            "Предмет запроса", "Электронная почта",
            "рассмотрен в соответствии с §11 Информационной политики Университета",
            "§11.2", "в течение 10 рабочих дней", "§11.4", "решение принимает ректор",
            "Код проверки", "Для проверки письма отсканируйте QR-код",
        ),
        "answer_phrases": ("Ответ на письменный запрос информации", "Предоставляемая информация", "Приложения",
                           "Контрольная сумма (SHA-256)", "Ответ подготовлен структурным подразделением"),
        "refusal_phrases": ("Отказ в предоставлении информации", "Мотивированный отказ", "Основание отказа",
                            "может быть обжаловано"),
    },
}
# Phrases only the other language's letter may contain (and English msgids that must not leak).
FOREIGN = {
    "kk": ("Костанайский", "г. Костанай", "Исх.", "Информационной политики", "рабочих дней", "Код проверки",
           "Приложения", "Ответ на", "Основание отказа", "Outgoing No.", "Verification code", "Legal basis"),
    "ru": ("Қостанай инженерлік", "Қостанай қ.", "Шығыс", "Ақпараттық саясат", "жұмыс күні", "Тексеру коды",
           "Қосымшалар", "Бас тарту негізі", "Outgoing No.", "Verification code", "Legal basis"),
}
# The clause and the ground each refusal ground prints, per language.
GROUND_TEXTS = {
    "commercial_secret": {"kk": "Университеттің коммерциялық құпиясы (Ақпараттық саясаттың §12-бөлімі)",
                          "ru": "Коммерческая тайна Университета (§12 Информационной политики)"},
    "service_secret": {"kk": "Университеттің қызметтік құпиясы (Ақпараттық саясаттың §12-бөлімі)",
                       "ru": "Служебная тайна Университета (§12 Информационной политики)"},
    "personal_data": {"kk": "Дербес деректерді қорғау (Ақпараттық саясаттың §3.2.6-тармағы)",
                      "ru": "Защита персональных данных (§3.2.6 Информационной политики)"},
    "state_secret": {"kk": "Мемлекеттік құпия (Ақпараттық саясаттың §2.4-тармағы)",
                     "ru": "Государственная тайна (§2.4 Информационной политики)"},
    "other_legal": {"kk": "Заңда көзделген өзге негіз:", "ru": "Иное основание, предусмотренное законом:"},
}
CLAUSES = {"commercial_secret": "§12", "service_secret": "§12", "personal_data": "§3.2.6", "state_secret": "§2.4"}


def digest(label: str) -> str:
    """Return a sample SHA-256 hex digest."""
    return hashlib.sha256(label.encode()).hexdigest()


FILES = (
    LetterFile("Жатақхана_орындары_2025-2026.pdf", 2_516_582, digest("places")),
    LetterFile("Положение_о_заселении.docx", 48_213, digest("rules")),
)


def make_letter(language: str = "kk", **changes: object) -> Letter:
    """Build an answer letter in ``language`` with sample data; ``changes`` override fields."""
    sample = SAMPLES.get(language, SAMPLES["kk"])  # an unknown language gets Kazakh sample data
    fields: dict[str, object] = {
        "kind": "answer_letter",
        "language": language,
        "out_number": "OUT-2026-00017",
        "issued_at": ISSUED,
        "request_number": "IR-2026-00001",
        "received_at": RECEIVED,
        "requester_name": sample["requester_name"],
        "postal_address": sample["postal_address"],
        "email": sample["email"],
        "subject": sample["subject"],
        "partial": False,
        "answer_text": sample["answer_text"],
        "files": FILES,
        "ground": None,
        "law_reference": "",
        "reason": "",
        "unit_name": sample["unit_name"],
        "signatory_name": sample["signatory_name"],
        "signatory_position": sample["signatory_position"],
        "verification_code": "L7QK-3M8X-RT2D",
        "verify_url": VERIFY_URL,
    }
    fields.update(changes)
    return Letter(**fields)  # type: ignore[arg-type]


def make_refusal(language: str = "kk", ground: str = "personal_data", **changes: object) -> Letter:
    """Build a refusal letter on ``ground``."""
    sample = SAMPLES[language]
    fields: dict[str, object] = {
        "kind": "refusal_letter",
        "answer_text": "",
        "files": (),
        "ground": ground,
        "law_reference": sample["law"] if ground == "other_legal" else "",
        "reason": sample["reason"],
        "unit_name": "",
    }
    fields.update(changes)
    return make_letter(language, **fields)


def make_partial(language: str = "kk", **changes: object) -> Letter:
    """Build an answer letter that provides the information in part."""
    sample = SAMPLES[language]
    fields: dict[str, object] = {"partial": True, "ground": "personal_data", "reason": sample["reason"]}
    fields.update(changes)
    return make_letter(language, **fields)


def page_count(text: str) -> int:
    """Count the pages in pdftotext's output (it ends each page with a form feed)."""
    return text.count("\f")


def without_page_footers(text: str) -> str:
    """Drop the page footers (letter reference, page number) from pdftotext's output."""
    return re.sub(r"^(Kelisim · .*|\d+\s*/\s*\d+)\n", "", text, flags=re.MULTILINE)


def assert_all_in(flat: str, expected: tuple[str, ...] | list[str]) -> None:
    """Assert that each expected text is in the squashed PDF text."""
    for item in expected:
        assert squash(item) in flat, item


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The full answer letter in kk and in ru, each rendered once: {language: pdftotext text}."""
    folder = tmp_path_factory.mktemp("letters")
    texts = {}
    for language in ("kk", "ru"):
        pdf = render_letter(make_letter(language))
        assert pdf.startswith(b"%PDF-")
        texts[language] = pdf_text(pdf, folder)
    return texts


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_answer_letter_is_in_one_language(answers: dict[str, str], language: str) -> None:
    text = answers[language]
    flat = squash(text)
    sample = SAMPLES[language]
    assert_all_in(flat, [
        UNIVERSITY_NAMES[language], UNIVERSITY_ADDRESSES[language],
        "OUT-2026-00017", "IR-2026-00001", "28.04.2026", "15.04.2026",
        sample["requester_name"], sample["postal_address"], sample["email"], sample["subject"],
        *paragraphs(sample["answer_text"]), sample["unit_name"],
        sample["signatory_position"], sample["signatory_name"],
        "L7QK-3M8X-RT2D", VERIFY_URL,
        *sample["phrases"], *sample["answer_phrases"],
        "2,4 МБ", "47,1 КБ",
    ])
    for item in FILES:
        assert squash(item.name) in flat and item.sha256 in flat, item.name
    for foreign in FOREIGN[language]:
        assert squash(foreign) not in flat, foreign
    for refusal_only in sample["refusal_phrases"]:
        assert squash(refusal_only) not in flat, refusal_only
    assert page_count(text) == 1


@pytest.mark.parametrize(
    "ground, language",
    [
        ("commercial_secret", "kk"),
        ("service_secret", "ru"),
        ("personal_data", "ru"),
        ("state_secret", "kk"),
        ("other_legal", "kk"),
    ],
)
def test_refusal_cites_its_ground(ground: str, language: str, tmp_path: Path) -> None:
    sample = SAMPLES[language]
    flat = squash(pdf_text(render_letter(make_refusal(language, ground)), tmp_path))
    assert_all_in(flat, [
        GROUND_TEXTS[ground][language], sample["reason"], *sample["phrases"], *sample["refusal_phrases"],
        UNIVERSITY_NAMES[language], "IR-2026-00001", sample["signatory_name"],
    ])
    if ground == "other_legal":
        assert squash(sample["law"]) in flat
    for other, clause in CLAUSES.items():  # only the ground's own clause is cited
        assert (squash(clause) in flat) == (CLAUSES.get(ground) == clause), other
    for answer_only in sample["answer_phrases"]:
        assert squash(answer_only) not in flat, answer_only
    for foreign in FOREIGN[language]:
        assert squash(foreign) not in flat, foreign


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_partial_answer_shows_both_parts(language: str, tmp_path: Path) -> None:
    sample = SAMPLES[language]
    letter = make_partial(language, ground="commercial_secret")
    flat = squash(pdf_text(render_letter(letter), tmp_path))
    heading = {
        "kk": ("Ақпаратқа жазбаша сұрау салуға жауап (ақпарат ішінара ұсынылды)",
               "Ақпараттың қалған бөлігін беруден негізделген бас тарту"),
        "ru": ("Ответ на письменный запрос информации (информация предоставлена частично)",
               "Мотивированный отказ в предоставлении остальной информации"),
    }[language]
    assert_all_in(flat, [
        *heading, *paragraphs(sample["answer_text"]), GROUND_TEXTS["commercial_secret"][language],
        sample["reason"], *sample["refusal_phrases"][2:], "OUT-2026-00017",
    ])
    for item in FILES:
        assert item.sha256 in flat, item.name
    assert flat.index(squash(paragraphs(sample["answer_text"])[0])) < flat.index(squash(sample["reason"]))


def test_long_answer_flows_across_pages(tmp_path: Path) -> None:
    # About three pages of answer text: paragraphs, and one long paragraph that must break.
    sentence = "Университет жатақханаларындағы орындарды бөлу тәртібі оқу жылының басында бекітіледі."
    chunks = [f"[{n:02d}] " + " ".join([sentence] * 6) for n in range(10)]
    chunks.insert(5, "[LONG] " + " ".join([sentence] * 60) + " [LONG-END]")
    letter = make_letter("kk", answer_text="\n\n".join(chunks))
    pdf = render_letter(letter)
    text = pdf_text(pdf, tmp_path)
    pages = page_count(text)
    assert pages >= 3
    # Every page's footer names the letter and its verification code.
    assert text.count("Kelisim · ҚИнЭУ · Шығыс № OUT-2026-00017 · Тексеру коды: L7QK-3M8X-RT2D") == pages
    body = without_page_footers(text)
    flat = squash(body)
    assert flat.count(squash(sentence)) == 10 * 6 + 60  # nothing lost at the page breaks
    assert [flat.index(f"[{n:02d}]") for n in range(10)] == sorted(flat.index(f"[{n:02d}]") for n in range(10))
    assert "\f" in body[body.index("[LONG]") : body.index("[LONG-END]")]  # a paragraph breaks too
    for item in FILES:
        assert item.sha256 in flat, item.name
    assert_all_in(flat, [letter.signatory_name, "L7QK-3M8X-RT2D"])
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo:
        source = tmp_path / "long.pdf"
        source.write_bytes(pdf)
        info = subprocess.run([pdfinfo, str(source)], capture_output=True, check=True, text=True).stdout
        assert int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)) == page_count(text)
        assert "(A4)" in info


def test_user_data_is_escaped_and_never_fetched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = FetchSpy(monkeypatch)
    letter = make_partial(
        "ru",
        answer_text=HOSTILE["img"] + "\n\n" + HOSTILE["style"],
        subject=HOSTILE["link"],
        requester_name='<link rel="attachment" href="file:///etc/passwd">',
        postal_address=HOSTILE["img"],
        email='"><img src=file:///etc/passwd>',
        files=(LetterFile(HOSTILE["img"], 10, digest("x")),),
        ground="other_legal",
        law_reference=HOSTILE["link"],
        reason=HOSTILE["style"],
        unit_name=HOSTILE["img"],
        signatory_name=HOSTILE["link"],
        verify_url='https://kelisim.kineu.edu.kz/verify/"><img src=file:///etc/passwd>',
    )
    html = render_letter_html(letter)
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<style>@font-face" not in html and "<link rel=stylesheet" not in html
    assert '<link rel="attachment"' not in html and "<img src=file:" not in html
    text = squash(pdf_text(render_letter(letter), tmp_path))
    for payload in HOSTILE.values():
        assert squash(payload) in text
    others = {url for url, _ in spy.calls if not url.startswith("data:")}
    letter_css = (letters.TEMPLATES / "letter.css").as_uri()
    assert others - {letter_css} == {"kelisim-asset:logo.svg"}  # letter.css: read once per thread, when parsed
    assert {outcome for _, outcome in spy.calls} == {"served"}


def test_html_speaks_the_letter_language_only() -> None:
    html = render_letter_html(make_letter("ru"))
    assert '<html lang="ru">' in html
    assert UNIVERSITY_NAMES["ru"] in html and UNIVERSITY_NAMES["kk"] not in html
    assert html.count("<p>") >= 2  # the answer's paragraphs stay paragraphs
    assert "<link" not in html  # letter.css is applied by render_html_to_pdf (parsed once), not linked


def test_missing_catalogs_fall_back_to_english(tmp_path: Path) -> None:
    html = render_letter_html(make_refusal("kk", "state_secret"), tmp_path / "no-catalogs")
    assert "Refusal to provide information" in html and "State secret (§2.4 of the Information Policy)" in html
    assert UNIVERSITY_NAMES["kk"] in html  # the letterhead does not depend on the catalogs


def test_letter_dates_are_almaty_dates() -> None:
    late = datetime(2026, 4, 27, 22, 30, tzinfo=timezone(timedelta(hours=-3)))  # 28.04 06:30 Almaty
    html = render_letter_html(make_letter("kk", issued_at=late, received_at=RECEIVED))
    assert "28.04.2026" in html and "15.04.2026" in html and "27.04.2026" not in html


def test_paragraphs_keep_blank_line_breaks() -> None:
    assert paragraphs("a\r\nb\r\n\r\n  \n c\n\n\n") == ["a\nb", "c"]
    assert paragraphs("  \n\n ") == []


def test_letter_labels_are_translated_in_the_catalogs() -> None:
    from jinja2.ext import babel_extract

    found = set()
    # The letter's own labels and those of the shared base and macros it is built on.
    for template in (
        letters.TEMPLATES / "letter.html",
        TEMPLATES_DIR / "document_base.html",
        TEMPLATES_DIR / "document_macros.html",
    ):
        with open(template, "rb") as source:
            found |= {
                message
                for _, _, message, _ in babel_extract(source, ["_", "gettext"], [], {"extensions": "jinja2.ext.i18n"})
            }
    assert len(found) > 20
    with open(TRANSLATIONS / "messages.pot", "rb") as src:
        assert found <= {m.id for m in read_po(src)}
    for language in ("kk", "ru", "en"):
        with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as src:
            catalog = {m.id: m.string for m in read_po(src) if m.id}
        for msgid in found:
            assert catalog.get(msgid), f"{language}: {msgid!r}"
            if language == "en":
                assert catalog[msgid] == msgid
            else:
                assert catalog[msgid] != msgid, f"{language}: {msgid!r}"


@pytest.mark.parametrize(
    "build, changes",
    [
        (make_letter, {"kind": "letter"}),
        (make_letter, {"kind": "refusal"}),
        (make_letter, {"language": "en"}),
        (make_letter, {"language": "KK"}),
        (make_letter, {"issued_at": datetime(2026, 4, 28, 10, 0)}),
        (make_letter, {"received_at": datetime(2026, 4, 15, 1, 0)}),
        (make_letter, {"issued_at": "2026-04-28"}),
        (make_letter, {"verify_url": "javascript:alert(1)"}),
        (make_letter, {"verify_url": "/verify/L7QK-3M8X-RT2D"}),
        (make_letter, {"verify_url": "https:///verify"}),
        (make_letter, {"verify_url": "ftp://kelisim.kineu.edu.kz/verify"}),
        (make_letter, {"files": ("a.pdf",)}),
        (make_letter, {"ground": "personal_data"}),  # a full answer refuses nothing
        (make_letter, {"answer_text": "  ", "files": ()}),  # an answer says something
        (make_partial, {"ground": None}),
        (make_partial, {"ground": "trade_secret"}),
        (make_partial, {"reason": "  "}),
        (make_refusal, {"ground": None}),
        (make_refusal, {"ground": "other_legal", "law_reference": ""}),
        (make_refusal, {"reason": ""}),
        (make_refusal, {"files": FILES}),
        (make_refusal, {"answer_text": "Some information after all."}),
        (make_refusal, {"partial": True}),
    ],
)
def test_letter_refuses_misleading_data(build, changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        build(**changes)


@pytest.mark.parametrize("sha256", ["not-a-digest", digest("a")[:-1], digest("a") + "0", "", "g" * 64, None])
def test_file_refuses_a_bad_fingerprint(sha256: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        LetterFile("a.pdf", 10, sha256)


@pytest.mark.parametrize("size", [-1, True, 1.5, "10"])
def test_file_refuses_a_bad_size(size: object) -> None:
    with pytest.raises(ValueError):
        LetterFile("a.pdf", size, digest("a"))  # type: ignore[arg-type]


def test_letter_is_immutable_and_hashable() -> None:
    letter = make_letter("kk", files=list(FILES))
    assert isinstance(letter.files, tuple)
    assert hash(letter) == hash(make_letter("kk"))
    with pytest.raises(AttributeError):
        letter.subject = "changed"  # type: ignore[misc]
    assert replace(letter, language="ru").language == "ru"


def test_letters_module_stays_below_the_web_layer() -> None:
    probe = "import sys, processes.information_request.letters; print('flask' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_letter_takes_none_for_empty_optional_texts() -> None:
    letter = make_letter("ru", ground="", postal_address=None, email=None, law_reference=None, reason=None)
    assert letter.ground is None and letter.postal_address == "" and letter.email == ""
    html = render_letter_html(letter)
    assert 'class="postal"' not in html and 'class="email"' not in html
    refusal = make_refusal("kk", "state_secret", unit_name=None, answer_text=None)
    assert refusal.unit_name == "" and 'class="prepared"' not in render_letter_html(refusal)
