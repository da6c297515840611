"""Training and leave-one-set-out cross-validation of the story join model
(``bot/news/stories/pairscore.py``).

    uv run python benchmarks/stories_pairmodel.py cv       # the CV table (judges the method)
    uv run python benchmarks/stories_pairmodel.py nextset  # each late set, trained on earlier
    uv run python benchmarks/stories_pairmodel.py train    # rewrite the shipped weights

Training data are (item, candidate story) pairs met while clustering the labelled sets: each
item's candidates that pass the cheap filters are recorded with their signals
(``JOIN_SIGNALS``) and a label, "the item tells the event most of the story's reports tell".
Which candidates an item meets depends on the decisions before it, so the pairs are collected
in rounds (as DAgger does): round 0 clusters with the hand-set starting weights, each later
round with the model trained on every round so far. Both orders ("published" in batches of 50,
"feeds" in one batch of 500) are collected.

``cv``: for each labelled set in turn, the model is trained (every round) on the other sets
only and the left-out set is clustered with it and scored with ``stories_eval.py``'s pairwise
precision, recall and F1, both orders. Only these figures say whether the method generalises.
``nextset``: each of ``--targets`` (by default the last four sets written) is scored by models
trained only on the sets written before it. CV also trains on sets written after the one it
scores, and every held-out set so far has scored 0.03-0.11 below CV; this is closer to what a
new held-out set meets. ``nextset --frozen`` scores the targets with the shipped weights (honest
only on sets they were not trained on; the shipped weights are trained on all sixteen sets
since 2026-12-08, so on none);
``--lag J`` trains each target's model without the J sets written just before it (what was
shipped while it was written had fewer sets: "retrain or not?"), ``--last K`` on only the K
most recent earlier sets (a learning curve). Every table splits the false pairs by the decision
that made them: FPj, two reports placed into one story by joins; FPm, two reports whose stories
a merge made one (a false merge makes size x size false pairs at once). ``train``: the same on
all the sets, and the weights are written into ``pairscore.py``.

The labelled sets: the two halves of ``tests/data/stories_holdout``, ``stories_tuning``'s
part_c and part_d, ``stories_holdout2`` .. ``stories_holdout9`` (the seventh and eighth were held
out until scored once, on 2026-12-07; holdout9 scored once on 2026-12-07, training data
since; so was ``stories_holdout10``, the thirteenth set; ``stories_holdout11``, the fourteenth,
was scored once on 2026-12-07 at 18:13 UTC; ``stories_holdout12`` and ``stories_holdout13``,
written side by side, were scored once together on 2026-12-07 at 21:29 UTC, and
``stories_holdout14`` and ``stories_holdout15`` on 2026-12-08 at 00:21 UTC; the shipped weights
were trained on the first sixteen). Never add a set that is still held out
(``stories_holdout16`` and ``stories_holdout17`` are). ``--sets`` picks
fewer (the tests run the CV on a tiny subset).

Logistic regression with an L2 penalty (``--l2``), fitted by Newton's method on standardised
signals; the standardisation is folded into the weights written out. numpy only.

Bagged over sets, with sign constraints, by default (``--bags 10``, ``--signs``): each fit is
the mean of 10 fits, each on a bootstrap sample of the labelled SETS (a set drawn twice weighs
twice, one not drawn not at all), so no one writer's habits or one set's big stories decide a
weight; and a signal whose meaning fixes its sign (``SIGNS``: agreement is never evidence
against a join) is held at 0 rather than given the other sign. Why: every held-out set has
scored below CV, and ``nextset`` imitates that. Measured on 2026-12-07 (12 sets, the code of
that day, default l2 1.0), F1 mean / min, published | feeds, and precision:

    method             cv                              nextset
    single fit         0.932/0.895 | 0.934/0.892 P .957  0.920/0.885 | 0.915/0.878 P .951
    bags 10            0.930/0.848 | 0.933/0.866 P .955  0.928/0.904 | 0.924/0.897 P .957
    bags 10 + signs    0.934/0.898 | 0.934/0.901 P .955  0.927/0.901 | 0.921/0.891 P .959

Bagging alone raised ``nextset`` but lowered CV's minimum (holdout4) and turned the join
model's ``event_cosine`` weight negative, which broke the rule that an other-language report
joins on company and amount; with the signs kept, CV's mean and minimum and ``nextset`` all
rose over the single fit. Stronger L2 (30-300), a pull toward the start weights, weighing each
set equally, one round only, dropping signals and other margins did not help ``nextset`` (the
``transfer`` branch's report). ``--bags 0`` without ``--signs`` is the single fit of before.

Retrain or not (2026-12-07, 13 sets, the code of main 22dc65d, default settings): the same
method trained on more or fewer earlier sets, ``nextset`` over holdout7..holdout10, F1 mean /
min, published | feeds, and precision mean published / feeds:

    trained on            nextset
    all earlier sets      0.914/0.881 | 0.911/0.881 P .939/.938
    --lag 1               0.907/0.880 | 0.902/0.869 P .941/.938
    --lag 2               0.893/0.860 | 0.889/0.856 P .939/.936
    --last 3              0.919/0.867 | 0.909/0.840 P .923/.911
    --last 6              0.921/0.874 | 0.922/0.878 P .934/.937

More sets raise recall; precision does not fall with them (within +-0.01 on each target: on
holdout10 one set fewer gave P .906 published, .893 feeds; on holdout9 one set fewer gave .963
against .970). The precision a held-out set loses is not more data's doing. The shipped
weights on holdout10 (the only target they were not trained on) make 190 false pairs per
order: 69 by joins, 121 by one false merge. ``--l2 0.5`` gave the same figures as 1.0 on
holdout7..9 (holdout10 not run): no second setting; ``--seed 1`` (other bags) is.

Methods for precision on the next set (same code, ``nextset`` holdout7..10, F1 mean / min
published | feeds, P mean published / feeds, false pairs from joins + merges published):

    method                    nextset                                         FPj+FPm
    bags 10 + signs, seed 0   0.914/0.881 | 0.911/0.881 P .939/.938      (not split)
    bags 10 + signs, seed 1   0.908/0.886 | 0.903/0.875 P .936/.932       222+228
    --jackknife               0.910/0.888 | 0.903/0.875 P .931/.929       199+284
    --false-merge-cost 3      0.896/0.876 | 0.894/0.865 P .950/.950       179+152

The bagging seed alone moves one target's F1 by up to 0.015 (holdout7). Averaging the
leave-one-set-out fits lost precision; weighing a wrong merge pair three times bought +0.011
to +0.018 precision for -0.012 to -0.018 F1 (recall), and holdout10's false merge stayed
(87 false pairs). ``--tune-last 3`` (margins chosen on the last three training sets) picked
join 1.5 / merge 0.5 for holdout7 (F1 0.901 | 0.898, P .927) and join 2.5 / merge 3.0 for
holdout8: the choice swings with the three sets it is made on; not finished on all targets.
``--core`` not measured. None of them is the default: bags 10 + signs stays.

Retrain or not, again (2026-12-07 evening, 16 sets, the rules of main e8fb98e, defaults;
``stories_retrain.py`` runs the same comparison with bands). Four new sets running, weights
retrained on one more set scored lower precision on the new set than the shipped ones. Each of
holdout10..13 scored by models trained on the sets before it less the last one (k-1) and on all
of them (k), bagging seeds 0 and 1 (and 2, 3 on holdout12 and holdout13), both orders: adding
the last set RAISED the next set's precision on 17 of 24 lines and lowered it on 5 (mean
+0.012; +0.006 on the 16 lines of holdout10..12; holdout13's k adds holdout12, written beside
it); F1 rose on 13 of the 16 lines of seeds 0 and 1 (mean +0.007). No band of the change sits
below 0 (seeds 2 and 3, published and feeds: holdout13 +0.006 [-0.001, +0.015], +0.000 [+0.000,
+0.003], -0.009 [-0.031, +0.009], -0.006 [-0.030, +0.005]; holdout12 -0.001 [-0.002, +0.000],
+0.001 [-0.004, +0.009], +0.003 [+0.000, +0.011], +0.002 [-0.000, +0.010]). Scored on every
later set (40 lines, seeds 0 and 1), precision moved +0.006 on average (26 higher, 12 lower).
With the same training sets, the seed and the order alone move holdout13's precision from 0.806
to 0.904 (trained through holdout12, seeds 0-3). Why one retrain can still lose: a new set's
false pairs come mostly from one or two merges of big stories (holdout13: Currys' marketplace,
11 reports, and amazon.gr, 11, made one story by merges of 6- and 9-report fragments at
centroid cosine 0.12, on a company and an amount in common and the large story's size: +1.3
log-odds with the shipped weights AND with a retrained model); whether the clustering meets
that pair depends on the path, so about 170 false pairs (0.08 precision) come and go with the
seed. With ``--bags 40`` the seed stops mattering (trained through holdout12, seeds 0 and 1:
holdout13 P 0.829 / 0.808 published / feeds for both, F1 0.820 / 0.812 and 0.820 / 0.811, FPm
184-209: the false merge is met), at 2.3 times the training CPU (194-204 s against 81-88 s):
the 0.88-0.90 of seeds 0 and 1 with 10 bags was the lucky side of the draw, not what the 15
sets give. Not the default (no CV run); a way to make two retrains comparable. The probability
scale does not drift with the sets: refitting each target's labels on the model's log-odds (the
candidate pairs met) gives the same intercept and slope whatever the training sets (join on
holdout13: 0.39-0.53 and 0.95-1.01 for models trained through holdout8..12), while it differs
between targets (join intercept 1.7 on holdout11, 1.0 on holdout12, 0.4 on holdout13: the
writer, not the retrain); the merge model's slope is 0.4-0.7 on holdout11..13 (over-confident)
and 1.5 on holdout10, whatever the training sets. One set does pull weights: adding holdout11
halved the join model's ``place_miss`` (-2.7 -> -1.4) and the merge model's ``number_miss``
(-6.4 -> -3.8), as the 14-set retrain did, and still cost the later sets no precision
(holdout12 +0.003, holdout13 +0.008). Policy: retrain with the defaults when sets are added or
rules change; never choose between two weight sets by their score on a held-out set (one draw
against one draw, and the chosen one's figure is then biased upward); before shipping a
retrain, run ``stories_retrain.py --seeds 0 1`` (or ``--bags 40``, one seed: the same model
whatever the seed) and retrain only if the precision changes do not fall on most lines with
their bands below 0.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.news.stories import StoryConfig  # noqa: E402
from bot.news.stories.clusterer import StoryClusterer, _Story  # noqa: E402
from bot.news.stories.features import Prepared  # noqa: E402
from bot.news.stories.pairscore import (  # noqa: E402
    JOIN_MODEL,
    JOIN_SIGNALS,
    MERGE_MODEL,
    MERGE_SIGNALS,
    PairModel,
)
from tests.news import story_holdout  # noqa: E402
from tests.news.story_corpus import LabelledItem  # noqa: E402

Loader = Callable[[story_holdout.Order], list[LabelledItem]]

SETS: dict[str, Loader] = {
    "holdout-tune": lambda order: story_holdout.load("tune", order),
    "holdout-test": lambda order: story_holdout.load("test", order),
    "part_c": lambda order: story_holdout.load_extra_tuning(order, ("part_c",)),
    "part_d": lambda order: story_holdout.load_extra_tuning(order, ("part_d",)),
    "holdout2": story_holdout.load_holdout2,
    "holdout3": story_holdout.load_holdout3,
    "holdout4": story_holdout.load_holdout4,
    "holdout5": story_holdout.load_holdout5,
    "holdout6": story_holdout.load_holdout6,
    "holdout7": story_holdout.load_holdout7,
    "holdout8": story_holdout.load_holdout8,
    "holdout9": story_holdout.load_holdout9,
    "holdout10": story_holdout.load_holdout10,
    "holdout11": story_holdout.load_holdout11,
    "holdout12": story_holdout.load_holdout12,
    "holdout13": story_holdout.load_holdout13,
    "holdout14": story_holdout.load_holdout14,
    "holdout15": story_holdout.load_holdout15,
}
ORDERS: tuple[tuple[story_holdout.Order, int], ...] = (("published", 50), ("feeds", 500))
# The weights clustering starts from in round 0: the old rule's shape (cosine minus penalties
# against a threshold of about 0.18), written as log-odds.
START_JOIN = PairModel(
    weights=(
        *(10.0, 5.0, 0.0, -5.0, 0.0, -4.0, 0.0, -0.2, 0.0, -0.7),
        *(-2.5, 0.0, -0.5, 0.0, -10.0, 0.0, 0.0),
    ),
    bias=-2.2,
)
START_MERGE = PairModel(
    weights=(8.0, 0.5, 0.0, 0.0, -5.0, 0.0, -4.0, 0.0, -0.2, 0.0, -0.7, -2.0, -10.0, 0.0, 0.0),
    bias=-2.0,
)
MODEL_FILE = ROOT / "bot" / "news" / "stories" / "pairscore.py"

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Settings:
    """How the model is trained: the design choices the CV judges."""

    rounds: int = 2  # collect-and-fit rounds
    l2: float = 1.0  # L2 penalty on standardised signals
    by_size: float = 0.0  # pairs weigh size ** by_size
    margin: float = 1.5  # the log-odds a join needs (folded into the bias)
    # The log-odds a merge needs. 1.0 since batches are placed in publication-ordered steps
    # (``stories/batchplan.py``): CV over 9 sets chose it among 0.5, 1.0 and 1.5 (best F1 in
    # both orders; 1.5 gave slightly higher precision but split an event in the pipeline test).
    merge_margin: float = 1.0
    by_set: bool = False  # each set's pairs weigh the same in total
    signs: bool = True  # a signal whose meaning fixes its sign keeps it
    prior: float = 0.0  # pull toward the hand-set start weights instead of toward 0
    bags: int = 10  # average of models fitted on this many bootstrap samples of sets
    drop: tuple[str, ...] = ()  # signals held at 0
    seed: int = 0
    jackknife: bool = False  # average the leave-one-set-out fits instead of bootstrap bags
    false_merge_cost: float = 1.0  # a merge pair of two events weighs this much
    core: bool = False  # only the few signals ``CORE`` names; the others held at 0
    # Margins chosen for precision: the pairs of the last ``tune_last`` training sets are
    # scored by a model trained on the sets before them, and the lowest margins whose mean
    # precision reaches ``tune_precision`` are kept (0: the fixed margins above).
    tune_last: int = 0
    tune_precision: float = 0.96


@dataclass(frozen=True, slots=True)
class Pairs:
    """Signals (one row per pair), labels (1.0 for the same event), and the labelled set
    each pair came from."""

    x: Matrix
    y: Matrix
    sizes: Matrix  # the story's size: how many item pairs a join decides
    sets: tuple[str, ...] = ()  # one per row; empty when nobody asked

    @staticmethod
    def join(parts: Sequence[Pairs]) -> Pairs:
        return Pairs(
            np.vstack([p.x for p in parts]),
            np.concatenate([p.y for p in parts]),
            np.concatenate([p.sizes for p in parts]),
            tuple(name for p in parts for name in p.sets),
        )

    def named(self, name: str) -> Pairs:
        return Pairs(self.x, self.y, self.sizes, (name,) * len(self.y))


@dataclass(frozen=True, slots=True)
class Models:
    """The two decisions: an item joins a story; two stories become one."""

    join: PairModel
    merge: PairModel


class _Log:
    """Signals, labels and sizes of the pairs of one kind met while clustering."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.rows: list[tuple[float, ...]] = []
        self.labels: list[float] = []
        self.sizes: list[float] = []

    def pairs(self) -> Pairs:
        x = np.array(self.rows, dtype=np.float64).reshape(-1, self.width)
        y = np.array(self.labels, dtype=np.float64)
        return Pairs(x, y, np.array(self.sizes, dtype=np.float64))


