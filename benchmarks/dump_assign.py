"""Dump the canonical story partitions a change to placing must leave identical.

    uv run python benchmarks/dump_assign.py OUT.json     # then compare two dumps' JSON

Every training set (both halves of the hand-written set, part_c, part_d, holdout2..holdout8)
in both orders ("published" in batches of 50, "feeds" in one batch of 500), the 300-item eval
set and the generated 10k set, assigned by ``stories_eval.assign``: each as the sorted lists of
item ids per story. The 10k set is also placed from text features stored at ingest
(``large/stored``), and ``large/forms`` is a digest of every stored form, merge and placement
(mechanics that keep the partitions but change what is stored show there). The later sets
(holdout9 and holdout10, training data since they were scored) are left out to keep the dump's
size and time as they were; the held-out set (``stories_holdout11``) is never read.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stories_eval import assign  # noqa: E402
from bot.news.stories import StoryClusterer, StoryConfig, StoryItem  # noqa: E402
from bot.news.stories.features import Featurizer  # noqa: E402
from tests.news import story_corpus, story_holdout  # noqa: E402
from tests.news.story_corpus import LabelledItem  # noqa: E402

Loader = Callable[[str], list[LabelledItem]]

SETS: dict[str, Loader] = {
    "tune": lambda o: story_holdout.load("tune", o),  # type: ignore[arg-type]
    "test": lambda o: story_holdout.load("test", o),  # type: ignore[arg-type]
    "part_c": lambda o: story_holdout.load_extra_tuning(o, ("part_c",)),  # type: ignore[arg-type]
    "part_d": lambda o: story_holdout.load_extra_tuning(o, ("part_d",)),  # type: ignore[arg-type]
    "h2": story_holdout.load_holdout2,  # type: ignore[dict-item]
    "h3": story_holdout.load_holdout3,  # type: ignore[dict-item]
    "h4": story_holdout.load_holdout4,  # type: ignore[dict-item]
    "h5": story_holdout.load_holdout5,  # type: ignore[dict-item]
    "h6": story_holdout.load_holdout6,  # type: ignore[dict-item]
    "h7": story_holdout.load_holdout7,  # type: ignore[dict-item]
    "h8": story_holdout.load_holdout8,  # type: ignore[dict-item]
}


def canon(items: Sequence[LabelledItem], assigned: dict[int, int]) -> list[list[int]]:
    """Each story's item ids, sorted, in sorted order: the partition without story ids."""
    groups: dict[int, list[int]] = {}
    for labelled in items:
        groups.setdefault(assigned[labelled.item.item_id], []).append(labelled.item.item_id)
    return sorted(sorted(group) for group in groups.values())


def forms(items: Sequence[StoryItem], config: StoryConfig) -> str:
    """A digest of every batch's placements, stored forms and merges, and the held members."""
    digest = hashlib.sha256()
    clusterer = StoryClusterer(config)
    for start in range(0, len(items), 50):
        digest.update(repr(clusterer.assign(items[start : start + 50])).encode())
        digest.update(repr(sorted(clusterer.take_prepared().items())).encode())
        digest.update(repr(clusterer.take_merges()).encode())
    digest.update(repr(clusterer.members()).encode())
    return digest.hexdigest()


def main() -> None:
    config = StoryConfig()
    out: dict[str, object] = {}
    for name, load in SETS.items():
        for order, batch in (("published", 50), ("feeds", 500)):
            items = load(order)
            out[f"{name}/{order}"] = canon(items, assign(items, config, batch)[0])
    small = story_corpus.load()
    out["eval"] = canon(small, assign(small, config, 50)[0])
    large = story_corpus.large_corpus(items=10000)
    out["large"] = canon(large, assign(large, config, 50)[0])
    featurizer = Featurizer(config)
    stored = [
        replace(li, item=replace(li.item, text=featurizer.extract(li.item).encode()))
        for li in large
    ]
    out["large/stored"] = canon(stored, assign(stored, config, 50)[0])
    out["large/forms"] = forms([li.item for li in large], config)
    out["large/stored/forms"] = forms([li.item for li in stored], config)
    Path(sys.argv[1]).write_text(json.dumps(out))
    print("dumped", len(out))


if __name__ == "__main__":
    main()
