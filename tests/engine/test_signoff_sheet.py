"""PDF rendering of the external material sign-off sheet (§7.5)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from processes import documents
from processes.documents import file_size_texts
from processes.material_signoff import sheet as sheet_module
from processes.material_signoff.sheet import (
    ChecklistLine,
    Reviewer,
    SheetFile,
    SignoffSheet,
    render_signoff_sheet,
    render_signoff_sheet_html,
)
from tests.engine.pdf_helpers import HOSTILE, FetchSpy, pdf_text, squash

# The sheet's msgids with their glossary translations; those the certificate or the web interface
# already use keep their existing translations.
CATALOG = {
    "M. Dulatov Kostanay Engineering and Economics University": (
        "М. Дулатов атындағы Қостанай инженерлік-экономикалық университеті",
        "Костанайский инженерно-экономический университет имени М. Дулатова",
    ),
    "Sign-off sheet": ("Келісу парағы", "Лист согласования"),
    "Registration number": ("Тіркеу нөмірі", "Регистрационный номер"),
    "Structural unit": ("Құрылымдық бөлімше", "Структурное подразделение"),
    "Title": ("Тақырыбы", "Тема"),
    "Type of material": ("Материал түрі", "Вид материала"),
    "Channel": ("Тарату арнасы", "Канал размещения"),
    "Target audiences (§5)": ("Мақсатты аудиториялар (§5)", "Целевые аудитории (§5)"),
    "Planned publication date": ("Жариялаудың жоспарланған күні", "Планируемая дата публикации"),
    "Date of clearance": ("Келісу күні", "Дата согласования"),
    "Approved files": ("Келісілген файлдар", "Согласованные файлы"),
    "File": ("Файл", "Файл"),
    "Version": ("Нұсқа", "Версия"),
    "Size": ("Өлшемі", "Размер"),
    "Fingerprint (SHA-256)": ("Бақылау сомасы (SHA-256)", "Контрольная сумма (SHA-256)"),
    "Brand-guideline checklist": (
        "Гайдлайнға сәйкестікті тексеру тізімі",
        "Чек-лист соответствия гайдлайну",
    ),
    "Override reason": (
        "Ескертулерге қарамастан келісу себебі",
        "Причина согласования несмотря на замечания",
    ),
    "Reviewers": ("Келісушілер", "Согласующие"),
    "Verification code": ("Тексеру коды", "Код проверки"),
    "To check this sign-off sheet, scan the QR code or open:": (
        "Келісу парағын тексеру үшін QR-кодты сканерлеңіз немесе мына мекенжайды ашыңыз:",
        "Для проверки листа согласования отсканируйте QR-код или откройте адрес:",
    ),
    # material types
    "Video": ("Бейнеролик", "Видеоролик"),
    "Presentation": ("Презентация", "Презентация"),
    "Booklet": ("Буклет", "Буклет"),
    "Poster": ("Афиша", "Афиша"),
    "Social media post": ("Әлеуметтік желідегі жазба", "Публикация в социальной сети"),
    "Other": ("Басқа", "Иное"),
    # channels
    "Website": ("Веб-сайт", "Веб-сайт"),
    "Social network account": ("Әлеуметтік желідегі аккаунт", "Аккаунт в социальной сети"),
    "Print": ("Баспа өнімі", "Печатная продукция"),
    "Exhibition": ("Көрме", "Выставка"),
    "Mass media": (
        "Бұқаралық ақпарат құралдары (БАҚ)",
        "Средства массовой информации (СМИ)",
    ),
    # target audiences (§5)
    "Applicants": ("Талапкерлер", "Абитуриенты"),
    "Students": ("Студенттер", "Студенты"),
    "Parents": ("Ата-аналар", "Родители"),
    "Graduates": ("Түлектер", "Выпускники"),
    "Employers": ("Жұмыс берушілер", "Работодатели"),
    "Partners": ("Серіктестер", "Партнёры"),
    "State bodies": ("Мемлекеттік органдар", "Государственные органы"),
    "Local community": ("Жергілікті қоғамдастық", "Местное сообщество"),
    "Staff": ("Қызметкерлер", "Сотрудники"),
    "Student body": ("Студенттік қауымдастық", "Студенческое сообщество"),
    "Foreign applicants": ("Шетелдік талапкерлер", "Иностранные абитуриенты"),
    "Foreign partners": ("Шетелдік серіктестер", "Зарубежные партнёры"),
    # brand-guideline checklist items
    "Logo placement": ("Логотиптің орналасуы", "Размещение логотипа"),
    "Colours": ("Түстер", "Цвета"),
    "Fonts": ("Қаріптер", "Шрифты"),
    "Language versions (kk, ru, en)": (
        "Тілдік нұсқалар (kk, ru, en)",
        "Языковые версии (kk, ru, en)",
    ),
    "Contacts": ("Байланыс деректері", "Контактные данные"),
    "Factual accuracy (§3.9)": ("Фактілердің дұрыстығы (§3.9)", "Достоверность фактов (§3.9)"),
    # reviewer roles
    "Head of MCD": ("МКБ бастығы", "Начальник ОМК"),
    "MCD specialist": ("МКБ маманы", "Специалист ОМК"),
    "Management": ("Басшылық", "Руководство"),
    # decisions
    "Cleared": ("Келісілді", "Согласовано"),
    "Late submission accepted": ("Кешіктірілген өтінім қабылданды", "Заявка с опозданием принята"),
    "Returned": ("Пысықтауға қайтарылды", "Возвращено на доработку"),
    "Rejected": ("Қабылданбады", "Отклонено"),
}
# File sizes use the web interface's msgids, formatted in signoff_sheet.py.
SIZE_CATALOG = {
    "%(n)s bytes": ("%(n)s байт", "%(n)s байт"),
    "%(n)s KB": ("%(n)s КБ", "%(n)s КБ"),
    "%(n)s MB": ("%(n)s МБ", "%(n)s МБ"),
}
UNIT = "Ақпараттық жүйелер кафедрасы"
TITLE = "Приёмная кампания 2026: видеоролик и буклет"
OVERRIDE = "Шрифт заголовка согласован как исключение для видеоформата."
REVIEWERS = ("Айгерім Болатқызы Сейітова", "Ержан Серікұлы Әбдіров", "Серік Болатұлы Жұмабаев")


def write_catalogs(directory: Path) -> Path:
    """Compile kk and ru catalogs of the sheet's msgids into ``directory``."""
    for index, lang in enumerate(("kk", "ru")):
        catalog = Catalog(locale=lang, domain="messages")
        for msgid, translations in {**CATALOG, **SIZE_CATALOG}.items():
            catalog.add(msgid, translations[index])
        target = directory / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        with open(target / "messages.mo", "wb") as mo_file:
            write_mo(mo_file, catalog)
    return directory


