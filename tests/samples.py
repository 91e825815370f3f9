"""Small genuine files of each accepted type, made in the test (the upload check reads their structure).

Each takes a `text` that ends up in the file, so that different texts give different bytes (and
different SHA-256 fingerprints).
"""
from __future__ import annotations

import io
import struct
import zipfile


def pdf(text: str = "document", pages: int = 1, padding: int = 0) -> bytes:
    """A real PDF written by pypdf: blank A4 pages, the text as its title; `padding` bytes of (seeded)
    random data in a stream object the first page refers to, for a large file."""
    import random

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": text})
    if padding:
        stream = DecodedStreamObject()
        stream.set_data(random.Random(text).randbytes(padding))
        writer.pages[0][NameObject("/PieceInfo")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image(fmt: str = "PNG", text: str = "image", size: tuple[int, int] = (64, 48)) -> bytes:
    """A PNG or JPEG encoded by Pillow, with the text as a comment."""
    from PIL import Image, PngImagePlugin

    out = io.BytesIO()
    picture = Image.new("RGB", size, (30, 90, 160))
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", text)
        picture.save(out, "PNG", pnginfo=info)
    else:
        picture.save(out, "JPEG", comment=text.encode())
    return out.getvalue()


def png(text: str = "image") -> bytes:
    return image("PNG", text)


def jpeg(text: str = "image") -> bytes:
    return image("JPEG", text)


def txt(text: str = "Сәлем, әлем! Привет, мир!") -> bytes:
    return text.encode()


def rtf(text: str = "Hello") -> bytes:
    return b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}\\f0\\fs24 " + text.encode("ascii") + b"\\par}\r\n"


_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
OOXML_MAIN = {
    "docx": ("word/document.xml",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "pptx": ("ppt/presentation.xml",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
}


def ooxml(kind: str = "docx", text: str = "document", extra: dict[str, bytes] | None = None,
          main_type: str | None = None) -> bytes:
    """A minimal OOXML package: [Content_Types].xml, _rels/.rels and the main part with its type."""
    part, content_type = OOXML_MAIN[kind]
    parts = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{_CT}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{part}" ContentType="{main_type or content_type}"/></Types>').encode(),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_REL}">'
            f'<Relationship Id="rId1" Type="{_OFFICE}" Target="{part}"/></Relationships>').encode(),
        part: (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<document><p>{text}</p></document>'
               ).encode(),
    }
    parts.update(extra or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def docx(text: str = "document") -> bytes:
    return ooxml("docx", text)


def pptx(text: str = "slides") -> bytes:
    return ooxml("pptx", text)


ODT_TYPE = "application/vnd.oasis.opendocument.text"
_MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"


def odt(text: str = "document", mimetype: bytes = ODT_TYPE.encode(), extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal ODF text document: `mimetype` first and stored, content.xml, META-INF/manifest.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", (
            '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
            f'<text:p>{text}</text:p></office:text></office:body></office:document-content>').encode())
        archive.writestr("META-INF/manifest.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="{_MANIFEST}" '
            'manifest:version="1.2">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODT_TYPE}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>').encode())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(text: str = "video", media: bytes = b"\x00" * 64) -> bytes:
    """A minimal ISO base media (MP4) box structure: ftyp, moov (mvhd, trak/tkhd), free, mdat."""
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    mvhd = box(b"mvhd", bytes(4) + bytes(8) + struct.pack(">II", 1000, 1000) + b"\x00\x01\x00\x00\x01\x00"
               + bytes(10) + bytes(36) + bytes(24) + struct.pack(">I", 2))
    trak = box(b"trak", box(b"tkhd", b"\x00\x00\x00\x03" + bytes(80)))
    return ftyp + box(b"moov", mvhd + trak) + box(b"free", text.encode()) + box(b"mdat", media)


def doc(text: str = "document", flags: int = 0, storages: tuple[str, ...] = ()) -> bytes:
    """A minimal Word 97 file: an OLE2 compound file (version 3, 512-byte sectors) with a `WordDocument`
    stream of 4096 bytes that starts with the FIB signature; `storages` adds empty storages (e.g. Macros)."""
    sector, endchain, free, nostream = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFF
    stream = (b"\xec\xa5\xc1\x00" + bytes(6) + struct.pack("<H", flags) + text.encode("utf-16-le")).ljust(4096, b"\0")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + bytes(6) + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, endchain, 0, endchain, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    fat = [0xFFFFFFFD, endchain] + list(range(3, 10)) + [endchain]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat) + struct.pack("<I", free) * (128 - len(fat))

    def entry(name: str, kind: int, child: int = nostream, right: int = nostream, start: int = 0,
              size: int = 0) -> bytes:
        raw = (name.encode("utf-16-le") + b"\0\0") if name else b""
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1)
                + struct.pack("<III", nostream, right, child) + bytes(16) + bytes(4) + bytes(16)
                + struct.pack("<IQ", start, size))

    names = ["WordDocument", *storages]
    entries = [entry("Root Entry", 5, child=1, start=endchain)]
    for i, name in enumerate(names, start=1):
        right = i + 1 if i < len(names) else nostream
        if name == "WordDocument":
            entries.append(entry(name, 2, right=right, start=2, size=len(stream)))
        else:
            entries.append(entry(name, 1, right=right, start=0))
    while len(entries) % 4:
        entries.append(entry("", 0))
    directory = b"".join(entries)
    assert len(directory) == sector, "one directory sector"
    return header + fat_sector + directory + stream


def zip_bomb(unpacked: int = 1 << 30, first: tuple[str, bytes] | None = ("mimetype", ODT_TYPE.encode())) -> bytes:
    """A ZIP of ~1/1000 the size whose `content.xml` inflates to `unpacked` zero bytes (1 GiB: ~1 MB).

    Written by hand from one deflated MiB of zeros repeated (each piece ends with a full flush, so the
    pieces are identical), since deflating a whole GiB would take seconds.
    """
    import zlib

    block = 1 << 20
    assert unpacked % block == 0
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = deflater.compress(bytes(block)) + deflater.flush(zlib.Z_FULL_FLUSH)
    data = piece * (unpacked // block) + b"\x03\x00"  # an empty final block
    crc, zeros = 0, bytes(block)
    for _ in range(unpacked // block):
        crc = zlib.crc32(zeros, crc)
    entries = [(first[0], 0, first[1], zlib.crc32(first[1]), len(first[1]))] if first else []
    entries.append(("content.xml", 8, data, crc, unpacked))
    out, directory = io.BytesIO(), b""
    for name, method, payload, checksum, size in entries:
        offset, raw = out.tell(), name.encode()
        fields = struct.pack("<HHHHHIII", 20, 0, method, 0, 0x21, checksum, len(payload), size)
        out.write(b"PK\x03\x04" + fields + struct.pack("<HH", len(raw), 0) + raw + payload)
        directory += (b"PK\x01\x02" + struct.pack("<H", 20) + fields
                      + struct.pack("<HHHHHII", len(raw), 0, 0, 0, 0, 0, offset) + raw)
    start = out.tell()
    out.write(directory + b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(entries), len(entries),
                                                       len(directory), start, 0))
    return out.getvalue()
