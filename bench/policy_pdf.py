"""Benchmark of the Information Policy's PDFs: a whole edition and an addition (processes/policy_amendment/documents.py).

Renders, in one process, after a warm-up render of each (fonts, stylesheets and catalogs loaded):

  (a) edition 3 of the real policy (processes/policy/information-policy.kk.txt: preamble, 14 sections,
      every clause; two clauses marked changed, two additions listed), --runs times: median and p95
      of the wall time, median CPU time, and the CPU time of each phase (Jinja; WeasyPrint's cascade,
      layout, and drawing + font subsetting + PDF); target median ≤ 1 s;
  (b) addition PA-2026-00002 (three changes with word diffs, the Council's vote, four signatories),
      --runs times, the same figures; target median ≤ 1 s;
  (c) for scale, an edition of ~200 clauses (the real clauses, then copies of them as sections 15-…);
  (d) what the parts of the edition cost: the full edition's HTML against the same without the table
      of contents' page numbers (target-counter), and the text alone (preamble and clauses, with
      policy.css), renders interleaved so that a busy machine hits them alike.

The samples are those the tests render (tests/engine/policy_samples.py), with kk and ru catalogs of
the documents' labels compiled into a temporary folder. Figures, not a test.
Usage: `.venv/bin/python bench/policy_pdf.py [--runs N]`.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import weasyprint
import weasyprint.document

from processes import documents
from processes.documents import render_html_to_pdf
from processes.policy_amendment import documents as policy_documents
from processes.policy_amendment.documents import (
    EditionClause,
    EditionDocument,
    render_addition,
    render_addition_html,
    render_edition,
    render_edition_html,
)
from tests.engine.policy_samples import make_addition, make_edition, write_catalogs

TARGET_S = 1.0


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of non-empty samples."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def timed(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``runs`` calls, after one warm-up call."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return wall, cpu


CASCADE: list[float] = []  # CPU seconds of each cascade, once time_the_cascade() is called


def time_the_cascade() -> None:
    """Time WeasyPrint's cascade (every selector of document.css and policy.css matched against
    every element) by wrapping its get_all_computed_styles; each call appends to CASCADE."""
    original = weasyprint.document.get_all_computed_styles

    def timed_cascade(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            CASCADE.append(time.process_time() - start)

    weasyprint.document.get_all_computed_styles = timed_cascade


def render_phases(html: str) -> tuple[int, float, float]:
    """Render as render_html_to_pdf does: (pages, CPU s of parsing + cascade + layout, CPU s of
    drawing + font subsetting + writing the PDF)."""
    font_config = documents._font_config()
    start = time.process_time()
    document = weasyprint.HTML(
        string=html, base_url=policy_documents.TEMPLATES.as_uri() + "/", url_fetcher=documents._fetcher(policy_documents.TEMPLATES)
    ).render(stylesheets=[documents._house_stylesheet(font_config),
                          documents._stylesheet(font_config, policy_documents.TEMPLATES, policy_documents.STYLESHEET)],
             font_config=font_config)
    rendered = time.process_time()
    document.write_pdf()
    return len(document.pages), rendered - start, time.process_time() - rendered


def report(title: str, render: Callable[[], bytes], html: Callable[[], str], runs: int) -> float:
    """Time a document, print its figures, return the median wall seconds."""
    pdf = render()
    wall, cpu = timed(render, runs)
    html_wall, _ = timed(html, runs)
    page_count, layout, write = 0, [], []
    markup = html()
    CASCADE.clear()
    for _ in range(max(3, runs // 2)):
        page_count, layout_s, write_s = render_phases(markup)
        layout.append(layout_s)
        write.append(write_s)
    cascade = statistics.median(CASCADE)
    median = statistics.median(wall)
    print(f"\n== {title}, {runs} runs")
    print(f"  {'pages / PDF size':<44} {page_count} / {len(pdf) / 1024:.0f} KiB")
    print(f"  {'wall median / p95 ms':<44} {ms(median)} / {ms(percentile(wall, 95))}")
    print(f"  {'CPU median ms':<44} {ms(statistics.median(cpu))}")
    print(f"  {'CPU ms: HTML (Jinja) / cascade / layout / PDF':<44} {ms(statistics.median(html_wall))} / "
          f"{ms(cascade)} / {ms(statistics.median(layout) - cascade)} / {ms(statistics.median(write))}")
    return median


def big_edition(target: int = 200) -> EditionDocument:
    """An edition of ``target`` clauses: the real ones, then copies renumbered as sections 15-…."""
    edition = make_edition()
    clauses = list(edition.clauses)
    offset = 14
    while len(clauses) < target:
        for clause in edition.clauses:
            if len(clauses) >= target:
                break
            section, rest = clause.number.split(".", 1)
            clauses.append(EditionClause(f"{int(section) + offset}.{rest}", clause.text, False))
        offset += 14
    return make_edition(clauses=tuple(clauses))


def parts(catalogs: Path, runs: int) -> None:
    """(d) Interleaved renders of the edition's HTML with parts taken out."""
    full = render_edition_html(make_edition(), catalogs)
    no_toc_pages = re.sub(r'<a class="page" href="[^"]*"></a>', "", full)
    start, end = full.index('<main class="policy-text">'), full.index("</main>")
    head = full[: full.index("<body")]
    text_only = f'{head}<body class="policy edition">{full[start:end]}</main></body></html>'
    variants = {
        "full edition": full,
        "without the contents' page numbers": no_toc_pages,
        "the text alone (preamble and clauses)": text_only,
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for html in variants.values():
        render_html_to_pdf(html, policy_documents.TEMPLATES, policy_documents.STYLESHEET)
    for _ in range(runs):
        for name, html in variants.items():
            c = time.process_time()
            render_html_to_pdf(html, policy_documents.TEMPLATES, policy_documents.STYLESHEET)
            samples[name].append(time.process_time() - c)
    base = statistics.median(samples["full edition"])
    print(f"\n== (d) what the edition's parts cost: CPU medians of {runs} interleaved renders")
    for name, values in samples.items():
        median = statistics.median(values)
        delta = "" if name == "full edition" else f"  ({ms(median - base):+} ms)"
        print(f"  {name:<44} {ms(median)} ms{delta}")


def cpu_reference() -> float:
    """CPU ms of a fixed pure-Python loop: this VM's speed varies over time (other guests), and
    the renders scale with it, so the figures are printed with it."""
    start = time.process_time()
    total = 0
    for number in range(5_000_000):
        total += number
    return ms(time.process_time() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed renders of each document (10)")
    opts = parser.parse_args(argv)
    load = [round(x, 2) for x in os.getloadavg()]
    print(f"Kelisim policy PDF benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {load[0]} {load[1]} {load[2]}, CPU reference {cpu_reference()} ms "
          f"(5,000,000 Python additions)")
    time_the_cascade()
    with tempfile.TemporaryDirectory(prefix="kelisim-policy-pdf-") as folder:
        catalogs = write_catalogs(Path(folder) / "translations")
        edition, addition, big = make_edition(), make_addition(), big_edition()
        text_chars = len(edition.preamble) + sum(len(c.text) for c in edition.clauses)
        print(f"\n== the documents: edition {edition.number}, {len(edition.clauses)} clauses, "
              f"{text_chars:,} characters; addition with {len(addition.changes)} changes")
        edition_s = report(f"(a) edition {edition.number}, the whole policy",
                           lambda: render_edition(edition, catalogs),
                           lambda: render_edition_html(edition, catalogs), opts.runs)
        addition_s = report(f"(b) addition {addition.reg_number}",
                            lambda: render_addition(addition, catalogs),
                            lambda: render_addition_html(addition, catalogs), opts.runs)
        report(f"(c) for scale: an edition of {len(big.clauses)} clauses",
               lambda: render_edition(big, catalogs),
               lambda: render_edition_html(big, catalogs), max(3, opts.runs // 2))
        parts(catalogs, opts.runs)
    load = [round(x, 2) for x in os.getloadavg()]
    print(f"\nload average after: {load[0]} {load[1]} {load[2]}, CPU reference {cpu_reference()} ms")
    for name, median in (("edition", edition_s), ("addition", addition_s)):
        verdict = "PASS" if median <= TARGET_S else "FAIL"
        print(f"{verdict}: {name} median {ms(median)} ms (target ≤ {ms(TARGET_S):g} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
