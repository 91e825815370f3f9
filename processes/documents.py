"""The PDF pipeline every process's documents share: templates, labels, assets, WeasyPrint.

This module sits below the web layer: no Flask here, only Jinja2, Babel and WeasyPrint.

Labels in ``processes/templates/*.html`` and each process's ``templates/*.html`` are gettext calls
with English msgids. They live in the same catalogs as the web interface,
``web/translations/<lang>/LC_MESSAGES/messages.mo`` (domain ``messages``), so ``pybabel extract``
must also scan these templates, e.g. in babel.cfg::

    [jinja2: processes/**/templates/**.html]
    extensions = jinja2.ext.i18n

A document is trilingual (kk, ru, en): each label is rendered once per language. A language
whose catalog is missing, or lacks a msgid, is left out of that label; English always shows.

WeasyPrint only ever sees our own assets: ``AssetFetcher`` serves ``data:`` URIs and files
inside ``processes/assets/``, ``processes/templates/`` and the rendering process's
``templates/``, and refuses everything else.
"""

from __future__ import annotations

import base64
import functools
import io
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import jinja2
import qrcode
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from PIL import Image
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from processes.university_time import date_text, datetime_text

PACKAGE_DIR = Path(__file__).resolve().parent
ASSETS_DIR = PACKAGE_DIR / "assets"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
DEFAULT_TRANSLATIONS_DIR = PACKAGE_DIR.parent / "web" / "translations"
LANGUAGES = ("kk", "ru", "en")
ASSET_SCHEME = "kelisim-asset"
ASSET_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".css": "text/css",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}
KIB = 1024
MIB = 1024 * 1024
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
# The templates' line breaks between tags: each would be a whitespace box for WeasyPrint to build,
# style and drop (a tenth of a short document's time). User data never holds a raw "<" or ">"
# (autoescaped) and no template separates inline elements by a line break, so nothing printed changes.
_BETWEEN_TAGS = re.compile(r">[ \t]*\n\s*<")


class AssetRefused(ValueError):
    """A document asked for a resource that is not one of the application's assets."""


class AssetFetcher(URLFetcher):
    """WeasyPrint URL fetcher that serves only ``data:`` URIs and our own asset files.

    Served: ``data:…``; ``kelisim-asset:<relative path>`` looked up in each root in turn;
    ``file://`` URLs (what relative URLs resolve to against the templates base URL) whose
    real path, symlinks resolved, lies inside a root and has a known asset type.
    Everything else (other files, http, https, ftp, …) raises ``AssetRefused``, which
    WeasyPrint logs as a failed fetch and skips. Nothing goes to the network, so no redirects.
    """

    def __init__(self, roots: Iterable[Path] = (ASSETS_DIR, TEMPLATES_DIR)) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
        self.roots = tuple(Path(root).resolve() for root in roots)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Return the resource at ``url`` if it is ours, else raise ``AssetRefused``."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == ASSET_SCHEME:
            return self._serve(url, self._find_asset(url))
        if scheme == "file":
            return self._serve(url, self._local_file(url))
        raise AssetRefused(f"refused to fetch {url!r}: not an application asset")

    def _find_asset(self, url: str) -> Path:
        """Resolve ``kelisim-asset:<path>`` to a file inside one of the roots."""
        relative = unquote(urlsplit(url).path)
        for root in self.roots:
            try:
                return self._contained(root / relative, url)
            except AssetRefused:
                continue
        raise AssetRefused(f"refused to fetch {url!r}: no such asset")

    def _local_file(self, url: str) -> Path:
        """Resolve a ``file://`` URL, accepting only paths inside the roots."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise AssetRefused(f"refused to fetch {url!r}: remote file URL")
        return self._contained(Path(url2pathname(parts.path)), url)

    def _contained(self, candidate: Path, url: str) -> Path:
        """Return the real path of ``candidate`` if it is an asset file inside a root."""
        try:
            real = candidate.resolve(strict=True)
        except (OSError, ValueError, RuntimeError) as error:
            raise AssetRefused(f"refused to fetch {url!r}: {type(error).__name__}") from None
        inside = any(real.is_relative_to(root) for root in self.roots)
        if not inside or not real.is_file() or real.suffix.lower() not in ASSET_TYPES:
            raise AssetRefused(f"refused to fetch {url!r}: outside the asset folders")
        return real

    @staticmethod
    def _serve(url: str, path: Path) -> URLFetcherResponse:
        """Wrap a vetted file as a WeasyPrint response."""
        content_type = ASSET_TYPES[path.suffix.lower()]
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def qr_svg_data_uri(url: str) -> str:
    """Return a ``data:`` URI of an SVG QR code that encodes ``url``."""
    matrix = _qr_matrix(url)
    size = len(matrix)
    # One subpath per horizontal run of dark modules, not one per module as qrcode's own
    # SvgPathImage writes: half the path commands, noticeably faster for WeasyPrint to draw.
    path = "".join(f"M{x} {y}h{length}v1h-{length}z" for y, x, length in _dark_runs(matrix))
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'width="{size}" height="{size}"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("ascii")).decode("ascii")


def qr_data_uri(url: str) -> str:
    """Return a ``data:`` URI of a QR code that encodes ``url``: a 1-bit PNG, one pixel per module.

    Documents draw it enlarged with ``image-rendering: pixelated`` (document.css): sharp modules,
    and for WeasyPrint one small image instead of an SVG path to parse and draw on every render.
    """
    matrix = _qr_matrix(url)
    size = len(matrix)
    image = Image.new("1", (size, size), 1)
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _qr_matrix(url: str) -> list[list[bool]]:
    """Encode ``url`` as QR modules (error correction M, 4-module quiet zone)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    return qr.get_matrix()


