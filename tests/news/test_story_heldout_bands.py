"""The held-out scorer's pair counts and bands (``benchmarks/stories_heldout.py``)."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.stories_heldout import PairCounts, Score, banded, draws_of


def _direct(truth: list[str], found: list[int]) -> tuple[int, int, int]:
    pairs = list(combinations(range(len(truth)), 2))
    right = sum(1 for i, j in pairs if truth[i] == truth[j] and found[i] == found[j])
    return (
        right,
        sum(1 for i, j in pairs if found[i] == found[j]),
        sum(1 for i, j in pairs if truth[i] == truth[j]),
    )


@given(st.lists(st.tuples(st.sampled_from("abcde"), st.integers(0, 4)), min_size=1, max_size=30))
def test_all_events_once_count_every_pair_as_the_direct_count_does(
    labelled: list[tuple[str, int]],
) -> None:
    truth = [event for event, _ in labelled]
    found = [story for _, story in labelled]
    counts = PairCounts.of(truth, found)
    totals = counts.totals(np.ones((1, len(counts.right))))[0]
    assert tuple(int(x) for x in totals) == _direct(truth, found)


def test_a_band_holds_its_point_and_a_false_merge_widens_precisions_band() -> None:
    truth = [e for e in "abcdefgh" for _ in range(4)]
    clean = [ord(e) for e in truth]
    merged = [ord("a") if e in "ab" else ord(e) for e in truth]
    rng = np.random.default_rng(0)
    bands = []
    for found in (clean, merged):
        counts = PairCounts.of(truth, found)
        point = counts.totals(np.ones((1, len(counts.right))))[0]
        result = banded(point, draws_of(counts, 500, rng))
        assert result.low.f1 <= result.point.f1 <= result.high.f1
        bands.append(result)
    assert bands[0].point == Score(1.0, 1.0, 1.0) == bands[0].low
    assert bands[1].point.precision < 1.0
    assert bands[1].low.precision < bands[1].point.precision < bands[1].high.precision + 1e-9
