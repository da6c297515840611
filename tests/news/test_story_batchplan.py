"""A cold first poll (every feed's items stored feed by feed, placed in one batch) is placed as
a running bot would have placed the same items as they came out: in publication order, 50 at
a time, each step weighted by the stories held before it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.news.stories import StoryClusterer, StoryItem
from bot.news.stories.batchplan import STEP, steps
from tests.news import story_holdout


def _stories(batches: Sequence[Sequence[StoryItem]]) -> list[list[int]]:
    """The item ids of each story after every batch is assigned (merges followed)."""
    clusterer = StoryClusterer()
    story_of: dict[int, int] = {}
    for batch in batches:
        story_of.update(clusterer.assign(batch))
        for merge in clusterer.take_merges():
            story_of = {k: merge.into_id if v == merge.story_id else v for k, v in story_of.items()}
    groups: dict[int, list[int]] = {}
    for item_id, story_id in sorted(story_of.items()):
        groups.setdefault(story_id, []).append(item_id)
    return sorted(groups.values())


def _first_days(items: list[StoryItem], days: int) -> list[StoryItem]:
    # Within a few days, nothing is forgotten whether the items come in one batch or many.
    start = min(item.published for item in items)
    return [item for item in items if item.published < start + timedelta(days=days)]


def test_a_cold_batch_in_feed_order_is_placed_as_items_came_out() -> None:
    # Item ids in feed order: each outlet's reports stored together, as a first poll does.
    items = _first_days([li.item for li in story_holdout.load("tune", "feeds")], 5)
    assert len(items) > 2 * STEP
    by_time = sorted(items, key=lambda item: (item.published, item.item_id))
    assert by_time != items  # the case that matters: stored order is not publication order
    as_they_came = [by_time[start : start + STEP] for start in range(0, len(by_time), STEP)]
    assert _stories([items]) == _stories(as_they_came)


def test_steps_follow_publication_time_then_item_id_and_cap_at_now() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def item(item_id: int, hours: float) -> StoryItem:
        return StoryItem(item_id, f"title {item_id}", "", "src", now + timedelta(hours=hours))

    # Two items dated in the future count as published now: the lower id goes first.
    batch = [item(1, 5), item(2, -1), item(3, -2), item(4, 3)]
    assert [[i.item_id for i in step] for step in steps(batch, now)] == [[3, 2, 1, 4]]
    many = [item(i, -i) for i in range(1, 2 * STEP + 2)]
    sizes = [len(step) for step in steps(many, None)]
    assert sizes == [STEP, STEP, 1]
