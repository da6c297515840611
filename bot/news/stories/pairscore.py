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
        5.603174019225433,  # cosine
        1.8330714765649347,  # event_cosine
        0.6213448567541204,  # place_agree
        -1.2380873674976955,  # place_miss
        0.9892361630488384,  # company_agree
        -0.3684516009508846,  # company_miss
        0.32097503699320923,  # number_agree
        -0.9243928162662709,  # number_miss
        0.029467287548512855,  # name_agree
        -1.574304290048178,  # name_miss
        -3.9184946786205224,  # same_source
        -0.04296835146668197,  # short
        1.068354753756387,  # short_no_key
        0.9347360483824068,  # shares_key
        -20.167405714541395,  # time_gap
        0.10408285396827902,  # log_size
        0.8721227967338836,  # cosine_x_log_size
    ),
    bias=-1.7071555174799187,
)
MERGE_MODEL = PairModel(
    weights=(
        7.7832668044439135,  # cosine
        0.0,  # member_logit_mean
        0.005121750938269623,  # member_logit_min
        0.4061309207385734,  # place_agree
        -2.429843092070265,  # place_miss
        1.5488482920951798,  # company_agree
        -0.23047554569264134,  # company_miss
        0.0,  # number_agree
        -3.851426769627037,  # number_miss
        0.009471090464616395,  # name_agree
        -0.9102967319754083,  # name_miss
        -4.807581434868634,  # shared_sources
        -15.719569687058257,  # time_gap
        0.028429710300559113,  # log_small
        0.8386032042361002,  # log_large
    ),
    bias=-2.357564548264124,
)
# END GENERATED WEIGHTS
