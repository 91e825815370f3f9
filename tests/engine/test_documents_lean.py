"""The lean document pipeline (issue 13): the same documents, with less for WeasyPrint to do.

Every document still carries its texts in each of its languages and keeps its page count; the QR
code is a one-pixel-per-module PNG that decodes to the verify URL's modules; the logo needs no text
layout; a document's own stylesheet (letter.css, policy.css) applies without a <link>, parsed once
per thread; the templates' line breaks between tags are gone while user text keeps its own. And
the use-case layer's shortcuts keep the audit chain intact (one head read per transaction).
"""
from __future__ import annotations

import base64
import io
import re
import threading
from pathlib import Path

import pytest
from PIL import Image

from processes import documents
from processes.documents import AssetRefused, qr_data_uri, render_html_to_pdf
from processes.information_request.letters import UNIVERSITY_NAMES, render_letter, render_letter_html
from processes.material_signoff.sheet import render_signoff_sheet, render_signoff_sheet_html
from processes.policy_amendment import documents as policy_documents
from processes.policy_amendment.documents import render_addition, render_edition
from processes.speech_clearance.certificate import render_certificate, render_certificate_html
from storage import audit
from tests.engine.pdf_helpers import pdf_text, squash
from tests.engine.policy_samples import make_addition, make_edition
from tests.engine.test_documents import make_certificate
from tests.engine.test_letters import make_letter
from tests.engine.test_signoff_sheet import make_sheet

TRANSLATIONS = Path(__file__).resolve().parents[2] / "web" / "translations"  # compiled by tests/conftest.py
VERIFY = "https://kelisim.kineu.edu.kz/verify/K7QF-2M9X-PA3D"


def pages(text: str) -> int:
    """Pages in pdftotext's output (each page ends with a form feed)."""
    return text.count("\f")


@pytest.mark.parametrize(("name", "render", "page_count", "expected"), [
    pytest.param("certificate", lambda: render_certificate(make_certificate(), TRANSLATIONS), 1, (
        "Келісу туралы анықтама", "Справка о согласовании", "Clearance certificate",  # the title, kk ru en
        "Тіркеу нөмірі", "Регистрационный номер", "Registration number",
        "Согласовал(а) · Cleared by", "Дата согласования · Date of clearance",  # ru · en joined
        "Әсел Қанатқызы Нұрлан", "SC-2026-00042", "K7QF-2M9X-PA3D", "14.04.2026, 14:30",
    ), id="certificate"),
    pytest.param("sheet", lambda: render_signoff_sheet(make_sheet(), TRANSLATIONS), 1, (
        "Келісу парағы", "Лист согласования", "Sign-off sheet",
        "Келісілген файлдар", "Согласованные файлы", "Approved files",
        "MS-2026-00007", "Буклет_приём_2026.pdf", "M3KD-8QZ2-TW7N",
    ), id="sign-off sheet"),
    pytest.param("letter kk", lambda: render_letter(make_letter("kk"), TRANSLATIONS), 1, (
        UNIVERSITY_NAMES["kk"], "Шығыс №", "OUT-2026-00017", "Тексеру коды", "L7QK-3M8X-RT2D",
    ), id="letter kk"),
    pytest.param("letter ru", lambda: render_letter(make_letter("ru"), TRANSLATIONS), 1, (
        UNIVERSITY_NAMES["ru"], "Исх. №", "OUT-2026-00017", "Код проверки", "L7QK-3M8X-RT2D",
    ), id="letter ru"),
    pytest.param("addition", lambda: render_addition(make_addition(), TRANSLATIONS), 2, (
        "Ақпараттық саясатқа", "Дополнение", "Addition No.", "PA-2026-00002", "7.10.2", "Бекітілді",
        "Утверждено", "Approved",
    ), id="addition"),
    pytest.param("edition", lambda: render_edition(make_edition(), TRANSLATIONS), 10, (
        "Ақпараттық саясат", "Информационная политика", "Information Policy", "Мазмұны", "Содержание",
        "Contents", "14.3",
    ), id="edition"),
])
def test_documents_keep_their_texts_and_pages(name, render, page_count, expected, tmp_path: Path) -> None:
    text = pdf_text(render(), tmp_path)
    flat = squash(text)
    for item in expected:
        assert squash(item) in flat, (name, item)
    assert pages(text) == page_count


def test_certificate_labels_come_joined_in_one_text_per_label() -> None:
    html = render_certificate_html(make_certificate(), TRANSLATIONS)
    # one secondary text per label ("ru · en"), not one span per language: fewer boxes, the same print
    assert '<span class="secondary">Регистрационный номер · Registration number</span>' in html
    assert '<span lang="ru">' not in html
    stacked = re.search(r'<span class="secondary stacked">([^<]*)</span>', html)
    assert stacked is not None and "\n" in stacked.group(1)  # ru and en on lines of their own (pre-line)