def _dark_runs(matrix: list[list[bool]]) -> Iterator[tuple[int, int, int]]:
    """Yield (row, first column, length) for each horizontal run of dark modules."""
    for y, row in enumerate(matrix):
        start = None
        for x, dark in enumerate([*row, False]):
            if dark and start is None:
                start = x
            elif not dark and start is not None:
                yield y, start, x - start
                start = None


def render_html_to_pdf(html: str, folder: Path | None = None, stylesheet: str | None = None) -> bytes:
    """Render HTML from our templates to PDF bytes, fetching only our own assets.

    ``folder`` is the process's own templates folder: relative URLs resolve against it, and the
    fetcher serves files from it besides the shared assets and templates. ``stylesheet`` names the
    document's own stylesheet in ``folder`` (e.g. "policy.css"): parsed once per thread like the
    house stylesheet and applied after it (a ``<link>`` in the HTML would be parsed on every render,
    which costs more than laying out a short page).
    """
    base = folder or TEMPLATES_DIR
    document = HTML(
        string=html,
        base_url=base.as_uri() + "/",
        url_fetcher=_fetcher(folder),
    )
    font_config = _font_config()
    sheets = [_house_stylesheet(font_config)]
    if stylesheet is not None:
        sheets.append(_stylesheet(font_config, folder or TEMPLATES_DIR, stylesheet))
    return document.write_pdf(stylesheets=sheets, font_config=font_config)


def render_document_html(
    template_name: str, gettexts: dict[str, Callable[[str], str]], folder: Path | None = None,
    **context: object,
) -> str:
    """Render a document template: autoescaped, strict, labels through ``gettexts``.

    The template is looked up in ``folder`` (a process's own templates) and then in the shared
    templates, so a process's document can extend the shared base.
    """
    template = _jinja_env(folder).get_template(template_name)
    return _BETWEEN_TAGS.sub("><", template.render(gettexts=gettexts, **context))


def document_gettexts(translations_dir: Path | None = None) -> dict[str, Callable[[str], str]]:
    """Return a gettext function per document language (kk, ru, en), in that order."""
    return _gettexts(translations_dir or DEFAULT_TRANSLATIONS_DIR)


def is_sha256_hex(value: str) -> bool:
    """Tell whether ``value`` is a SHA-256 hex digest (64 hex digits)."""
    return isinstance(value, str) and _SHA256_HEX.fullmatch(value) is not None


def local_time(moment: datetime) -> str:
    """Format an aware datetime in Asia/Almaty time, as every page does: 02.12.2026, 14:05."""
    return datetime_text(moment)


def local_date_text(moment: datetime) -> str:
    """Format an aware datetime as its Asia/Almaty date, dd.mm.yyyy."""
    return date_text(moment)


def language_texts(value: object) -> list[tuple[str, str]]:
    """(language, text) pairs of a text kept in the document languages ({"kk", "ru", "en"}, e.g. a
    position), the empty ones left out; a plain string (as documents stored it before) is one pair."""
    if isinstance(value, dict):
        pairs = [(lang, value.get(lang)) for lang in LANGUAGES]
        return [(lang, text) for lang, text in pairs if isinstance(text, str) and text.strip()]
    return [("en", value)] if isinstance(value, str) and value.strip() else []


