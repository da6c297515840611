"""Which joins and merges put reports of different events together: a tally of false merges on
the labelled sets.

    uv run python benchmarks/stories_falsemerges.py                  # the table, every training set
    uv run python benchmarks/stories_falsemerges.py --sets holdout9 --stories   # ... and each story
                                                                     # that holds two events

Each set is clustered in both orders with the shipped weights (as ``stories_pairmodel.py``
does). Whenever an item joins a story or two stories merge, the pairs of reports it puts
together are counted, true (one event) or false, by the path that made them: a join by the
model, a join by company and amount (``_anchored``), a merge by the model whose smaller story's
reports score at or above the join bar on average, one whose reports score below it (a merge
that the joins one by one would not have made), or a merge by company and amount (a pair is
put together once: reports never leave a story but by a merge, all together).
``--stories`` lists each final story that holds reports of several events, with the path and
log-odds that brought each minority report in.

Reads only the training sets (``stories_pairmodel.SETS``): never a set still held out.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stories_eval import place_in_batches  # noqa: E402
from benchmarks.stories_pairmodel import ORDERS, SETS  # noqa: E402
from bot.news.stories import StoryConfig  # noqa: E402
from bot.news.stories.clusterer import StoryClusterer, _centroid_cosine, _Story  # noqa: E402
from bot.news.stories.features import Prepared  # noqa: E402
from bot.news.stories.pairscore import MERGE_SIGNALS  # noqa: E402

_MEMBER_MEAN = MERGE_SIGNALS.index("member_logit_mean")
PATHS = ("join", "join, anchored", "merge", "merge, members below bar", "merge, anchored")


class _Probe(StoryClusterer):
    def __init__(self, events: dict[int, str]) -> None:
        super().__init__(StoryConfig())
        self.events = events
        self.pairs: Counter[tuple[str, bool]] = Counter()  # (path, false) -> pairs
        self.came_in: dict[int, list[str]] = {}  # item -> how it met another event's reports

    def _best_story(self, item: Prepared) -> int | None:
        chosen = super()._best_story(item)
        if chosen is None:
            return None
        story = self._stories[chosen]
        candidates = self._candidates(item.features, item.published, item.published)
        scores = {s.story_id: logit for logit, s in self._join_scores(item, candidates)}
        logit = scores.get(chosen)
        if logit is not None and logit >= self._join_bar:
            path, note = "join", f"join {logit - self._join_bar:+.2f}"
        else:
            path, note = "join, anchored", "join, anchored"
        self._count(path, note, {item.item_id: item}, story.members)
        return chosen

    def _merge(self, a: _Story, b: _Story) -> None:
        small, large = (a, b) if (a.size, a.story_id) <= (b.size, b.story_id) else (b, a)
        signals = self._merge_signals(small, large, _centroid_cosine(small, large))
        logit = None if signals is None else self._merge_model.logit(signals)
        if signals is None or logit is None or logit < self._merge_bar:
            path, note = "merge, anchored", "merge, anchored"
        else:
            mean = signals[_MEMBER_MEAN] - self._join_bar
            path = "merge, members below bar" if mean < 0 else "merge"
            note = f"merge {logit - self._merge_bar:+.2f} (members {mean:+.2f})"
        self._count(path, note, small.members, large.members)
        super()._merge(a, b)

    def _count(
        self, path: str, note: str, mine: dict[int, Prepared], theirs: dict[int, Prepared]
    ) -> None:
        events = self.events
        for x in mine:
            for y in theirs:
                false = events[x] != events[y]
                self.pairs[(path, false)] += 1
                if false:
                    self.came_in.setdefault(x, []).append(note)
                    self.came_in.setdefault(y, []).append(note)


def run(name: str, order: str, batch: int, stories: bool) -> Counter[tuple[str, bool]]:
    """One set in one order: the pairs by path; with ``stories``, prints the impure stories."""
    labelled = SETS[name](order)  # type: ignore[arg-type]
    events = {li.item.item_id: li.story for li in labelled}
    probe = _Probe(events)
    story_of = place_in_batches(probe, [li.item for li in labelled], batch)
    if stories:
        titles = {li.item.item_id: li.item.title for li in labelled}
        _print_stories(f"{name}/{order}", story_of, events, titles, probe.came_in)
    return probe.pairs


def _print_stories(
    where: str,
    story_of: dict[int, int],
    events: dict[int, str],
    titles: dict[int, str],
    came_in: dict[int, list[str]],
) -> None:
    groups: dict[int, list[int]] = {}
    for item_id, story_id in story_of.items():
        groups.setdefault(story_id, []).append(item_id)
    for story_id, members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        counts = Counter(events[i] for i in members)
        if len(counts) < 2:
            continue
        main = counts.most_common(1)[0][0]
        false = sum(events[a] != events[b] for a in members for b in members if a < b)
        print(f"\n{where} story {story_id}: {len(members)} items, {false} false pairs")
        for item_id in sorted(members, key=lambda i: (events[i] != main, events[i], i)):
            how = (
                ""
                if events[item_id] == main
                else "  <- " + Counter(came_in.get(item_id, ["?"])).most_common(1)[0][0]
            )
            print(f"  {events[item_id]:10} {item_id:5} {titles[item_id][:90]}{how}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sets", nargs="*", default=list(SETS), choices=list(SETS))
    parser.add_argument("--stories", action="store_true", help="list each impure final story")
    args = parser.parse_args()
    total: Counter[tuple[str, bool]] = Counter()
    for name in args.sets:
        for order, batch in ORDERS:
            total.update(run(name, order, batch, args.stories))
    print("\n| path | true pairs | false pairs |")
    print("|---|---|---|")
    for path in PATHS:
        print(f"| {path} | {total[(path, False)]} | {total[(path, True)]} |")


if __name__ == "__main__":
    main()
