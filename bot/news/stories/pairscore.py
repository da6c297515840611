"""A learned "same event?" score for an item and a story: logistic regression over the
signals the clusterer already computes.

Why learned: a hand-set rule (cosine minus hand-weighted penalties against a hand-set
threshold) scored well on the sets it was tuned on and 0.83-0.86 pairwise F1 on each new
hand-written set. A logistic regression over the same signals, trained on every labelled set
and judged by leave-one-set-out cross-validation (``benchmarks/stories_pairmodel.py``), is
the same shape of decision with its weights chosen by the data rather than by hand. It has
a couple of dozen weights and is L2-regularised, so it cannot memorise a set.

The weights below are constants, written by ``benchmarks/stories_pairmodel.py train``: nothing
is read or downloaded at run time. They apply to raw signals (the training script folds its
standardisation into them), so scoring is one dot product.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["JOIN_MODEL", "JOIN_SIGNALS", "MERGE_MODEL", "MERGE_SIGNALS", "PairModel"]

# What ``StoryClusterer._join_signals`` gives, in this order. Each "agree"/"miss" pair is 0, 0
# when either side is silent on that kind of key term (no evidence either way).
JOIN_SIGNALS: tuple[str, ...] = (
    "cosine",  # with the story's centroid
    "event_cosine",  # the part of it from words saying what happened
    "place_agree",
    "place_miss",  # squared, as in the old penalty
    "company_agree",
    "company_miss",
    "number_agree",
    "number_miss",
    "name_agree",
    "name_miss",
    "same_source",  # the item's source already reported the story
    "short",  # title only
    "short_no_key",  # title only, and no company, amount or name in common
    "shares_key",  # a company, amount or name in common
    "time_gap",  # beyond the slack, in windows
    "log_size",  # log of the story's size
    "cosine_x_log_size",  # big stories' centroids are broader: cosine means more there
)

# What ``StoryClusterer._merge_signals`` gives for two stories, the smaller one first.
MERGE_SIGNALS: tuple[str, ...] = (
    "cosine",  # of the two centroids
    "member_logit_mean",  # the join model's log-odds for the smaller one's reports, mean
    "member_logit_min",  # ... and the lowest (clipped to -10)
    "place_agree",
    "place_miss",
    "company_agree",
    "company_miss",
    "number_agree",
    "number_miss",
    "name_agree",
    "name_miss",
    "shared_sources",  # sources in both, as a share of the smaller one's
    "time_gap",  # between their mean dates, beyond the slack, in windows
    "log_small",
    "log_large",
)


@dataclass(frozen=True, slots=True)
class PairModel:
    """A logistic regression: ``logit = bias + sum(weights * signals)``; join at >= 0."""

    weights: tuple[float, ...]
    bias: float

    def __post_init__(self) -> None:
        if not all(math.isfinite(w) for w in (*self.weights, self.bias)):
            raise ValueError("weights must be finite")

    def logit(self, signals: Sequence[float]) -> float:
        """The log-odds that the item tells the story's event."""
        total = self.bias
        for weight, value in zip(self.weights, signals, strict=True):
            total += weight * value
        return total

    def probability(self, signals: Sequence[float]) -> float:
        """The same as a probability (for reports and tests)."""
        logit = self.logit(signals)
        if logit >= 0:
            return 1.0 / (1.0 + math.exp(-logit))
        odds = math.exp(logit)
        return odds / (1.0 + odds)


# BEGIN GENERATED WEIGHTS (benchmarks/stories_pairmodel.py train)
JOIN_MODEL = PairModel(
    weights=(
        6.599303260876438,  # cosine
        1.4837616356082015,  # event_cosine
        0.6414355435523588,  # place_agree
        -1.58269199947802,  # place_miss
        0.8255484655925086,  # company_agree
        -0.38850859480388467,  # company_miss
        0.3311918223496814,  # number_agree
        -1.4713508553954882,  # number_miss
        0.04510893405344309,  # name_agree
        -1.5275285335969753,  # name_miss
        -3.6662720373023108,  # same_source
        -0.17656011097962812,  # short
        0.8115933553173796,  # short_no_key
        0.6429382121087767,  # shares_key
        -19.37931295956792,  # time_gap
        -0.07102366708177899,  # log_size
        1.0573321372174287,  # cosine_x_log_size
    ),
    bias=-1.819663855730186,
)
MERGE_MODEL = PairModel(
    weights=(
        7.126360885052977,  # cosine
        0.016159980775803693,  # member_logit_mean
        0.0,  # member_logit_min
        0.5541445003600011,  # place_agree
        -3.822334286010835,  # place_miss
        0.9890550252134698,  # company_agree
        -0.14135589013430558,  # company_miss
        0.004839300003186837,  # number_agree
        -5.945815866354016,  # number_miss
        0.07899849262287395,  # name_agree
        -0.77609616918454,  # name_miss
        -4.196645142655017,  # shared_sources
        -18.353069454652562,  # time_gap
        -0.1498883625057775,  # log_small
        0.7870321768494326,  # log_large
    ),
    bias=-1.9956867850365902,
)
# END GENERATED WEIGHTS