def test_qr_code_is_a_png_with_one_pixel_per_module() -> None:
    uri = qr_data_uri(VERIFY)
    assert uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    expected = documents._qr_matrix(VERIFY)
    assert image.size == (len(expected), len(expected))
    assert [[image.getpixel((x, y)) == 0 for x in range(image.width)] for y in range(image.height)] == expected
    assert qr_data_uri("https://kelisim.kineu.edu.kz/verify/OTHER-CODE") != uri


def test_documents_draw_the_png_qr_sharp() -> None:
    html = render_signoff_sheet_html(make_sheet(), TRANSLATIONS)
    assert '<img class="qr" src="data:image/png;base64,' in html
    css = (documents.TEMPLATES_DIR / "document.css").read_text("utf-8")
    rule = re.search(r"\.verification \.qr \{[^}]*\}", css)
    assert rule is not None and "image-rendering: pixelated" in rule.group(0)


def test_logo_is_drawn_from_outlines_without_text() -> None:
    svg = (documents.ASSETS_DIR / "logo.svg").read_text("utf-8")
    assert "<text" not in svg  # no text to lay out in every document
    assert svg.count("<path") >= 5 and "<title>ҚИнЭУ / KInEU</title>" in svg


def test_document_stylesheet_applies_without_a_link(tmp_path: Path) -> None:
    html = render_letter_html(make_letter("kk"), TRANSLATIONS)
    assert "<link" not in html
    text = pdf_text(render_letter(make_letter("kk"), TRANSLATIONS), tmp_path)
    # letter.css's own page footer ("Kelisim · " and the letter's reference), not the house one
    assert "Kelisim · ҚИнЭУ · Шығыс №" in text and "ҚИнЭУ / KInEU" not in text


def test_stylesheet_is_parsed_once_per_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []
    original = documents.CSS

    def counting_css(*args, **kwargs):
        built.append(kwargs.get("filename"))
        return original(*args, **kwargs)

    monkeypatch.setattr(documents, "CSS", counting_css)

    def render_twice(out: list[bytes]) -> None:
        for _ in range(2):
            out.append(render_letter(make_letter("ru"), TRANSLATIONS))

    results: list[bytes] = []
    thread = threading.Thread(target=render_twice, args=(results,))
    thread.start()
    thread.join()
    assert len(results) == 2 and all(pdf.startswith(b"%PDF-") for pdf in results)
    # a new thread parses the house style and letter.css once each, however many letters it renders
    assert sorted(Path(str(name)).name for name in built) == ["document.css", "letter.css"]


@pytest.mark.parametrize("name", ["../letter.css", "/etc/passwd", "letter.html", "../../templates/document.css"])
def test_document_stylesheet_must_be_a_stylesheet_of_its_folder(name: str) -> None:
    with pytest.raises(AssetRefused):
        render_html_to_pdf("<p>x</p>", policy_documents.TEMPLATES, name)


def test_line_breaks_between_tags_are_dropped_but_user_text_keeps_its_own(tmp_path: Path) -> None:
    cert = make_certificate(event_name="Бірінші жол\nЕкінші жол", title="A <b>bold</b> claim")
    html = render_certificate_html(cert, TRANSLATIONS)
    assert re.search(r">[ \t]*\n\s*<", html) is None
    assert "Бірінші жол\nЕкінші жол" in html and "A &lt;b&gt;bold&lt;/b&gt; claim" in html
    text = pdf_text(render_certificate(cert, TRANSLATIONS), tmp_path)
    assert "A <b>bold</b> claim" in text and "Бірінші жол Екінші жол" in " ".join(text.split())
    # words of neighbouring elements stay apart: the registration number and its label, ru · en
    assert "№ SC-2026-00042" in text and "Регистрационный номер · Registration number" in text


def test_audit_chain_stays_whole_when_a_transaction_appends_several_entries(factory) -> None:
    actor = audit.Actor("tester", "admin")
    with factory() as session:
        before = audit.verify(session)
        assert before.ok, before
        first = audit.append(session, actor, "lean_first")
        second = audit.append(session, actor, "lean_second")  # the head, locked once, is reused
        savepoint = session.begin_nested()
        audit.append(session, actor, "lean_rolled_back")
        savepoint.rollback()
        third = audit.append(session, actor, "lean_third")  # after a savepoint rollback: read again
        session.commit()
        assert (second.seq, third.seq) == (first.seq + 1, first.seq + 2)
        assert second.prev_hash == first.hash and third.prev_hash == second.hash
    with factory() as session:
        fourth = audit.append(session, actor, "lean_fourth")  # a new transaction reads the head again
        session.commit()
        assert fourth.seq == third.seq + 1 and fourth.prev_hash == third.hash
        result = audit.verify(session)
        assert result.ok and result.events == before.events + 4, result
