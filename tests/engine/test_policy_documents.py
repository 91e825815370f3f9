"""PDF rendering of the Information Policy: a whole edition, and an addition (§14)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from processes.documents import TEMPLATES_DIR
from processes.policy_amendment import documents as policy_documents
from processes.policy_amendment.documents import (
    AdditionRef,
    ChangeLine,
    CouncilRecord,
    EditionClause,
    Signatory,
    render_addition,
    render_addition_html,
    render_edition,
    render_edition_html,
)
from processes.policy_amendment.policy_text import load_policy
from tests.engine.pdf_helpers import HOSTILE, FetchSpy, pdf_text, squash
from tests.engine.policy_samples import (
    APPROVED,
    CATALOG,
    EFFECTIVE,
    NEW_7_10_2,
    NEW_7_10_5,
    SIGNATORIES,
    VERIFY,
    make_addition,
    make_edition,
    policy_clauses,
    write_catalogs,
)

TRANSLATIONS = Path(__file__).resolve().parents[2] / "web" / "translations"


def pdf_layout_page(pdf: bytes, page: int, tmp_path: Path) -> str:
    """Return one page of the PDF as pdftotext -layout sees it (rows kept on one line)."""
    executable = shutil.which("pdftotext")
    if executable is None:
        pdf_text(pdf, tmp_path)  # skips (or fails in E2E mode) as the other PDF tests do
    source = tmp_path / "layout.pdf"
    source.write_bytes(pdf)
    command = [str(executable), "-enc", "UTF-8", "-layout", "-f", str(page), "-l", str(page),
               str(source), "-"]
    return subprocess.run(command, capture_output=True, check=True).stdout.decode("utf-8")


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Provide a translations folder with kk and ru catalogs."""
    return write_catalogs(tmp_path_factory.mktemp("translations"))


@pytest.fixture(scope="module")
def edition_pdf(catalogs: Path) -> bytes:
    """Edition 3 of the whole policy, rendered once."""
    return render_edition(make_edition(), catalogs)


