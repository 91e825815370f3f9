"""The upload check reads each accepted type by its structure: genuine files pass; disguised, damaged,
polyglot, active (macros, scripts, programs) and bomb files are refused with a message saying what is
wrong. Each refusal below was accepted when only the first bytes were sniffed."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest

from storage import filetypes
from storage.filetypes import ACTIVE, BOMB, DAMAGED, ENCRYPTED, HIDDEN, MISMATCH, NOT_TEXT
from tests import samples

ALL = set(filetypes.KNOWN)
HTML = b"<html><body><script>alert(document.domain)</script></body></html>\n"


def refused(name: str, content: bytes) -> filetypes.FileRejected:
    with pytest.raises(filetypes.FileRejected) as err:
        filetypes.check(name, content, ALL)
    return err.value


def zip_of(entries: dict[str, bytes], stored: tuple[str, ...] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED if name in stored else None)
    return out.getvalue()


def weasyprint_pdf() -> bytes:
    from weasyprint import HTML as Page

    return Page(string="<h1>Тезистер</h1><p>Сәлем, әлем! &lt;script&gt; is only text here.</p>").write_pdf()


# --- genuine files pass -------------------------------------------------------------------------

@pytest.mark.parametrize("name, make, content_type", [
    ("theses.pdf", samples.pdf, "application/pdf"),
    ("report.pdf", lambda: samples.pdf("report", pages=3, padding=50_000), "application/pdf"),
    ("certificate.pdf", weasyprint_pdf, "application/pdf"),
    ("poster.png", samples.png, "image/png"),
    ("photo.jpg", samples.jpeg, "image/jpeg"),
    ("photo.jpeg", lambda: samples.image("JPEG", size=(1600, 1200)), "image/jpeg"),
    ("theses.txt", samples.txt, "text/plain"),
    ("bom.txt", lambda: "\ufeffМәтін".encode() * 5000, "text/plain"),  # multi-byte characters across chunks
    ("theses.rtf", samples.rtf, "application/rtf"),
    ("theses.docx", samples.docx, filetypes.KNOWN["docx"]),
    ("slides.pptx", samples.pptx, filetypes.KNOWN["pptx"]),
    ("theses.odt", samples.odt, filetypes.KNOWN["odt"]),
    ("clip.mp4", samples.mp4, "video/mp4"),
    ("theses.doc", samples.doc, "application/msword"),
])
def test_genuine_files_pass(name, make, content_type, tmp_path):
    content = make()
    assert filetypes.check(name, content, ALL) == content_type
    on_disk = tmp_path / name  # the upload path: the spool on disk, read through mmap
    on_disk.write_bytes(content)
    assert filetypes.check(name, on_disk, ALL) == content_type
    assert filetypes.check(name, str(on_disk), ALL) == content_type


def test_owner_password_only_pdf_passes_and_a_user_password_is_refused():
    from pypdf import PdfReader, PdfWriter

    def encrypted(user: str) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(samples.pdf())))
        writer.encrypt(user_password=user, owner_password="owner", algorithm="AES-256")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    assert filetypes.check("a.pdf", encrypted(""), ALL) == "application/pdf"
    assert refused("a.pdf", encrypted("secret")).msgid == ENCRYPTED


# --- the cases of the issue ---------------------------------------------------------------------

def test_any_zip_as_odt_is_refused():
    assert refused("a.odt", zip_of({"readme.txt": b"hello"})).msgid == MISMATCH
    assert refused("a.odt", zip_of({"evil.exe": b"MZ\x90\x00"})).msgid == MISMATCH
    # a real ODT carrying a program, a macro or a script
    assert refused("a.odt", samples.odt(extra={"evil.exe": b"MZ\x90\x00"})).msgid == ACTIVE
    assert refused("a.odt", samples.odt(extra={"Basic/Standard/Module1.xml": b"<module/>"})).msgid == ACTIVE
    assert refused("a.odt", samples.odt(extra={"Scripts/python/run.py": b"import os"})).msgid == ACTIVE


def test_odt_mimetype_must_be_first_stored_and_exact():
    assert refused("a.odt", samples.odt(mimetype=b"application/vnd.oasis.opendocument.spreadsheet")).msgid == MISMATCH
    assert refused("a.odt", samples.odt(mimetype=samples.ODT_TYPE.encode() + b"\n")).msgid == MISMATCH
    compressed = zip_of({"mimetype": samples.ODT_TYPE.encode() * 1, "content.xml": b"<x/>",
                         "META-INF/manifest.xml": b"<x/>"})
    assert refused("a.odt", compressed).msgid == MISMATCH
    second = zip_of({"content.xml": b"<x/>", "mimetype": samples.ODT_TYPE.encode()}, stored=("mimetype",))
    assert refused("a.odt", second).msgid == MISMATCH
    no_content = zip_of({"mimetype": samples.ODT_TYPE.encode(), "META-INF/manifest.xml": b"<x/>"},
                        stored=("mimetype",))
    assert refused("a.odt", no_content).msgid == DAMAGED


def test_zip_bomb_is_refused_from_the_directory():
    bomb = samples.zip_bomb(1 << 30)  # 1 MB that inflates to 1 GiB
    assert len(bomb) < 1_100_000
    assert refused("a.odt", bomb).msgid == BOMB
    assert refused("a.docx", samples.zip_bomb(1 << 30, first=None)).msgid == BOMB
    # a single entry inflating far more than documents do, though small in total
    assert refused("a.odt", samples.zip_bomb(64 << 20)).msgid == BOMB


def test_docx_and_pptx_need_their_parts_not_a_first_entry_name():
    assert refused("a.docx", zip_of({"word/evil.exe": b"MZ\x90\x00"})).msgid == ACTIVE
    assert refused("a.docx", zip_of({"word/document.xml": b"<document/>"})).msgid == DAMAGED
    assert refused("a.docx", samples.ooxml("docx", extra={"word/evil.exe": b"MZ\x90\x00"})).msgid == ACTIVE
    assert refused("a.pptx", samples.ooxml("pptx", extra={"ppt/media/run.js": b"WScript.Run()"})).msgid == ACTIVE
    assert refused("a.docx", samples.ooxml("docx", extra={"word/vbaProject.bin": b"\xd0\xcf"})).msgid == ACTIVE
    assert refused("a.docx", samples.ooxml("docx", extra={"word/activeX/activeX1.xml": b"<x/>"})).msgid == ACTIVE
    assert refused("a.docx", samples.ooxml("docx", extra={"word/embeddings/book.xlsm": b"PK"})).msgid == ACTIVE
    macro = "application/vnd.ms-word.document.macroEnabled.main+xml"
    assert refused("a.docx", samples.ooxml("docx", main_type=macro)).msgid == ACTIVE
    # the parts of another format
    assert refused("a.docx", samples.pptx()).msgid == MISMATCH
    assert refused("a.pptx", samples.ooxml("pptx", main_type=samples.OOXML_MAIN["docx"][1])).msgid == MISMATCH
    template = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
    assert refused("a.docx", samples.ooxml("docx", main_type=template)).msgid == MISMATCH
    no_types = zip_of({"_rels/.rels": b"<Relationships/>", "word/document.xml": b"<document/>"})
    assert refused("a.docx", no_types).msgid == DAMAGED
    bad_xml = samples.ooxml("docx", extra={"[Content_Types].xml": b"<Types"})
    assert refused("a.docx", bad_xml).msgid == DAMAGED


def test_docx_fetching_a_remote_template_is_refused():
    rels = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/attachedTemplate" Target="http://203.0.113.9/t.dotm" TargetMode="External"/>'
            b'</Relationships>')
    assert refused("a.docx", samples.ooxml("docx", extra={"word/_rels/settings.xml.rels": rels})).msgid == ACTIVE
    link = rels.replace(b"attachedTemplate", b"hyperlink")  # an ordinary link stays fine
    assert filetypes.check("a.docx", samples.ooxml("docx", extra={"word/_rels/document.xml.rels": link}), ALL)


def test_xml_bombs_in_parts_are_refused():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
              b'<Types>&b;</Types>')
    assert refused("a.docx", samples.ooxml("docx", extra={"[Content_Types].xml": laughs})).msgid == DAMAGED


def test_package_with_hidden_data_is_refused():
    genuine = samples.docx()
    assert refused("a.docx", HTML + genuine).msgid == MISMATCH  # data before the archive
    assert refused("a.docx", genuine + HTML).msgid == HIDDEN  # after its end record
    out = io.BytesIO(genuine)
    with zipfile.ZipFile(out, "a") as archive:
        archive.comment = HTML
    assert refused("a.docx", out.getvalue()).msgid == HIDDEN
    # bytes between two entries, with the offsets in the directory moved to match
    first_end = genuine.index(b"PK\x03\x04", 4)
    shifted = genuine[:first_end] + HTML + genuine[first_end:]
    with zipfile.ZipFile(io.BytesIO(genuine)) as archive:
        cd = archive.start_dir
    patched = bytearray(shifted)
    pos = cd + len(HTML)
    while patched[pos:pos + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack("<HHH", patched[pos + 28:pos + 34])
        (offset,) = struct.unpack("<I", patched[pos + 42:pos + 46])
        if offset >= first_end:
            patched[pos + 42:pos + 46] = struct.pack("<I", offset + len(HTML))
        pos += 46 + n + m + k
    patched[-6:-2] = struct.pack("<I", cd + len(HTML))  # start of the central directory
    assert zipfile.ZipFile(io.BytesIO(bytes(patched))).testzip() is None  # a ZIP reader is happy
    assert refused("a.docx", bytes(patched)).msgid == HIDDEN


def test_encrypted_package_is_refused():
    genuine = bytearray(samples.docx())
    with zipfile.ZipFile(io.BytesIO(bytes(genuine))) as archive:
        cd = archive.start_dir
    genuine[cd + 8] |= 0x01  # the "encrypted" flag of the first entry in the central directory
    assert refused("a.docx", bytes(genuine)).msgid == ENCRYPTED


def test_pdf_must_parse():
    assert refused("a.pdf", b"%PDF").msgid == DAMAGED  # 4 bytes
    assert refused("a.pdf", b"%PDF-1.7\n" + b"x" * 5000 + b"\n%%EOF\n").msgid == DAMAGED
    genuine = samples.pdf()
    assert refused("a.pdf", genuine[: len(genuine) // 2]).msgid == DAMAGED  # truncated
    no_pages = genuine.replace(b"/Count 1", b"/Count 0").replace(b"/Kids [ 4 0 R ]", b"/Kids [ ]      ")
    assert refused("a.pdf", no_pages).msgid == DAMAGED
    assert refused("a.pdf", b"PK\x03\x04" + genuine).msgid == MISMATCH


def test_pdf_polyglots_are_refused():
    genuine = samples.pdf()
    assert refused("a.pdf", b"%PDF-1.7\n" + HTML).msgid == HIDDEN  # %PDF then HTML
    assert refused("a.pdf", genuine + HTML).msgid == HIDDEN  # HTML after %%EOF
    assert refused("a.pdf", genuine + b"trailing bytes").msgid == HIDDEN
    # HTML in a comment of a PDF that still parses
    commented = genuine.replace(b"%PDF-1.3\n", b"%PDF-1.3\n%" + HTML, 1)
    assert refused("a.pdf", commented).msgid == HIDDEN
    deep = samples.pdf(padding=200_000).replace(b"endstream", b"endstream\n%<script>x</script>", 1)
    assert refused("a.pdf", deep).msgid == HIDDEN  # anywhere in the file
    assert refused("a.pdf", genuine + samples.zip_bomb(1 << 20, first=None)).msgid == HIDDEN


def test_pdf_with_scripts_or_embedded_files_is_refused():
    from pypdf import PdfReader, PdfWriter

    def written(change) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(samples.pdf())))
        change(writer)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    from pypdf.actions import JavaScript
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    def script() -> DictionaryObject:
        return DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                 NameObject("/JS"): TextStringObject("app.alert('hi');")})

    def open_action(w):
        w._root_object[NameObject("/OpenAction")] = script()

    def link(w):
        annotation = DictionaryObject({NameObject("/Type"): NameObject("/Annot"),
                                       NameObject("/Subtype"): NameObject("/Link"), NameObject("/A"): script()})
        w.pages[0][NameObject("/Annots")] = ArrayObject([w._add_object(annotation)])

    def page_action(w):
        w.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): script()})

    assert refused("a.pdf", written(lambda w: w.add_open_action(JavaScript("app.alert('hi');")))).msgid == ACTIVE
    assert refused("a.pdf", written(open_action)).msgid == ACTIVE
    assert refused("a.pdf", written(link)).msgid == ACTIVE
    assert refused("a.pdf", written(page_action)).msgid == ACTIVE
    assert refused("a.pdf", written(lambda w: w.add_attachment("run.exe", b"MZ\x90\x00"))).msgid == ACTIVE


def test_png_must_decode_and_end_at_iend():
    genuine = samples.png()
    assert refused("a.png", genuine + HTML).msgid == HIDDEN  # PNG then HTML
    assert refused("a.png", genuine + b"\x00" * 16).msgid == HIDDEN  # anything after IEND
    assert refused("a.png", genuine[:-20]).msgid == DAMAGED
    assert refused("a.png", genuine[:8]).msgid == DAMAGED
    assert refused("a.png", b"\x89PNG\r\n\x1a\n" + b"1" * 40).msgid == DAMAGED
    crc = bytearray(genuine)
    crc[29] ^= 0xFF  # the CRC of IHDR
    assert refused("a.png", bytes(crc)).msgid == DAMAGED
    assert refused("a.png", samples.jpeg()).msgid == MISMATCH


def png_of(width: int, height: int, rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_png_image_data_is_inflated_and_checked_row_by_row():
    assert filetypes.check("a.png", png_of(3, 2, b"\x00abc\x01def"), ALL)
    assert refused("a.png", png_of(3, 2, b"\x00abc\x05def")).msgid == DAMAGED  # no filter type 5
    assert refused("a.png", png_of(3, 2, b"\x00abc")).msgid == DAMAGED  # rows missing
    assert refused("a.png", png_of(3, 2, b"\x00abc\x00def\x00ghi")).msgid == DAMAGED  # rows too many


def test_image_decompression_bombs_are_refused():
    huge = png_of(100_000, 100_000, b"\x00")  # 10 gigapixels declared in 80 bytes
    assert refused("a.png", huge).msgid == BOMB
    assert refused("a.jpg", samples.image("JPEG", size=(8000, 6000))).msgid == BOMB  # 48 megapixels


def test_jpeg_must_decode_and_end_at_eoi():
    genuine = samples.jpeg()
    archive = zip_of({"evil.exe": b"MZ\x90\x00"})
    assert refused("a.jpg", genuine + archive).msgid == HIDDEN  # JPEG then ZIP
    assert refused("a.jpg", genuine + HTML).msgid == HIDDEN
    assert refused("a.jpeg", genuine + b"\x00\x00").msgid == HIDDEN
    assert refused("a.jpg", genuine[:-40]).msgid == DAMAGED
    assert refused("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100).msgid == DAMAGED
    with_html = samples.image("JPEG", text=HTML.decode())  # HTML in a comment segment
    assert refused("a.jpg", with_html).msgid == HIDDEN
    # a camera's multi-picture file (MPF): whole JPEG images one after another, and nothing else
    assert filetypes.check("a.jpg", genuine + samples.jpeg("preview"), ALL) == "image/jpeg"
    assert refused("a.jpg", genuine + samples.jpeg("preview") + archive).msgid == HIDDEN
    assert refused("a.jpg", genuine + samples.jpeg("preview")[:-10]).msgid == DAMAGED


def test_a_parser_error_is_a_refusal_not_a_crash(monkeypatch):
    def broken(src, ext):
        raise KeyError("/Root")

    monkeypatch.setitem(filetypes._CHECKS, "pdf", broken)
    assert refused("a.pdf", samples.pdf()).msgid == DAMAGED


def test_mp4_box_structure():
    genuine = samples.mp4()
    assert refused("a.mp4", genuine[:32] + HTML).msgid == HIDDEN  # MP4 header then HTML
    assert refused("a.mp4", genuine + b"tail").msgid == DAMAGED  # not a whole box
    assert refused("a.mp4", genuine[:-10]).msgid == DAMAGED  # the last box cut
    free_html = samples.box(b"ftyp", b"isom\x00\x00\x02\x00isom") + samples.box(b"free", HTML)
    assert refused("a.mp4", free_html).msgid == HIDDEN
    assert refused("a.mp4", samples.box(b"ftyp", b"isom\x00\x00\x02\x00isom") + samples.box(b"mdat", b"x")).msgid \
        == DAMAGED  # no moov
    assert refused("a.mp4", b"\x00\x00\x00\x18ftypmp42" + b"0" * 100).msgid == DAMAGED
    assert refused("a.mp4", samples.mp4() + samples.zip_bomb(1 << 20, first=None)).msgid == HIDDEN
    assert refused("a.mp4", samples.png()).msgid == MISMATCH
    big = samples.mp4(media=bytes(3 * 1024 * 1024))  # the media data is not read, only box headers
    assert filetypes.check("a.mp4", big, ALL) == "video/mp4"


def test_txt_must_be_utf8_throughout():
    head = "Сәлем, әлем!\n".encode() * 2000  # more than the 8 KB once sniffed
    assert refused("a.txt", head + b"\xff\xfe broken").msgid == NOT_TEXT
    assert refused("a.txt", head + "ә".encode()[:1]).msgid == NOT_TEXT  # cut in a character at the end
    assert refused("a.txt", head + b"\x00").msgid == NOT_TEXT
    assert refused("a.txt", "Привет".encode("cp1251")).msgid == NOT_TEXT
    assert refused("a.txt", b"").msgid == filetypes.EMPTY


def test_rtf_structure():
    genuine = samples.rtf()
    assert refused("a.rtf", genuine + HTML).msgid == HIDDEN
    assert refused("a.rtf", b"{\\rtf1 unbalanced {\\b bold}").msgid == DAMAGED
    with_object = b"{\\rtf1 {\\object\\objemb{\\*\\objdata 0105000002000000}}}"
    assert refused("a.rtf", with_object).msgid == ACTIVE
    assert filetypes.check("a.rtf", b"{\\rtf1 escaped \\} and \\{ braces}", ALL)
    assert filetypes.check("a.rtf", b"{\\rtf1 {\\pict\\bin4 }}}}}}", ALL)  # \binN skips raw bytes
    assert refused("a.rtf", b"{\\rtf1 {\\pict\\bin400 }}").msgid == DAMAGED


def test_doc_structure():
    assert refused("a.doc", samples.doc(storages=("Macros",))).msgid == ACTIVE
    assert refused("a.doc", samples.doc(flags=0x0100)).msgid == ENCRYPTED  # FIB fEncrypted
    assert refused("a.doc", samples.doc() + HTML).msgid == DAMAGED  # not whole sectors
    assert refused("a.doc", samples.doc()[:1024]).msgid == DAMAGED
    assert refused("a.doc", samples.doc() + samples.zip_bomb(1 << 20, first=None)).msgid == HIDDEN
    not_word = samples.doc().replace("WordDocument".encode("utf-16-le"), "WorkbookXXXXX".encode("utf-16-le")[:24])
    assert refused("a.doc", not_word).msgid == MISMATCH


def test_messages_name_the_extension():
    err = refused("a.pdf", b"%PDF")
    assert err.params == {"ext": "pdf"} and str(err) == "The file is damaged or is not a valid .pdf file."


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_chunk_boundaries_do_not_matter(chunk, monkeypatch, tmp_path):
    """The scans read the file in pieces of CHUNK bytes: with tiny pieces, every token, marker, UTF-8
    character and HTML tag straddles a boundary somewhere, and the verdicts stay the same."""
    monkeypatch.setattr(filetypes, "CHUNK", chunk)
    path = tmp_path / "upload"

    def verdict(name: str, content: bytes) -> str:
        path.write_bytes(content)
        try:
            return filetypes.check(name, path, ALL)
        except filetypes.FileRejected as err:
            return err.msgid

    assert verdict("a.txt", "aә€𝄞 Сәлем".encode() * 7) == "text/plain"
    assert verdict("a.txt", "aә€𝄞".encode() * 7 + b"\xe2\x82") == NOT_TEXT
    assert verdict("a.rtf", b"{\\rtf1 {\\b a\\\\}\\{ {\\pict\\bin6 }}}{{}}x} \r\n") == "application/rtf"
    assert verdict("a.rtf", b"{\\rtf1 {\\*\\objdata 01}}") == ACTIVE
    assert verdict("a.rtf", b"{\\rtf1 x}\r\n{") == HIDDEN
    assert verdict("a.jpg", samples.jpeg()) == "image/jpeg"
    assert verdict("a.jpg", samples.jpeg() + b"x") == HIDDEN
    assert verdict("a.png", samples.png()) == "image/png"
    assert verdict("a.png", png_of(3, 2, b"\x00abc\x05def")) == DAMAGED
    assert verdict("a.pdf", samples.pdf()) == "application/pdf"
    assert verdict("a.pdf", samples.pdf(padding=3000).replace(b"endstream", b"endstream\n%<body>", 1)) == HIDDEN


def test_package_layouts_that_writers_use_pass():
    """Data descriptors after each entry (written by streaming writers) and ZIP64 end records (written
    by some, e.g. .NET's packaging, even for small files) are no hidden data."""
    with zipfile.ZipFile(io.BytesIO(samples.docx())) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}

    class Unseekable(io.RawIOBase):
        def __init__(self):
            self.data = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.data += b
            return len(b)

    stream = Unseekable()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    streamed = bytes(stream.data)
    assert all(i.flag_bits & 0x08 for i in zipfile.ZipFile(io.BytesIO(streamed)).infolist())
    assert filetypes.check("a.docx", streamed, ALL)
    assert refused("a.docx", streamed[:-22] + b"x" + streamed[-22:]).msgid in (HIDDEN, DAMAGED)

    plain = samples.docx()
    signature, disk, cd_disk, n1, n2, cd_size, cd_offset, _ = struct.unpack("<4sHHHHIIH", plain[-22:])
    body = plain[:-22]
    record = b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, n1, n2, cd_size, cd_offset)
    locator = b"PK\x06\x07" + struct.pack("<IQI", 0, len(body), 1)
    end = struct.pack("<4sHHHHIIH", signature, disk, cd_disk, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    assert filetypes.check("a.docx", body + record + locator + end, ALL)