def digest(label: str) -> str:
    """Return a sample SHA-256 hex digest."""
    return hashlib.sha256(label.encode()).hexdigest()


def make_files(count: int = 3) -> list[SheetFile]:
    """Build ``count`` approved files of assorted sizes."""
    names = ["Қабылдау-2026 бейнеролик.mp4", "Буклет_приём_2026.pdf", "poster-A2.png"]
    sizes = [2_516_582, 48_213, 900]
    return [
        SheetFile(
            name=names[i % 3] if i < 3 else f"{i + 1:02d}-{names[i % 3]}",
            version=1 + i % 4,
            size=sizes[i % 3],
            sha256=digest(f"file {i}"),
        )
        for i in range(count)
    ]


def make_sheet(**changes: object) -> SignoffSheet:
    """Build a sign-off sheet with Kazakh and Russian sample data."""
    fields: dict[str, object] = {
        "reg_number": "MS-2026-00007",
        "unit_name": UNIT,
        "title": TITLE,
        "material_type": "video",
        "channel": "social_network",
        "audiences": ["applicants", "students", "media"],
        "planned_date": date(2026, 5, 4),
        "files": make_files(),
        "checklist": [
            ChecklistLine("logo", True, ""),
            ChecklistLine("colours", True, ""),
            ChecklistLine("fonts", False, "Заголовок набран шрифтом не из гайдлайна"),
            ChecklistLine("languages", True, "Қазақша және орысша"),
            ChecklistLine("contacts", True, ""),
            ChecklistLine("accuracy", True, ""),
        ],
        "override_reason": OVERRIDE,
        "reviewers": [
            Reviewer("mcd_specialist", REVIEWERS[0], "МКБ маманы", "approve",
                     datetime(2026, 4, 20, 5, 12, tzinfo=UTC)),
            Reviewer("mcd_head", REVIEWERS[1], "Маркетинг және коммуникациялар бөлімінің бастығы",
                     "accept", datetime(2026, 4, 20, 8, 40, tzinfo=UTC)),
            Reviewer("management", REVIEWERS[2], "Стратегиялық даму жөніндегі проректор",
                     "approve", datetime(2026, 4, 21, 4, 2, tzinfo=UTC)),
        ],
        "approved_at": datetime(2026, 4, 21, 4, 2, tzinfo=UTC),
        "verification_code": "M3KD-8QZ2-TW7N",
        "verify_url": "https://kelisim.kineu.edu.kz/verify/M3KD-8QZ2-TW7N",
    }
    fields.update(changes)
    return SignoffSheet(**fields)  # type: ignore[arg-type]


