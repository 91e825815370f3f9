"""The shared word-level diff (processes/textdiff.py): the policy's editions and speech texts use one."""
from __future__ import annotations

import random

from processes import textdiff
from processes.policy_amendment import policy_text
from processes.textdiff import word_diff


def _sides(segments):
    old = "".join(t for op, t in segments if op != "insert")
    new = "".join(t for op, t in segments if op != "delete")
    return old, new


def test_the_policy_uses_the_shared_diff():
    assert policy_text.word_diff is textdiff.word_diff
    assert policy_text.Op is textdiff.Op


def test_word_level_changes_in_kazakh_and_russian():
    assert word_diff("", "") == []
    assert word_diff("Тезистер", "Тезистер") == [("equal", "Тезистер")]
    assert word_diff("Қаржы туралы тезистер.", "Қаржы және стратегия туралы тезистер.") == [
        ("equal", "Қаржы "), ("insert", "және стратегия "), ("equal", "туралы тезистер.")]
    assert word_diff("Доклад о финансах.", "Доклад о стратегии.") == [
        ("equal", "Доклад о "), ("delete", "финансах"), ("insert", "стратегии"), ("equal", ".")]


def test_every_diff_gives_both_texts_back():
    rng = random.Random(7)
    words = ["қаржы", "туралы", "стратегия", "доклад", ",", ".", "\n", "  ", "ректор", "МКБ"]
    for _ in range(300):
        old = "".join(rng.choice(words) + rng.choice(["", " "]) for _ in range(rng.randint(0, 12)))
        new = "".join(rng.choice(words) + rng.choice(["", " "]) for _ in range(rng.randint(0, 12)))
        segments = word_diff(old, new)
        assert _sides(segments) == (old, new)
        assert all(text for _, text in segments)
        assert all(a[0] != b[0] for a, b in zip(segments, segments[1:], strict=False))  # merged runs
