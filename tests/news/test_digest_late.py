"""An item that arrives late (first seen after its period's digest was made, dated inside that
period) was in no digest: the next digest covers the next period's dates. It now goes into the
next digest, marked "reported late", when its story is new since the digest before was read;
a story that digest could already show is never shown again, and a late story only once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.news.model.vocabulary import Feed, LatestRequest, MessageStyle, PostFormat, TaggedDraft
from bot.news.stories import StorySummary
from bot.post_styles import digest_message
from storage import Database
from tests.fakes.clock import FakeClock
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


async def store_late(
    db: Database,
    feeds: Sequence[Feed],
    story_id: int,
    headline: str,
    *,
    published: datetime,
    seen: datetime,
    join: Sequence[int] = (),
) -> None:
    """A story's reports dated ``published`` but first seen at ``seen``, placed in story
    ``story_id`` with the items ``join`` it already had (none: a new story)."""
    ids: list[int] = list(join)
    for feed in feeds:
        key = f"late{story_id}-f{feed.id}-{seen.timestamp():.0f}"
        item = draft(
            key,
            f"{headline} ({feed.name})",
            f"{headline}, reported by {feed.name}.",
            published=published,
            publisher=feed.name,
            link=f"https://{feed.id}.news.example/{key}",
        )
        await db.items.apply(poll(feed, [TaggedDraft(item, (), ())], at=seen))
        page = await db.items.latest(LatestRequest(feed_id=feed.id, limit=1000, all_guilds=True))
        ids.extend(i.id for i in page.items if i.key == key)
    record = StorySummary(
        story_id=story_id,
        item_ids=tuple(sorted(ids)),
        sources=tuple(sorted(f.name for f in feeds)),
        first_seen=published,
        last_seen=published,
        companies=(),
        headline=headline,
        summary_line=f"{headline}, reported widely.",
    )
    await db.stories.save([(i, story_id) for i in ids], [record], seen)


def headlines(posted: RecordingDigests, n: int) -> list[tuple[str, bool]]:
    return [(r.story.headline, r.late) for r in posted.posts[n].post.summary.stories]


async def test_a_late_item_goes_into_the_next_digest_marked_late_and_only_once(
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
    story_one = await db.items.latest(LatestRequest(limit=100, all_guilds=True))
    one_ids = [i.id for i in story_one.items]

    # Friday noon: reports dated Thursday afternoon (Friday's digest's period) arrive. One is
    # a new story, the other a further report of the story Friday's digest already showed.
    thursday = at("2026-11-26 15:00")
    await store_late(
        db,
        feeds,
        2,
        "Temu opens a Polish warehouse",
        published=thursday,
        seen=at("2026-11-27 12:00"),
    )
    await store_late(
        db,
        feeds[:1],
        1,
        "TikTok Shop cuts seller fees",
        published=thursday,
        seen=at("2026-11-27 12:00"),
        join=one_ids,
    )
    await store_story(db, feeds[:2], 3, "Shein files for a listing", seen=at("2026-11-27 13:00"))

    move_to(clock, "2026-11-28 09:05")
    await scheduler(db, clock, publisher).run()
    # Ranked with the period's stories (recency counts: the late one is a day older).
    assert headlines(publisher, 1) == [
        ("Shein files for a listing", False),
        ("Temu opens a Polish warehouse", True),
    ]
    for style in MessageStyle:
        message = digest_message(replace(publisher.posts[1].post, post_format=PostFormat(style)))
        text = message.content + "".join(e.description or "" for e in message.embeds)
        assert text.count("· 3 sources · reported late") == 1
        assert "Shein files for a listing" in text and "· 2 sources\n" in text + "\n"

    # Sunday's digest: Saturday's late story and its normal one are not shown again.
    await store_story(db, feeds[:1], 4, "Amazon Haul expands", seen=at("2026-11-28 12:00"))
    move_to(clock, "2026-11-29 09:05")
    await scheduler(db, clock, publisher).run()
    assert headlines(publisher, 2) == [("Amazon Haul expands", False)]


async def test_a_late_story_of_an_empty_period_goes_into_the_next_digest(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    await subscribe(db)
    move_to(clock, "2026-11-27 09:05")
    assert (await scheduler(db, clock, publisher).run()).empty == 1
    await store_late(
        db,
        feeds,
        2,
        "Temu opens a Polish warehouse",
        published=at("2026-11-26 15:00"),
        seen=at("2026-11-27 12:00"),
    )
    move_to(clock, "2026-11-28 09:05")
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    assert headlines(publisher, 0) == [("Temu opens a Polish warehouse", True)]
