"""PDF rendering of issued documents: content, languages and the URL fetcher's refusals."""

from __future__ import annotations

import hashlib
import logging
import re
import subprocess
import sys
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from processes import documents
from processes.documents import (
    ASSETS_DIR,
    AssetFetcher,
    AssetRefused,
    qr_svg_data_uri,
    render_html_to_pdf,
)
from processes.speech_clearance import certificate
from processes.speech_clearance.certificate import Certificate, render_certificate, render_certificate_html
from tests.engine.pdf_helpers import HOSTILE, FetchSpy, pdf_text, squash

# The certificate's msgids with their glossary translations; the web catalogs should carry the same
# entries.
CATALOG = {
    "M. Dulatov Kostanay Engineering and Economics University": (
        "М. Дулатов атындағы Қостанай инженерлік-экономикалық университеті",
        "Костанайский инженерно-экономический университет имени М. Дулатова",
    ),
    "Clearance certificate": ("Келісу туралы анықтама", "Справка о согласовании"),
    "The text (theses) of the speech described below has been cleared with a public person "
    "of the University in accordance with §8.6 of the Information Policy.": (
        "Төменде көрсетілген сөз сөйлеу мәтіні (тезистері) Ақпараттық саясаттың §8.6-тармағына "
        "сәйкес Университеттің жария тұлғасымен келісілді.",
        "Текст (тезисы) выступления, указанного ниже, согласован с публичным лицом "
        "Университета в соответствии с §8.6 Информационной политики.",
    ),
    "Registration number": ("Тіркеу нөмірі", "Регистрационный номер"),
    "Employee": ("Қызметкер", "Сотрудник"),
    "Event": ("Іс-шара", "Мероприятие"),
    "Event date": ("Іс-шара күні", "Дата мероприятия"),
    "Organiser": ("Ұйымдастырушы", "Организатор"),
    "Title": ("Тақырыбы", "Тема"),
    "Cleared by": ("Келіскен", "Согласовал(а)"),
    "Date of clearance": ("Келісу күні", "Дата согласования"),
    "Text version": ("Мәтін нұсқасы", "Версия текста"),
    "Fingerprint (SHA-256)": ("Бақылау сомасы (SHA-256)", "Контрольная сумма (SHA-256)"),
    "Cleared": ("Келісілді", "Согласовано"),
    "Verification code": ("Тексеру коды", "Код проверки"),
    "To check this certificate, scan the QR code or open:": (
        "Анықтаманы тексеру үшін QR-кодты сканерлеңіз немесе мына мекенжайды ашыңыз:",
        "Для проверки справки отсканируйте QR-код или откройте адрес:",
    ),
    "This document was generated electronically. The fingerprint identifies the exact "
    "cleared version of the text.": (
        "Бұл құжат электронды түрде жасалды. Бақылау сомасы мәтіннің келісілген нұсқасын "
        "дәл анықтайды.",
        "Документ сформирован в электронном виде. Контрольная сумма однозначно определяет "
        "согласованную версию текста.",
    ),
}
KAZAKH_LETTERS = "әғқңөұүһі"
FINGERPRINT = hashlib.sha256("Тезистер / theses v3".encode()).hexdigest()
PASSWD = Path("/etc/passwd")


def write_catalogs(directory: Path) -> Path:
    """Compile kk and ru catalogs of the certificate's msgids into ``directory``."""
    for index, lang in enumerate(("kk", "ru")):
        catalog = Catalog(locale=lang, domain="messages")
        for msgid, translations in CATALOG.items():
            catalog.add(msgid, translations[index])
        target = directory / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        with open(target / "messages.mo", "wb") as mo_file:
            write_mo(mo_file, catalog)
    return directory


