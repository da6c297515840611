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
        6.416079522088931,  # cosine
        1.611615038243789,  # event_cosine
        0.7187199916195182,  # place_agree
        -0.7225155338965092,  # place_miss
        0.7137299937103914,  # company_agree
        -0.3981109902796717,  # company_miss
        0.2263450962910217,  # number_agree
        -0.8706044227197893,  # number_miss
        0.1706904304957987,  # name_agree
        -1.3775533666615303,  # name_miss
        -3.8035355908993567,  # same_source
        -0.07443601363681882,  # short
        0.901524967585367,  # short_no_key
        0.7759621035997186,  # shares_key
        -19.581197386250402,  # time_gap
        -0.18137325429500378,  # log_size
        1.422135722101307,  # cosine_x_log_size
    ),
    bias=-2.0210306331820886,
)
MERGE_MODEL = PairModel(
    weights=(
        6.758427061776297,  # cosine
        0.0,  # member_logit_mean
        0.022059393179102306,  # member_logit_min
        0.6358117816513076,  # place_agree
        -3.9771383889038505,  # place_miss
        1.2688959678706888,  # company_agree
        -0.22625854138278073,  # company_miss
        0.0,  # number_agree
        -3.5209207320677836,  # number_miss
        0.07747450247569602,  # name_agree
        -1.0591347673349891,  # name_miss
        -4.973738759362819,  # shared_sources
        -16.68413065597718,  # time_gap
        -0.012119405674077498,  # log_small
        1.0343032900419873,  # log_large
    ),
    bias=-2.156728379411219,
)
# END GENERATED WEIGHTS