def fingerprint_lines(fingerprint: str) -> list[str]:
    """Split a SHA-256 hex digest into two lines of four 8-digit groups."""
    digits = fingerprint.lower()
    groups = [digits[i : i + 8] for i in range(0, len(digits), 8)]
    return [" ".join(groups[:4]), " ".join(groups[4:])]


def file_size_texts(size: int, gettexts: dict[str, Callable[[str], str]]) -> list[tuple[str, str]]:
    """Return ``size`` in each language ("2,4 МБ", "2.4 MB"), repeated texts left out."""
    texts: list[tuple[str, str]] = []
    for lang, gettext in gettexts.items():
        if size < KIB:
            text = gettext("%(n)s bytes") % {"n": size}
        elif size < MIB:
            text = gettext("%(n)s KB") % {"n": _decimal(size / KIB, lang)}
        else:
            text = gettext("%(n)s MB") % {"n": _decimal(size / MIB, lang)}
        if all(text != seen for _, seen in texts):
            texts.append((lang, text))
    return texts


def _decimal(number: float, lang: str) -> str:
    """Format ``number`` with one decimal at most, in the conventions of ``lang``."""
    return format_decimal(round(number, 1), format="#,##0.#", locale=lang)


def _per_language(
    caller: Callable[[Callable[[str], str]], str], gettexts: dict[str, Callable[[str], str]]
) -> list[tuple[str, str]]:
    """Render a label block once per language, skipping languages with no translation."""
    english = caller(gettexts["en"])
    rendered = [(lang, caller(gettext)) for lang, gettext in gettexts.items()]
    return [(lang, text) for lang, text in rendered if lang == "en" or text != english]


def _gettexts(translations_dir: Path) -> dict[str, Callable[[str], str]]:
    """Return a gettext function per document language."""
    return {lang: _translations(translations_dir, lang).gettext for lang in LANGUAGES}


def _translations(translations_dir: Path, lang: str) -> NullTranslations:
    """Return the catalog for ``lang``, reloading it when its .mo file changes."""
    mo_file = translations_dir / lang / "LC_MESSAGES" / "messages.mo"
    try:
        stamp = mo_file.stat().st_mtime_ns
    except OSError:
        stamp = None
    return _load_translations(str(translations_dir), lang, stamp)


@functools.lru_cache(maxsize=32)
def _load_translations(translations_dir: str, lang: str, stamp: int | None) -> NullTranslations:
    """Load one catalog; NullTranslations (English msgids) when it is absent."""
    if stamp is None:
        return NullTranslations()
    return Translations.load(translations_dir, [lang], domain="messages")


@functools.cache
def _jinja_env(folder: Path | None = None) -> jinja2.Environment:
    """Build a folder's template environment once: autoescaped, strict, with i18n."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*([folder] if folder else []), TEMPLATES_DIR]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_null_translations()  # type: ignore[attr-defined]
    env.globals["per_language"] = _per_language
    env.globals["language_texts"] = language_texts
    env.globals["logo_url"] = f"{ASSET_SCHEME}:logo.svg"
    return env


@functools.cache
def _fetcher(folder: Path | None = None) -> AssetFetcher:
    """Return the stateless asset fetcher for a process's templates folder (or the shared one)."""
    return AssetFetcher((ASSETS_DIR, TEMPLATES_DIR, *([folder] if folder else [])))


_local = threading.local()


def _font_config() -> FontConfiguration:
    """Return this thread's font configuration (Pango objects are not shared across threads)."""
    if not hasattr(_local, "font_config"):
        _local.font_config = FontConfiguration()
    return _local.font_config


def _stylesheet(font_config: FontConfiguration, folder: Path, name: str) -> CSS:
    """Return this thread's parsed stylesheet ``name`` of ``folder``, built once."""
    sheets: dict[tuple[Path, str], CSS] = _local.__dict__.setdefault("stylesheets", {})
    key = (folder, name)
    if key not in sheets:
        path = (folder / name).resolve()
        if not path.is_relative_to(folder.resolve()) or path.suffix != ".css":
            raise AssetRefused(f"refused stylesheet {name!r}: not a stylesheet of {folder}")
        sheets[key] = CSS(
            filename=path, url_fetcher=_fetcher(folder if folder != TEMPLATES_DIR else None),
            font_config=font_config,
        )
    return sheets[key]


def _house_stylesheet(font_config: FontConfiguration) -> CSS:
    """Return this thread's parsed ``document.css``, built with its font configuration."""
    if not hasattr(_local, "stylesheet"):
        _local.stylesheet = CSS(
            filename=TEMPLATES_DIR / "document.css",
            url_fetcher=_fetcher(),
            font_config=font_config,
        )
    return _local.stylesheet
