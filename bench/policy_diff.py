"""Benchmark of the policy text functions: `diff_editions` over the whole Information Policy, and `parse_policy`.

Loads the real policy (processes/policy/information-policy.kk.txt), builds a second edition with ~10 %
of the clauses changed, chosen with a fixed seed: a word replaced in some clauses, a sentence added to
others, one clause removed and one added. Then times, in one process, after a warm-up:

  (a) `diff_editions(first, second)` over all the clauses, --runs times: median and p95 (target <= 50 ms);
  (b) `parse_policy` of the whole file, --runs times: median;
  (c) for scale, `diff_editions` when every clause has one word replaced: median.

Figures, not a test. Usage: `.venv/bin/python bench/policy_diff.py [--runs N]`.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processes.policy_amendment.policy_text import POLICY_PATH, clause_key, diff_editions, load_policy, parse_policy

TARGET_MS = 50.0
SEED = 20261201
ADDED_SENTENCE = " Бұл талап Университеттің барлық құрылымдық бөлімшелеріне қолданылады."
NEW_CLAUSE = ("14.5", "Осы Саясаттың орындалуы туралы есепті МКБ бастығы жыл сайын Ғылыми кеңеске ұсынады.")


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of non-empty samples."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def second_edition(first: dict[str, str], share: float = 0.10) -> tuple[dict[str, str], dict[str, int]]:
    """A copy of `first` with about `share` of its clauses touched; and how many of each kind."""
    rng = random.Random(SEED)
    numbers = sorted(first, key=clause_key)
    touched = rng.sample(numbers, max(4, round(share * len(numbers))) - 1)  # -1: the added clause
    second = dict(first)
    removed, rest = touched[0], touched[1:]
    del second[removed]
    counts = {"word replaced": 0, "sentence added": 0, "removed": 1, "added": 1}
    for i, number in enumerate(rest):
        if i % 2 == 0:
            words = list(re.finditer(r"\w{4,}", second[number]))
            m = words[len(words) // 2]
            second[number] = second[number][:m.start()] + "өзгертілген" + second[number][m.end():]
            counts["word replaced"] += 1
        else:
            second[number] += ADDED_SENTENCE
            counts["sentence added"] += 1
    second[NEW_CLAUSE[0]] = NEW_CLAUSE[1]
    return second, counts


def timed(fn, runs: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="timed runs of each function (200)")
    opts = parser.parse_args(argv)
    load = [round(x, 2) for x in os.getloadavg()]
    print(f"Kelisim policy-diff benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {load[0]} {load[1]} {load[2]}")

    policy = load_policy()
    first = {c.number: c.text for c in policy.clauses}
    second, counts = second_edition(first)
    changes = diff_editions(first, second)
    kinds = {kind: sum(c.kind == kind for c in changes) for kind in ("added", "changed", "removed")}
    chars = sum(len(t) for t in first.values())
    print(f"\n== the editions: {len(first)} clauses ({chars:,} characters) → {len(second)} clauses")
    print(f"  {'edits made':<44} {counts}")
    print(f"  {'changes found (added / changed / removed)':<44} {kinds['added']} / {kinds['changed']} / "
          f"{kinds['removed']}  ({len(changes) / len(first):.0%} of the clauses)")

    diff = timed(lambda: diff_editions(first, second), opts.runs)
    print(f"\n== (a) diff_editions over the whole policy, {opts.runs} runs")
    print(f"  {'median / p95 ms':<44} {ms(statistics.median(diff))} / {ms(percentile(diff, 95))}")
    text = POLICY_PATH.read_text(encoding="utf-8")
    parse = timed(lambda: parse_policy(text), opts.runs)
    print(f"\n== (b) parse_policy of the whole file ({len(text):,} characters), {opts.runs} runs")
    print(f"  {'median / p95 ms':<44} {ms(statistics.median(parse))} / {ms(percentile(parse, 95))}")

    everything = {n: re.sub(r"\w{4,}", "өзгертілген", t, count=1) for n, t in first.items()}
    worst = timed(lambda: diff_editions(first, everything), max(20, opts.runs // 4))
    print(f"\n== (c) diff_editions with a word replaced in every clause ({len(diff_editions(first, everything))} "
          f"changed), {max(20, opts.runs // 4)} runs")
    print(f"  {'median / p95 ms':<44} {ms(statistics.median(worst))} / {ms(percentile(worst, 95))}")

    expected = (1, counts["word replaced"] + counts["sentence added"], 1)
    found_all = (kinds["added"], kinds["changed"], kinds["removed"]) == expected
    p95 = ms(percentile(diff, 95))
    verdict = "PASS" if p95 <= TARGET_MS and found_all else "FAIL"
    print(f"\n{verdict}: diff_editions p95 {p95} ms (target ≤ {TARGET_MS:g} ms), "
          f"{'every edit found' if found_all else f'expected {expected} changes'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