def make_certificate(**changes: object) -> Certificate:
    """Build a certificate with Kazakh and Russian sample data."""
    fields: dict[str, object] = {
        "reg_number": "SC-2026-00042",
        "employee_name": "Әсел Қанатқызы Нұрлан",
        "event_name": "Жаһандық ғылым және өңірлік даму: білім беру үрдістері",
        "event_date": date(2026, 4, 21),
        "organizer": "Қостанай облысы әкімдігінің білім басқармасы",
        "title": "Цифровая трансформация университета",
        "approver_name": "Серік Болатұлы Жұмабаев",
        "approver_position": "Стратегиялық даму жөніндегі проректор",
        "approved_at": datetime(2026, 4, 14, 9, 30, tzinfo=UTC),
        "fingerprint": FINGERPRINT,
        "content_version": 3,
        "verification_code": "K7QF-2M9X-PA3D",
        "verify_url": "https://kelisim.kineu.edu.kz/verify/K7QF-2M9X-PA3D",
    }
    fields.update(changes)
    return Certificate(**fields)  # type: ignore[arg-type]


def pdf_payloads(pdf: bytes) -> bytes:
    """Return every stream of the PDF, inflated where it is compressed."""
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            chunks.append(match.group(1))
    return b"\n".join(chunks)


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Provide a translations folder with kk and ru catalogs."""
    return write_catalogs(tmp_path_factory.mktemp("translations"))


def test_certificate_text_comes_back_in_three_languages(catalogs: Path, tmp_path: Path) -> None:
    pdf = render_certificate(make_certificate(), catalogs)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    for expected in (
        "Әсел Қанатқызы Нұрлан",
        "Цифровая трансформация университета",
        "Қостанай облысы әкімдігінің білім басқармасы",
        "SC-2026-00042",
        "K7QF-2M9X-PA3D",
        "Келісу туралы анықтама",
        "Справка о согласовании",
        "Clearance certificate",
        "Бақылау сомасы (SHA-256)",
        "§8.6",
        "14.04.2026, 14:30",  # 09:30 UTC shown in Asia/Almaty time
        "21.04.2026",
    ):
        assert squash(expected) in squash(text), expected
    assert set(KAZAKH_LETTERS) <= set(text)
    assert FINGERPRINT in squash(text)


def test_missing_catalogs_fall_back_to_english_labels(tmp_path: Path) -> None:
    html = render_certificate_html(make_certificate(), tmp_path / "no-catalogs")
    assert "Clearance certificate" in html
    assert "Келісу туралы анықтама" not in html
    assert html.count(">Employee<") == 1  # kk and ru repeat nothing they cannot translate
    text = pdf_text(render_certificate(make_certificate(), tmp_path / "none"), tmp_path)
    assert "Әсел Қанатқызы Нұрлан" in text


def test_labels_are_extractable_msgids() -> None:
    from jinja2.ext import babel_extract

    found = set()
    # The certificate's own labels and those of the shared base and macros it is built on.
    for template in (
        certificate.TEMPLATES / "certificate.html",
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
    cert = make_certificate(
        title=HOSTILE["img"] + HOSTILE["style"],
        employee_name=HOSTILE["link"],
        event_name=HOSTILE["style"],
        organizer='<link rel="attachment" href="file:///etc/passwd">',
    )
    html = render_certificate_html(cert, catalogs)
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<style>@font-face" not in html and "<link rel=stylesheet" not in html
    text = squash(pdf_text(render_certificate(cert, catalogs), tmp_path))
    for payload in HOSTILE.values():
        assert squash(payload) in text
    assert spy.outcome("kelisim-asset:logo.svg") == {"served"}
    others = [url for url, _ in spy.calls if not url.startswith("data:")]
    assert others == ["kelisim-asset:logo.svg"]


def test_raw_html_resources_outside_assets_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    outside = tmp_path / "outside.css"
    outside.write_text("body { color: red }")
    spy = FetchSpy(monkeypatch)
    html = f"""<html><head>
      <link rel="attachment" href="file:///etc/passwd">
      <link rel="attachment" href="kelisim-asset:logo.svg">
      <link rel="stylesheet" href="http://169.254.169.254/latest/meta-data/">
      <link rel="stylesheet" href="{outside.as_uri()}">
      <style>
        @import url("https://example.com/x.css");
        @font-face {{ font-family: x; src: url(file:///etc/passwd); }}
        body {{ background: url(file:///etc/passwd); font-family: x; }}
        p {{ background: url(../assets/logo.svg); }}
      </style></head>
      <body><p>ok</p><img src="file:///etc/passwd"><img src="ftp://example.com/a.png">
      <img src="../../../../../../etc/passwd"></body></html>"""
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        pdf = render_html_to_pdf(html)
    refused = ("file:///etc/passwd", "http://169.254.169.254/", "https://example.com/",
               "ftp://example.com/", outside.as_uri())
    for prefix in refused:
        assert spy.outcome(prefix) == {"refused"}, prefix
    assert spy.outcome("kelisim-asset:logo.svg") == {"served"}
    assert spy.outcome(ASSETS_DIR.as_uri() + "/logo.svg") == {"served"}
    payloads = pdf_payloads(pdf)
    assert (ASSETS_DIR / "logo.svg").read_bytes() in payloads  # the detector works
    if PASSWD.exists():
        first_line = PASSWD.read_bytes().splitlines()[0]
        assert first_line not in payloads and first_line not in pdf
    assert "file:///etc/passwd" in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "file://localhost/etc/passwd",
        "file://evil.example/share/logo.svg",
        "http://169.254.169.254/",
        "https://example.com",
        "ftp://example.com/logo.svg",
        "gopher://example.com/",
        "kelisim-asset:../../../etc/passwd",
        "kelisim-asset:..%2F..%2F..%2Fetc%2Fpasswd",
        "kelisim-asset:/etc/passwd",
        "kelisim-asset:missing.svg",
        "kelisim-asset:certificate.html",
        "kelisim-asset:../documents.py",
        "javascript:alert(1)",
        "logo.svg",
    ],
)
def test_fetcher_refuses_everything_but_our_assets(url: str) -> None:
    with pytest.raises(AssetRefused):
        AssetFetcher().fetch(url)


def test_fetcher_serves_assets_and_data_uris() -> None:
    fetcher = AssetFetcher()
    logo = (ASSETS_DIR / "logo.svg").read_bytes()
    for url in ("kelisim-asset:logo.svg", (ASSETS_DIR / "logo.svg").as_uri()):
        response = fetcher.fetch(url)
        assert response.read() == logo and response.content_type == "image/svg+xml"
    css = fetcher.fetch((documents.TEMPLATES_DIR / "document.css").as_uri())
    assert css.content_type == "text/css"
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


def test_fetcher_refuses_symlink_out_of_its_roots(tmp_path: Path) -> None:
    root, secret = tmp_path / "assets", tmp_path / "secret.svg"
    root.mkdir()
    secret.write_text("<svg/>")
    (root / "inside.svg").write_text("<svg/>")
    (root / "escape.svg").symlink_to(secret)
    fetcher = AssetFetcher(roots=[root])
    assert fetcher.fetch("kelisim-asset:inside.svg").read() == b"<svg/>"
    for url in ("kelisim-asset:escape.svg", (root / "escape.svg").as_uri(), secret.as_uri()):
        with pytest.raises(AssetRefused):
            fetcher.fetch(url)


def test_qr_svg_data_uri_is_an_svg_image() -> None:
    uri = qr_svg_data_uri("https://kelisim.kineu.edu.kz/verify/K7QF-2M9X-PA3D")
    assert uri.startswith("data:image/svg+xml;base64,")
    svg = AssetFetcher().fetch(uri).read()
    assert svg.startswith(b"<svg") and b"<path" in svg


@pytest.mark.parametrize(
    "changes",
    [
        {"fingerprint": "not-a-digest"},
        {"approved_at": datetime(2026, 4, 14, 9, 30)},
        {"verify_url": "javascript:alert(1)"},
    ],
)
def test_certificate_refuses_misleading_data(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_certificate(**changes)


def test_qr_code_encodes_the_verify_url() -> None:
    url = "https://kelisim.kineu.edu.kz/verify/K7QF-2M9X-PA3D"
    svg = AssetFetcher().fetch(qr_svg_data_uri(url)).read().decode("ascii")
    expected = documents._qr_matrix(url)
    drawn = [[False] * len(expected) for _ in expected]
    for x, y, length in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", svg):
        for column in range(int(x), int(x) + int(length)):
            drawn[int(y)][column] = True
    assert drawn == expected


def test_documents_module_stays_below_the_web_layer() -> None:
    probe = "import sys, processes.documents; print('flask' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