class _Recorder(StoryClusterer):
    """A clusterer that records every pair its models score, with its label."""

    def __init__(self, models: Models, events: dict[int, str]) -> None:
        super().__init__(StoryConfig(), join_model=models.join, merge_model=models.merge)
        self.events = events
        self.joins = _Log(len(JOIN_SIGNALS))
        self.merges = _Log(len(MERGE_SIGNALS))

    def _majority(self, story: _Story) -> str:
        votes = Counter(self.events[member] for member in story.members)
        return votes.most_common(1)[0][0]

    def _merge_signals(self, a: _Story, b: _Story, cosine: float) -> tuple[float, ...] | None:
        # The members' join signals it reads are not join decisions: not recorded as such.
        joins = self.joins
        self.joins = _Log(len(JOIN_SIGNALS))
        signals = super()._merge_signals(a, b, cosine)
        self.joins = joins
        if signals is not None:
            self.merges.rows.append(signals)
            self.merges.labels.append(1.0 if self._majority(a) == self._majority(b) else 0.0)
            self.merges.sizes.append(float(min(a.size, b.size)))
        return signals

    def _join_signals(
        self, item: Prepared, story: _Story, cosine: float, event: float
    ) -> tuple[float, ...] | None:
        signals = super()._join_signals(item, story, cosine, event)
        if signals is not None:
            log = self.joins
            log.rows.append(signals)
            log.labels.append(1.0 if self._majority(story) == self.events[item.item_id] else 0.0)
            log.sizes.append(float(story.size))
        return signals


