"""Check an upload's name, and that the whole file is what its extension claims, by its structure.

`check(name, data, allowed)` reads the complete file (bytes, or a path on disk: the upload's spool,
read by positioned reads of at most CHUNK bytes, never whole into memory) and returns its content
type, or raises `FileRejected` with a message that says what is wrong. Each type is checked by a
library or parser made for it, and a file is refused when it is also something else (a polyglot).
Any error of a parser on a malformed file is a refusal (DAMAGED), never a crash.

- pdf: starts with `%PDF-`, ends with `%%EOF` (only whitespace after it), parses with pypdf (trailer,
  catalog, at least one page; pypdf may read a PDF whose cross-reference table it has to rebuild
  whole, PDFs are limited to KELISIM_MAX_FILE_MB). Refused: JavaScript or Launch actions (document
  open action, additional actions of the document, its pages or annotations), embedded files (name
  tree or file-attachment annotations), XFA forms; a password needed to open it (an owner password
  that only restricts printing or copying is fine).
- png: the chunks from IHDR to IEND cover the file exactly (nothing after IEND); Pillow verifies
  the chunks and CRCs; the image data inflates, as a stream, to exactly the size IHDR implies,
  each row with a valid filter byte (a decode without holding the image in memory).
- jpg/jpeg: the markers from SOI to EOI cover the file exactly: after EOI only further whole JPEG
  images (a camera's multi-picture file, MPF), nothing else (so a phone's "motion photo" with its
  video appended is refused: export the still picture). Pillow decodes the whole entropy-coded data
  of the first image (at 1/8 scale, so a 40-megapixel photo needs ~2 MB).
- Images: at most MAX_PIXELS pixels (a decompression bomb otherwise).
- mp4: ISO base media boxes: `ftyp` first, every box a sane size, the top-level boxes cover the file
  exactly, one `moov` whose children cover it exactly, with `mvhd` and at least one `trak`.
  Only box headers are read (a 200 MB video costs a few reads), not a demux of the media.
- docx/pptx (OOXML) and odt (ODF) are ZIP packages. From the central directory, without inflating
  the archive: at most MAX_ENTRIES entries, unique names without `..` or absolute paths, no
  encryption, only stored or deflated entries, at most MAX_UNPACKED bytes in total and no entry over
  RATIO_FLOOR bytes inflating more than MAX_RATIO times. Layout: entries back to back from offset 0,
  the central directory right after them and the end record at the very end, no archive comment
  (anything else is hidden data). Only small XML parts are inflated (bounded, CRC-checked) and
  parsed with defusedxml.
  - OOXML: `[Content_Types].xml` and `_rels/.rels`; the office-document relationship names the main
    part, which exists and has the content type of a .docx (wordprocessingml document) or .pptx
    (presentationml presentation).
  - ODF: the first entry is `mimetype`, stored, no extra field, exactly
    `application/vnd.oasis.opendocument.text`; `content.xml` and `META-INF/manifest.xml` exist and
    the manifest's root entry has that media type.
  - Refused as active content: parts whose names end in an executable or script extension
    (EXECUTABLE), macro-enabled Office files inside the package, VBA projects (`vbaProject.bin`,
    `vbaData.xml`, a macro-enabled main part), ActiveX controls; ODF `Basic/` and `Scripts/`
    (macros); OOXML relationships that fetch a template, OLE object or frame from outside
    (remote template injection). Embedded OLE objects (e.g. equations) and images are accepted.
- doc (OLE2 compound file): parses with olefile, has a `WordDocument` stream with the Word FIB
  signature; its size is a whole number of sectors. Refused: VBA macros (`Macros` storage), an
  encrypted document.
- rtf: starts with `{\\rtf`, braces balance (honouring `\\{`, `\\}`, `\\\\` and `\\binN`) and the
  outer group closes at the end of the file (only whitespace after it). Refused: embedded OLE
  objects (`\\object`, `\\objdata`), the classic RTF exploit carrier.
- txt: UTF-8 throughout (strict, decoded incrementally in chunks), no NUL byte.
- Every type but the packages: no ZIP end-of-central-directory record in its last 64 KiB (a ZIP
  reader would open it as an archive).
- pdf, png, jpeg: no HTML in the file, i.e. none of the tags HTML_TAGS (whole file; names of four
  letters or more, so that compressed data does not match by chance), and in the first HEAD_SNIFF
  bytes (what browsers sniff) none of HTML_HEAD_TAGS either. mp4: both, in the first HEAD_SNIFF bytes
  (the media data after it is arbitrary). Text formats (txt, rtf, doc) may mention HTML.
"""
from __future__ import annotations

