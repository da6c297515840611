"""Dump every labelled set's story decisions, to diff two versions of the clusterer.

    uv run python benchmarks/stories_dump.py > before.txt   # on one checkout
    uv run python benchmarks/stories_dump.py > after.txt    # on another
    diff before.txt after.txt                                # nothing: the same stories

For each set and order (as ``stories_eval`` assigns them: by publication time in batches of
50, grouped by outlet in one batch of 500): every item's story after merges, a digest of the
items' stored forms (what a restart reads back), and each story's headline, line and link
(``summarize_story`` over its first reports). Then the same after a rebuild from the stored
forms. A speed change must leave all of it unchanged. The held-out sets it reads are those
already reported (holdout9 .. holdout15 scored once on 2026-12-07/08, training data since); it
never reads a set still held out (``stories_holdout16`` and ``stories_holdout17``).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.news.stories import PreparedItem, StoryClusterer, StoryConfig  # noqa: E402
from bot.news.stories.headline import summarize_story  # noqa: E402
from bot.news.stories.model import HEADLINE_SAMPLE, StoryItem  # noqa: E402
from tests.news import story_corpus, story_holdout  # noqa: E402
from tests.news.story_corpus import LabelledItem  # noqa: E402


def _sets() -> list[tuple[str, Callable[[str], list[LabelledItem]]]]:
    sets: list[tuple[str, Callable[[str], list[LabelledItem]]]] = [
        ("holdout-tune", lambda order: story_holdout.load("tune", order)),  # type: ignore[arg-type]
        ("holdout-test", lambda order: story_holdout.load("test", order)),  # type: ignore[arg-type]
    ]
    for part in story_holdout.EXTRA_TUNING_PARTS:
        sets.append(
            (part, lambda order, p=part: story_holdout.load_extra_tuning(order, (p,)))  # type: ignore[misc]
        )
    sets += [
        ("holdout2", story_holdout.load_holdout2),  # type: ignore[list-item]
        ("holdout3", story_holdout.load_holdout3),  # type: ignore[list-item]
        ("holdout4", story_holdout.load_holdout4),  # type: ignore[list-item]
        ("holdout5", story_holdout.load_holdout5),  # type: ignore[list-item]
        ("holdout6", story_holdout.load_holdout6),  # type: ignore[list-item]
        ("holdout7", story_holdout.load_holdout7),  # type: ignore[list-item]
        ("holdout8", story_holdout.load_holdout8),  # type: ignore[list-item]
        ("holdout9", story_holdout.load_holdout9),  # type: ignore[list-item]
        ("holdout10", story_holdout.load_holdout10),  # type: ignore[list-item]
        ("holdout11", story_holdout.load_holdout11),  # type: ignore[list-item]
        ("holdout12", story_holdout.load_holdout12),  # type: ignore[list-item]
        ("holdout13", story_holdout.load_holdout13),  # type: ignore[list-item]
        ("holdout14", story_holdout.load_holdout14),  # type: ignore[list-item]
        ("holdout15", story_holdout.load_holdout15),  # type: ignore[list-item]
    ]
    return sets


def dump(name: str, items: Sequence[StoryItem], batch: int, out: list[str]) -> None:
    """One run's decisions, as lines."""
    config = StoryConfig()
    clusterer = StoryClusterer(config)
    story_of: dict[int, int] = {}
    prepared = hashlib.sha256()
    for start in range(0, len(items), batch):
        story_of.update(clusterer.assign(items[start : start + batch]))
        merges = clusterer.take_merges()
        for merge in merges:
            story_of = {k: merge.into_id if v == merge.story_id else v for k, v in story_of.items()}
        for item_id, data in sorted(clusterer.take_prepared().items()):
            prepared.update(f"{item_id}:{data}\n".encode())
        out.append(f"{name} batch {start} merges {[(m.story_id, m.into_id) for m in merges]}")
    out.append(f"{name} prepared {prepared.hexdigest()}")
    out.append(f"{name} assigned {sorted(story_of.items())}")
    by_id = {item.item_id: item for item in items}
    groups: dict[int, list[StoryItem]] = {}
    for item_id, story_id in sorted(story_of.items()):
        groups.setdefault(story_id, []).append(by_id[item_id])
    for story_id, members in sorted(groups.items()):
        members.sort(key=lambda i: (i.published, i.item_id))
        summary = summarize_story(story_id, members[:HEADLINE_SAMPLE])
        out.append(
            f"{name} story {story_id} {summary.headline_item_id} {summary.headline!r}"
            f" {summary.summary_line!r}"
        )
    held = [PreparedItem(r.item_id, r.story_id, r.data) for r in clusterer.members()]
    rebuilt = StoryClusterer.rebuild(held, config, next_story_id=clusterer.next_story_id)
    out.append(f"{name} rebuilt {[(r.item_id, r.story_id) for r in rebuilt.members()]}")
    # The rebuilt clusterer must place what comes next as the live one does.
    probe = items[-batch:]
    again = [
        StoryItem(i.item_id + 1_000_000, i.title, i.summary, i.source + " 2", i.published)
        for i in probe
    ]
    out.append(f"{name} live-next {clusterer.assign(again)}")
    out.append(f"{name} rebuilt-next {rebuilt.assign(again)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--large", type=int, default=5000, help="items in the generated set")
    args = parser.parse_args()
    out: list[str] = []
    for name, load in _sets():
        for order, batch in (("published", 50), ("feeds", 500)):
            items = [labelled.item for labelled in load(order)]
            dump(f"{name}/{order}", items, batch, out)
    large = [labelled.item for labelled in story_corpus.large_corpus(items=args.large)]
    dump("large", large, 50, out)
    dump("large/500", large, 500, out)
    print("\n".join(out))


if __name__ == "__main__":
    main()