def collect(items: Sequence[LabelledItem], batch: int, models: Models) -> tuple[Pairs, Pairs]:
    """The join and merge pairs met while clustering ``items`` with ``models``."""
    recorder = _Recorder(models, {li.item.item_id: li.story for li in items})
    plain = [li.item for li in items]
    for start in range(0, len(plain), batch):
        recorder.assign(plain[start : start + batch])
        recorder.take_merges()
    return recorder.joins.pairs(), recorder.merges.pairs()


# The sign a signal's meaning fixes (``--signs``): agreement is never evidence against the
# same event, a miss or a gap never evidence for it. The signals not named here are free.
SIGNS: dict[str, float] = {
    "cosine": 1.0,
    "event_cosine": 1.0,
    "member_logit_mean": 1.0,
    "member_logit_min": 1.0,
    "place_agree": 1.0,
    "place_miss": -1.0,
    "company_agree": 1.0,
    "company_miss": -1.0,
    "number_agree": 1.0,
    "number_miss": -1.0,
    "name_agree": 1.0,
    "name_miss": -1.0,
    "same_source": -1.0,
    "shared_sources": -1.0,
    "shares_key": 1.0,
    "time_gap": -1.0,
}


# ``--core``: the signals that carry the decision by their meaning: how alike the texts are,
# the vetoes (a different place, company or amount), an outlet telling one event once, and
# time. The rest (agreements, sizes, title-only flags) are refinements a new set may not share.
CORE: dict[str, frozenset[str]] = {
    "join": frozenset(
        ("cosine", "place_miss", "company_miss", "number_miss", "same_source", "time_gap")
    ),
    "merge": frozenset(
        ("cosine", "place_miss", "company_miss", "number_miss", "shared_sources", "time_gap")
    ),
}


