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
        5.081368664641256,  # cosine
        5.6273228452234845,  # event_cosine
        0.9401656754418342,  # place_agree
        -1.6210774311769014,  # place_miss
        1.4494516166410583,  # company_agree
        -0.22778574508835553,  # company_miss
        0.8880918170428191,  # number_agree
        -3.1453200951224374,  # number_miss
        -1.0983292437496264,  # name_agree
        -0.6714463567321798,  # name_miss
        -4.051607673140929,  # same_source
        0.16765345985132415,  # short
        -0.03349580893810288,  # short_no_key
        0.6095168201253433,  # shares_key
        -19.268379528867158,  # time_gap
        -0.5338227568973417,  # log_size
        2.5483545357473183,  # cosine_x_log_size
    ),
    bias=-2.625011623786815,
)
MERGE_MODEL = PairModel(
    weights=(
        12.38020688923615,  # cosine
        0.19892858865090185,  # member_logit_mean
        0.30434630309245303,  # member_logit_min
        0.0023720090577605607,  # place_agree
        -7.481881218378244,  # place_miss
        0.8550095986379126,  # company_agree
        0.20500838080646447,  # company_miss
        -1.2234132179029584,  # number_agree
        -7.791946825676527,  # number_miss
        -0.5916068551452301,  # name_agree
        -0.697411764490427,  # name_miss
        -3.553678438434927,  # shared_sources
        -17.521416923997695,  # time_gap
        -0.04607227302324628,  # log_small
        0.7319968713486188,  # log_large
    ),
    bias=-2.6522511718602746,
)
# END GENERATED WEIGHTS
