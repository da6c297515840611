"""Scheduled digests: period arithmetic (time zones, DST, weekly), time zone names, and the
scheduler over real SQLite with a fake clock and a publisher that behaves like Discord (a
repeated nonce returns the message it already created)."""

from __future__ import annotations

import sqlite3
import zoneinfo
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.news.model.errors import StorageError, UserError
from bot.news.model.vocabulary import (
    Feed,
    LatestRequest,
    MessageStyle,
    NewSubscription,
    PostFormat,
    PostOutcome,
    PostResult,
    Subscription,
    SubscriptionFilter,
    SubscriptionMode,
    TaggedDraft,
)
from bot.news.services.digests import (
    DigestPost,
    DigestScheduler,
    digest_nonce,
    latest_period,
    next_digest_at,
    resolve_timezone,
    utc_offset_text,
)
from bot.news.services.summaries import SummaryService
from bot.news.stories import StorySummary
from bot.news.tagging.company_tagger import Tagger
from storage import Database
from tests.fakes.clock import FakeClock
from tests.storage.conftest import add_feed, draft, poll

UTC_ZONE = zoneinfo.ZoneInfo("UTC")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
DAILY = SubscriptionMode.DAILY
WEEKLY = SubscriptionMode.WEEKLY
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
GUILD = 111


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Periods ----------------------------------------------------------------------------------------


def test_a_daily_period_ends_at_the_last_posting_hour_and_lasts_a_day() -> None:
    assert latest_period(DAILY, 9, UTC_ZONE, at("2026-11-27 10:30")) == (
        at("2026-11-26 09:00"),
        at("2026-11-27 09:00"),
    )
    # Before today's hour, the latest closed period is yesterday's.
    assert latest_period(DAILY, 9, UTC_ZONE, at("2026-11-27 08:59")) == (
        at("2026-11-25 09:00"),
        at("2026-11-26 09:00"),
    )
    # On the hour exactly, today's period has closed.
    assert latest_period(DAILY, 9, UTC_ZONE, at("2026-11-27 09:00"))[1] == at("2026-11-27 09:00")


def test_a_weekly_period_ends_on_monday_and_covers_the_week_before() -> None:
    # 2026-11-27 is a Friday; the Monday before is the 23rd.
    assert latest_period(WEEKLY, 9, UTC_ZONE, at("2026-11-27 10:00")) == (
        at("2026-11-16 09:00"),
        at("2026-11-23 09:00"),
    )
    # Monday before the hour: still the week that closed the Monday before.
    assert latest_period(WEEKLY, 9, UTC_ZONE, at("2026-11-30 08:00"))[1] == at("2026-11-23 09:00")
    assert latest_period(WEEKLY, 9, UTC_ZONE, at("2026-11-30 09:00"))[1] == at("2026-11-30 09:00")


def test_posting_hours_follow_the_servers_time_zone_across_dst() -> None:
    # Paris is UTC+1 in winter: 09:00 local is 08:00 UTC.
    assert latest_period(DAILY, 9, PARIS, at("2026-11-27 08:30"))[1] == at("2026-11-27 08:00")
    # DST ended in Paris on Sunday 25 October 2026: that day's period lasts 25 hours and the
    # digest still goes out at 09:00 on the wall clock.
    start, end = latest_period(DAILY, 9, PARIS, at("2026-10-25 12:00"))
    assert (start, end) == (at("2026-10-24 07:00"), at("2026-10-25 08:00"))
    assert end - start == timedelta(hours=25)
    # New York sprang forward on 8 March 2026: a 23-hour period.
    start, end = latest_period(DAILY, 9, NEW_YORK, at("2026-03-08 18:00"))
    assert end - start == timedelta(hours=23)
    assert end.astimezone(NEW_YORK).hour == 9


def test_a_posting_hour_skipped_by_dst_still_posts_that_day() -> None:
    # 02:00 did not exist in New York on 8 March 2026 (clocks went from 02:00 to 03:00).
    start, end = latest_period(DAILY, 2, NEW_YORK, at("2026-03-08 12:00"))
    assert end.astimezone(NEW_YORK).date().isoformat() == "2026-03-08"
    assert start < end <= at("2026-03-08 12:00")