def _sample_weights(pairs: Pairs, by_size: float, by_set: bool, bag: Counter[str]) -> Matrix:
    """How much each pair weighs: ``size ** by_size``; with ``by_set`` each set's pairs
    weigh the same in total; in a bag, a set drawn k times weighs k times (0 if not drawn)."""
    sample = pairs.sizes**by_size
    if by_set or bag:
        names = np.array(pairs.sets)
        for name in set(pairs.sets):
            rows = names == name
            total = sample[rows].sum() if by_set else 1.0
            sample[rows] *= (bag[name] if bag else 1.0) / total
    return np.asarray(sample * (np.count_nonzero(sample) / sample.sum()), dtype=np.float64)


def fit(
    pairs: Pairs,
    l2: float,
    by_size: float = 0.0,
    *,
    settings: Settings | None = None,
    signals: Sequence[str] = (),
    start: PairModel | None = None,
) -> PairModel:
    """L2-regularised logistic regression (Newton's method on standardised signals); each
    pair weighs ``size ** by_size`` (a wrong join into a big story costs more pairs).
    ``settings`` adds the other choices (per-set weights, sign constraints, a pull toward
    ``start``, dropped signals, bagging over sets); ``signals`` names the columns."""
    settings = settings or Settings(l2=l2, by_size=by_size, bags=0, signs=False)
    if settings.bags <= 0 or not pairs.sets:
        return _fit_one(pairs, settings, signals, start, Counter())
    rng = np.random.default_rng(settings.seed)
    names = sorted(set(pairs.sets))
    bags = (
        [Counter(n for n in names if n != out) for out in names]
        if settings.jackknife
        else [Counter(rng.choice(names, len(names))) for _ in range(settings.bags)]
    )
    models = [_fit_one(pairs, settings, signals, start, bag) for bag in bags]
    weights = np.mean([m.weights for m in models], axis=0)
    return PairModel(tuple(float(v) for v in weights), statistics.fmean(m.bias for m in models))


