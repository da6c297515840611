"""Late reports at the edge of a digest's reading, driven by the clock and the order of events
(no sleeps). An item's ``first_seen`` is its poll's start; the poll stores it, and the stories
stage places it, later. So a story first seen just before a digest was read could be in
neither that digest (not stored or placed yet) nor the next (not new since the reading), and a
story first seen at the very instant of the reading could be in both."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.news.model.vocabulary import Feed, LatestRequest, TaggedDraft
from bot.news.stories import StorySummary
from storage import Database
from tests.fakes.clock import FakeClock
from tests.news.test_digest_late import headlines, store_late
from tests.news.test_digests import (
    HOUR,
    START,
    RecordingDigests,
    at,
    db,
    move_to,
    scheduler,
    shared_feeds,
    store_story,
    subscribe,
)
from tests.storage.conftest import draft, poll

__all__ = ["db"]  # the fixture, imported for pytest

THURSDAY = at("2026-11-26 15:00")


async def test_a_story_first_seen_at_the_instant_of_the_reading_is_in_one_digest(
    db: Database,
) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    await subscribe(db)
    move_to(clock, "2026-11-27 09:05")
    # Polled (and placed) at the digest's own instant, dated in its period.
    await store_late(
        db, feeds, 1, "Temu opens a Polish warehouse", published=THURSDAY, seen=clock.now()
    )
    await scheduler(db, clock, publisher).run()
    assert headlines(publisher, 0) == [("Temu opens a Polish warehouse", False)]
    await store_story(db, feeds[:1], 2, "Shein files for a listing", seen=at("2026-11-27 12:00"))
    move_to(clock, "2026-11-28 09:05")
    await scheduler(db, clock, publisher).run()
    assert headlines(publisher, 1) == [("Shein files for a listing", False)]


async def test_a_poll_begun_before_the_reading_and_stored_after_is_in_the_next_digest(
    db: Database,
) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    await subscribe(db)
    await store_story(db, feeds, 1, "TikTok Shop cuts seller fees", seen=START + HOUR)
    move_to(clock, "2026-11-27 09:05")
    await scheduler(db, clock, publisher).run()
    assert headlines(publisher, 0) == [("TikTok Shop cuts seller fees", False)]
    # A poll that started 30 seconds before the digest was read stores (and the stories stage
    # places) its items only after it.
    started = at("2026-11-27 09:04:30")
    await store_late(
        db, feeds, 2, "Temu opens a Polish warehouse", published=THURSDAY, seen=started
    )
    move_to(clock, "2026-11-28 09:05")
    await scheduler(db, clock, publisher).run()
    assert headlines(publisher, 1) == [("Temu opens a Polish warehouse", True)]


async def store_unplaced(db: Database, feeds: Sequence[Feed], seen: datetime) -> list[int]:
    """One report per feed dated Thursday afternoon, first seen at ``seen``, in no story."""
    ids: list[int] = []
    for feed in feeds:
        key = f"waiting-f{feed.id}"
        item = draft(
            key,
            f"Allegro adds a fee ({feed.name})",
            "Allegro adds a fee.",
            published=THURSDAY,
            publisher=feed.name,
            link=f"https://{feed.id}.news.example/{key}",
        )
        await db.items.apply(poll(feed, [TaggedDraft(item, (), ())], at=seen))
        page = await db.items.latest(LatestRequest(feed_id=feed.id, limit=1000, all_guilds=True))
        ids.extend(i.id for i in page.items if i.key == key)
    return ids


async def test_a_story_the_story_wait_gave_up_on_is_in_the_next_digest(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    await subscribe(db)
    await store_story(db, feeds, 1, "TikTok Shop cuts seller fees", seen=START + HOUR)
    ids = await store_unplaced(db, feeds, at("2026-11-27 08:00"))
    move_to(clock, "2026-11-27 09:05")
    running = scheduler(db, clock, publisher)
    assert (await running.run()).sent == 0  # waits for the stories stage
    move_to(clock, "2026-11-27 09:16")  # which is down: the wait runs out
    assert (await running.run()).sent == 1
    assert headlines(publisher, 0) == [("TikTok Shop cuts seller fees", False)]
    record = StorySummary(
        story_id=2,
        item_ids=tuple(sorted(ids)),
        sources=tuple(sorted(f.name for f in feeds)),
        first_seen=THURSDAY,
        last_seen=THURSDAY,
        companies=(),
        headline="Allegro adds a fee",
        summary_line="Allegro adds a fee, reported widely.",
    )
    await db.stories.save([(i, 2) for i in ids], [record], at("2026-11-27 09:30"))
    move_to(clock, "2026-11-28 09:05")
    await running.run()
    assert headlines(publisher, 1) == [("Allegro adds a fee", True)]


async def test_a_retry_that_reads_more_than_the_message_posted_loses_nothing(
    db: Database,
) -> None:
    # The first try is posted and the process dies before recording it; a report that came
    # in between is in the retry's summary but not in the message Discord kept (the nonce
    # answers with the first one), so it must stay new to the next digest.
    clock = FakeClock(START)
    publisher = RecordingDigests(crash_after_send=True)
    feeds = await shared_feeds(db)
    await subscribe(db)
    await store_story(db, feeds, 1, "TikTok Shop cuts seller fees", seen=START + HOUR)
    move_to(clock, "2026-11-27 09:05")
    await scheduler(db, clock, publisher).run()  # posted, then the crash
    await store_late(
        db,
        feeds,
        2,
        "Temu opens a Polish warehouse",
        published=THURSDAY,
        seen=at("2026-11-27 09:00"),
    )
    publisher.crash_after_send = False
    move_to(clock, "2026-11-27 09:30")
    assert (await scheduler(db, clock, publisher).run()).sent == 1  # after the restart
    assert headlines(publisher, 0) == [("TikTok Shop cuts seller fees", False)]
    move_to(clock, "2026-11-28 09:05")
    await scheduler(db, clock, publisher).run()
    assert headlines(publisher, 1) == [("Temu opens a Polish warehouse", True)]
