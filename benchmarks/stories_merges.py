"""Every story-story merge the clusterer makes on the labelled sets, right or wrong, and what
the two stories share: the tally the merge path is judged from.

    uv run python benchmarks/stories_merges.py cv        # each set, trained without it
    uv run python benchmarks/stories_merges.py nextset   # holdout8..11, trained on earlier sets
    uv run python benchmarks/stories_merges.py cv --out merges.jsonl

Each set is clustered as ``stories_pairmodel.py`` scores it (``cv``: the models trained on the
other sets; ``nextset``: on the sets written before it), both orders, and every merge is
printed with: the smaller and larger story's sizes and majority events, right (same majority
event) or wrong, the item pairs it made right and wrong, how it was decided (the merge model's
log-odds, or the company-and-amount anchor), the smaller story's member mean and lowest join
log-odds, the centroid cosine, and what the two share: headline companies, amounts, headline
places, names, the heaviest words saying what happened, and the gap between their mean dates.
The CV (or nextset) table is printed as well, so a run is also a ``cv`` run of the same settings.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import benchmarks.stories_pairmodel as pm  # noqa: E402
from bot.news.stories.clusterer import _centroid_cosine, _Story  # noqa: E402
from tests.news.story_corpus import LabelledItem  # noqa: E402

_TOP_WORDS = 12


@dataclass(frozen=True, slots=True)
class MergeRecord:
    """One merge and what the two stories shared."""

    set_name: str
    order: str
    small: int
    large: int
    small_event: str
    large_event: str
    right: bool
    pairs_right: int
    pairs_wrong: int
    path: str  # "model" or "anchor"
    logit: float
    member_mean: float
    member_min: float
    cosine: float
    companies_small: tuple[str, ...]
    companies_large: tuple[str, ...]
    shared_amounts: tuple[str, ...]
    shared_places: tuple[str, ...]
    shared_names: tuple[str, ...]
    shared_words: tuple[str, ...]
    # amounts, places (headline or text) and names that are not a company's name, shared
    anchors: tuple[str, ...]
    gap_hours: float
    title_small: str
    title_large: str


class _Tally(pm._Placer):
    """A clusterer that records every merge it makes (and, as the trainer's, the story each
    item was first placed into)."""

    def __init__(
        self, models: pm.Models, items: Sequence[LabelledItem], set_name: str, order: str
    ) -> None:
        super().__init__(models)
        self.events = {li.item.item_id: li.story for li in items}
        self.titles = {li.item.item_id: li.item.title for li in items}
        self.set_name, self.order = set_name, order
        self.records: list[MergeRecord] = []

    def _majority(self, story: _Story) -> str:
        return Counter(self.events[m] for m in story.members).most_common(1)[0][0]

    def _merge(self, a: _Story, b: _Story) -> None:
        if (a.size, a.story_id) > (b.size, b.story_id):
            a, b = b, a
        self.records.append(self._record(a, b))
        super()._merge(a, b)

    def _record(self, a: _Story, b: _Story) -> MergeRecord:
        cosine = _centroid_cosine(a, b)
        signals = self._merge_signals(a, b, cosine)
        logit = self._merge_model.logit(signals) if signals is not None else float("nan")
        path = "model" if signals is not None and logit >= self._merge_bar else "anchor"
        events_a = Counter(self.events[m] for m in a.members)
        events_b = Counter(self.events[m] for m in b.members)
        same = sum(n * events_b.get(e, 0) for e, n in events_a.items())
        mine, theirs = a.term_views(), b.term_views()
        gap = abs(a.seconds / a.size - b.seconds / b.size) / 3600
        return MergeRecord(
            self.set_name,
            self.order,
            a.size,
            b.size,
            self._majority(a),
            self._majority(b),
            self._majority(a) == self._majority(b),
            same,
            a.size * b.size - same,
            path,
            round(logit, 3),
            round(signals[1], 3) if signals is not None else float("nan"),
            round(signals[2], 3) if signals is not None else float("nan"),
            round(cosine, 3),
            _headline(mine[2]),
            _headline(theirs[2]),
            tuple(sorted(a.numbers.keys() & b.numbers.keys())),
            tuple(sorted(a.title_places.keys() & b.title_places.keys())),
            tuple(sorted(a.names.keys() & b.names.keys())),
            tuple(sorted(_event_words(a) & _event_words(b))),
            tuple(sorted(_anchors(a, b))),
            round(gap, 1),
            self.titles[min(a.members)],
            self.titles[min(b.members)],
        )


def _headline(view: object) -> tuple[str, ...]:
    main = getattr(view, "main", {})
    full = getattr(view, "full", 0.0)
    return tuple(sorted(main)) if full >= 1.5 else ()


def _event_words(story: _Story) -> set[str]:
    """The heaviest words of a story's centroid that are not key terms."""
    words = [k for k in story.centroid if k[0] != "\x00" and " " not in k]
    words.sort(key=story.centroid.__getitem__, reverse=True)
    return set(words[:_TOP_WORDS])