def test_the_next_digest_is_the_first_posting_time_after_now() -> None:
    now = at("2026-11-27 10:30")  # a Friday
    assert next_digest_at(DAILY, 9, UTC_ZONE, now) == at("2026-11-28 09:00")
    assert next_digest_at(DAILY, 11, UTC_ZONE, now) == at("2026-11-27 11:00")
    assert next_digest_at(WEEKLY, 9, UTC_ZONE, now) == at("2026-11-30 09:00")
    assert next_digest_at(DAILY, 9, PARIS, now) == at("2026-11-28 08:00")


def test_a_realtime_subscription_has_no_period() -> None:
    with pytest.raises(ValueError):
        latest_period(SubscriptionMode.REALTIME, 9, UTC_ZONE, at("2026-11-27 10:30"))


def test_the_nonce_is_fixed_by_subscription_and_period() -> None:
    first = digest_nonce(7, at("2026-11-26 09:00"))
    assert first == digest_nonce(7, at("2026-11-26 09:00"))
    assert len(first) == 25
    assert first != digest_nonce(8, at("2026-11-26 09:00"))
    assert first != digest_nonce(7, at("2026-11-27 09:00"))


# Time zone names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("europe/PARIS", "Europe/Paris"),
        ("paris", "Europe/Paris"),
        ("New York", "America/New_York"),
        ("utc", "UTC"),
        ("  Asia/Singapore ", "Asia/Singapore"),
        # Offsets as people write them; Etc/GMT names carry the opposite sign (POSIX).
        ("UTC+5", "Etc/GMT-5"),
        ("GMT-3", "Etc/GMT+3"),
        ("+08:00", "Etc/GMT-8"),
        ("utc +0", "UTC"),
        ("Etc/GMT+5", "Etc/GMT+5"),  # typed in full: taken as written
    ],
)
def test_time_zone_names_are_forgiving(typed: str, name: str) -> None:
    assert resolve_timezone(typed) == name


def test_an_offset_zone_runs_on_the_offset_typed() -> None:
    tz = zoneinfo.ZoneInfo(resolve_timezone("UTC+5"))
    assert datetime(2026, 11, 27, 12, tzinfo=UTC).astimezone(tz).hour == 17
    assert utc_offset_text("Etc/GMT-5", at("2026-11-27 12:00")) == "UTC+05:00"
    assert utc_offset_text("Asia/Kolkata", at("2026-11-27 12:00")) == "UTC+05:30"
    assert utc_offset_text("America/New_York", at("2026-11-27 12:00")) == "UTC-05:00"
    assert utc_offset_text("UTC", at("2026-11-27 12:00")) == "UTC"


@pytest.mark.parametrize("typed", ["UTC+15", "GMT-13", "localtime", "Factory"])
def test_offsets_no_place_uses_and_zones_that_are_not_places_are_refused(typed: str) -> None:
    with pytest.raises(UserError):
        resolve_timezone(typed)


def test_an_unknown_time_zone_is_a_clear_error_with_the_closest_names() -> None:
    with pytest.raises(UserError) as caught:
        resolve_timezone("Europe/Pariss")
    assert "Unknown time zone" in str(caught.value) and "Europe/Paris" in str(caught.value)
    with pytest.raises(UserError, match="IANA name"):
        resolve_timezone("Mars/Olympus_Mons")


# The scheduler over real SQLite -----------------------------------------------------------------


@dataclass
class Posted:
    channel_id: int
    post: DigestPost
    nonce: str
    message_id: int


@dataclass
class RecordingDigests:
    """Digests posted into a list; scripted outcomes; nonce de-duplication like Discord."""

    posts: list[Posted] = field(default_factory=list)
    outcomes: list[PostOutcome] = field(default_factory=list)
    crash_after_send: bool = False
    _by_nonce: dict[str, Posted] = field(default_factory=dict)

    async def post_digest(self, channel_id: int, digest: DigestPost, nonce: str) -> PostResult:
        if self.outcomes:
            outcome = self.outcomes.pop(0)
            if outcome is not PostOutcome.SENT:
                return PostResult(outcome, error=f"scripted {outcome.value}")
        if nonce in self._by_nonce:
            return PostResult(PostOutcome.SENT, message_id=self._by_nonce[nonce].message_id)
        posted = Posted(channel_id, digest, nonce, 5000 + len(self.posts))
        self.posts.append(posted)
        self._by_nonce[nonce] = posted
        if self.crash_after_send:
            raise RuntimeError("process died between 'sent' and 'recorded'")
        return PostResult(PostOutcome.SENT, message_id=posted.message_id)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "digests.db")
    try:
        yield database
    finally:
        await database.close()


