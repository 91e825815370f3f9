"""What the PDF tests share: the PDF's text, hostile markup, and a spy on the URL fetcher."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from processes.documents import AssetFetcher, AssetRefused

HOSTILE = {
    "img": '<img src="file:///etc/passwd">',
    "link": '<link rel=stylesheet href="http://169.254.169.254/">',
    "style": "<style>@font-face{src:url(file:///etc/passwd)} "
    "body{background:url(http://169.254.169.254/x)}</style>",
}


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """Extract the PDF's text with pdftotext, skipping (or failing in E2E mode) without it."""
    executable = shutil.which("pdftotext")
    if executable is None:
        message = "pdftotext (Debian package poppler-utils) is not installed"
        if os.environ.get("KELISIM_REQUIRE_E2E") == "1":
            pytest.fail(message)
        pytest.skip(message)
    source = tmp_path / "document.pdf"
    source.write_bytes(pdf)
    command = [executable, "-enc", "UTF-8", str(source), "-"]
    return subprocess.run(command, capture_output=True, check=True).stdout.decode("utf-8")


def squash(text: str) -> str:
    """Remove all whitespace, so text broken across lines still matches."""
    return re.sub(r"\s+", "", text)


class FetchSpy:
    """Record each URL WeasyPrint asks for and whether the fetcher served or refused it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str]] = []
        original = AssetFetcher.fetch

        def spy(fetcher: AssetFetcher, url: str, headers: dict[str, str] | None = None):
            try:
                response = original(fetcher, url, headers)
            except AssetRefused:
                self.calls.append((url, "refused"))
                raise
            self.calls.append((url, "served"))
            return response

        monkeypatch.setattr(AssetFetcher, "fetch", spy)

    def outcome(self, prefix: str) -> set[str]:
        """Return the outcomes of the calls whose URL starts with ``prefix``."""
        return {result for url, result in self.calls if url.startswith(prefix)}
