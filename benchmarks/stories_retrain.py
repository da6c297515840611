"""Retrain or not: does one more training set change the figures on a set neither model saw?

    uv run python benchmarks/stories_retrain.py                        # holdout12..15, seed 0
    uv run python benchmarks/stories_retrain.py --seeds 0 1 2 3        # bagging seeds too
    uv run python benchmarks/stories_retrain.py --targets holdout12 holdout13 --l2 0.5

For each target T (by default the last four sets written) and each bagging seed, two models
are trained as ``stories_pairmodel.py nextset`` trains them, with today's rules: "k-1" on the
sets written before T less the last one, "k" on all the sets written before T. Both score T in
both orders; the line gives each one's precision and F1 and the change k - (k-1), with a 95%
band for the change in precision from resampling T's true events (the same draws for both
models, as ``stories_heldout.py`` resamples). A retrain is "adding one set": if the change is
negative on most lines and its bands sit below 0, adding a set costs the next set precision;
if the signs split and the bands straddle 0, it is noise, and the seed column says how much
of it the bagging alone makes (the same k and k-1 sets, another seed).

Plain text, then one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stories_heldout import PairCounts, Score, counts_for, event_weights  # noqa: E402
from benchmarks.stories_pairmodel import (  # noqa: E402
    ORDERS,
    SETS,
    Models,
    Settings,
    earlier_sets,
    loaded,
    train,
)

DEFAULT_TARGETS = ("holdout12", "holdout13", "holdout14", "holdout15")


@dataclass(frozen=True, slots=True)
class Change:
    """One target, order and seed: the k-1 and k models' figures and the band of the
    change in precision."""

    target: str
    order: str
    seed: int
    before: Score
    after: Score
    precision_low: float
    precision_high: float

    def line(self) -> str:
        dp = self.after.precision - self.before.precision
        df = self.after.f1 - self.before.f1
        return (
            f"{self.target:10} {self.order:9} {self.seed:4d}"
            f"  {self.before.precision:.3f} {self.before.f1:.3f}"
            f"  {self.after.precision:.3f} {self.after.f1:.3f}"
            f"  {dp:+.3f} [{self.precision_low:+.3f}, {self.precision_high:+.3f}] {df:+.3f}"
        )


def change(
    before: PairCounts, after: PairCounts, resamples: int, rng: np.random.Generator
) -> tuple[Score, Score, float, float]:
    """Both models' scores and the 2.5th and 97.5th percentiles of the change in precision
    over resampled true events (each draw weighs both partitions alike: a paired band)."""
    events = len(before.right)
    weights = event_weights(events, resamples, rng)
    ones = np.ones((1, events))
    a, b = before.totals(weights), after.totals(weights)
    # A draw without any found pair has no precision: it is left out of the band.
    kept = (a[:, 1] > 0) & (b[:, 1] > 0)
    dp = b[kept, 0] / b[kept, 1] - a[kept, 0] / a[kept, 1]
    low, high = np.percentile(dp, [2.5, 97.5])
    return (
        Score.of(*(float(v) for v in before.totals(ones)[0])),
        Score.of(*(float(v) for v in after.totals(ones)[0])),
        float(low),
        float(high),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--targets", nargs="*", default=list(DEFAULT_TARGETS), choices=list(SETS))
    parser.add_argument("--seeds", nargs="*", type=int, default=[0], help="bagging seeds")
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty (standardised)")
    parser.add_argument("--bags", type=int, default=10, help="bootstrap samples of sets averaged")
    parser.add_argument("--resamples", type=int, default=2000)
    args = parser.parse_args()
    data = loaded(list(SETS))
    rng = np.random.default_rng(0)
    cache: dict[tuple[tuple[str, ...], int], Models] = {}

    def trained(names: list[str], seed: int) -> Models:
        key = (tuple(names), seed)
        if key not in cache:
            cache[key] = train(data, names, Settings(l2=args.l2, bags=args.bags, seed=seed))
        return cache[key]

    print(f"{'target':10} {'order':9} {'seed':>4}  {'k-1: P':>6} {'F1':>5}  {'k: P':>5} {'F1':>5}")
    changes: list[Change] = []
    for seed in args.seeds:
        for target in args.targets:
            before = trained(earlier_sets(list(SETS), target, lag=1), seed)
            after = trained(earlier_sets(list(SETS), target), seed)
            for order, batch in ORDERS:
                items = data[(target, order)][0]
                scores = change(
                    counts_for(items, batch, before.join, before.merge),
                    counts_for(items, batch, after.join, after.merge),
                    args.resamples,
                    rng,
                )
                changes.append(Change(target, order, seed, *scores))
                print(changes[-1].line(), flush=True)
    report(changes)


def report(changes: list[Change]) -> None:
    """The summary lines and the JSON line."""
    dps = [c.after.precision - c.before.precision for c in changes]
    dfs = [c.after.f1 - c.before.f1 for c in changes]
    below = sum(c.precision_high < 0 for c in changes)
    above = sum(c.precision_low > 0 for c in changes)
    print(
        f"precision change: mean {statistics.fmean(dps):+.4f}, {sum(d < 0 for d in dps)} lower"
        f" / {sum(d > 0 for d in dps)} higher of {len(dps)}; band below 0 on {below},"
        f" above 0 on {above}; F1 change mean {statistics.fmean(dfs):+.4f}"
    )
    rows = [
        {
            "target": c.target,
            "order": c.order,
            "seed": c.seed,
            "before": [c.before.precision, c.before.recall, c.before.f1],
            "after": [c.after.precision, c.after.recall, c.after.f1],
            "precision_band": [c.precision_low, c.precision_high],
        }
        for c in changes
    ]
    print(json.dumps({"changes": rows}, separators=(",", ":")))


if __name__ == "__main__":
    main()
