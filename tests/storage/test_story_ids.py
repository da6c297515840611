"""Story ids come from the database, on both backends: blocks never given out twice."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta

import pytest

from bot.news.model.vocabulary import TaggedDraft
from bot.news.ports import Storage
from bot.news.services.story_assigner import StoryAssigner
from tests.storage.conftest import T0, add_feed, draft, poll


async def test_reserved_blocks_follow_each_other_and_never_overlap(storage: Storage) -> None:
    first = await storage.stories.reserve_story_ids(5)
    second = await storage.stories.reserve_story_ids(3)
    assert first == 1
    assert second == 6
    # Processes asking at once queue on the counter: every block is its own.
    starts = await asyncio.gather(*(storage.stories.reserve_story_ids(4) for _ in range(20)))
    blocks = sorted(starts)
    assert blocks[0] == 9
    assert all(b - a == 4 for a, b in itertools.pairwise(blocks))


async def test_a_reservation_starts_above_every_story_id_in_use(storage: Storage) -> None:
    feed = await add_feed(storage)
    drafts = [TaggedDraft(draft(f"k{n}", f"Unrelated story number {n}"), ()) for n in range(3)]
    await storage.items.apply(poll(feed, drafts, at=T0))

    class Clock:
        def now(self) -> datetime:
            return T0 + timedelta(hours=1)

    assert await StoryAssigner(stories=storage.stories, clock=Clock()).run() == 3
    used = await storage.stories.max_story_id()
    assert used >= 1
    assert await storage.stories.reserve_story_ids(1) > used


async def test_a_reservation_of_nothing_is_refused(storage: Storage) -> None:
    with pytest.raises(ValueError, match="at least one"):
        await storage.stories.reserve_story_ids(0)
