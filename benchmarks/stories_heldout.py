"""Score hand-written held-out story sets, each with a confidence band, and pooled.

    uv run python benchmarks/stories_heldout.py holdout11             # the set held out now
    uv run python benchmarks/stories_heldout.py holdout12 holdout13   # several at once

A held-out set is scored once, after the last change to what the clusterer decides, and is
training data from then on (see ``stories_pairmodel.py``). One set's score says little on its
own: the held-out sets so far have scored 0.03-0.11 below cross-validation and apart from each
other by as much, because each writer chose other events. So every figure here comes with a
95% band from resampling the set's true events (``--resamples`` bootstrap draws with
replacement; a drawn event brings its items' pairs, and the false pairs between two drawn
events count once per pair of draws), and the sets named together are also pooled: pairs summed
over sets, each set resampled on its own. Orders and batches are ``stories_eval.py``'s:
published time in batches of 50 and grouped by outlet in one batch of 500.

Plain text, then one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stories_eval import assign  # noqa: E402
from bot.news.stories import StoryConfig  # noqa: E402
from bot.news.stories.pairscore import PairModel  # noqa: E402
from tests.news import story_holdout  # noqa: E402
from tests.news.story_corpus import LabelledItem  # noqa: E402

_ORDERS = (("published", 50), ("feeds", 500))

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PairCounts:
    """Per true event: its found pairs that are right (``right``) and its expected pairs
    (``expected``); ``wrong[e, f]``: pairs of one report of e and one of f put together."""

    right: Floats
    expected: Floats
    wrong: Floats

    @staticmethod
    def of(truth: Sequence[str], found: Sequence[int]) -> PairCounts:
        events = sorted(set(truth))
        index = {event: i for i, event in enumerate(events)}
        per_story: dict[int, Counter[int]] = defaultdict(Counter)
        for event, story in zip(truth, found, strict=True):
            per_story[story][index[event]] += 1
        right = np.zeros(len(events))
        wrong = np.zeros((len(events), len(events)))
        for counts in per_story.values():
            for e, n in counts.items():
                right[e] += n * (n - 1) / 2
                for f, m in counts.items():
                    if f != e:
                        wrong[e, f] += n * m
        sizes = Counter(index[event] for event in truth)
        expected = np.array([sizes[i] * (sizes[i] - 1) / 2 for i in range(len(events))])
        return PairCounts(right, expected, wrong)

    def totals(self, weights: Floats) -> Floats:
        """(right, found, expected) pair totals per row of ``weights`` (draws x events)."""
        right = weights @ self.right
        wrong = np.einsum("be,ef,bf->b", weights, self.wrong, weights) / 2
        return np.stack([right, right + wrong, weights @ self.expected], axis=1)


@dataclass(frozen=True, slots=True)
class Score:
    precision: float
    recall: float
    f1: float

    @staticmethod
    def of(right: float, found: float, expected: float) -> Score:
        precision = right / found if found else 1.0
        recall = right / expected if expected else 1.0
        total = precision + recall
        return Score(precision, recall, 2 * precision * recall / total if total else 0.0)


@dataclass(frozen=True, slots=True)
class Banded:
    point: Score
    low: Score
    high: Score

    def line(self, name: str) -> str:
        parts = [
            f"{label} {getattr(self.point, label):.3f} "
            f"[{getattr(self.low, label):.3f}, {getattr(self.high, label):.3f}]"
            for label in ("precision", "recall", "f1")
        ]
        return f"{name:<28} " + "  ".join(parts)

    def as_json(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for label in ("precision", "recall", "f1"):
            out[label] = round(getattr(self.point, label), 4)
            out[f"{label}_low"] = round(getattr(self.low, label), 4)
            out[f"{label}_high"] = round(getattr(self.high, label), 4)
        return out


def banded(point: Floats, draws: Floats) -> Banded:
    """The point score and the 2.5th and 97.5th percentiles of each figure over ``draws``
    (rows of right, found and expected pair totals)."""
    scores = np.array([_figures(row) for row in draws])
    low, high = np.percentile(scores, [2.5, 97.5], axis=0)
    return Banded(Score(*_figures(point)), Score(*low), Score(*high))


def _figures(row: Floats) -> tuple[float, float, float]:
    score = Score.of(float(row[0]), float(row[1]), float(row[2]))
    return score.precision, score.recall, score.f1


def event_weights(events: int, resamples: int, rng: np.random.Generator) -> Floats:
    """How often each of a set's true events is drawn, per resample (with replacement)."""
    return rng.multinomial(events, np.full(events, 1 / events), size=resamples).astype(np.float64)


def draws_of(counts: PairCounts, resamples: int, rng: np.random.Generator) -> Floats:
    return counts.totals(event_weights(len(counts.right), resamples, rng))


def counts_for(
    items: Sequence[LabelledItem],
    batch: int,
    join: PairModel | None = None,
    merge: PairModel | None = None,
) -> PairCounts:
    """The pair counts of ``items`` clustered as ``stories_eval.py`` does (the shipped
    models unless ``join`` and ``merge`` are given)."""
    assigned, _ = assign(items, StoryConfig(), batch, join, merge)
    truth = [labelled.story for labelled in items]
    found = [assigned[labelled.item.item_id] for labelled in items]
    return PairCounts.of(truth, found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("sets", nargs="+", help="story_holdout's set names, e.g. holdout11")
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    report: dict[str, dict[str, float]] = {}
    for order, batch in _ORDERS:
        pooled_point = np.zeros(3)
        pooled_draws = np.zeros((args.resamples, 3))
        for name in args.sets:
            loader = getattr(story_holdout, f"load_{name}", None)
            if loader is None:
                parser.error(f"no set named {name!r} in tests/news/story_holdout.py")
            counts = counts_for(loader(order), batch)
            point = counts.totals(np.ones((1, len(counts.right))))[0]
            draws = draws_of(counts, args.resamples, rng)
            pooled_point += point
            pooled_draws += draws
            result = banded(point, draws)
            print(result.line(f"{name} {order}"))
            report[f"{name}.{order}"] = result.as_json()
        if len(args.sets) > 1:
            result = banded(pooled_point, pooled_draws)
            print(result.line(f"pooled {order}"))
            report[f"pooled.{order}"] = result.as_json()
    print(json.dumps(report, separators=(",", ":")))


if __name__ == "__main__":
    main()