def _fit_one(
    pairs: Pairs,
    settings: Settings,
    signals: Sequence[str],
    start: PairModel | None,
    bag: Counter[str],
) -> PairModel:
    sample = _sample_weights(pairs, settings.by_size, settings.by_set, bag)
    kind = "join" if tuple(signals) == JOIN_SIGNALS else "merge"
    if kind == "merge" and settings.false_merge_cost != 1.0:
        sample = sample * np.where(pairs.y > 0.5, 1.0, settings.false_merge_cost)
    mean = pairs.x.mean(axis=0)
    scale = pairs.x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([np.ones((len(pairs.y), 1)), (pairs.x - mean) / scale])
    penalty = np.full(z.shape[1], settings.l2 + settings.prior)
    penalty[0] = 0.0  # the intercept is not shrunk
    centre = np.zeros(z.shape[1])
    if start is not None and settings.prior > 0:
        centre[1:] = np.array(start.weights) * scale * settings.prior / penalty[1:]
    dropped = {
        d.removeprefix(f"{kind}.") for d in settings.drop if "." not in d or d.startswith(kind)
    }
    if settings.core:
        dropped |= set(signals) - CORE[kind]
    fixed = {i + 1 for i, name in enumerate(signals) if name in dropped}
    while True:
        w = _newton(z, pairs.y, sample, penalty, centre, fixed)
        # Active set: the signal furthest on the wrong side of its sign is held at 0, refit.
        wrong = [
            (w[i + 1] * SIGNS[name], i + 1)
            for i, name in enumerate(signals)
            if settings.signs and name in SIGNS and w[i + 1] * SIGNS[name] < -1e-9
        ]
        if not wrong:
            break
        fixed.add(min(wrong)[1])
    weights = w[1:] / scale
    bias = float(w[0] - (weights * mean).sum())
    return PairModel(tuple(float(v) for v in weights), bias)


def _newton(
    z: Matrix, y: Matrix, sample: Matrix, penalty: Matrix, centre: Matrix, fixed: set[int]
) -> Matrix:
    """The penalised maximum-likelihood weights with the ``fixed`` columns held at 0."""
    free = np.array([i for i in range(z.shape[1]) if i not in fixed])
    # Without fixed columns z is used as it is: the same sums as before, the same weights.
    zf, pf, cf = (z[:, free], penalty[free], centre[free]) if fixed else (z, penalty, centre)
    w = np.zeros(len(free))
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(zf @ w)))
        gradient = zf.T @ (sample * (p - y)) + pf * (w - cf)
        curvature = (zf * (sample * p * (1 - p))[:, None]).T @ zf
        hessian = curvature + np.diag(pf) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    out = np.zeros(z.shape[1])
    out[free] = w
    return out


