"""A story's headline is chosen once per assignment run, however many batches it grew in."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from bot.news.model.vocabulary import TaggedDraft
from bot.news.stories import StoryItem, StorySummary
from bot.news.stories import headline as headlines
from storage import Database
from tests.storage.conftest import T0, add_feed, draft, poll

REPORTS = [
    (
        "Wire One",
        "Temu fined 200 million euros by EU regulators over unsafe toys",
        "European regulators fined Temu 200 million euros on Tuesday over unsafe toys.",
    ),
    (
        "Wire Two",
        "EU regulators fine Temu €200 million over unsafe toys",
        "Temu must pay a €200 million fine after EU regulators found unsafe toys on sale.",
    ),
    (
        "Wire Three",
        "Temu hit with 200m euro EU fine over unsafe toys",
        "The EU fined Temu 200m euros over unsafe toys sold to European shoppers.",
    ),
]


class _Clock:
    def now(self) -> datetime:
        return T0 + timedelta(hours=2)


async def test_a_story_that_grows_over_batches_is_summarised_once_at_the_end(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.news.services import story_assigner as storyline

    monkeypatch.setattr(storyline, "BATCH", 1)
    calls: Counter[int] = Counter()
    real = headlines.summarize_story

    def counting(story_id: int, items: Sequence[StoryItem]) -> StorySummary:
        calls[story_id] += 1
        return real(story_id, items)

    monkeypatch.setattr(headlines, "summarize_story", counting)
    for n, (source, title, summary) in enumerate(REPORTS):
        feed = await add_feed(db, source)
        at = T0 + timedelta(minutes=10 * n)
        item = draft(f"k{n}", title, summary, published=at, publisher=source)
        await db.items.apply(poll(feed, [TaggedDraft(item, ("temu",))], at=at))

    assert await storyline.StoryAssigner(stories=db.stories, clock=_Clock()).run() == 3

    [story_id] = set(calls)
    items = (await db.stories.story_items([story_id]))[story_id]
    assert len(items) == 3, "the three reports are one story"
    # Started with the first report (its row is needed at once), then chosen again once,
    # from all three, when the run ended: not once per batch that touched it.
    assert calls[story_id] == 2
    [record] = await db.stories.top_stories(T0 - timedelta(days=1), T0 + timedelta(days=1))
    expected = real(story_id, items)
    assert (record.headline, record.summary_line) == (expected.headline, expected.summary_line)
