"""A digest that was never posted (Discord refused it, its channel refused the bot until the
next one was due, the subscription was paused, the bot was down at its time) lost its period's
stories: the next digest covered only its own period. The next digest posted now also takes
every story of the periods since the last digest actually read (a week back at most), marked
"from a digest not posted"; a story already posted is not posted again."""

from __future__ import annotations

from dataclasses import replace

from bot.news.model.vocabulary import LatestRequest, MessageStyle, PostFormat, PostOutcome
from bot.news.rules.explain import Outcome, explain
from bot.news.services.digests import MISSED_LOOKBACK
from bot.news.services.why import FoundBy, WhyReport
from bot.post_styles import digest_message
from commands.why import outcome_text
from storage import Database
from tests.fakes.clock import FakeClock
from tests.news.test_digests import (
    DAILY,
    DAY,
    HOUR,
    START,
    RecordingDigests,
    at,
    db,
    digest_rows,
    move_to,
    scheduler,
    shared_feeds,
    store_story,
    subscribe,
)

__all__ = ["db"]  # the fixture, imported for pytest


def shown(publisher: RecordingDigests, n: int) -> list[tuple[str, bool, bool]]:
    """The digest's stories (headline, late, missed), in headline order: the ranking weighs
    recency, which is not what these tests are about."""
    return sorted(
        (r.story.headline, r.late, r.missed) for r in publisher.posts[n].post.summary.stories
    )


async def test_a_refused_digests_stories_go_into_the_next_digest_once(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    await subscribe(db)
    await store_story(db, feeds, 1, "TikTok Shop cuts seller fees", seen=START + HOUR)
    move_to(clock, "2026-11-27 09:05")
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    # Friday's period: Saturday's digest is refused (AutoMod), so never posted.
    await store_story(db, feeds, 2, "Temu opens a Polish warehouse", seen=at("2026-11-27 12:00"))
    publisher.outcomes.append(PostOutcome.REFUSED)
    move_to(clock, "2026-11-28 09:05")
    assert (await scheduler(db, clock, publisher).run()).dropped == 1
    await store_story(db, feeds[:2], 3, "Shein files for a listing", seen=at("2026-11-28 12:00"))
    move_to(clock, "2026-11-29 09:05")
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    assert shown(publisher, 1) == [
        ("Shein files for a listing", False, False),
        ("Temu opens a Polish warehouse", False, True),
    ]
    for style in MessageStyle:
        message = digest_message(replace(publisher.posts[1].post, post_format=PostFormat(style)))
        text = message.content + "".join(e.description or "" for e in message.embeds)
        assert text.count("· 3 sources · from a digest not posted") == 1
    # Monday's digest: nothing of the days before is posted again.
    await store_story(db, feeds[:1], 4, "Amazon Haul expands", seen=at("2026-11-29 12:00"))
    move_to(clock, "2026-11-30 09:05")
    await scheduler(db, clock, publisher).run()
    assert shown(publisher, 2) == [("Amazon Haul expands", False, False)]


async def test_a_digest_dropped_while_paused_is_in_the_next_one(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests(outcomes=[PostOutcome.FORBIDDEN])
    feeds = await shared_feeds(db)
    sub = await subscribe(db)
    await store_story(db, feeds, 1, "Shopee raises fees", seen=START + HOUR)
    move_to(clock, "2026-11-27 10:00")
    assert (await scheduler(db, clock, publisher).run()).paused == (sub.id,)
    # The permission comes back after Saturday's digest time: Friday's is dropped, and
    # Saturday's (nothing of its own) carries Friday's story.
    move_to(clock, "2026-11-28 10:00")
    await db.subscriptions.resume(sub.id)
    report = await scheduler(db, clock, publisher).run()
    assert (report.dropped, report.sent, report.empty) == (1, 1, 0)
    assert shown(publisher, 0) == [("Shopee raises fees", False, True)]
    assert [row[2] for row in digest_rows(db)] == ["dropped", "sent"]
    # /subscriptions why, for an item of Friday's period, says where its story went.
    item = (await db.items.latest(LatestRequest(limit=10, all_guilds=True))).items[0]
    entry = await db.digests.before(sub.id, at("2026-11-27 09:00"))
    stored = await db.subscriptions.get(sub.id)
    assert entry is not None and stored is not None
    told = explain(
        item, stored, feed_guild_id=None, post=None, digest=entry, max_age=DAY, now=clock.now()
    )
    assert told.outcome is Outcome.DIGEST_DROPPED
    text = outcome_text(told, WhyReport(item, FoundBy.LINK, "Feed", (told,), DAY), 1, str, str)
    assert text.endswith(
        "was dropped: the next one was due before it could post; its stories go in the next"
        " digest posted (up to 7 days back), marked “from a digest not posted”"
    )


async def test_a_digest_time_the_bot_was_down_for_is_in_the_next_digest(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    await subscribe(db)
    await store_story(db, feeds, 1, "Walmart marketplace grows", seen=START + HOUR)
    move_to(clock, "2026-11-27 09:05")
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    await store_story(db, feeds, 2, "Zalando buys About You", seen=at("2026-11-27 12:00"))
    await store_story(db, feeds[:1], 3, "Allegro adds a fee", seen=at("2026-11-28 12:00"))
    # Down from Friday noon to Sunday 10:00: Saturday's digest was never even planned.
    move_to(clock, "2026-11-29 10:00")
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    assert shown(publisher, 1) == [
        ("Allegro adds a fee", False, False),
        ("Zalando buys About You", False, True),
    ]


async def test_the_first_digest_dropped_is_in_the_next_one(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests(outcomes=[PostOutcome.REFUSED])
    feeds = await shared_feeds(db)
    await subscribe(db)
    await store_story(db, feeds, 1, "Etsy changes its fees", seen=START + HOUR)
    move_to(clock, "2026-11-27 09:05")
    assert (await scheduler(db, clock, publisher).run()).dropped == 1
    move_to(clock, "2026-11-28 09:05")
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    assert shown(publisher, 0) == [("Etsy changes its fees", False, True)]


async def test_missed_stories_are_taken_a_week_back_at_most(db: Database) -> None:
    assert MISSED_LOOKBACK[DAILY].days == 7
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    await subscribe(db)
    await store_story(db, feeds, 1, "Otto closes a warehouse", seen=START + HOUR)
    move_to(clock, "2026-11-27 09:05")
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    await store_story(db, feeds, 2, "Bol adds a fee", seen=at("2026-11-27 12:00"))
    await store_story(db, feeds, 3, "Cdiscount cuts jobs", seen=at("2026-11-30 12:00"))
    # Down ten days: Friday's story is older than a week before the period, Monday's is not.
    move_to(clock, "2026-12-07 09:05")
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    assert shown(publisher, 1) == [("Cdiscount cuts jobs", False, True)]