def loaded(names: Sequence[str]) -> dict[tuple[str, str], tuple[list[LabelledItem], int]]:
    """Each set in each order, loaded once."""
    return {(name, order): (SETS[name](order), batch) for name in names for order, batch in ORDERS}


def train(
    data: dict[tuple[str, str], tuple[list[LabelledItem], int]],
    names: Sequence[str],
    settings: Settings,
) -> Models:
    """The models after ``settings.rounds`` rounds of collecting pairs on ``names`` and
    fitting, with ``settings.margin`` folded into its bias (margins chosen for precision
    first, with ``settings.tune_last``)."""
    if 0 < settings.tune_last < len(names) - 1:
        settings = tuned_margins(data, names, settings)
    models = Models(START_JOIN, START_MERGE)
    joins: list[Pairs] = []
    merges: list[Pairs] = []
    for _ in range(settings.rounds):
        for (name, _order), (items, batch) in data.items():
            if name in names:
                join_pairs, merge_pairs = collect(items, batch, models)
                joins.append(join_pairs.named(name))
                merges.append(merge_pairs.named(name))
        models = fitted(joins, merges, settings)
    return models


MARGINS = (1.0, 1.5, 2.0, 2.5, 3.0)
MERGE_MARGINS = (0.5, 1.0, 1.5, 2.0, 3.0)


def tuned_margins(
    data: dict[tuple[str, str], tuple[list[LabelledItem], int]],
    names: Sequence[str],
    settings: Settings,
) -> Settings:
    """``settings`` with the join and merge margins that reach ``tune_precision`` on the
    last ``tune_last`` of ``names`` (in writing order) when trained on the sets before them,
    at the best F1 among those (the most precise pair when none reaches it): a margin picked
    for precision on sets the fit did not see, as a new set is."""
    inner = replace(settings, tune_last=0)
    models = train(data, names[: -settings.tune_last], inner)
    shown = names[-settings.tune_last :]
    best: tuple[bool, float, float, float] | None = None
    for margin in MARGINS:
        for merge_margin in MERGE_MARGINS:
            trial = Models(
                replace(models.join, bias=models.join.bias + settings.margin - margin),
                replace(
                    models.merge, bias=models.merge.bias + settings.merge_margin - merge_margin
                ),
            )
            scores = [score(*data[(name, order)], trial) for name in shown for order, _b in ORDERS]
            precision = statistics.fmean(s.precision for s in scores)
            f1 = statistics.fmean(s.f1 for s in scores)
            reached = precision >= settings.tune_precision
            key = (reached, f1 if reached else precision, margin, merge_margin)
            if best is None or key[:2] > best[:2]:
                best = key
    assert best is not None
    print(f"margins chosen on {','.join(shown)}: join {best[2]} merge {best[3]}")
    return replace(inner, margin=best[2], merge_margin=best[3])


def fitted(joins: Sequence[Pairs], merges: Sequence[Pairs], settings: Settings) -> Models:
    """The two models fitted on the pairs so far, ``settings``' margins folded in."""
    join = fit(
        Pairs.join(joins), settings.l2, settings=settings, signals=JOIN_SIGNALS, start=START_JOIN
    )
    merge = fit(
        Pairs.join(merges), settings.l2, settings=settings, signals=MERGE_SIGNALS, start=START_MERGE
    )
    return Models(
        PairModel(join.weights, join.bias - settings.margin),
        PairModel(merge.weights, merge.bias - settings.merge_margin),
    )


@dataclass(frozen=True, slots=True)
class Scored:
    """One set's pairwise figures, and its false pairs split by the decision that made them:
    a join (both reports were placed into the same story) or a merge (they were placed into
    different stories that a merge later made one)."""

    precision: float
    recall: float
    f1: float
    false_joins: int
    false_merges: int

    def row(self) -> str:
        figures = f"{self.precision:6.3f} {self.recall:6.3f} {self.f1:6.3f}"
        return f"{figures} {self.false_joins:5d} {self.false_merges:5d}"


def _pair_count(labels: Sequence[object]) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(labels).values())


class _Placer(StoryClusterer):
    """A clusterer that remembers the story each item was first placed into (a join or a
    new story), before any merge moved it."""

    def __init__(self, models: Models) -> None:
        super().__init__(StoryConfig(), join_model=models.join, merge_model=models.merge)
        self.placed: dict[int, int] = {}

    def _add(self, item: Prepared, story_id: int) -> None:
        self.placed.setdefault(item.item_id, story_id)
        super()._add(item, story_id)

    def _add_alone(self, item: Prepared, story_id: int) -> None:
        # (a new story is started by ``_add_alone``, not ``_add``)
        self.placed.setdefault(item.item_id, story_id)
        super()._add_alone(item, story_id)