# Thursday 26 November 2026, 10:00 UTC: the subscriptions below are made now (after Thursday's
# 09:00 digest time), items arrive during the day, and Friday's 09:00 digest covers them.
START = at("2026-11-26 10:00")


def move_to(clock: FakeClock, text: str) -> None:
    clock.advance(at(text) - clock.now())


async def store_story(
    db: Database,
    feeds: Sequence[Feed],
    story_id: int,
    headline: str,
    *,
    seen: datetime,
    companies: tuple[str, ...] = (),
    summary: str = "",
) -> None:
    """One story reported by each of ``feeds`` (one item each), first seen at ``seen``."""
    ids: list[int] = []
    for feed in feeds:
        key = f"s{story_id}-f{feed.id}"
        item = draft(
            key,
            f"{headline} ({feed.name})",
            summary or f"{headline}, reported by {feed.name}.",
            published=seen,
            publisher=feed.name,
            link=f"https://{feed.id}.news.example/{key}",
        )
        await db.items.apply(poll(feed, [TaggedDraft(item, companies, ())], at=seen))
        page = await db.items.latest(LatestRequest(feed_id=feed.id, limit=1000, all_guilds=True))
        ids.extend(i.id for i in page.items if i.key == key)
    members = [i for i in await db.stories.unassigned(10_000) if i.item_id in ids]
    summary_record = StorySummary(
        story_id=story_id,
        item_ids=tuple(sorted(ids)),
        sources=tuple(sorted({m.source for m in members})),
        first_seen=seen,
        last_seen=seen,
        companies=companies,
        headline=headline,
        summary_line=summary or f"{headline}, reported widely.",
    )
    await db.stories.save([(i, story_id) for i in ids], [summary_record], seen)


async def subscribe(
    db: Database,
    *,
    mode: SubscriptionMode = DAILY,
    hour: int = 9,
    channel_id: int = 1001,
    created: datetime = START,
    subscription_filter: SubscriptionFilter | None = None,
) -> Subscription:
    return await db.subscriptions.add(
        NewSubscription(
            guild_id=GUILD,
            channel_id=channel_id,
            filter=subscription_filter or SubscriptionFilter(),
            mode=mode,
            post_hour=hour,
        ),
        created,
    )


def scheduler(db: Database, clock: FakeClock, publisher: RecordingDigests) -> DigestScheduler:
    """A fresh scheduler, as after a restart (it keeps nothing but what the database holds)."""
    summaries = SummaryService(stories=db.stories, companies=Tagger.default(), clock=clock)
    return DigestScheduler(
        subscriptions=db.subscriptions,
        digests=db.digests,
        guild_settings=db.guild_settings,
        summaries=summaries,
        publisher=publisher,
        clock=clock,
        stories=db.stories,
    )


def digest_rows(db: Database) -> list[tuple[int, str, str, int, int | None]]:
    with sqlite3.connect(Path(db.path)) as raw:
        return [
            (row[0], row[1], row[2], row[3], row[4])
            for row in raw.execute(
                "SELECT subscription_id, datetime(period_end / 1000000, 'unixepoch'), state,"
                " attempts, message_id FROM digests ORDER BY id"
            )
        ]


async def shared_feeds(db: Database, count: int = 3) -> list[Feed]:
    return [await add_feed(db, f"Source {n}", at=START) for n in range(count)]