import codecs
import io
import logging
import os
import posixpath
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any

# extension -> content type
KNOWN = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "doc": "application/msword",
    "rtf": "application/rtf",
    "txt": "text/plain",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "mp4": "video/mp4",
}

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_PIXELS = 40_000_000  # e.g. an A2 poster at 300 dpi (35 MP) or a 40 MP photo
MAX_ENTRIES = 10_000  # entries of a package
MAX_UNPACKED = 256 * MIB  # total uncompressed size of a package
MAX_RATIO = 100  # uncompressed / compressed, for an entry over RATIO_FLOOR
RATIO_FLOOR = MIB
MAX_PART = 4 * MIB  # an XML part inflated to be read ([Content_Types].xml, .rels, manifest.xml); .rels: 8x in all
HEAD_SNIFF = 8192
CHUNK = MIB
EXECUTABLE = frozenset({
    "exe", "dll", "com", "scr", "pif", "cpl", "msi", "msp", "sys", "ocx", "bat", "cmd", "ps1", "psm1", "vbs",
    "vbe", "js", "jse", "wsf", "wsh", "hta", "sh", "jar", "class", "lnk", "reg", "app", "elf", "py", "pl",
    # macro-enabled Office files and add-ins, e.g. as embedded objects
    "docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppsm", "ppam", "sldm",
})

HTML_TAGS = (r"!doctype\s{1,16}html|html|head|body|script|iframe|frameset|object|embed|meta|base|link|style|form"
             r"|title")
HTML_HEAD_TAGS = r"svg|img|div|video|audio|table|a\s{1,16}href|!--"
# the lookahead (the tags' first letters) only makes the whole-file scan of a large upload faster: most `<`
# in binary data are not followed by one of them, and are passed over without trying every tag name
_HTML_FIRST = "".join(sorted({alt[0] for alt in HTML_TAGS.split("|")}))
_HTML = re.compile(rb"<(?=[" + _HTML_FIRST.encode() + rb"])(?:" + HTML_TAGS.encode() + rb")[\s/>]",
                   re.IGNORECASE)  # at most 32 bytes long
_HTML_HEAD = re.compile(rb"<(?:" + HTML_HEAD_TAGS.encode() + rb")[\s/>-]", re.IGNORECASE)
_WHITESPACE = b" \t\r\n\x0c\x00"
ZIP_END = b"PK\x05\x06"


def N_(msgid: str) -> str:
    """Mark a message for translation where it is shown."""
    return msgid


EMPTY = N_("The file is empty.")
MISMATCH = N_("The file's content does not match its extension .%(ext)s.")
DAMAGED = N_("The file is damaged or is not a valid .%(ext)s file.")
HIDDEN = N_("The file has other data hidden in it or appended to it (for example HTML or a ZIP archive).")
ACTIVE = N_("The file contains macros, scripts or programs, which are not accepted.")
BOMB = N_("The file would take up too much space when unpacked or decoded.")
ENCRYPTED = N_("The file is password-protected: upload it without a password.")
NOT_TEXT = N_("A .txt file must be UTF-8 text.")


class FileRejected(ValueError):
    """The upload's name or content is not acceptable; msgid and params say why."""

    def __init__(self, msgid: str, **params: str):
        super().__init__(msgid % params if params else msgid)
        self.msgid, self.params = msgid, params