def score(items: list[LabelledItem], batch: int, models: Models) -> Scored:
    """Cluster ``items`` as ``stories_eval.py`` does and score the partition."""
    return score_with(_Placer(models), items, batch)


def score_with(clusterer: _Placer, items: list[LabelledItem], batch: int) -> Scored:
    """``score`` with a given (perhaps recording) clusterer."""
    plain = [li.item for li in items]
    placed = clusterer.placed
    found: dict[int, int] = {}
    for start in range(0, len(plain), batch):
        found.update(clusterer.assign(plain[start : start + batch]))
        for merge in clusterer.take_merges():
            found = {k: merge.into_id if v == merge.story_id else v for k, v in found.items()}
    truth = [li.story for li in items]
    ids = [li.item.item_id for li in items]
    found_ids = [found[i] for i in ids]
    placed_ids = [placed[i] for i in ids]
    right = _pair_count(list(zip(truth, found_ids, strict=True)))
    found_pairs, expected = _pair_count(found_ids), _pair_count(truth)
    false_joins = _pair_count(placed_ids) - _pair_count(list(zip(truth, placed_ids, strict=True)))
    precision = right / found_pairs if found_pairs else 1.0
    recall = right / expected if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scored(precision, recall, f1, false_joins, found_pairs - right - false_joins)


Table = dict[str, dict[str, Scored]]
HEADER = f"{'P':>6} {'R':>6} {'F1':>6} {'FPj':>5} {'FPm':>5}"


def cross_validate(names: Sequence[str], settings: Settings) -> dict[str, object]:
    """Leave-one-set-out figures for the learned model, printed as a table."""
    data = loaded(names)
    table: Table = {}
    print(f"{'left-out set':14} {'order':9} {HEADER}")
    for left_out in names:
        models = train(data, [n for n in names if n != left_out], settings)
        for order, _batch in ORDERS:
            items, batch = data[(left_out, order)]
            scored = score(items, batch, models)
            table.setdefault(left_out, {})[order] = scored
            print(f"{left_out:14} {order:9} {scored.row()}")
    f1s = [f.f1 for by_order in table.values() for f in by_order.values()]
    precisions = [f.precision for by_order in table.values() for f in by_order.values()]
    summary = {
        "f1_mean": statistics.fmean(f1s),
        "f1_min": min(f1s),
        "precision_mean": statistics.fmean(precisions),
        "precision_min": min(precisions),
    }
    print(" ".join(f"{k} {v:.4f}" for k, v in summary.items()))
    return {**_report(table), **summary, "settings": repr(settings)}


def earlier_sets(names: Sequence[str], target: str, lag: int = 0, last: int = 0) -> list[str]:
    """The sets written before ``target`` (``SETS`` is in writing order), less the ``lag``
    written just before it (what was shipped while it was being written was trained on fewer),
    and of those only the ``last`` most recent when ``last`` > 0 (a learning curve)."""
    order = list(SETS)
    earlier = [n for n in names if order.index(n) < order.index(target)]
    earlier = earlier[: len(earlier) - lag] if lag > 0 else earlier
    return earlier[-last:] if last > 0 else earlier


def next_set(
    names: Sequence[str],
    targets: Sequence[str],
    settings: Settings,
    *,
    lag: int = 0,
    last: int = 0,
    frozen: Models | None = None,
) -> dict[str, object]:
    """Each target set scored by models trained only on the sets written before it (``SETS``
    is in writing order): the nearest thing to a held-out set that the training sets give,
    since leave-one-set-out CV also trains on sets written after the one it scores.
    ``frozen``: every target scored with these models, no training (the shipped weights are
    honest only on a set they were not trained on). FPj/FPm: false pairs made by joins and
    by merges."""
    data = loaded(names)
    table: Table = {}
    print(f"{'next set':14} {'trained on':>10} {'order':9} {HEADER}")
    for target in targets:
        earlier = earlier_sets(names, target, lag, last)
        models = frozen or train(data, earlier, settings)
        for order, _batch in ORDERS:
            items, batch = data[(target, order)]
            scored = score(items, batch, models)
            table.setdefault(target, {})[order] = scored
            used = "frozen" if frozen else str(len(earlier))
            print(f"{target:14} {used:>10} {order:9} {scored.row()}")
    return {**_report(table), "settings": repr(settings), "lag": lag, "last": last}


def _report(table: Table) -> dict[str, object]:
    """The per-order summaries, printed, and the table in JSON-able form."""
    by_order = {order: _order_summary(table, order) for order, _batch in ORDERS}
    for order, averages in by_order.items():
        print(f"{order:9} " + " ".join(f"{k} {v:.4f}" for k, v in averages.items()))
    rows = {
        name: {order: list(astuple(scored)) for order, scored in per.items()}
        for name, per in table.items()
    }
    return {"table": rows, "by_order": by_order}


