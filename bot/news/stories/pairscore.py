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
        7.033564186187052,  # cosine
        2.591562884080839,  # event_cosine
        0.48717696209533473,  # place_agree
        -0.46548874303493876,  # place_miss
        1.1712532257272064,  # company_agree
        -0.3727149017042588,  # company_miss
        0.7465655546359489,  # number_agree
        -3.8440656950633394,  # number_miss
        -1.3212415782083644,  # name_agree
        -0.5752844762443773,  # name_miss
        -3.432075298336997,  # same_source
        -0.19189843860780678,  # short
        0.1563859206186667,  # short_no_key
        0.7557975821441628,  # shares_key
        -16.495072432098365,  # time_gap
        -0.2697719210212554,  # log_size
        1.1177627425322079,  # cosine_x_log_size
    ),
    bias=-2.6015241933297357,
)
MERGE_MODEL = PairModel(
    weights=(
        10.092873548068633,  # cosine
        -0.22765165320041822,  # member_logit_mean
        0.3356364233706539,  # member_logit_min
        0.6058907107268533,  # place_agree
        -5.774431486201091,  # place_miss
        1.7427312621507653,  # company_agree
        0.2651425458667046,  # company_miss
        -1.0196825541191903,  # number_agree
        -7.714507917781403,  # number_miss
        -0.7147063683470459,  # name_agree
        -0.9055966911588276,  # name_miss
        -5.064807613929609,  # shared_sources
        -17.37139067328892,  # time_gap
        -0.42418966460495916,  # log_small
        0.7034099787782206,  # log_large
    ),
    bias=-1.7302188145461597,
)
# END GENERATED WEIGHTS
