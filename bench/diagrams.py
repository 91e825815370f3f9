"""Benchmark of the BPMN diagram renderer (processes/diagram.py, issue 14).

Rendered: the largest MIWG reference diagram (the file whose first diagram has the most BPMNShape and
BPMNEdge elements), and speech_clearance.bpmn with every flow node and sequence flow marked completed
(the heaviest case of an instance's path: a badge on every shape, every flow taken). Each render is
timed whole, from the file's bytes to the SVG string; the renders are interleaved after one warm-up
of each. Printed per diagram: DI elements, wall and CPU medians, p95 of the wall time, the SVG size.
Target (issue 14): the largest MIWG file well under 50 ms.
Usage: `.venv/bin/python bench/diagrams.py [--runs N]`.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processes.diagram import BPMNDI, MODEL, ElementMark, render_svg

MIWG = ROOT / "tests" / "data" / "bpmn-miwg"
SPEECH = ROOT / "processes" / "speech_clearance" / "speech_clearance.bpmn"
TARGET_S = 0.05


def di_elements(content: bytes) -> int:
    """BPMNShape + BPMNEdge of the first diagram."""
    first = etree.fromstring(content).find(f"{{{BPMNDI}}}BPMNDiagram")
    return 0 if first is None else len(list(first.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge")))


def all_completed(content: bytes) -> tuple[dict[str, ElementMark], set[str]]:
    """Every flow node completed (twice, so every shape gets its badge), every sequence flow taken."""
    root = etree.fromstring(content)
    flows = {el.get("id") for el in root.iter(f"{{{MODEL}}}sequenceFlow")}
    states = {el.get("id"): ElementMark("completed", 2) for el in root.iter()
              if isinstance(el.tag, str) and el.get("id") and el.getparent() is not None
              and el.getparent().tag == f"{{{MODEL}}}process" and el.get("id") not in flows}
    return states, flows


def diagrams() -> dict[str, tuple[int, Callable[[], str]]]:
    contents = {path.name: path.read_bytes() for path in sorted(MIWG.glob("*.bpmn"))}
    largest = max(contents, key=lambda name: di_elements(contents[name]))
    speech = SPEECH.read_bytes()
    states, flows = all_completed(speech)
    return {
        f"MIWG {largest} (largest)": (di_elements(contents[largest]),
                                      lambda: render_svg(contents[largest]).svg),
        "speech_clearance, all completed": (di_elements(speech),
                                            lambda: render_svg(speech, states=states, flows_taken=flows).svg),
    }


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of non-empty samples."""
    ordered = sorted(samples)
    return ordered[max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered)))) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="interleaved rounds (default 50)")
    opts = parser.parse_args(argv)
    load = [round(x, 2) for x in os.getloadavg()]
    print(f"Kelisim diagram benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {load[0]} {load[1]} {load[2]}; {opts.runs} interleaved rounds")
    renders = diagrams()
    svgs = {name: render() for name, (_, render) in renders.items()}  # warm-up
    wall: dict[str, list[float]] = {name: [] for name in renders}
    cpu: dict[str, list[float]] = {name: [] for name in renders}
    names = list(renders)
    for round_no in range(opts.runs):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            w, c = time.perf_counter(), time.process_time()
            renders[name][1]()
            wall[name].append(time.perf_counter() - w)
            cpu[name].append(time.process_time() - c)
    print(f"\n  {'diagram':<36} {'DI':>5} {'wall ms':>8} {'CPU ms':>8} {'p95 ms':>8} {'SVG kB':>7}")
    failures = []
    for name, (elements, _) in renders.items():
        w = statistics.median(wall[name])
        print(f"  {name:<36} {elements:>5} {w * 1000:>8.2f} {statistics.median(cpu[name]) * 1000:>8.2f} "
              f"{percentile(wall[name], 95) * 1000:>8.2f} {len(svgs[name].encode()) / 1024:>7.1f}")
        if w > TARGET_S:
            failures.append(f"{name}: wall median {w * 1000:.1f} ms > {TARGET_S * 1000:.0f} ms")
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print(f"\nPASS: every diagram under {TARGET_S * 1000:.0f} ms (median)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