def _order_summary(table: Table, order: str) -> dict[str, float]:
    """Mean and lowest F1, precision and recall over the left-out sets in one order: a change
    must hold in both orders, and on the worst set as well as on average; and the false pairs
    from joins and from merges, summed."""
    rows = [by_order[order] for by_order in table.values()]
    out: dict[str, float] = {}
    for name in ("f1", "precision", "recall"):
        values = [float(getattr(row, name)) for row in rows]
        out[f"{name}_mean"] = statistics.fmean(values)
        out[f"{name}_min"] = min(values)
    out["false_joins"] = float(sum(row.false_joins for row in rows))
    out["false_merges"] = float(sum(row.false_merges for row in rows))
    return out


def write_weights(models: Models) -> None:
    """Rewrite the generated block of ``pairscore.py`` with ``models``."""
    lines: list[str] = []
    for name, model, signals in (
        ("JOIN_MODEL", models.join, JOIN_SIGNALS),
        ("MERGE_MODEL", models.merge, MERGE_SIGNALS),
    ):
        lines += [f"{name} = PairModel(", "    weights=("]
        lines += [f"        {w!r},  # {s}" for w, s in zip(model.weights, signals, strict=True)]
        lines += ["    ),", f"    bias={model.bias!r},", ")"]
    text = MODEL_FILE.read_text(encoding="utf-8")
    block = re.compile(r"(# BEGIN GENERATED WEIGHTS.*?\n).*?(# END GENERATED WEIGHTS)", re.S)
    MODEL_FILE.write_text(block.sub(lambda m: m[1] + "\n".join(lines) + "\n" + m[2], text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("command", choices=("cv", "nextset", "train"))
    parser.add_argument("--sets", nargs="*", default=list(SETS), choices=list(SETS))
    parser.add_argument(
        "--targets",
        nargs="*",
        default=["holdout12", "holdout13", "holdout14", "holdout15"],
        choices=list(SETS),
        help="nextset: the sets to score, each trained on the sets written before it",
    )
    parser.add_argument(
        "--lag", type=int, default=0, help="nextset: leave out the sets written just before"
    )
    parser.add_argument(
        "--last", type=int, default=0, help="nextset: train on only the last this many sets"
    )
    parser.add_argument(
        "--frozen", action="store_true", help="nextset: score with the shipped weights"
    )
    parser.add_argument("--rounds", type=int, default=2, help="collect-and-fit rounds")
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty (standardised)")
    parser.add_argument("--by-size", type=float, default=0.0, help="pairs weigh size ** this")
    parser.add_argument("--margin", type=float, default=1.5, help="log-odds a join needs")
    parser.add_argument("--merge-margin", type=float, default=1.0, help="... a merge needs")
    parser.add_argument("--by-set", action="store_true", help="each set weighs the same")
    parser.add_argument(
        "--signs",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="signals keep their meaning's sign (--no-signs: free signs)",
    )
    parser.add_argument("--prior", type=float, default=0.0, help="pull toward the start weights")
    parser.add_argument("--bags", type=int, default=10, help="bootstrap samples of sets averaged")
    parser.add_argument(
        "--drop", nargs="*", default=[], help="signals held at 0 (join.NAME, merge.NAME or both)"
    )
    parser.add_argument("--seed", type=int, default=0, help="bagging's random seed")
    parser.add_argument(
        "--jackknife", action="store_true", help="average leave-one-set-out fits, not bags"
    )
    parser.add_argument(
        "--false-merge-cost", type=float, default=1.0, help="weight of a wrong merge pair"
    )
    parser.add_argument("--core", action="store_true", help="only the CORE signals")
    parser.add_argument(
        "--tune-last", type=int, default=0, help="choose margins on the last this many sets"
    )
    parser.add_argument(
        "--tune-precision", type=float, default=0.96, help="the precision margins must reach"
    )
    args = parser.parse_args()
    settings = Settings(
        args.rounds,
        args.l2,
        args.by_size,
        args.margin,
        args.merge_margin,
        args.by_set,
        args.signs,
        args.prior,
        args.bags,
        tuple(args.drop),
        args.seed,
        args.jackknife,
        args.false_merge_cost,
        args.core,
        args.tune_last,
        args.tune_precision,
    )
    if args.command == "cv":
        report = cross_validate(args.sets, settings)
        print(json.dumps(report, separators=(",", ":")))
        return
    if args.command == "nextset":
        frozen = Models(JOIN_MODEL, MERGE_MODEL) if args.frozen else None
        report = next_set(
            args.sets, args.targets, settings, lag=args.lag, last=args.last, frozen=frozen
        )
        print(json.dumps(report, separators=(",", ":")))
        return
    models = train(loaded(args.sets), args.sets, settings)
    write_weights(models)
    print(json.dumps({"join": models.join.weights, "merge": models.merge.weights}))


if __name__ == "__main__":
    main()