def page_count(text: str) -> int:
    """Count the pages in pdftotext's output (it ends each page with a form feed)."""
    return text.count("\f")


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Provide a translations folder with kk and ru catalogs."""
    return write_catalogs(tmp_path_factory.mktemp("translations"))


def test_sheet_text_comes_back_in_three_languages(catalogs: Path, tmp_path: Path) -> None:
    sheet = make_sheet()
    pdf = render_signoff_sheet(sheet, catalogs)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    assert page_count(text) == 1  # three files fit on one page
    flat = squash(text)
    for expected in (
        "MS-2026-00007", UNIT, TITLE, OVERRIDE, *REVIEWERS, "M3KD-8QZ2-TW7N",
        "Келісу парағы", "Лист согласования", "Sign-off sheet", "§7.5",
        "Бейнеролик", "Видеоролик", "Video",  # material type
        "Әлеуметтік желідегі аккаунт", "Аккаунт в социальной сети",  # channel
        "Талапкерлер; Студенттер; Бұқаралық ақпарат құралдары (БАҚ)", "Абитуриенты", "Students",
        "Қаріптер", "Шрифты", "Fonts", "Заголовок набран шрифтом не из гайдлайна",
        "МКБ маманы", "Начальник ОМК", "Басшылық", "Руководство",  # roles
        "Кешіктірілген өтінім қабылданды", "Согласовано",  # decisions
        "04.05.2026",
        "21.04.2026, 09:02",  # 04:02 UTC shown in Asia/Almaty time
        "2,4 МБ", "2.4 MB", "47,1 КБ", "900 байт", "900 bytes",
    ):
        assert squash(expected) in flat, expected
    for item in sheet.files:
        assert squash(item.name) in flat and item.sha256 in flat, item.name
    assert text.count("✓") == 5 and text.count("✗") == 1  # results are marked, not only coloured


def test_many_files_run_to_a_second_page(catalogs: Path, tmp_path: Path) -> None:
    sheet = make_sheet(files=make_files(14))
    text = pdf_text(render_signoff_sheet(sheet, catalogs), tmp_path)
    assert page_count(text) == 2
    flat = squash(text)
    for item in sheet.files:
        assert squash(item.name) in flat and item.sha256 in flat, item.name
    assert "M3KD-8QZ2-TW7N" in flat


def test_missing_catalogs_fall_back_to_english_labels(tmp_path: Path) -> None:
    html = render_signoff_sheet_html(make_sheet(), tmp_path / "no-catalogs")
    assert "Sign-off sheet" in html and "Келісу парағы" not in html
    assert html.count(">Social network account<") == 1
    assert html.count(">Structural unit<") == 1  # kk and ru repeat nothing they cannot translate
    assert "Applicants; Students; Mass media" in html


def test_identical_translations_are_printed_once(catalogs: Path) -> None:
    html = render_signoff_sheet_html(make_sheet(material_type="presentation"), catalogs)
    assert html.count(">Презентация<") == 1  # kk and ru agree
    assert html.count(">Presentation<") == 1


def test_clean_checklist_needs_no_override_reason(catalogs: Path) -> None:
    checklist = [ChecklistLine(item, True, "") for item in ("logo", "colours", "fonts")]
    sheet = make_sheet(checklist=checklist, override_reason=None, audiences=[])
    html = render_signoff_sheet_html(sheet, catalogs)
    assert 'class="override"' not in html and "✗" not in html
    assert html.count("✓") == 3


def test_unknown_codes_print_as_they_are(catalogs: Path) -> None:
    sheet = make_sheet(
        channel="<b>billboard</b>",
        audiences=["students", "investors"],
        checklist=[ChecklistLine("qr_code", True, "")],
        reviewers=[Reviewer("rector", "Ректор", "", "veto", datetime(2026, 4, 21, tzinfo=UTC))],
    )
    html = render_signoff_sheet_html(sheet, catalogs)
    assert ">&lt;b&gt;billboard&lt;/b&gt;<" in html and "<b>billboard" not in html
    assert "Студенттер; investors" in html
    for code in (">qr_code<", ">rector<", ">veto<"):
        assert html.count(code) == 1, code


def test_labels_are_extractable_msgids() -> None:
    from jinja2.ext import babel_extract

    found = set()
    # The sheet's own labels and those of the shared base and macros it is built on.
    for template in (
        sheet_module.TEMPLATES / "signoff_sheet.html",
        documents.TEMPLATES_DIR / "document_base.html",
        documents.TEMPLATES_DIR / "document_macros.html",
    ):
        with open(template, "rb") as source:
            found |= {
                message
                for _, _, message, _ in babel_extract(
                    source, ["_", "gettext"], [], {"extensions": "jinja2.ext.i18n"}
                )
            }
    assert found == set(CATALOG)


def test_user_data_is_escaped_and_never_fetched(
    catalogs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = FetchSpy(monkeypatch)
    sheet = make_sheet(
        title=HOSTILE["img"] + HOSTILE["style"],
        unit_name=HOSTILE["link"],
        files=[SheetFile(HOSTILE["img"], 1, 10, digest("x"))],
        checklist=[ChecklistLine("logo", False, HOSTILE["style"])],
        override_reason='<link rel="attachment" href="file:///etc/passwd">',
        reviewers=[Reviewer("mcd_head", HOSTILE["link"], HOSTILE["img"], "approve",
                            datetime(2026, 4, 21, tzinfo=UTC))],
        verify_url='https://kelisim.kineu.edu.kz/verify/"><img src=file:///etc/passwd>',
    )
    html = render_signoff_sheet_html(sheet, catalogs)
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<style>@font-face" not in html and "<link rel=stylesheet" not in html
    assert '<link rel="attachment"' not in html and "<img src=file:" not in html
    text = squash(pdf_text(render_signoff_sheet(sheet, catalogs), tmp_path))
    for payload in HOSTILE.values():
        assert squash(payload) in text
    others = [url for url, _ in spy.calls if not url.startswith("data:")]
    assert set(others) == {"kelisim-asset:logo.svg"}
    assert spy.outcome("kelisim-asset:logo.svg") == {"served"}


@pytest.mark.parametrize(
    "changes",
    [
        {"approved_at": datetime(2026, 4, 21, 9, 2)},
        {"verify_url": "javascript:alert(1)"},
        {"files": []},
        {"reviewers": []},
        {"checklist": [ChecklistLine("fonts", False, "")], "override_reason": None},
        {"checklist": [ChecklistLine("fonts", False, "")], "override_reason": ""},
    ],
)
def test_sheet_refuses_misleading_data(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_sheet(**changes)


@pytest.mark.parametrize(
    "sha256", ["not-a-digest", digest("a")[:-1], digest("a") + "0", "", "g" * 64, None]
)
def test_file_refuses_a_bad_fingerprint(sha256: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        SheetFile("a.pdf", 1, 10, sha256)


@pytest.mark.parametrize("version, size", [(0, 10), (1, -1), (True, 10)])
def test_file_refuses_a_bad_version_or_size(version: int, size: int) -> None:
    with pytest.raises(ValueError):
        SheetFile("a.pdf", version, size, digest("a"))


def test_reviewer_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Reviewer("mcd_head", "Ержан", "МКБ бастығы", "approve", datetime(2026, 4, 20, 8, 40))


def test_sheet_is_immutable() -> None:
    sheet = make_sheet()
    assert isinstance(sheet.files, tuple) and isinstance(sheet.reviewers, tuple)
    assert hash(sheet) == hash(make_sheet())
    with pytest.raises(AttributeError):
        sheet.title = "changed"  # type: ignore[misc]


def test_file_sizes_read_in_each_language(catalogs: Path) -> None:
    gettexts = documents.document_gettexts(catalogs)
    assert file_size_texts(900, gettexts) == [("kk", "900 байт"), ("en", "900 bytes")]
    assert file_size_texts(48_213, gettexts) == [("kk", "47,1 КБ"), ("en", "47.1 KB")]
    assert file_size_texts(2_516_582, gettexts) == [("kk", "2,4 МБ"), ("en", "2.4 MB")]


def test_signoff_sheet_module_stays_below_the_web_layer() -> None:
    probe = "import sys, processes.material_signoff.sheet; print('flask' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
