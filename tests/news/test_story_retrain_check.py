"""The retrain check's paired band (``benchmarks/stories_retrain.py``)."""

from __future__ import annotations

import numpy as np

from benchmarks.stories_heldout import PairCounts
from benchmarks.stories_retrain import change


def _counts(merged: str) -> PairCounts:
    truth = [e for e in "abcdefgh" for _ in range(4)]
    found = [ord("a") if e in merged else ord(e) for e in truth]
    return PairCounts.of(truth, found)


def test_the_same_partition_twice_changes_nothing_and_its_band_is_zero() -> None:
    before, after, low, high = change(_counts(""), _counts(""), 200, np.random.default_rng(0))
    assert before == after
    assert low == high == 0.0


def test_a_false_merge_added_lowers_precision_and_the_band_holds_the_change() -> None:
    before, after, low, high = change(_counts(""), _counts("ab"), 500, np.random.default_rng(0))
    drop = after.precision - before.precision
    assert drop < 0
    assert low <= drop <= high <= 0.0
