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
        7.8281352965501725,  # cosine
        0.19914069318272717,  # event_cosine
        0.38743039001451424,  # place_agree
        -2.131144324202145,  # place_miss
        0.8187247809106927,  # company_agree
        -0.2574261361275354,  # company_miss
        0.3267781490163048,  # number_agree
        -0.7745740225764531,  # number_miss
        -0.5457023900280733,  # name_agree
        -1.7292643358931756,  # name_miss
        -3.708670392682328,  # same_source
        -0.25382913881204594,  # short
        1.0609973624360396,  # short_no_key
        0.8579276915752795,  # shares_key
        -19.342181169417938,  # time_gap
        0.21031774434334982,  # log_size
        0.3086884662387497,  # cosine_x_log_size
    ),
    bias=-1.7634804004818996,
)
MERGE_MODEL = PairModel(
    weights=(
        9.464746863557965,  # cosine
        -0.21494834734811685,  # member_logit_mean
        0.4286036580501196,  # member_logit_min
        0.7528782026200339,  # place_agree
        -5.481642135266925,  # place_miss
        1.0471235387292237,  # company_agree
        0.14940688891402892,  # company_miss
        -0.6378971943429849,  # number_agree
        -5.067728607978608,  # number_miss
        -0.31937829306093846,  # name_agree
        -1.0553374512418703,  # name_miss
        -3.8652779330177123,  # shared_sources
        -16.112569055670168,  # time_gap
        0.28896175169020993,  # log_small
        0.6398496394796915,  # log_large
    ),
    bias=-2.2009340019375525,
)
# END GENERATED WEIGHTS