async def test_one_digest_per_period_exactly_once_across_restarts(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    sub = await subscribe(db)
    await store_story(db, feeds, 1, "TikTok Shop cuts seller fees", seen=START + 2 * HOUR)
    await store_story(db, feeds[:1], 2, "Temu opens a warehouse", seen=START + 3 * HOUR)

    # Before Friday 09:00 nothing is due (Thursday's 09:00 closed before the subscription).
    move_to(clock, "2026-11-27 08:59")
    assert (await scheduler(db, clock, publisher).run()).planned == 0
    move_to(clock, "2026-11-27 09:05")
    first = scheduler(db, clock, publisher)
    report = await first.run()
    assert (report.planned, report.sent) == (1, 1)
    [posted] = publisher.posts
    assert posted.channel_id == sub.channel_id
    assert posted.post.title == "Daily digest · Fri 27 Nov"
    headlines = [r.story.headline for r in posted.post.summary.stories]
    assert headlines == ["TikTok Shop cuts seller fees", "Temu opens a warehouse"]
    assert posted.post.summary.since == at("2026-11-26 09:00")
    assert posted.post.summary.until == at("2026-11-27 09:00")

    # Again in the same process, and after a "restart": the period's row exists, nothing more.
    assert (await first.run()).sent == 0
    clock.advance(timedelta(minutes=30))
    assert (await scheduler(db, clock, publisher).run()).sent == 0
    assert len(publisher.posts) == 1
    assert digest_rows(db) == [(sub.id, "2026-11-27 09:00:00", "sent", 0, posted.message_id)]


async def test_a_period_with_nothing_matching_posts_nothing(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    quiet = await subscribe(db, subscription_filter=SubscriptionFilter(keywords=("zzzunmatched",)))
    await store_story(db, feeds, 1, "TikTok Shop cuts seller fees", seen=START + HOUR)
    move_to(clock, "2026-11-27 10:00")
    report = await scheduler(db, clock, publisher).run()
    assert (report.planned, report.sent, report.empty) == (1, 0, 1)
    assert publisher.posts == []
    assert digest_rows(db) == [(quiet.id, "2026-11-27 09:00:00", "empty", 0, None)]


async def test_digests_follow_the_subscription_filters(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    await subscribe(db, channel_id=1, subscription_filter=SubscriptionFilter(companies=("temu",)))
    await subscribe(db, channel_id=2, subscription_filter=SubscriptionFilter(keywords=("fees",)))
    await subscribe(db, channel_id=3, subscription_filter=SubscriptionFilter(exclude=("fees",)))
    await store_story(
        db, feeds, 1, "TikTok Shop cuts seller fees", seen=START + HOUR, companies=("tiktok",)
    )
    await store_story(
        db, feeds[:2], 2, "Temu opens a warehouse", seen=START + HOUR, companies=("temu",)
    )
    # A server's own feed is never summarised (stories are of the shared catalogue only).
    private = await add_feed(db, "Private", guild_id=GUILD, at=START)
    item = draft("p1", "Temu private scoop", published=START + HOUR, publisher="Private")
    await db.items.apply(poll(private, [TaggedDraft(item, ("temu",), ())], at=START + HOUR))
    move_to(clock, "2026-11-27 10:00")
    assert (await scheduler(db, clock, publisher).run()).sent == 3
    by_channel = {
        p.channel_id: [r.story.headline for r in p.post.summary.stories] for p in publisher.posts
    }
    assert by_channel == {
        1: ["Temu opens a warehouse"],
        2: ["TikTok Shop cuts seller fees"],
        3: ["Temu opens a warehouse"],
    }


async def test_a_crash_between_posting_and_recording_never_posts_twice(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests(crash_after_send=True)
    feeds = await shared_feeds(db)
    sub = await subscribe(db)
    await store_story(db, feeds, 1, "SHEIN files for a listing", seen=START + HOUR)
    move_to(clock, "2026-11-27 10:00")
    await scheduler(db, clock, publisher).run()  # the crash is caught and logged
    assert [row[2] for row in digest_rows(db)] == ["pending"]
    publisher.crash_after_send = False
    report = await scheduler(db, clock, publisher).run()  # after the restart
    assert report.sent == 1
    assert len(publisher.posts) == 1  # Discord answered the same nonce with the same message
    assert digest_rows(db) == [(sub.id, "2026-11-27 09:00:00", "sent", 0, 5000)]


async def test_a_failed_post_is_retried_with_backoff(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests(outcomes=[PostOutcome.RETRY, PostOutcome.RETRY])
    feeds = await shared_feeds(db)
    await subscribe(db)
    await store_story(db, feeds, 1, "Amazon Haul expands", seen=START + HOUR)
    move_to(clock, "2026-11-27 10:00")
    assert (await scheduler(db, clock, publisher).run()).retried == 1
    assert (await scheduler(db, clock, publisher).run()).retried == 0  # waiting for its time
    clock.advance(31 * timedelta(seconds=1))
    assert (await scheduler(db, clock, publisher).run()).retried == 1
    clock.advance(61 * timedelta(seconds=1))
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    assert [row[2:4] for row in digest_rows(db)] == [("sent", 2)]
    assert len(publisher.posts) == 1


async def test_a_digest_discord_refuses_is_dropped_not_retried(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests(outcomes=[PostOutcome.REFUSED])
    feeds = await shared_feeds(db)
    await subscribe(db)
    await store_story(db, feeds, 1, "Amazon Haul expands", seen=START + HOUR)
    move_to(clock, "2026-11-27 10:00")
    report = await scheduler(db, clock, publisher).run()
    assert (report.dropped, report.retried, report.sent) == (1, 0, 0)
    assert [row[2] for row in digest_rows(db)] == ["dropped"]
    clock.advance(HOUR)
    assert (await scheduler(db, clock, publisher).run()).sent == 0
    assert publisher.posts == []


async def test_a_digest_waits_for_the_stories_stage_to_place_its_periods_items(
    db: Database,
) -> None:
    # A bot started just after 09:00, or a stories stage behind a cold poll: made at once, the
    # digest would leave the story out (here: be marked empty for good).
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db, count=1)
    await subscribe(db)
    seen = START + 2 * HOUR
    item = draft("late-1", "Temu opens a warehouse", "In Poland.", published=seen, link=None)
    await db.items.apply(poll(feeds[0], [TaggedDraft(item, ("temu",), ())], at=seen))
    move_to(clock, "2026-11-27 09:01")
    report = await scheduler(db, clock, publisher).run()
    assert (report.planned, report.sent, report.empty) == (1, 0, 0)
    assert [row[2:4] for row in digest_rows(db)] == [("pending", 0)]  # no attempt spent

    [waiting] = await db.stories.unassigned(10)
    await db.stories.save(
        [(waiting.item_id, 1)],
        [
            StorySummary(
                story_id=1,
                item_ids=(waiting.item_id,),
                sources=(waiting.source,),
                first_seen=seen,
                last_seen=seen,
                companies=("temu",),
                headline="Temu opens a warehouse",
                summary_line="In Poland.",
            )
        ],
        seen,
    )
    clock.advance(timedelta(seconds=5))
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    [posted] = publisher.posts
    assert [r.story.headline for r in posted.post.summary.stories] == ["Temu opens a warehouse"]


async def test_a_digest_waits_for_a_late_item_of_its_period_behind_a_newer_one(
    db: Database,
) -> None:
    # Out of order: the oldest first seen item waiting is dated after the period, and behind
    # it waits one first seen after the cut-off but dated in the period (a feed's late item).
    # The digest's stories are those with an item published in the period: it must wait for
    # that one too. Before, it looked at the oldest waiting item only, went out at once, and
    # was marked empty for good: the late item was in no digest.
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db, count=1)
    await subscribe(db)
    end = at("2026-11-27 09:00")  # the period's cut-off
    newer = draft("newer-1", "Shein opens a store", "In Paris.", published=end, link=None)
    await db.items.apply(poll(feeds[0], [TaggedDraft(newer, ("shein",), ())], at=end))
    dated = START + 3 * HOUR  # in the period, first seen only after it
    late = draft("late-2", "Temu opens a warehouse", "In Poland.", published=dated, link=None)
    seen = end + timedelta(seconds=30)
    await db.items.apply(poll(feeds[0], [TaggedDraft(late, ("temu",), ())], at=seen))
    move_to(clock, "2026-11-27 09:01")
    report = await scheduler(db, clock, publisher).run()
    assert (report.planned, report.sent, report.empty) == (1, 0, 0)
    assert [row[2:4] for row in digest_rows(db)] == [("pending", 0)]

    waiting = {item.title: item for item in await db.stories.unassigned(10)}
    assert list(waiting) == ["Shein opens a store", "Temu opens a warehouse"]  # first seen
    for story_id, title in enumerate(waiting, start=1):
        item = waiting[title]
        await db.stories.save(
            [(item.item_id, story_id)],
            [
                StorySummary(
                    story_id=story_id,
                    item_ids=(item.item_id,),
                    sources=(item.source,),
                    first_seen=item.published,
                    last_seen=item.published,
                    companies=("temu",) if "Temu" in title else ("shein",),
                    headline=title,
                    summary_line="",
                )
            ],
            seen,
        )
    clock.advance(timedelta(seconds=5))
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    [posted] = publisher.posts
    assert [r.story.headline for r in posted.post.summary.stories] == ["Temu opens a warehouse"]


async def test_a_digest_waits_for_stories_ten_minutes_at_most(db: Database) -> None:
    # A stories stage that is down must not hold digests back: past the wait, what is placed
    # goes out.
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    await subscribe(db)
    await store_story(db, feeds, 1, "Amazon Haul expands", seen=START + HOUR)
    seen = START + 2 * HOUR
    item = draft("never-1", "Shopee exits Spain", "Again.", published=seen, link=None)
    await db.items.apply(poll(feeds[0], [TaggedDraft(item, (), ())], at=seen))
    # A bot started an hour after the period ended waits too, from when it found the digest.
    move_to(clock, "2026-11-27 10:00")
    running = scheduler(db, clock, publisher)
    assert (await running.run()).sent == 0
    move_to(clock, "2026-11-27 10:09")
    assert (await running.run()).sent == 0
    move_to(clock, "2026-11-27 10:10")
    assert (await running.run()).sent == 1
    [posted] = publisher.posts
    assert [r.story.headline for r in posted.post.summary.stories] == ["Amazon Haul expands"]


async def test_a_forbidden_channel_pauses_and_a_late_digest_is_dropped(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests(outcomes=[PostOutcome.FORBIDDEN])
    feeds = await shared_feeds(db)
    sub = await subscribe(db)
    await store_story(db, feeds, 1, "Shopee raises fees", seen=START + HOUR)
    move_to(clock, "2026-11-27 10:00")
    report = await scheduler(db, clock, publisher).run()
    assert report.paused == (sub.id,)
    paused = await db.subscriptions.get(sub.id)
    assert paused is not None and paused.paused_reason == "scripted forbidden"
    # Paused: nothing is attempted, the row waits.
    assert (await scheduler(db, clock, publisher).run()).sent == 0
    # Permission comes back only after Saturday 09:00: Friday's digest is dropped, and
    # Saturday's, with nothing new, carries Friday's story (test_digest_missed.py).
    clock.advance(DAY)
    await db.subscriptions.resume(sub.id)
    report = await scheduler(db, clock, publisher).run()
    assert (report.dropped, report.sent, report.empty) == (1, 1, 0)
    assert [row[1:3] for row in digest_rows(db)] == [
        ("2026-11-27 09:00:00", "dropped"),
        ("2026-11-28 09:00:00", "sent"),
    ]
    assert [p.post.title for p in publisher.posts] == ["Daily digest · Sat 28 Nov"]


async def test_a_resumed_subscription_gets_its_digest_within_the_period(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests(outcomes=[PostOutcome.NOT_FOUND])
    feeds = await shared_feeds(db)
    sub = await subscribe(db)
    await store_story(db, feeds, 1, "Walmart marketplace grows", seen=START + HOUR)
    move_to(clock, "2026-11-27 10:00")
    await scheduler(db, clock, publisher).run()
    clock.advance(2 * HOUR)
    await db.subscriptions.resume(sub.id)
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    assert len(publisher.posts) == 1


async def test_digest_hours_use_the_servers_time_zone(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    await db.guild_settings.set_timezone(GUILD, "Asia/Singapore", START)  # UTC+8
    sub = await subscribe(db)
    await store_story(db, feeds, 1, "Lazada adds a fee", seen=START + HOUR)
    # 09:00 in Singapore is 01:00 UTC: Friday 00:59 UTC is too early, 01:00 is on time.
    clock.advance(at("2026-11-27 00:59") - START)
    assert (await scheduler(db, clock, publisher).run()).planned == 0
    clock.advance(timedelta(minutes=1))
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    [posted] = publisher.posts
    assert posted.post.timezone == "Asia/Singapore"
    assert posted.post.summary.until == at("2026-11-27 01:00")
    assert digest_rows(db) == [(sub.id, "2026-11-27 01:00:00", "sent", 0, 5000)]


async def test_weekly_digests_and_realtime_subscriptions(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    weekly = await subscribe(db, mode=WEEKLY, channel_id=7)
    await subscribe(db, mode=SubscriptionMode.REALTIME, channel_id=8)
    await store_story(db, feeds, 1, "TikTok Shop opens in Japan", seen=START + HOUR)
    clock.advance(at("2026-11-30 08:59") - START)  # Monday, just before the hour
    assert (await scheduler(db, clock, publisher).run()).planned == 0
    clock.advance(timedelta(minutes=1))
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    [posted] = publisher.posts
    assert posted.channel_id == 7 and posted.post.title == "Weekly digest · Mon 30 Nov"
    assert posted.post.summary.since == at("2026-11-23 09:00")
    assert digest_rows(db) == [(weekly.id, "2026-11-30 09:00:00", "sent", 0, 5000)]


async def test_a_removed_subscription_takes_its_digests_with_it(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests(outcomes=[PostOutcome.RETRY])
    feeds = await shared_feeds(db)
    sub = await subscribe(db)
    await store_story(db, feeds, 1, "Etsy changes fees", seen=START + HOUR)
    move_to(clock, "2026-11-27 10:00")
    await scheduler(db, clock, publisher).run()
    await db.subscriptions.remove(sub.id)
    clock.advance(HOUR)
    assert (await scheduler(db, clock, publisher).run()).sent == 0
    assert digest_rows(db) == []
    assert not await db.digests.plan(sub.id, START, START + DAY, clock.now())


async def test_changing_the_time_zone_never_repeats_a_period(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    sub = await subscribe(db)  # daily at 09:00, the server in UTC
    await store_story(db, feeds, 1, "TikTok Shop cuts seller fees", seen=START + 2 * HOUR)
    move_to(clock, "2026-11-27 09:00")
    running = scheduler(db, clock, publisher)
    assert (await running.run()).sent == 1
    # Westwards: New York's latest 09:00 (Thursday 14:00 UTC) ended before the digest just
    # sent; nothing is posted until New York's next 09:00.
    move_to(clock, "2026-11-27 10:00")
    await db.guild_settings.set_timezone(GUILD, "America/New_York", clock.now())
    assert (await running.run()).planned == 0
    assert (await scheduler(db, clock, publisher).run()).planned == 0  # after a restart too
    await store_story(db, feeds, 2, "Temu opens a warehouse", seen=clock.now())
    move_to(clock, "2026-11-27 14:00")
    assert (await running.run()).sent == 1
    # The new period starts where the last digest ended: no story is in two digests.
    assert publisher.posts[1].post.summary.since == at("2026-11-27 09:00")
    assert [r.story.headline for r in publisher.posts[1].post.summary.stories] == [
        "Temu opens a warehouse"
    ]
    # Eastwards: Tokyo's latest 09:00 (Saturday 00:00 UTC) overlaps nothing already sent.
    move_to(clock, "2026-11-28 01:00")
    await db.guild_settings.set_timezone(GUILD, "Asia/Tokyo", clock.now())
    await store_story(db, feeds, 3, "SHEIN files for a listing", seen=at("2026-11-27 20:00"))
    assert (await running.run()).sent == 1
    assert publisher.posts[2].post.summary.since == at("2026-11-27 14:00")
    assert [row[1:3] for row in digest_rows(db)] == [
        ("2026-11-27 09:00:00", "sent"),
        ("2026-11-27 14:00:00", "sent"),
        ("2026-11-28 00:00:00", "sent"),
    ]
    assert sub.id == digest_rows(db)[0][0]


async def test_a_storage_error_while_planning_does_not_lose_the_period(db: Database) -> None:
    # The scheduler remembers the periods it planned so a tick reads nothing until the next
    # one closes; a period whose planning failed (a locked database) must be tried again on
    # the next tick, not remembered as planned and skipped until the process restarts.
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    await subscribe(db)
    await store_story(db, feeds, 1, "TikTok Shop cuts seller fees", seen=START + HOUR)
    move_to(clock, "2026-11-27 09:05")
    digests = scheduler(db, clock, publisher)
    plan = db.digests.plan
    failures = [StorageError("database is locked")]

    async def flaky_plan(*args: object, **kwargs: object) -> bool:
        if failures:
            raise failures.pop()
        return await plan(*args, **kwargs)  # type: ignore[arg-type]

    db.digests.plan = flaky_plan  # type: ignore[method-assign]
    assert (await digests.run()).planned == 0  # logged, and the work loop goes on
    clock.advance(timedelta(seconds=5))
    report = await digests.run()
    assert (report.planned, report.sent) == (1, 1)
    assert len(publisher.posts) == 1


async def test_a_keyword_digest_finds_a_small_story_in_a_busy_period(db: Database) -> None:
    """Keywords are matched after ranking: the ranking is read past its first page."""
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db, 2)
    await subscribe(db, subscription_filter=SubscriptionFilter(keywords=("minimis",)))
    for n in range(110):  # a busy day: 110 stories, each from two sources
        await store_story(db, feeds, n + 1, f"Marketplace update number {n}", seen=START + HOUR)
    await store_story(db, feeds[:1], 500, "US ends de minimis exemption", seen=START + HOUR)
    move_to(clock, "2026-11-27 10:00")
    report = await scheduler(db, clock, publisher).run()
    assert (report.sent, report.empty) == (1, 0)
    [posted] = publisher.posts
    assert [r.story.headline for r in posted.post.summary.stories] == [
        "US ends de minimis exemption"
    ]


async def test_a_late_digest_is_dropped_when_the_next_is_due_across_dst(db: Database) -> None:
    # New York sprang forward on Sunday 8 March 2026: Saturday's 09:00 (EST) is 14:00 UTC and
    # Sunday's 09:00 (EDT) 13:00 UTC, only 23 hours later. Saturday's digest, still failing
    # then, must not go out back to back with Sunday's.
    clock = FakeClock(at("2026-03-06 12:00"))
    publisher = RecordingDigests(outcomes=[PostOutcome.RETRY] * 30)
    feeds = await shared_feeds(db)
    await db.guild_settings.set_timezone(GUILD, "America/New_York", clock.now())
    sub = await subscribe(db, created=clock.now())
    await store_story(db, feeds, 1, "Temu opens a warehouse", seen=at("2026-03-06 20:00"))
    move_to(clock, "2026-03-07 14:00")
    running = scheduler(db, clock, publisher)
    assert (await running.run()).retried == 1
    await store_story(db, feeds, 2, "SHEIN files for a listing", seen=at("2026-03-07 20:00"))
    move_to(clock, "2026-03-08 13:00")
    publisher.outcomes.clear()
    report = await running.run()
    assert (report.dropped, report.sent) == (1, 1)
    assert [p.post.title for p in publisher.posts] == ["Daily digest · Sun 8 Mar"]
    assert [row[1:3] for row in digest_rows(db)] == [
        ("2026-03-07 14:00:00", "dropped"),
        ("2026-03-08 13:00:00", "sent"),
    ]
    assert sub.id == digest_rows(db)[0][0]


async def test_a_late_digest_may_still_go_out_during_a_25_hour_day(db: Database) -> None:
    # New York fell back on Sunday 1 November 2026: Saturday's 09:00 (EDT) is 13:00 UTC and
    # Sunday's 09:00 (EST) 14:00 UTC, 25 hours later. 24 hours after Saturday's, the next
    # digest is not due yet: Saturday's still goes out.
    clock = FakeClock(at("2026-10-30 12:00"))
    publisher = RecordingDigests(outcomes=[PostOutcome.RETRY] * 30)
    feeds = await shared_feeds(db)
    await db.guild_settings.set_timezone(GUILD, "America/New_York", clock.now())
    await subscribe(db, created=clock.now())
    await store_story(db, feeds, 1, "Temu opens a warehouse", seen=at("2026-10-30 20:00"))
    move_to(clock, "2026-10-31 13:00")
    running = scheduler(db, clock, publisher)
    assert (await running.run()).retried == 1
    move_to(clock, "2026-11-01 13:30")
    publisher.outcomes.clear()
    report = await running.run()
    assert (report.dropped, report.sent) == (0, 1)
    assert [p.post.title for p in publisher.posts] == ["Daily digest · Sat 31 Oct"]


async def test_a_refused_digest_waits_even_when_resumed_at_once(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests(outcomes=[PostOutcome.FORBIDDEN, PostOutcome.FORBIDDEN])
    feeds = await shared_feeds(db)
    sub = await subscribe(db)
    await store_story(db, feeds, 1, "Temu cuts fees", seen=START + HOUR)
    move_to(clock, "2026-11-27 10:00")
    running = scheduler(db, clock, publisher)
    assert (await running.run()).paused == (sub.id,)
    await db.subscriptions.resume(sub.id)  # as delivery does when the cache looks fine
    clock.advance(timedelta(seconds=5))
    assert (await running.run()).paused == ()  # not tried again on the next tick
    clock.advance(timedelta(seconds=30))
    assert (await running.run()).paused == (sub.id,)  # tried after its backoff, refused
    await db.subscriptions.resume(sub.id)
    clock.advance(timedelta(seconds=61))
    assert (await running.run()).sent == 1
    assert [row[2:4] for row in digest_rows(db)] == [("sent", 2)]


async def test_a_digest_pings_its_subscriptions_role(db: Database) -> None:
    clock = FakeClock(START)
    publisher = RecordingDigests()
    feeds = await shared_feeds(db)
    sub = await subscribe(db)
    loud = PostFormat(MessageStyle.COMPACT, ping_role_id=4242)
    await db.subscriptions.set_post_format(sub.id, loud)
    await store_story(db, feeds, 1, "TikTok Shop cuts seller fees", seen=START + 2 * HOUR)
    move_to(clock, "2026-11-27 09:05")
    assert (await scheduler(db, clock, publisher).run()).sent == 1
    [posted] = publisher.posts
    assert posted.post.post_format == loud
