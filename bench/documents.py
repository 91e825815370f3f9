"""Benchmark of every issued document against a one-paragraph page, through the same pipeline.

Each document is rendered the way the application renders it (the Jinja template with the web
catalogs of web/translations, then processes.documents.render_html_to_pdf: the house stylesheet,
the asset-only fetcher, WeasyPrint); the reference is a page with one paragraph of text through the
same render_html_to_pdf. The renders are interleaved (one of each per round, the order rotating),
so that a busy machine slows them alike, after a warm-up render of each (fonts, stylesheets and
catalogs loaded). Printed per document: wall and CPU medians, the ratio of each to the reference's,
the p95 of the wall time, and the pages. Targets (issue 13): every document ≤ 2.5× the one-paragraph
page (CPU ratio: the machine's other guests do not move it), the 10-page edition ≤ 0.5 s.

The samples are those the tests render (tests/engine/*): certificate SC-2026-00042, sign-off sheet
MS-2026-00007 (three files, six checks, three reviewers), the Kazakh answer letter OUT-2026-00017
(two enclosures), addition PA-2026-00002 (three changes) and edition 3 of the real policy.
Usage: `.venv/bin/python bench/documents.py [--quick] [--runs N] [--save DIR]`.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processes.documents import render_html_to_pdf
from processes.information_request.letters import render_letter
from processes.material_signoff.sheet import render_signoff_sheet
from processes.policy_amendment.documents import render_addition, render_edition
from processes.speech_clearance.certificate import render_certificate
from tests.engine.policy_samples import make_addition, make_edition
from tests.engine.test_documents import make_certificate
from tests.engine.test_letters import make_letter
from tests.engine.test_signoff_sheet import make_sheet

TRANSLATIONS = ROOT / "web" / "translations"
RATIO_TARGET = 2.5
EDITION_TARGET_S = 0.5
REFERENCE = "one-paragraph page"
ONE_PARAGRAPH = (
    '<!DOCTYPE html><html lang="kk"><head><meta charset="utf-8"><title>P</title></head><body>'
    "<p>Университеттің ақпараттық саясаты ашықтық, дәйектілік және жауапкершілік қағидаттарына "
    "негізделеді; әрбір құрылымдық бөлімше өз құзыреті шегінде ақпараттың дұрыстығына жауап береді.</p>"
    "</body></html>"
)


def documents() -> dict[str, Callable[[], bytes]]:
    """The reference page and each document, as the application renders them."""
    cert, sheet, letter = make_certificate(), make_sheet(), make_letter("kk")
    addition, edition = make_addition(), make_edition()
    return {
        REFERENCE: lambda: render_html_to_pdf(ONE_PARAGRAPH),
        "certificate": lambda: render_certificate(cert, TRANSLATIONS),
        "sign-off sheet": lambda: render_signoff_sheet(sheet, TRANSLATIONS),
        "letter": lambda: render_letter(letter, TRANSLATIONS),
        "addition": lambda: render_addition(addition, TRANSLATIONS),
        "edition (whole policy)": lambda: render_edition(edition, TRANSLATIONS),
    }


def page_count(pdf: bytes) -> str:
    """Pages of a PDF, by pdfinfo (Debian poppler-utils); "?" without it."""
    executable = shutil.which("pdfinfo")
    if executable is None:
        return "?"
    info = subprocess.run([executable, "-"], input=pdf, capture_output=True, check=False).stdout
    found = re.search(rb"^Pages:\s*(\d+)", info, re.MULTILINE)
    return found.group(1).decode() if found else "?"


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of non-empty samples."""
    ordered = sorted(samples)
    return ordered[max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered)))) - 1]


def measure(renders: dict[str, Callable[[], bytes]], runs: int
            ) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, bytes]]:
    """Wall and CPU seconds of ``runs`` interleaved renders of each, after one warm-up each."""
    pdfs = {name: render() for name, render in renders.items()}
    wall: dict[str, list[float]] = {name: [] for name in renders}
    cpu: dict[str, list[float]] = {name: [] for name in renders}
    names = list(renders)
    for round_no in range(runs):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            w, c = time.perf_counter(), time.process_time()
            renders[name]()
            wall[name].append(time.perf_counter() - w)
            cpu[name].append(time.process_time() - c)
    return wall, cpu, pdfs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, help="interleaved rounds (default 30, --quick 5)")
    parser.add_argument("--quick", action="store_true", help="a short run: 5 rounds")
    parser.add_argument("--save", type=Path, help="also write each PDF into this folder")
    opts = parser.parse_args(argv)
    runs = opts.runs or (5 if opts.quick else 30)
    load = [round(x, 2) for x in os.getloadavg()]
    print(f"Kelisim documents benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {load[0]} {load[1]} {load[2]}; {runs} interleaved rounds")
    wall, cpu, pdfs = measure(documents(), runs)
    base_wall, base_cpu = statistics.median(wall[REFERENCE]), statistics.median(cpu[REFERENCE])
    print(f"\n  {'document':<24} {'wall ms':>8} {'×':>6} {'CPU ms':>8} {'×':>6} {'p95 ms':>8} {'pages':>6}")
    failures = []
    for name in wall:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"  {name:<24} {w * 1000:>8.1f} {w / base_wall:>6.2f} {c * 1000:>8.1f} {c / base_cpu:>6.2f} "
              f"{percentile(wall[name], 95) * 1000:>8.1f} {page_count(pdfs[name]):>6}")
        if name.startswith("edition"):
            if w > EDITION_TARGET_S:
                failures.append(f"{name}: wall median {w * 1000:.0f} ms > {EDITION_TARGET_S * 1000:.0f} ms")
        elif name != REFERENCE and c / base_cpu > RATIO_TARGET:
            failures.append(f"{name}: {c / base_cpu:.2f}× the one-paragraph page > {RATIO_TARGET}×")
    if opts.save:
        opts.save.mkdir(parents=True, exist_ok=True)
        for name, pdf in pdfs.items():
            (opts.save / (re.sub(r"\W+", "-", name).strip("-") + ".pdf")).write_bytes(pdf)
        print(f"\nPDFs written to {opts.save}")
    load = [round(x, 2) for x in os.getloadavg()]
    print(f"\nload average after: {load[0]} {load[1]} {load[2]}")
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print(f"PASS: every document ≤ {RATIO_TARGET}× the one-paragraph page (CPU), "
              f"the edition ≤ {EDITION_TARGET_S * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
