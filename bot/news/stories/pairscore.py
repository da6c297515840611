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
        5.494743476689193,  # cosine
        2.755972382487616,  # event_cosine
        0.6279144083240694,  # place_agree
        -2.049682507125351,  # place_miss
        1.1770423267839187,  # company_agree
        -0.2036863954928442,  # company_miss
        0.5790455574397108,  # number_agree
        -2.4423138435126104,  # number_miss
        -0.42854434786994117,  # name_agree
        -1.6279790496529438,  # name_miss
        -3.702613284884564,  # same_source
        -0.026686504109392516,  # short
        0.18092608473148017,  # short_no_key
        0.7048722529901355,  # shares_key
        -19.003202461455416,  # time_gap
        -0.31233239922544465,  # log_size
        1.802533818986262,  # cosine_x_log_size
    ),
    bias=-1.7803075598066367,
)
MERGE_MODEL = PairModel(
    weights=(
        9.543548662902674,  # cosine
        -0.035726078622005324,  # member_logit_mean
        0.21364909408341978,  # member_logit_min
        0.41194968540438964,  # place_agree
        -4.845601895974908,  # place_miss
        1.3314259034129996,  # company_agree
        0.15261907412649864,  # company_miss
        -0.7674827845963619,  # number_agree
        -10.778566777159442,  # number_miss
        0.11245554885524439,  # name_agree
        -0.5804436413720285,  # name_miss
        -4.457734462750309,  # shared_sources
        -16.221321525934897,  # time_gap
        -0.8149277792373711,  # log_small
        0.7163507755634242,  # log_large
    ),
    bias=-2.537188740195334,
)
# END GENERATED WEIGHTS
