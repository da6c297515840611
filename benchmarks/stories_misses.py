"""Why reports stay out of their event's story: a tally of missed joins on the labelled sets.

    uv run python benchmarks/stories_misses.py               # the table, every training set
    uv run python benchmarks/stories_misses.py --items       # ... and one line per missed item
    uv run python benchmarks/stories_misses.py --sets holdout7 holdout8

Each set is clustered in both orders with the shipped weights (as ``stories_pairmodel.py``
does). When an item is placed, the story holding most of its event's reports so far is its
*main* story; an item that ends outside its event's final main story is a miss, and what
stopped it at placement is recorded: a veto, a round-up, the main story not among its
candidates, the cosine floors, the title-only floor, the join score below the bar, or a
better-scoring other story. Items are classed by their headline: another script than Latin,
another language in Latin script (no common English word), or English. "Pairs" counts the
main story's reports the item is apart from (an estimate: two missed items of one event count
the pairs between them in neither).

Reads only the training sets (``stories_pairmodel.SETS``): never a set still held out.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stories_eval import place_in_batches  # noqa: E402
from benchmarks.stories_pairmodel import ORDERS, SETS  # noqa: E402
from bot.news.stories import StoryConfig  # noqa: E402
from bot.news.stories.clusterer import (  # noqa: E402
    _JOIN_FLOOR,
    _SHORT_FLOOR,
    StoryClusterer,
    _shares_key_term,
    _Story,
)
from bot.news.stories.features import Prepared  # noqa: E402
from bot.news.stories.lexicon import words_of  # noqa: E402

_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_OTHER = re.compile(r"[^\W\dA-Za-z\u00c0-\u024f_]")
# Common English words: a Latin-script headline with none of them is in another language.
_ENGLISH = words_of("the a of to in for on and with as by is its at from after over new says")


def language(title: str) -> str:
    """ "script" (mostly not Latin letters), "latin-lang" (no common English word in four or
    more) or "english"."""
    if len(_OTHER.findall(title)) > 0.3 * len(_LATIN.findall(title)):
        return "script"
    words = re.findall(r"[a-z]+", title.lower())
    return "latin-lang" if len(words) >= 4 and _ENGLISH.isdisjoint(words) else "english"


@dataclass(frozen=True, slots=True)
class Why:
    """What kept an item out of its event's main story when it was placed."""

    reason: str
    cosine: float = 0.0
    event: float = 0.0
    margin: float | None = None  # join log-odds minus the bar; None when a rule blocks it
    shared: tuple[str, ...] = ()  # key-term kinds shared with the main story


class _Probe(StoryClusterer):
    def __init__(self, events: dict[int, str]) -> None:
        super().__init__(StoryConfig())
        self.events = events
        self.why: dict[int, Why] = {}

    def _best_story(self, item: Prepared) -> int | None:
        chosen = super()._best_story(item)
        event = self.events[item.item_id]
        votes = Counter(
            story.story_id
            for story in self._stories.values()
            for member in story.members
            if self.events[member] == event
        )
        if not votes:
            self.why[item.item_id] = Why("first")
        elif votes.most_common(1)[0][0] == chosen:
            self.why[item.item_id] = Why("joined")
        else:
            self.why[item.item_id] = self._explain(item, self._stories[votes.most_common(1)[0][0]])
        return chosen

    def _explain(self, item: Prepared, story: _Story) -> Why:
        cosine, event = self._cosines(item, story)
        signals = self._join_signals(item, story, cosine, event)
        margin = None if signals is None else self._join_model.logit(signals) - self._join_bar
        terms = item.terms
        shared = tuple(
            kind
            for kind, mine, theirs in (
                ("company", terms.companies, story.companies),
                ("amount", terms.numbers, story.numbers),
                ("name", terms.names, story.names),
                ("place", terms.places, story.places),
            )
            if not mine.keys().isdisjoint(theirs)
        )
        candidates = self._candidates(item.features, item.published, item.published)
        if self._blocked(item, story):
            reason = "veto"
        elif item.roundup:
            reason = "roundup"
        elif all(other.story_id != story.story_id for other in candidates):
            reason = "no-candidate"
        elif event < self.config.event_floor or cosine < _JOIN_FLOOR:
            reason = "cosine-floor"
        elif item.short and cosine < _SHORT_FLOOR and not _shares_key_term(item, story):
            reason = "short-floor"
        elif margin is not None and margin < 0:
            reason = "below-bar"
        else:
            reason = "other-story-better"
        return Why(reason, cosine, event, margin, shared)


@dataclass(frozen=True, slots=True)
class Miss:
    """An item that ended outside its event's main story."""

    where: str  # set/order
    event: str
    title: str
    language: str
    pairs: int
    why: Why


def misses(name: str, order: str, batch: int) -> list[Miss]:
    """The missed items of one set in one order."""
    labelled = SETS[name](order)  # type: ignore[arg-type]
    events = {li.item.item_id: li.story for li in labelled}
    probe = _Probe(events)
    items = [li.item for li in labelled]
    story_of = place_in_batches(probe, items, batch)
    by_event: dict[str, list[int]] = {}
    for item_id, event in events.items():
        by_event.setdefault(event, []).append(item_id)
    titles = {item.item_id: item.title for item in items}
    out: list[Miss] = []
    for event, ids in by_event.items():
        votes = Counter(story_of[i] for i in ids)
        main, size = votes.most_common(1)[0]
        for item_id in ids:
            if len(ids) > 1 and story_of[item_id] != main:
                why = probe.why.get(item_id, Why("?"))
                title = titles[item_id]
                out.append(Miss(f"{name}/{order}", event, title, language(title), size, why))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sets", nargs="*", default=list(SETS), choices=list(SETS))
    parser.add_argument("--items", action="store_true", help="one line per missed item")
    args = parser.parse_args()
    found = [m for name in args.sets for order, batch in ORDERS for m in misses(name, order, batch)]
    rows: dict[tuple[str, str], list[Miss]] = {}
    for miss in found:
        rows.setdefault((miss.language, miss.why.reason), []).append(miss)
    print("| class | why it stayed out | items | pairs | company | amount | name | place | none |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (kind, reason), group in sorted(rows.items(), key=lambda r: (r[0][0], -len(r[1]))):
        shared = Counter(k for m in group for k in m.why.shared)
        alone = sum(not m.why.shared for m in group if m.why.reason not in ("first", "joined"))
        cells = [shared[k] for k in ("company", "amount", "name", "place")]
        pairs = sum(m.pairs for m in group)
        print(
            f"| {kind} | {reason} | {len(group)} | {pairs} | "
            + " | ".join(map(str, cells))
            + f" | {alone} |"
        )
    if args.items:
        for m in found:
            margin = "-" if m.why.margin is None else f"{m.why.margin:+.2f}"
            print(
                f"{m.where} {m.event} {m.language} {m.why.reason} cos {m.why.cosine:.3f}"
                f" event {m.why.event:.3f} margin {margin} shares {','.join(m.why.shared)}"
                f" | {m.title[:90]}"
            )


if __name__ == "__main__":
    main()
