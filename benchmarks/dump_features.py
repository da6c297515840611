"""Dump every stored form a change to how text is read must leave byte-identical.

    uv run python benchmarks/dump_features.py OUT.txt    # then ``cmp`` two dumps

For every training set (both halves of the hand-written set, part_c, part_d,
holdout2..holdout9, in both orders), the 300-item eval set, the generated 10k set, the real
titles and ``benchmarks/ingest.py``'s corpus: each item's ``TextFeatures.encode()`` read by a
fresh ``Featurizer.extract``, and the ``Prepared.encode()`` of every item as the clusterer
stores it when the set is placed in batches of 50 (IDF depends on what was held, so the placing
order is part of the check). ``stories_holdout10`` (training data since it was scored) is left
out to keep the dump as it was; the held-out set (``stories_holdout11``) is never read.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import Corpus  # noqa: E402
from benchmarks.stories_pairmodel import SETS  # noqa: E402
from bot.news.rules.plain_text import html_to_text  # noqa: E402
from bot.news.stories import StoryClusterer, StoryConfig, StoryItem  # noqa: E402
from bot.news.stories.features import Featurizer  # noqa: E402
from tests.news import story_corpus  # noqa: E402

# The training sets as the trainer names them; holdout10 and 11 are left out to keep the dump
# as it was.
_LOADERS = {name: load for name, load in SETS.items() if name not in ("holdout10", "holdout11")}


def _real_titles() -> list[StoryItem]:
    """``tests/data/real_titles.jsonl``'s tuning half as title-only items (real feeds' titles)."""
    out: list[StoryItem] = []
    path = ROOT / "tests" / "data" / "real_titles.jsonl"
    for n, line in enumerate(path.read_text().splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        title = row.get("title") if isinstance(row, dict) else None
        # (Only the tuning half: the tagger's held-out half is not read.)
        if isinstance(title, str) and row.get("half") == "tune":
            when = datetime(2026, 1, 1, tzinfo=UTC)
            companies = tuple(map(str, row.get("companies", ())))
            out.append(StoryItem(n + 1, title, "", str(row.get("source", "")), when, companies))
    return out


def _ingest_corpus() -> list[StoryItem]:
    """``benchmarks/ingest.py``'s 200 x 50 items, their text made plain as ingest makes it
    (dated in a fixed week, not the last hour, so that the dump does not change by the day)."""
    corpus = Corpus(200, 50)
    base = datetime(2026, 1, 8, tzinfo=UTC)
    return [
        StoryItem(
            feed * 50 + n + 1,
            item.title,
            html_to_text(item.summary_html),
            f"Commerce Wire {feed}",
            base - timedelta(minutes=17 * n + feed),
        )
        for feed, items in enumerate(corpus.items)
        for n, item in enumerate(items)
    ]


def sets() -> Iterator[tuple[str, Sequence[StoryItem]]]:
    """Each set's name and items, in a fixed order."""
    for name, load in _LOADERS.items():
        for order in ("published", "feeds"):
            yield f"{name}/{order}", [li.item for li in load(order)]
    yield "eval", [li.item for li in story_corpus.load()]
    yield "large", [li.item for li in story_corpus.large_corpus(items=10000)]
    yield "real_titles", _real_titles()
    yield "ingest", _ingest_corpus()


def main() -> None:
    config = StoryConfig()
    with Path(sys.argv[1]).open("w", encoding="utf-8") as out:
        for name, items in sets():
            featurizer = Featurizer(config)
            for item in items:
                out.write(f"{name} t {item.item_id} {featurizer.extract(item).encode()}\n")
            clusterer = StoryClusterer(config)
            for start in range(0, len(items), 50):
                clusterer.assign(items[start : start + 50])
                for item_id, data in sorted(clusterer.take_prepared().items()):
                    out.write(f"{name} p {item_id} {data}\n")
            print(name, len(items), flush=True)


if __name__ == "__main__":
    main()
