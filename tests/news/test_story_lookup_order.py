"""Placing items reads which stories hold a term, never the order they took it in: a restart
rebuilds the term lists in another order (story by story), and must place later items as
the running clusterer would."""

from __future__ import annotations

from collections.abc import Sequence

from bot.news.stories import StoryClusterer, StoryItem
from bot.news.stories import clusterer as clusterer_module
from tests.news import story_corpus

BATCH = 50
CUT = 1000


def _placed(clusterer: StoryClusterer, items: Sequence[StoryItem]) -> list[object]:
    out: list[object] = []
    for start in range(0, len(items), BATCH):
        out.append(clusterer.assign(items[start : start + BATCH]))
        out.append(clusterer.take_merges())
    return out


def _with_term_lists_reversed(clusterer: StoryClusterer) -> StoryClusterer:
    clusterer._postings = {
        key: dict.fromkeys(reversed(ids)) for key, ids in clusterer._postings.items()
    }
    return clusterer


def test_placements_do_not_depend_on_the_order_stories_took_a_term() -> None:
    items = [labelled.item for labelled in story_corpus.large_corpus(items=1500)]
    first, second = StoryClusterer(), StoryClusterer()
    _placed(first, items[:CUT])
    _placed(second, items[:CUT])
    # The case that matters: some term is held by more stories than a lookup scores.
    longest = max(len(ids) for ids in first._postings.values())
    assert longest > clusterer_module._NEWEST
    assert _placed(first, items[CUT:]) == _placed(_with_term_lists_reversed(second), items[CUT:])