def clean_name(name: str) -> str:
    """Return a safe display name or refuse it."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name or len(name) > 200:
        raise FileRejected(N_("The file name is empty or longer than 200 characters."))
    if any(unicodedata.category(c) in {"Cc", "Cf"} for c in name):
        raise FileRejected(N_("The file name contains control characters."))
    if "/" in name or "\\" in name or name in {".", ".."} or name.startswith("."):
        raise FileRejected(N_("The file name must not contain a path."))
    if "." not in name:
        raise FileRejected(N_("The file name has no extension."))
    return name


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()


def check_extension(name: str, allowed: set[str]) -> None:
    """Refuse an extension the process does not accept."""
    ext = extension(name)
    if ext not in allowed or ext not in KNOWN:
        raise FileRejected(N_("Files of type .%(ext)s are not accepted (allowed: %(allowed)s)."),
                           ext=ext, allowed=", ".join(sorted(allowed)))


def check(name: str, data: bytes | str | os.PathLike[str], allowed: set[str]) -> str:
    """Return the content type when the whole file (its bytes, or a path) is a sound file of the type
    its extension names; raise FileRejected otherwise."""
    check_extension(name, allowed)
    ext = extension(name)
    with _Source(data) as src:
        if not src.size:
            raise FileRejected(EMPTY)
        try:
            _CHECKS[ext](src, ext)
        except (FileRejected, MemoryError):
            raise
        except Exception as exc:  # a parser tripped over a malformed file the checks above let through
            log.warning("upload check of a .%s file failed", ext, exc_info=True)
            raise _damaged(ext) from exc
    return KNOWN[ext]


# --- the file being checked -------------------------------------------------------------------

class _Source:
    """The file: a seekable stream for the libraries, and positioned reads (`os.pread` on disk) for the
    checks here, so that memory stays bounded by CHUNK whatever the size of the file."""

    def __init__(self, data: bytes | str | os.PathLike[str]):
        self.file: IO[bytes]
        self._data: bytes | None = None
        if isinstance(data, bytes | bytearray | memoryview):
            self._data = bytes(data)
            self.file = io.BytesIO(self._data)
            self.size = len(self._data)
        else:
            self.file = open(data, "rb")  # noqa: SIM115 - closed by __exit__
            self.size = os.fstat(self.file.fileno()).st_size

    def __enter__(self) -> _Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()

    def read(self, pos: int, n: int) -> bytes:
        """Up to `n` bytes from `pos` (fewer at the end of the file)."""
        pos = max(0, pos)
        n = max(0, min(n, self.size - pos))
        if self._data is not None:
            return self._data[pos:pos + n]
        return os.pread(self.file.fileno(), n, pos) if n else b""

    def tail(self, n: int) -> bytes:
        return self.read(self.size - n, n)

    def starts(self, prefix: bytes) -> bool:
        return self.read(0, len(prefix)) == prefix

    def stream(self) -> IO[bytes]:
        """The file, rewound."""
        self.file.seek(0)
        return self.file

    def chunks(self, start: int = 0, end: int | None = None, overlap: int = 0) -> Iterator[bytes]:
        """[start, end) in pieces of CHUNK bytes, each extended by `overlap` bytes of the next one (so
        that a pattern up to that long is whole in one piece)."""
        end = self.size if end is None else end
        for pos in range(start, end, CHUNK):
            yield self.read(pos, min(CHUNK + overlap, end - pos))


def _damaged(ext: str) -> FileRejected:
    return FileRejected(DAMAGED, ext=ext)


def _no_zip_end(src: _Source, msgid: str = HIDDEN) -> None:
    """Refuse a ZIP end-of-central-directory record where a ZIP reader looks for it."""
    if ZIP_END in src.tail(22 + 65535):
        raise FileRejected(msgid)


def _no_html(src: _Source, whole_file: bool) -> None:
    """Refuse HTML: a polyglot a browser could render."""
    head = src.read(0, HEAD_SNIFF)
    if _HTML_HEAD.search(head) or _HTML.search(head):
        raise FileRejected(HIDDEN)
    if whole_file and any(_HTML.search(piece) for piece in src.chunks(overlap=64)):
        raise FileRejected(HIDDEN)


# --- text ----------------------------------------------------------------------------------------

def _check_txt(src: _Source, ext: str) -> None:
    _no_zip_end(src, NOT_TEXT)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        for chunk in src.chunks():
            if b"\x00" in chunk:
                raise FileRejected(NOT_TEXT)
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise FileRejected(NOT_TEXT) from exc


def _check_rtf(src: _Source, ext: str) -> None:
    if not src.starts(b"{\\rtf"):
        raise FileRejected(MISMATCH, ext=ext)
    _no_zip_end(src)
    depth, pos, end = 0, 0, None
    while end is None and pos < src.size:  # a window of CHUNK bytes (+ overlap to finish the last token)
        window = src.read(pos, CHUNK + 64)
        limit = len(window) if pos + len(window) >= src.size else CHUNK  # tokens that start before it
        i = 0
        while (m := _RTF_TOKEN.search(window, i)) is not None and m.start() < limit:
            i = m.end()
            if m.group(2):
                raise FileRejected(ACTIVE)
            if m.group(1) is not None:  # \binN: N raw bytes follow
                skip = int(m.group(1))
                if skip < 0 or pos + i + skip > src.size:
                    raise _damaged(ext)
                i += skip
                if i >= len(window):
                    break
            elif m.group() == b"{":
                depth += 1
            elif m.group() == b"}":
                depth -= 1
                if depth == 0:
                    end = pos + i
                    break
        pos += max(i, limit)
    if end is None:
        raise _damaged(ext)
    if any(piece.strip(_WHITESPACE) for piece in src.chunks(end)):
        raise FileRejected(HIDDEN)


_RTF_TOKEN = re.compile(rb"[{}]|\\[{}\\]|\\bin(-?\d{1,10}) ?|\\(obj(?:ect|data))(?![a-z])")


# --- pdf -----------------------------------------------------------------------------------------

_PDF_ACTIONS = {"/JavaScript", "/Launch"}


def _check_pdf(src: _Source, ext: str) -> None:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    if not src.starts(b"%PDF"):
        raise FileRejected(MISMATCH, ext=ext)
    _no_zip_end(src)
    _no_html(src, whole_file=True)
    if not src.starts(b"%PDF-"):
        raise _damaged(ext)
    if not src.tail(1024).rstrip(_WHITESPACE).endswith(b"%%EOF"):
        raise FileRejected(HIDDEN) if b"%%EOF" in src.tail(65536) else _damaged(ext)
    try:
        reader = PdfReader(src.stream(), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileRejected(ENCRYPTED)
        root = reader.trailer["/Root"].get_object()
        pages = list(reader.pages)
        if not pages:
            raise _damaged(ext)
        if _pdf_active(root, pages):
            raise FileRejected(ACTIVE)
    except FileRejected:
        raise
    except DependencyError as exc:  # pragma: no cover - pypdf[crypto] brings AES
        raise FileRejected(ENCRYPTED) from exc
    except Exception as exc:  # pypdf raises many kinds on a broken file
        raise _damaged(ext) from exc


def _pdf_active(root: Any, pages: list[Any]) -> bool:
    """Scripts, launch actions, embedded files or XFA in the catalog, a page or an annotation."""
    def action(a: Any) -> bool:
        a = a.get_object() if a is not None else None
        return hasattr(a, "get") and a.get("/S") in _PDF_ACTIONS

    names = root.get("/Names")
    names = names.get_object() if names is not None else {}
    acroform = root.get("/AcroForm")
    acroform = acroform.get_object() if acroform is not None else {}
    if "/JavaScript" in names or "/EmbeddedFiles" in names or "/AA" in root or "/XFA" in acroform:
        return True
    if action(root.get("/OpenAction")):
        return True
    for page in pages:
        if "/AA" in page:
            return True
        annots = page.get("/Annots")
        for ref in annots.get_object() if annots is not None else ():
            annot = ref.get_object()
            if annot.get("/Subtype") == "/FileAttachment" or "/AA" in annot or action(annot.get("/A")):
                return True
    return False


# --- images --------------------------------------------------------------------------------------

_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def _check_png(src: _Source, ext: str) -> None:
    from PIL import Image

    if not src.starts(_PNG):
        raise FileRejected(MISMATCH, ext=ext)
    _no_zip_end(src)
    _no_html(src, whole_file=True)
    pos, header, idat = len(_PNG), b"", []
    while True:
        if pos + 12 > src.size:
            raise _damaged(ext)
        length, kind = struct.unpack(">I4s", src.read(pos, 8))
        if length > 0x7FFFFFFF or pos + 12 + length > src.size or (not header and kind != b"IHDR"):
            raise _damaged(ext)
        if kind == b"IHDR":
            header = src.read(pos + 8, min(length, 13))
        elif kind == b"IDAT":
            idat.append((pos + 8, pos + 8 + length))
        pos += 12 + length
        if kind == b"IEND":
            break
    if pos != src.size:
        raise FileRejected(HIDDEN)
    if len(header) != 13 or not idat:
        raise _damaged(ext)
    width, height, depth, color, compression, filtering, interlace = struct.unpack(">IIBBBBB", header)
    if not width or not height or depth not in _PNG_DEPTHS.get(color, ()) or compression or filtering \
            or interlace > 1:
        raise _damaged(ext)
    if width * height > MAX_PIXELS:
        raise FileRejected(BOMB)
    try:
        with Image.open(src.stream(), formats=["PNG"]) as image:
            image.verify()  # chunk order and CRCs
    except Exception as exc:
        raise _damaged(ext) from exc
    bits = _PNG_CHANNELS[color] * depth
    passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
    rows = []  # (bytes per row with its filter byte, number of rows) of each (interlace) pass
    for x0, y0, dx, dy in passes:
        w, h = -(-(width - x0) // dx) if width > x0 else 0, -(-(height - y0) // dy) if height > y0 else 0
        if w and h:
            rows.append((1 + -(-w * bits // 8), h))
    if not _png_data_ok(src, idat, rows):
        raise _damaged(ext)


def _png_data_ok(src: _Source, idat: list[tuple[int, int]], rows: list[tuple[int, int]]) -> bool:
    """Inflate the image data as a stream (CHUNK bytes at a time): exactly the size the header implies,
    a filter type 0-4 at the start of each row, nothing but zero padding after the zlib stream."""
    expected = sum(length * count for length, count in rows)
    passes = iter(rows)
    row, left = next(passes)  # the current pass: bytes per row, rows still to come
    inflater = zlib.decompressobj()
    done = at_row = 0  # bytes inflated so far; offset of the next row's filter byte

    def take(out: bytes) -> bool:
        nonlocal done, at_row, row, left
        if done + len(out) > expected:
            return False
        while at_row < done + len(out):
            if out[at_row - done] > 4:
                return False
            at_row += row
            left -= 1
            if not left and at_row < expected:
                row, left = next(passes)
        done += len(out)
        return True

    try:
        for begin, end in idat:
            for data in src.chunks(begin, end):
                if inflater.eof:
                    if data.strip(b"\x00"):
                        return False
                    continue
                while data and not inflater.eof:
                    if not take(inflater.decompress(data, CHUNK)):
                        return False
                    data = inflater.unconsumed_tail
        if not inflater.eof and not take(inflater.flush()):  # output held back by the limit
            return False
    except zlib.error:
        return False
    return inflater.eof and done == expected and not inflater.unused_data.strip(b"\x00")


def _check_jpeg(src: _Source, ext: str) -> None:
    from PIL import Image

    if not src.starts(b"\xff\xd8\xff"):
        raise FileRejected(MISMATCH, ext=ext)
    _no_zip_end(src)
    _no_html(src, whole_file=True)
    pos = _jpeg_end(src, 0, ext)
    while pos < src.size:  # only further whole JPEG images may follow (MPF: a camera's extra pictures)
        if not src.read(pos, 3) == b"\xff\xd8\xff":
            raise FileRejected(HIDDEN)
        pos = _jpeg_end(src, pos, ext)
    try:
        with Image.open(src.stream(), formats=["JPEG"]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise FileRejected(BOMB)
            image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except FileRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise FileRejected(BOMB) from exc
    except Exception as exc:
        raise _damaged(ext) from exc


def _jpeg_end(src: _Source, pos: int, ext: str) -> int:
    """The offset after the EOI of the JPEG image whose SOI is at `pos`: its markers from SOI to EOI."""
    pos, frame = pos + 2, False
    while True:
        head = src.read(pos, 4)
        if len(head) < 2 or head[0] != 0xFF:
            raise _damaged(ext)
        marker = head[1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        pos += 2
        if marker == 0xD9:
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            continue
        if len(head) < 4:
            raise _damaged(ext)
        length = int.from_bytes(head[2:4], "big")
        if length < 2 or pos + length > src.size:
            raise _damaged(ext)
        frame = frame or marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF)
        pos += length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker
            pos = _jpeg_scan_end(src, pos, ext)
    if not frame:
        raise _damaged(ext)
    return pos


def _jpeg_scan_end(src: _Source, pos: int, ext: str) -> int:
    """The offset of the marker that ends the entropy-coded data starting at `pos`."""
    base, piece = pos, src.read(pos, CHUNK + 1)  # one byte more: the byte after an 0xFF at the end
    while True:
        i = piece.find(b"\xff", pos - base)
        if i < 0 or i + 1 >= len(piece):  # no 0xFF here, or one without the byte after it: read on
            if base + len(piece) >= src.size:
                raise _damaged(ext)
            base = pos = base + (i if i >= 0 else len(piece))
            piece = src.read(base, CHUNK + 1)
            continue
        following = piece[i + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:  # a stuffed byte or a restart marker
            pos = base + i + 2
            continue
        return base + i


# --- mp4 -----------------------------------------------------------------------------------------

def _boxes(src: _Source, start: int, end: int, ext: str) -> list[tuple[bytes, int, int, int]]:
    """The ISO base media boxes that exactly cover [start, end): (type, start, payload start, end)."""
    boxes, pos = [], start
    while pos < end:
        if pos + 8 > end:
            raise _damaged(ext)
        head = src.read(pos, 16)
        size, kind = struct.unpack(">I4s", head[:8])
        header = 8
        if size == 1:  # 64-bit size follows
            if pos + 16 > end:
                raise _damaged(ext)
            (size,) = struct.unpack(">Q", head[8:16])
            header = 16
        elif size == 0:  # to the end
            size = end - pos
        if size < header or pos + size > end or any(not (0x20 <= c <= 0x7E or c == 0xA9) for c in kind):
            raise _damaged(ext)
        boxes.append((kind, pos, pos + header, pos + size))
        pos += size
    return boxes


def _check_mp4(src: _Source, ext: str) -> None:
    if src.size < 16 or src.read(4, 4) != b"ftyp":
        raise FileRejected(MISMATCH, ext=ext)
    _no_zip_end(src)
    _no_html(src, whole_file=False)
    top = _boxes(src, 0, src.size, ext)
    kind, _, payload, end = top[0]
    if end - payload < 8 or (end - payload) % 4:
        raise _damaged(ext)
    movies = [box for box in top if box[0] == b"moov"]
    if len(movies) != 1:
        raise _damaged(ext)
    inside = {box[0] for box in _boxes(src, movies[0][2], movies[0][3], ext)}
    if b"mvhd" not in inside or b"trak" not in inside:
        raise _damaged(ext)


# --- packages: docx, pptx (OOXML) and odt (ODF) ---------------------------------------------------

_OFFICE_DOCUMENT = {"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
                    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"}
_MAIN_PART = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_REMOTE = ("/attachedTemplate", "/oleObject", "/frame", "/subDocument")  # relationship types, fetched from outside
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
_LOCAL = struct.Struct("<4s5H3L2H")


def _package(src: _Source, ext: str) -> tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]:
    """The ZIP package, its layout and sizes checked from the directory; entries by lower-case name."""
    if not src.starts(b"PK\x03\x04"):
        raise FileRejected(MISMATCH, ext=ext)
    try:
        archive = zipfile.ZipFile(src.stream())
    except Exception as exc:  # BadZipFile, and others on a malformed directory
        raise _damaged(ext) from exc
    infos = archive.infolist()
    if not infos:
        raise _damaged(ext)
    if len(infos) > MAX_ENTRIES:
        raise FileRejected(BOMB)
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        if info.flag_bits & 0x1:
            raise FileRejected(ENCRYPTED)
        if (name.lower() in entries or name.startswith("/") or "\\" in name or "\x00" in name
                or ".." in name.split("/") or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)):
            raise _damaged(ext)
        entries[name.lower()] = info
    if sum(i.file_size for i in infos) > MAX_UNPACKED or any(
            i.file_size > RATIO_FLOOR and i.file_size > MAX_RATIO * max(i.compress_size, 1) for i in infos):
        raise FileRejected(BOMB)
    _package_layout(src, archive, infos, ext)
    return archive, entries


def _package_layout(src: _Source, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], ext: str) -> None:
    """Entries back to back from offset 0, then the central directory, then the end record: nothing else."""
    if archive.comment:
        raise FileRejected(HIDDEN)
    pos, directory = 0, 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset != pos:
            raise FileRejected(HIDDEN)
        if pos + _LOCAL.size > src.size:
            raise _damaged(ext)
        signature, _, flags, _, _, _, _, _, _, name_len, extra_len = _LOCAL.unpack(src.read(pos, _LOCAL.size))
        raw_name = _raw_name(info)
        if signature != b"PK\x03\x04" or src.read(pos + 30, name_len) != raw_name:
            raise _damaged(ext)
        pos += _LOCAL.size + name_len + extra_len + info.compress_size
        if flags & 0x08:  # a data descriptor follows: 12-24 bytes, with or without its signature, zip64 or not
            nxt = min((i.header_offset for i in infos if i.header_offset >= pos), default=archive.start_dir)
            if nxt - pos not in (12, 16, 20, 24):
                raise FileRejected(HIDDEN)
            pos = nxt
        directory += 46 + len(raw_name) + len(info.extra) + len(info.comment)
    if pos != archive.start_dir:
        raise FileRejected(HIDDEN)
    rest = src.size - (archive.start_dir + directory)
    zip64 = src.read(archive.start_dir + directory, 4) == b"PK\x06\x06"
    if not (rest == 22 or (zip64 and rest == 56 + 20 + 22)) or src.tail(22)[:4] != ZIP_END:
        raise FileRejected(HIDDEN)


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    return info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")


def _part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, ext: str) -> bytes:
    """A small part, inflated (bounded, CRC-checked)."""
    if info.file_size > MAX_PART:
        raise _damaged(ext)
    try:
        with archive.open(info) as part:
            return part.read(MAX_PART + 1)
    except Exception as exc:  # BadZipFile (CRC, size), zlib.error, EOFError
        raise _damaged(ext) from exc


def _xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo | None, ext: str) -> Any:
    from defusedxml import ElementTree

    if info is None:
        raise _damaged(ext)
    try:
        return ElementTree.fromstring(_part(archive, info, ext))
    except FileRejected:
        raise
    except Exception as exc:  # ParseError, or defusedxml's refusal of DTDs and entities
        raise _damaged(ext) from exc


def _no_active_parts(names: list[str]) -> None:
    for name in names:
        base = posixpath.basename(name)
        if (base.rsplit(".", 1)[-1] in EXECUTABLE and "." in base) or base in ("vbaproject.bin", "vbadata.xml") \
                or "/activex/" in f"/{name}":
            raise FileRejected(ACTIVE)


def _check_ooxml(src: _Source, ext: str) -> None:
    archive, entries = _package(src, ext)
    with archive:
        _no_active_parts(list(entries))
        types = _xml(archive, entries.get("[content_types].xml"), ext)
        overrides = {e.get("PartName", "").lower(): e.get("ContentType", "") for e in types.iter(f"{_CT}Override")}
        defaults = {e.get("Extension", "").lower(): e.get("ContentType", "") for e in types.iter(f"{_CT}Default")}
        if any("macroenabled" in t.lower() or "vbaproject" in t.lower() or "activex" in t.lower()
               for t in (*overrides.values(), *defaults.values())):
            raise FileRejected(ACTIVE)
        package_rels = _xml(archive, entries.get("_rels/.rels"), ext)
        main = [r for r in package_rels.iter(f"{_REL}Relationship") if r.get("Type") in _OFFICE_DOCUMENT]
        if len(main) != 1 or main[0].get("TargetMode") == "External":
            raise _damaged(ext)
        part = posixpath.normpath(main[0].get("Target", "").lstrip("/")).lower()
        if part not in entries:
            raise _damaged(ext)
        content_type = overrides.get("/" + part) or defaults.get(part.rsplit(".", 1)[-1], "")
        if content_type != _MAIN_PART[ext]:
            raise FileRejected(MISMATCH, ext=ext)
        rels = [info for name, info in entries.items() if name.endswith(".rels")]
        if sum(info.file_size for info in rels) > 8 * MAX_PART:
            raise FileRejected(BOMB)
        for info in rels:
            for rel in _xml(archive, info, ext).iter(f"{_REL}Relationship"):
                if rel.get("TargetMode") == "External" and rel.get("Type", "").endswith(_REMOTE):
                    raise FileRejected(ACTIVE)


_ODT = b"application/vnd.oasis.opendocument.text"


def _check_odt(src: _Source, ext: str) -> None:
    archive, entries = _package(src, ext)
    with archive:
        first = min(entries.values(), key=lambda i: i.header_offset)
        extra_len = _LOCAL.unpack(src.read(0, _LOCAL.size))[-1]
        if (first.filename != "mimetype" or first.compress_type != zipfile.ZIP_STORED or extra_len
                or _part(archive, first, ext) != _ODT):
            raise FileRejected(MISMATCH, ext=ext)
        if any(name.startswith(("basic/", "scripts/")) for name in entries):
            raise FileRejected(ACTIVE)
        _no_active_parts(list(entries))
        if "content.xml" not in entries:
            raise _damaged(ext)
        manifest = _xml(archive, entries.get("meta-inf/manifest.xml"), ext)
        root = [e for e in manifest.iter(f"{_MANIFEST}file-entry") if e.get(f"{_MANIFEST}full-path") == "/"]
        if len(root) != 1 or root[0].get(f"{_MANIFEST}media-type") != _ODT.decode():
            raise FileRejected(MISMATCH, ext=ext)
        if next(manifest.iter(f"{_MANIFEST}encryption-data"), None) is not None:
            raise FileRejected(ENCRYPTED)


# --- doc (OLE2 compound file) ---------------------------------------------------------------------

def _check_doc(src: _Source, ext: str) -> None:
    import olefile

    if not src.starts(olefile.MAGIC):
        raise FileRejected(MISMATCH, ext=ext)
    _no_zip_end(src)
    try:
        with olefile.OleFileIO(src.stream()) as ole:
            if ole.exists("EncryptedPackage") or ole.exists("EncryptionInfo"):
                raise FileRejected(ENCRYPTED)
            if not ole.exists("WordDocument"):
                raise FileRejected(MISMATCH, ext=ext)
            if src.size % ole.sector_size:
                raise _damaged(ext)
            if ole.exists("Macros") or ole.exists("_VBA_PROJECT_CUR") or ole.exists("VBA"):
                raise FileRejected(ACTIVE)
            with ole.openstream("WordDocument") as stream:
                fib = stream.read(12)
    except FileRejected:
        raise
    except Exception as exc:  # olefile raises OSError and others on a broken file
        raise _damaged(ext) from exc
    if len(fib) < 12 or fib[:2] != b"\xec\xa5":
        raise _damaged(ext)
    if int.from_bytes(fib[10:12], "little") & 0x0100:  # FIB fEncrypted
        raise FileRejected(ENCRYPTED)


_CHECKS: dict[str, Callable[[_Source, str], None]] = {
    "pdf": _check_pdf, "png": _check_png, "jpg": _check_jpeg, "jpeg": _check_jpeg, "mp4": _check_mp4,
    "docx": _check_ooxml, "pptx": _check_ooxml, "odt": _check_odt, "doc": _check_doc, "rtf": _check_rtf,
    "txt": _check_txt,
}