@pytest.fixture(scope="module")
def edition_pages(edition_pdf: bytes, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The edition's text, page by page."""
    return pdf_text(edition_pdf, tmp_path_factory.mktemp("edition")).split("\f")[:-1]


@pytest.fixture(scope="module")
def addition_pdf(catalogs: Path) -> bytes:
    """Addition PA-2026-00002, rendered once."""
    return render_addition(make_addition(), catalogs)


@pytest.fixture(scope="module")
def addition_text(addition_pdf: bytes, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The addition's text."""
    return pdf_text(addition_pdf, tmp_path_factory.mktemp("addition"))


# --- the edition ------------------------------------------------------------------------------

def test_edition_prints_the_whole_policy_text(edition_pdf: bytes, edition_pages: list[str]) -> None:
    assert edition_pdf.startswith(b"%PDF-")
    assert len(edition_pages) >= 6
    flat = squash("".join(edition_pages))
    clauses = policy_clauses()
    for number in ("1.1", "3.2.6", "7.10.1", "8.6", "12.1", "14.4"):
        assert squash(f"{number} {clauses[number]}") in flat, number
    assert squash(f"7.10.2 {NEW_7_10_2}") in flat  # the new wording, not the old one
    assert squash(clauses["7.10.2"]) not in flat
    assert squash(f"7.10.5 {NEW_7_10_5}") in flat
    assert squash(clauses["11.3"]) not in flat  # removed by the addition
    assert squash(load_policy().preamble.splitlines()[0]) in flat
    # bullets keep their own lines
    assert "\n· жауапты тұлғаны көрсете отырып;\n· белгіленген мерзімде." in "".join(edition_pages)


def test_edition_title_block_and_footer(edition_pages: list[str]) -> None:
    first = squash(edition_pages[0])
    for expected in (
        "Ақпараттық саясат", "Информационная политика", "Information Policy",
        "М. Дулатов атындағы Қостанай инженерлік-экономикалық университеті",
        "3-редакция", "Редакция 3", "Edition 3",
        "Күшіне ену күні", "12.05.2026", "Бекітілген күні", "11.05.2026",
        "PE-2026-00003", "PA-2026-00002", "Мазмұны", "Содержание",
        "Осы редакцияда өзгертілген немесе қосылған тармақтар жиектегі сызықпен белгіленген.",
    ):
        assert squash(expected) in first, expected
    total = len(edition_pages)
    for index, page in enumerate(edition_pages, start=1):
        assert squash(f"{index} / {total}") in squash(page), index
        assert "3-редакция" in page and "PE-2026-00003" in page, index


def test_table_of_contents_gives_each_section_its_page(
    edition_pdf: bytes, edition_pages: list[str], tmp_path: Path
) -> None:
    rows = re.findall(r"^\s*(\d+)\.\s+(.+?)\s{2,}(\d+)\s*$", pdf_layout_page(edition_pdf, 1, tmp_path),
                      re.MULTILINE)
    toc = {int(number): (title, int(page)) for number, title, page in rows}
    assert sorted(toc) == list(range(1, 15))
    assert toc[7][0] == "Өкілеттіктер мен жауапкершілікті бөлу"  # the source's heading, in sentence case
    assert toc[12][0].startswith("Университеттің коммерциялық")
    assert toc[8][0] == "Ақпаратты ашу және жария тұлғалар"  # lost from the source's export: restored
    assert all("бөлім ·" not in title for title, _ in toc.values())
    clauses = policy_clauses()
    for section, (_, page) in toc.items():
        first = next(number for number in clauses if number.startswith(f"{section}."))
        opening = squash(f"{first} {clauses[first]}")[:40]
        assert opening in squash(edition_pages[page - 1]), (section, page)
    # the text starts on the page after the contents, with the preamble
    assert squash(load_policy().preamble.splitlines()[0]) in squash(edition_pages[1])


def test_edition_lists_its_additions(edition_pages: list[str]) -> None:
    last = squash(edition_pages[-1])
    for expected in (
        "Ақпараттық саясатқа толықтырулар",
        "PA-2026-00001", "02.03.2026", "3.8 — Тармақ өзгертілді · Пункт изменён · Clause changed",
        "PA-2026-00002", "11.05.2026", "12.05.2026",
        "7.10.2 — Тармақ өзгертілді", "7.10.5 — Тармақ қосылды", "11.3 — Тармақ алып тасталды",
        "Q7KD-2M9X-PA3D", VERIFY + "Q7KD-2M9X-PA3D",
        "Саясаттың осы редакциясын тексеру үшін",
    ):
        assert squash(expected) in last, expected


def test_changed_clauses_carry_a_bar(catalogs: Path) -> None:
    html = render_edition_html(make_edition(), catalogs)
    marked = re.findall(r'<p class="clause changed"><b>([\d.]+)</b>', html)
    assert marked == ["7.10.2", "7.10.5"]
    assert html.count('<p class="clause">') == len(load_policy().clauses) - 2
    css = (policy_documents.TEMPLATES / "policy.css").read_text()
    assert re.search(r"\.clause\.changed \{[^}]*border-left: 2pt solid", css)


def test_original_text_has_no_additions_and_no_marks(catalogs: Path) -> None:
    html = render_edition_html(make_edition(1), catalogs)
    assert "Бастапқы мәтін" in html and "Первоначальный текст" in html
    assert "Саясатқа әзірге толықтырулар енгізілген жоқ" in html
    assert "clause changed" not in html and "жиектегі сызықпен" not in html
    assert "Редакцияны енгізген толықтыру" not in html
    assert "1-редакция" in html


def test_a_heading_without_clauses_is_listed_without_a_page(catalogs: Path) -> None:
    sections = {**load_policy().sections, 15: "ҚОРЫТЫНДЫ ЕРЕЖЕЛЕР"}
    html = render_edition_html(make_edition(sections=sections), catalogs)
    assert '<li><span class="no">15.</span> ҚОРЫТЫНДЫ ЕРЕЖЕЛЕР</li>' in html
    assert 'href="#section-15"' not in html and 'id="section-15"' not in html
    assert html.count('<a class="page" href="#section-') == 14


def test_missing_catalogs_fall_back_to_english_labels(tmp_path: Path) -> None:
    html = render_edition_html(make_edition(), tmp_path / "no-catalogs")
    assert "Contents" in html and "Мазмұны" not in html
    assert html.count(">Contents<") == 1  # kk and ru repeat nothing they cannot translate
    assert "Ақпаратты ашу және жария тұлғалар" in html  # section titles are data, not catalog labels
    html = render_addition_html(make_addition(), tmp_path / "no-catalogs")
    assert "Addition No. PA-2026-00002 to the Information Policy" in html


# --- the addition -----------------------------------------------------------------------------

def test_addition_shows_each_change_before_and_after(addition_text: str) -> None:
    flat = squash(addition_text)
    clauses = policy_clauses()
    for expected in (
        "Ақпараттық саясатқа № PA-2026-00002 толықтыру",
        "Дополнение № PA-2026-00002 к Информационной политике",
        "Addition No. PA-2026-00002 to the Information Policy", "§14.3",
        "2-редакция", "3-редакция", "11.05.2026, 09:30", "12.05.2026", "№ 12",
        "МКБ сұрау салуларына жауап беру мерзімдері қысқартылды.",
        clauses["7.10.2"], NEW_7_10_2, NEW_7_10_5, clauses["11.3"],
        "Тармақ өзгертілді", "Тармақ қосылды", "Тармақ алып тасталды", "Пункт исключён",
        "Бұрынғы мәтін", "Жаңа мәтін",
    ):
        assert squash(expected) in flat, expected


def test_addition_marks_removed_and_added_words(catalogs: Path) -> None:
    html = render_addition_html(make_addition(), catalogs)
    before, after = re.search(
        r'<tr class="changed">.*?class="text before">(.*?)</td>.*?class="text after">(.*?)</td>',
        html, re.DOTALL,
    ).groups()
    assert "<del>3</del>" in before and "<ins>" not in before
    assert "<ins>2</ins>" in after and "<del>" not in after
    assert re.sub(r"</?del>", "", before) == policy_clauses()["7.10.2"]
    assert re.sub(r"</?ins>", "", after) == NEW_7_10_2
    added = re.search(r'<tr class="added">.*?</tr>', html, re.DOTALL).group(0)
    assert "<ins>Құрылымдық бөлімшелер" in added and "<del>" not in added
    removed = re.search(r'<tr class="removed">.*?</tr>', html, re.DOTALL).group(0)
    assert f"<del>{policy_clauses()['11.3'][:30]}" in removed and "<ins>" not in removed


def test_addition_records_the_council_vote(
    addition_pdf: bytes, addition_text: str, tmp_path: Path
) -> None:
    flat = squash(addition_text)
    for expected in ("Ғылыми кеңес (§7.1)", "Учёный совет (§7.1)", "Отырыс күні", "06.05.2026",
                     "Қабылданды", "Жақтап", "Қарсы", "Қалыс қалғандар", "Воздержались"):
        assert squash(expected) in flat, expected
    layout = pdf_layout_page(addition_pdf, 1, tmp_path)
    assert re.search(r"06\.05\.2026\s+Қабылданды\s+27\s+3\s+4\s*$", layout, re.MULTILINE)


def test_council_not_required_is_said_so(catalogs: Path) -> None:
    council = CouncilRecord(False, None, None, None, None, None)
    html = render_addition_html(make_addition(council=council), catalogs)
    assert "Ғылыми кеңестің қабылдауы талап етілмеді." in html
    assert 'class="grid council"' not in html
    secretary = Signatory("council_secretary", SIGNATORIES[2], "Ғылыми кеңес хатшысы", "not_required",
                          datetime(2026, 5, 6, 9, 0, tzinfo=UTC))
    addition = make_addition(council=council, signatories=(secretary, make_addition().signatories[-1]))
    assert "Қабылдау талап етілмеді" in render_addition_html(addition, catalogs)


def test_addition_names_its_signatories(addition_text: str) -> None:
    flat = squash(addition_text)
    for expected in (
        *SIGNATORIES, "Ұсыныс бастамашысы", "Маркетинг және коммуникациялар бөлімі (МКБ)",
        "Ғылыми кеңес хатшысы", "Ректор",
        "Ұсынылды", "Қаралды және біріктірілді", "Бекітілді", "Утверждено",
        "01.04.2026, 10:00", "10.04.2026, 11:15", "06.05.2026, 14:00", "11.05.2026, 09:30",
        "PA-2026-00002", "A3KD-8QZ2-TW7N", VERIFY + "A3KD-8QZ2-TW7N",
        "Толықтыруды тексеру үшін",
    ):
        assert squash(expected) in flat, expected
    # positions wrap in their cell, and pdftotext interleaves the wrapped lines of a row
    for word in "Стратегиялық даму жөніндегі проректор Маркетинг және коммуникациялар бөлімінің бастығы".split():
        assert word in addition_text, word


def test_unknown_decisions_print_as_they_are(catalogs: Path) -> None:
    signatory = Signatory("rector", "Ректор", "", "<b>vetoed</b>", APPROVED)
    html = render_addition_html(make_addition(signatories=(signatory,)), catalogs)
    assert html.count(">&lt;b&gt;vetoed&lt;/b&gt;<") == 1


def test_labels_are_extractable_msgids() -> None:
    from jinja2.ext import babel_extract

    found = set()
    # The documents' own labels and those of the shared base and macros they are built on.
    for template in (
        policy_documents.TEMPLATES / "policy_edition.html",
        policy_documents.TEMPLATES / "policy_addition.html",
        TEMPLATES_DIR / "document_base.html",
        TEMPLATES_DIR / "document_macros.html",
    ):
        with open(template, "rb") as source:
            found |= {
                message
                for _, _, message, _ in babel_extract(
                    source, ["_", "gettext"], [], {"extensions": "jinja2.ext.i18n"}
                )
            }
    assert found == set(CATALOG)


def test_web_catalogs_translate_every_label() -> None:
    for lang in ("kk", "ru", "en"):
        with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as po_file:
            catalog = read_po(po_file)
        for msgid, translations in CATALOG.items():
            message = catalog.get(msgid)
            assert message is not None and message.string, (lang, msgid)
            if lang != "en":
                expected = translations[0] if lang == "kk" else translations[1]
                assert message.string == expected, (lang, msgid)
    with open(TRANSLATIONS / "messages.pot", "rb") as pot_file:
        template = read_po(pot_file)
    assert all(template.get(msgid) is not None for msgid in CATALOG)


# --- safety and validation --------------------------------------------------------------------

def test_user_data_is_escaped_and_never_fetched(
    catalogs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = FetchSpy(monkeypatch)
    edition = make_edition(
        preamble=HOSTILE["link"],
        sections={15: HOSTILE["style"]},  # a stored heading of a section without a known title
        clauses=(EditionClause("1.1", HOSTILE["img"], False), EditionClause("1.2", "ok", False)),
        number=1, additions=(), approved_at=None,
        verify_url='https://kelisim.kineu.edu.kz/verify/"><img src=file:///etc/passwd>',
    )
    html = render_edition_html(edition, catalogs)
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<style>@font-face" not in html and "<link rel=stylesheet" not in html
    assert "<img src=file:" not in html
    text = squash(pdf_text(render_edition(edition, catalogs), tmp_path))
    for payload in HOSTILE.values():
        assert squash(payload) in text
    addition = make_addition(
        rationale=HOSTILE["style"],
        proposal='<link rel="attachment" href="file:///etc/passwd">',
        changes=(ChangeLine("1.1", "changed", HOSTILE["img"], HOSTILE["img"] + HOSTILE["link"]),),
        signatories=(Signatory("rector", HOSTILE["link"], HOSTILE["img"], "approved", APPROVED),),
    )
    html = render_addition_html(addition, catalogs)
    assert '<link rel="attachment"' not in html and "<link rel=stylesheet" not in html
    assert "<ins>&lt;link rel=stylesheet" in html
    text = squash(pdf_text(render_addition(addition, catalogs), tmp_path))
    for payload in HOSTILE.values():
        assert squash(payload) in text
    others = {url for url, _ in spy.calls if not url.startswith("data:")}
    # policy.css: read once per thread, when render_html_to_pdf first parses it
    assert others - {policy_documents.TEMPLATES.as_uri() + "/policy.css"} == {"kelisim-asset:logo.svg"}
    assert {outcome for _, outcome in spy.calls} == {"served"}


def test_edition_accepts_json_section_keys() -> None:
    edition = make_edition(sections={"7": "ӨКІЛЕТТІКТЕР"})
    assert edition.sections == {7: "ӨКІЛЕТТІКТЕР"}
    assert isinstance(edition.clauses, tuple) and isinstance(edition.additions, tuple)


NAIVE = datetime(2026, 5, 11, 9, 30)


@pytest.mark.parametrize(
    "changes",
    [
        {"approved_at": NAIVE},
        {"approved_at": None},  # edition 3 was approved
        {"effective_from": date(2026, 5, 13)},  # not the date of the addition that made it
        {"verify_url": "javascript:alert(1)"},
        {"verify_url": "https:///no-host"},
        {"number": 0},
        {"number": True},
        {"clauses": ()},
        {"clauses": (EditionClause("1.1", "a", False), EditionClause("1.1", "b", False))},
        {"clauses": (EditionClause("2.1", "a", False), EditionClause("1.1", "b", False))},
        {"clauses": ({"number": "1.1", "text": "a", "changed": False},)},
        {"additions": ()},  # edition 3 lists the additions that made editions 2 and 3
        {"number": 4},
        {"sections": {0: "heading"}},
        {"sections": {1: ""}},
        {"reg_number": ""},
        {"verification_code": " "},
    ],
)
def test_edition_refuses_misleading_data(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_edition(**changes)


def test_original_text_marks_nothing_changed() -> None:
    with pytest.raises(ValueError, match="original text"):
        make_edition(1, clauses=(EditionClause("1.1", "a", True),))


@pytest.mark.parametrize(
    "args",
    [
        ("7", "a", False),
        ("7.01", "a", False),
        ("", "a", False),
        ("1.1", None, False),
        ("1.1", "a", "yes"),
    ],
)
def test_clause_refuses_bad_fields(args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        EditionClause(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "args",
    [
        (1, "PA-1", APPROVED, EFFECTIVE, ""),  # edition 1 is not made by an addition
        (2, "", APPROVED, EFFECTIVE, ""),
        (2, "PA-1", NAIVE, EFFECTIVE, ""),
        (2, "PA-1", APPROVED, date(2026, 5, 10), ""),  # in force before it was approved
        (2, "PA-1", APPROVED, APPROVED, ""),  # a datetime is not a date
    ],
)
def test_addition_ref_refuses_bad_fields(args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        AdditionRef(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "args",
    [
        ("1.1", "edited", "a", "b"),
        ("1.1", "added", "a", "b"),
        ("1.1", "added", "", " "),
        ("1.1", "removed", "", ""),
        ("1.1", "removed", "a", "b"),
        ("1.1", "changed", "a", "a"),
        ("1.1", "changed", "", "b"),
        ("x", "added", "", "b"),
    ],
)
def test_change_refuses_texts_that_contradict_its_kind(args: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        ChangeLine(*args)


@pytest.mark.parametrize(
    "args",
    [
        (True, date(2026, 5, 6), "adopted", -1, 0, 0),
        (True, date(2026, 5, 6), "adopted", 1, True, 0),
        (True, date(2026, 5, 6), "passed", 1, 0, 0),
        (True, None, "adopted", 1, 0, 0),
        (True, date(2026, 5, 6), "adopted", 1, None, 0),
        (True, datetime(2026, 5, 6, tzinfo=UTC), "adopted", 1, 0, 0),
        ("yes", None, None, None, None, None),
    ],
)
def test_council_record_refuses_impossible_votes(args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        CouncilRecord(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"approved_at": NAIVE},
        {"approved_at": APPROVED.replace(tzinfo=None)},
        {"effective_from": date(2026, 5, 10)},
        {"verify_url": "ftp://kelisim.kineu.edu.kz/verify/x"},
        {"changes": ()},
        {"changes": (ChangeLine("1.1", "added", "", "a"), ChangeLine("1.1", "added", "", "b"))},
        {"edition": 2, "base_edition": 2},
        {"base_edition": 0},
        {"signatories": ()},
        {"signatories": (Signatory("proposer", "А", "", "proposed", APPROVED),)},  # no rector
        {"council": CouncilRecord(True, date(2026, 5, 6), "not_adopted", 3, 27, 4)},
        {"council": CouncilRecord(True, date(2026, 5, 12), "adopted", 27, 3, 4)},  # after approval
        {"council": None},
    ],
)
def test_addition_refuses_misleading_data(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_addition(**changes)


@pytest.mark.parametrize(
    "args",
    [
        ("dean", "А", "", "approved", APPROVED),
        ("rector", "", "", "approved", APPROVED),
        ("rector", "А", "", "", APPROVED),
        ("rector", "А", "", "approved", NAIVE),
    ],
)
def test_signatory_refuses_bad_fields(args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        Signatory(*args)  # type: ignore[arg-type]


def test_approval_date_is_read_in_almaty_time() -> None:
    late_evening_utc = datetime(2026, 5, 11, 20, 0, tzinfo=UTC)  # 12.05.2026 01:00 in Almaty
    make_addition(approved_at=late_evening_utc, effective_from=date(2026, 5, 12),
                  council=CouncilRecord(True, date(2026, 5, 12), "adopted", 27, 3, 4))
    with pytest.raises(ValueError):
        make_addition(approved_at=late_evening_utc, effective_from=date(2026, 5, 11))
    plus_ten = timezone(timedelta(hours=10))
    ref = AdditionRef(2, "PA-1", datetime(2026, 5, 12, 1, 0, tzinfo=plus_ten), date(2026, 5, 11), "")
    assert ref.effective_from == date(2026, 5, 11)  # 11.05 20:00 in Almaty


def test_addition_is_immutable() -> None:
    addition = make_addition(changes=[ChangeLine("1.1", "added", "", "a")])
    assert isinstance(addition.changes, tuple) and isinstance(addition.signatories, tuple)
    assert hash(addition) == hash(make_addition(changes=[ChangeLine("1.1", "added", "", "a")]))
    with pytest.raises(AttributeError):
        addition.reg_number = "changed"  # type: ignore[misc]
    assert replace(addition, proposal="No. 13").proposal == "No. 13"


def test_policy_documents_module_stays_below_the_web_layer() -> None:
    probe = "import sys, processes.policy_amendment.documents; print('flask' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