def _anchors(a: _Story, b: _Story) -> set[str]:
    companies = {p for c in (*a.companies, *b.companies) for p in c.split("_")}
    names = {n for n in a.names.keys() & b.names.keys() if n not in companies}
    places = a.places.keys() & b.places.keys()
    return {*(a.numbers.keys() & b.numbers.keys()), *places, *names}


def tally(
    items: list[LabelledItem], batch: int, models: pm.Models, set_name: str, order: str
) -> tuple[list[MergeRecord], pm.Scored]:
    clusterer = _Tally(models, items, set_name, order)
    scored = pm.score_with(clusterer, items, batch)
    return clusterer.records, scored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("command", choices=("cv", "nextset"))
    parser.add_argument("--sets", nargs="*", default=list(pm.SETS), choices=list(pm.SETS))
    parser.add_argument(
        "--targets", nargs="*", default=["holdout12", "holdout13", "holdout14", "holdout15"]
    )
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the merges as JSON lines here")
    args = parser.parse_args()
    settings = pm.Settings(l2=args.l2, seed=args.seed)
    data = pm.loaded(args.sets)
    scored_sets = args.sets if args.command == "cv" else args.targets
    records: list[MergeRecord] = []
    table: dict[str, dict[str, pm.Scored]] = {}
    for name in scored_sets:
        names = (
            [n for n in args.sets if n != name]
            if args.command == "cv"
            else pm.earlier_sets(args.sets, name)
        )
        models = pm.train(data, names, settings)
        for order, _batch in pm.ORDERS:
            items, batch = data[(name, order)]
            found, scored = tally(items, batch, models, name, order)
            records += found
            table.setdefault(name, {})[order] = scored
            print(f"{name:14} {order:9} {scored.row()}", flush=True)
            for r in found:
                print(_line(r), flush=True)
    for order, _batch in pm.ORDERS:
        rows = [per[order] for per in table.values()]
        f1s = [r.f1 for r in rows]
        ps = [r.precision for r in rows]
        print(
            f"{order:9} f1_mean {statistics.fmean(f1s):.4f} f1_min {min(f1s):.4f} "
            f"p_mean {statistics.fmean(ps):.4f} FPj {sum(r.false_joins for r in rows)} "
            f"FPm {sum(r.false_merges for r in rows)}"
        )
    right = [r for r in records if r.right]
    wrong = [r for r in records if not r.right]
    print(
        f"merges {len(records)}: right {len(right)} ({sum(r.pairs_right for r in right)} pairs) "
        f"wrong {len(wrong)} ({sum(r.pairs_wrong for r in wrong)} wrong pairs)"
    )
    if args.out:
        with args.out.open("w", encoding="utf-8") as out:
            for r in records:
                out.write(json.dumps(asdict(r)) + "\n")


def _line(r: MergeRecord) -> str:
    mark = "ok " if r.right else "BAD"
    return (
        f"  {mark} {r.small:3d}+{r.large:3d} {r.path:6} logit {r.logit:6.2f} "
        f"mean {r.member_mean:6.2f} min {r.member_min:6.2f} cos {r.cosine:.2f} "
        f"gap {r.gap_hours:5.1f}h wrong {r.pairs_wrong:4d} co {','.join(r.companies_small)}/"
        f"{','.join(r.companies_large)} amt {','.join(r.shared_amounts)} "
        f"pl {','.join(r.shared_places)} anc {','.join(r.anchors)[:30]} "
        f"nm {','.join(r.shared_names)[:40]} "
        f"w {','.join(r.shared_words)[:60]} | {r.title_small[:60]} || {r.title_large[:60]}"
    )


if __name__ == "__main__":
    main()
