"""The release record of a media inquiry (processes/media_inquiry/release.py) as PDF: in the inquiry's one
language (kk, ru, en), the cleared answer with its SHA-256, each unit's timeliness, the QR verification.

Rendered with the project's own catalogs (web/translations, compiled at session start by tests/conftest.py),
so these tests also check the kk and ru translations of the record's labels."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from processes.media_inquiry import release
from processes.media_inquiry.release import late_text, render_release, render_release_html
from processes.usecases.context import Settings
from storage.models import Document
from tests.engine.pdf_helpers import HOSTILE, FetchSpy, pdf_text, squash

TRANSLATIONS = Path(__file__).resolve().parents[2] / "web" / "translations"
SETTINGS = Settings(base_url="https://kelisim.kineu.edu.kz", translations_dir=TRANSLATIONS)
CODE = "M3DQ7K2XRT9A"

ANSWERS = {
    "kk": "Университет жатақханаларында 2026 жылы 1 240 орын бар.\n\nЖаңа корпус 2027 жылдың қыркүйегінде ашылады.",
    "ru": "В общежитиях университета в 2026 году 1 240 мест.\n\nНовый корпус откроется в сентябре 2027 года.",
    "en": "The university's dormitories have 1,240 places in 2026.\n\nThe new building opens in September 2027.",
}
# The record's fixed phrases in each language, and what only another language's record may contain.
PHRASES = {
    "kk": ("БАҚ-қа жауап беру туралы жазба", "Тіркеу нөмірі", "Журналист", "Сұрақтар", "Бірыңғай дереккөз",
           "Келісілген ресми жауап", "Жауаптың SHA-256 сомасы", "Қосымшалар", "Дереккөз келісті",
           "Қалай берілді", "Электрондық пошта", "Кімге", "Сұрау жіберілген бөлімшелер", "Шұғыл (3 сағат)",
           "Ағымдағы (белгіленген мерзім, әйтпесе 3 күн)", "уақтылы", "2 сағ 15 мин кешікті",
           "Ақпараттық жүйелер кафедрасы", "Тексеру коды", "Жазбаны тексеру үшін QR-кодты сканерлеңіз",
           "Қостанай инженерлік-экономикалық университеті", "Ғылым жөніндегі проректор"),
    "ru": ("Запись о передаче ответа СМИ", "Регистрационный номер", "Журналист", "Вопросы", "Единый источник",
           "Согласованный официальный ответ", "SHA-256 ответа", "Приложения", "Согласован источником",
           "Как передан", "Электронная почта", "Кому", "Подразделения, получившие запрос", "Срочный (3 часа)",
           "Текущий (указанный срок, иначе 3 дня)", "в срок", "с опозданием на 2 ч 15 мин",
           "Кафедра информационных систем", "Код проверки", "Чтобы проверить запись, отсканируйте QR-код",
           "Костанайский инженерно-экономический университет", "Проректор по науке"),
}
FOREIGN = {
    "kk": ("Костанайский", "Запись о передаче", "Согласован", "Срочный", "Кафедра информационных",
           "Проректор по науке", "Код проверки", "Record of the release", "Verification code", "Single source",
           "Urgent (3 hours)", "on time", "late by", "email", "urgent", "current", "answered"),
    "ru": ("Қостанай инженерлік", "Беру туралы", "Дереккөз", "Шұғыл", "Ақпараттық жүйелер",
           "Ғылым жөніндегі", "Тексеру коды", "Record of the release", "Verification code", "Single source",
           "Urgent (3 hours)", "on time", "late by", "email", "urgent", "current", "answered"),
}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def public(language: str = "kk", **changes: Any) -> dict[str, Any]:
    text = ANSWERS[language]
    data: dict[str, Any] = {
        "language": language, "reg_number": "MI-2026-00007", "issued_at": "2026-12-02T08:00:00+00:00",
        "outlet": "Qostanay TV", "journalist": "Айгерім Нұрланова", "subject": "Жатақхана / Общежитие",
        "questions": ["Жатақханада қанша орын бар? / Сколько мест в общежитиях?",
                      "Жаңа корпус қашан ашылады? / Когда откроется новый корпус?"],
        "answer_text": text, "answer_sha256": sha(text),
        "files": [{"name": "dormitory-2026.pdf", "size": 48_213, "sha256": sha("file")}],
        "source_name": "Серік Жұмабаев",
        "source_positions": {"kk": "Ғылым жөніндегі проректор", "ru": "Проректор по науке",
                             "en": "Vice-rector for research"},
        "source_position": "Ғылым жөніндегі проректор",
        "cleared_at": "2026-12-02T07:30:00+00:00", "released_at": "2026-12-02T07:45:00+00:00",
        "release_method": "email", "released_to": "Айгерім Нұрланова",
        "units": [
            {"unit": "FE-IS", "names": {"kk": "Ақпараттық жүйелер кафедрасы", "ru": "Кафедра информационных систем",
                                        "en": "Department of Information Systems"},
             "urgency": "urgent", "sent_at": "2026-12-02T05:00:00+00:00", "due_at": "2026-12-02T08:00:00+00:00",
             "answered_at": "2026-12-02T07:30:00+00:00", "status": "answered", "late_seconds": None},
            {"unit": "AMD", "names": {"kk": "Әкімшілік басқарма", "ru": "Административное управление",
                                      "en": "Administration"},
             "urgency": "current", "sent_at": "2026-12-02T05:00:00+00:00", "due_at": "2026-12-02T06:00:00+00:00",
             "answered_at": "2026-12-02T08:15:00+00:00", "status": "answered", "late_seconds": 8100},
        ],
    }
    data.update(changes)
    return data


def document(language: str = "kk", **changes: Any) -> Document:
    return Document(instance_id=1, kind="media_release", title="MI-2026-00007", reg_number="MI-2026-00007",
                    verification_code=CODE, public=public(language, **changes),
                    issued_at=datetime(2026, 12, 2, 8, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def texts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("release")
    return {lang: pdf_text(render_release(document(lang), SETTINGS), folder) for lang in ("kk", "ru", "en")}


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_record_is_in_its_one_language(texts: dict[str, str], language: str) -> None:
    text = squash(texts[language])
    missing = [p for p in PHRASES[language] if squash(p) not in text]
    assert not missing, missing
    leaked = [p for p in FOREIGN[language] if squash(p) in text]
    assert not leaked, leaked


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_record_prints_the_answer_its_fingerprint_and_the_facts(texts: dict[str, str], language: str) -> None:
    text = squash(texts[language])
    assert sha(ANSWERS[language]) in text  # the cleared answer's SHA-256, whole (split in groups on the page)
    assert sha("file") in text and "dormitory-2026.pdf" in text
    for paragraph in ANSWERS[language].split("\n\n"):
        assert squash(paragraph) in text
    for fact in ("MI-2026-00007", "Qostanay TV", "Айгерім Нұрланова", "Серік Жұмабаев",
                 "Сколько мест в общежитиях?", "Когда откроется новый корпус?", CODE,
                 f"https://kelisim.kineu.edu.kz/verify/{CODE}"):
        assert squash(fact) in text, fact
    # Almaty time (UTC+5): cleared 12:30, released 12:45, the units sent at 10:00, due 13:00 and 11:00
    for moment in ("02.12.2026,12:30", "02.12.2026,12:45", "02.12.2026,10:00", "02.12.2026,13:00",
                   "02.12.2026,11:00", "02.12.2026,13:15"):
        assert moment in text, moment


def test_english_record_words_the_codes(texts: dict[str, str]) -> None:
    text = squash(texts["en"])
    for phrase in ("Record of the release of an answer to the media", "Urgent (3 hours)", "on time",
                   "late by 2 h 15 min", "Department of Information Systems", "Vice-rector for research",
                   "M. Dulatov Kostanay Engineering and Economics University"):
        assert squash(phrase) in text, phrase
    assert "Ақпараттық" not in text and "Кафедра" not in text


def test_a_unit_not_competent_and_one_still_open_are_worded(tmp_path: Path) -> None:
    units = public("ru")["units"]
    units[0].update(status="not_competent")
    units[1].update(status="closed", answered_at=None, late_seconds=None)
    text = squash(pdf_text(render_release(document("ru", units=units), SETTINGS), tmp_path))
    assert squash("Не наша компетенция") in text and squash("Закрыт") in text
    assert "not_competent" not in text and "closed" not in text


def test_user_data_is_escaped_and_never_fetched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = FetchSpy(monkeypatch)
    doc = document("ru", outlet=HOSTILE["img"], journalist=HOSTILE["link"], subject=HOSTILE["style"],
                   questions=[HOSTILE["img"]], answer_text=HOSTILE["style"], released_to=HOSTILE["link"],
                   source_name=HOSTILE["img"], files=[{"name": HOSTILE["img"], "size": 1, "sha256": sha("x")}])
    html = render_release_html(doc, SETTINGS)
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<style>@font-face" not in html and "<link rel=stylesheet" not in html
    text = squash(pdf_text(render_release(doc, SETTINGS), tmp_path))
    for payload in HOSTILE.values():
        assert squash(payload) in text
    others = {url for url, _ in spy.calls if not url.startswith("data:")}
    assert others - {(release.TEMPLATES / "release.css").as_uri()} == {"kelisim-asset:logo.svg"}
    assert {outcome for _, outcome in spy.calls} == {"served"}


def test_late_text_counts_days_hours_and_minutes() -> None:
    def gettext(msgid: str) -> str:
        return msgid

    assert late_text(8100, gettext) == "late by 2\u00a0h 15\u00a0min"
    assert late_text(90000 + 60, gettext) == "late by 1\u00a0d 1\u00a0h 1\u00a0min"
    assert late_text(30, gettext) == "late by 0\u00a0min"
