"""Check an upload's name and that its bytes are what its extension claims."""
from __future__ import annotations

import unicodedata

import filetype

# extension -> (content type, how the bytes are recognised)
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
# What `filetype` reports for container formats it does not tell apart.
ALIASES = {"doc": {"application/x-ole-storage", "application/msword"},
           "odt": {"application/vnd.oasis.opendocument.text", "application/zip"}}


def N_(msgid: str) -> str:
    """Mark a message for translation where it is shown."""
    return msgid


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


def check(name: str, head: bytes, allowed: set[str]) -> str:
    """Return the content type when the bytes match the extension; raise FileRejected otherwise."""
    check_extension(name, allowed)
    ext = extension(name)
    if not head:
        raise FileRejected(N_("The file is empty."))
    expected = KNOWN[ext]
    if ext == "txt":
        return _check_text(head)
    if ext == "rtf":
        if head.startswith(b"{\\rtf"):
            return expected
        raise FileRejected(N_("The file's content does not match its extension .%(ext)s."), ext=ext)
    guess = filetype.guess(head)
    mime = guess.mime if guess else None
    if mime == expected or mime in ALIASES.get(ext, set()):
        return expected
    raise FileRejected(N_("The file's content does not match its extension .%(ext)s."), ext=ext)


def _check_text(head: bytes) -> str:
    if b"\x00" in head:
        raise FileRejected(N_("A .txt file must be UTF-8 text."))
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character may be cut at the end of the sniffed head
        if exc.start < len(head) - 4:
            raise FileRejected(N_("A .txt file must be UTF-8 text.")) from exc
    return "text/plain"
