"""The delivery sender over real SQLite, with a recording publisher that behaves like Discord
(a repeated nonce returns the message it already created) and a controllable clock."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from bot.news.model.vocabulary import (
    DEFAULT_POST_FORMAT,
    FeedPollResult,
    FeedStatus,
    Item,
    ItemDraft,
    MessageStyle,
    NewFeed,
    NewSubscription,
    PlannedPost,
    PostFormat,
    PostOutcome,
    PostResult,
    Subscription,
    SubscriptionFilter,
    TaggedDraft,
)
from bot.news.services.delivery import DeliveryOptions, DeliverySender, post_nonce, roundup_nonce
from storage.db import Database
from tests.fakes.clock import FakeClock


@dataclass
class Posted:
    channel_id: int
    text: str
    nonce: str
    message_id: int


@dataclass
class RecordingPublisher:
    """Posts into lists; scripted outcomes per channel; nonce de-duplication like Discord."""

    posts: list[Posted] = field(default_factory=list)
    outcomes: dict[int, list[PostOutcome]] = field(default_factory=dict)
    missing: dict[int, str] = field(default_factory=dict)
    crash_after_send: bool = False
    crash_on_roundup: bool = False
    roundups: list[list[str]] = field(default_factory=list)
    # The style and ping each post was asked for, in order (items and roundups).
    formats: list[PostFormat] = field(default_factory=list)
    _by_nonce: dict[str, Posted] = field(default_factory=dict)

    async def post_item(
        self,
        channel_id: int,
        item: Item,
        nonce: str,
        post_format: PostFormat = DEFAULT_POST_FORMAT,
    ) -> PostResult:
        self.formats.append(post_format)
        return self._post(channel_id, item.title, nonce)

    async def post_notice(self, channel_id: int, text: str, nonce: str) -> PostResult:
        return self._post(channel_id, text, nonce)

    async def post_roundup(
        self,
        channel_id: int,
        items: Sequence[Item],
        waiting: int,
        nonce: str,
        post_format: PostFormat = DEFAULT_POST_FORMAT,
    ) -> PostResult:
        self.formats.append(post_format)
        self.roundups.append([item.title for item in items])
        result = self._post(channel_id, f"roundup of {len(items)}, {waiting} waiting", nonce)
        if self.crash_on_roundup:
            raise RuntimeError("process died between 'sent' and 'recorded'")
        return result

    def missing_permissions(self, channel_id: int) -> str | None:
        return self.missing.get(channel_id)

    def _post(self, channel_id: int, text: str, nonce: str) -> PostResult:
        scripted = self.outcomes.get(channel_id)
        if scripted:
            outcome = scripted.pop(0)
            if outcome is not PostOutcome.SENT:
                return PostResult(outcome, error=f"scripted {outcome.value}")
        if nonce in self._by_nonce:
            return PostResult(PostOutcome.SENT, message_id=self._by_nonce[nonce].message_id)
        posted = Posted(channel_id, text, nonce, 1000 + len(self.posts))
        self.posts.append(posted)
        self._by_nonce[nonce] = posted
        if self.crash_after_send:
            raise RuntimeError("process died between 'sent' and 'recorded'")
        return PostResult(PostOutcome.SENT, message_id=posted.message_id)

    def titles(self, channel_id: int) -> list[str]:
        return [p.text for p in self.posts if p.channel_id == channel_id]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "d.db")
    try:
        yield database
    finally:
        await database.close()


def draft(key: str, title: str, published_ago: timedelta, clock: FakeClock) -> TaggedDraft:
    return TaggedDraft(
        ItemDraft(
            key=key,
            title=title,
            link=f"https://news.example/{key}",
            author=None,
            published=clock.now() - published_ago,
            summary=f"{title}.",
            image_url=None,
            categories=(),
            publisher=None,
            content_hash=hashlib.sha256(title.encode()).hexdigest(),
        ),
        ("temu",),
    )


async def queue(
    db: Database,
    clock: FakeClock,
    subscription: Subscription,
    titles: list[str],
    age: timedelta = timedelta(hours=1),
) -> None:
    feed = await db.feeds.by_url("https://feed.example/x", None) or await db.feeds.add(
        NewFeed("https://feed.example/x", "X"), clock.now()
    )
    drafts = tuple(draft(f"k-{t}", t, age, clock) for t in titles)
    await db.items.apply(
        FeedPollResult(
            feed_id=feed.id,
            polled_at=clock.now(),
            status=FeedStatus.OK,
            next_due=clock.now() + timedelta(minutes=15),
            new_items=drafts,
            planned_posts=tuple(PlannedPost(subscription.id, d.draft.key) for d in drafts),
        )
    )


async def subscribe(db: Database, clock: FakeClock, channel_id: int) -> Subscription:
    return await db.subscriptions.add(
        NewSubscription(guild_id=1, channel_id=channel_id, filter=SubscriptionFilter()),
        clock.now(),
    )


def sender(db: Database, publisher: RecordingPublisher, clock: FakeClock) -> DeliverySender:
    return DeliverySender(
        outbox=db.outbox,
        subscriptions=db.subscriptions,
        publisher=publisher,
        clock=clock,
        options=DeliveryOptions(max_posts_per_channel=5, max_age=timedelta(days=3)),
    )


async def test_each_post_once_oldest_first(db: Database) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    sub = await subscribe(db, clock, channel_id=10)
    await queue(db, clock, sub, ["one", "two", "three"])
    report = await sender(db, publisher, clock).drain()
    assert report.sent == 3
    assert sorted(publisher.titles(10)) == ["one", "three", "two"]
    again = await sender(db, publisher, clock).drain()
    assert again.sent == 0 and len(publisher.posts) == 3


async def test_overflow_is_rolled_into_one_roundup_not_dropped(db: Database) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    sub = await subscribe(db, clock, channel_id=10)
    titles = [f"item {n:02}" for n in range(12)]
    await queue(db, clock, sub, titles)
    report = await sender(db, publisher, clock).drain()
    assert (report.sent, report.overflowed) == (5, 7)
    posts = publisher.titles(10)
    assert len(posts) == 6  # five posts and one roundup message
    assert posts[-1] == "roundup of 7, 0 waiting"
    # Every item reached the channel: five on their own, the other seven listed in the roundup.
    assert sorted(posts[:5] + publisher.roundups[0]) == titles
    assert await db.outbox.pending_count(sub.id) == 0


async def test_a_big_flood_becomes_several_roundups_and_never_single_posts_later(
    db: Database,
) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    sub = await subscribe(db, clock, channel_id=10)
    titles = [f"item {n:02}" for n in range(70)]
    await queue(db, clock, sub, titles)
    first = await sender(db, publisher, clock).drain()
    # Five posts, then the other 65 composed into roundups of 20, 20, 20 and 5: two now.
    assert (first.sent, first.overflowed) == (5, 40)
    assert publisher.titles(10)[-2:] == ["roundup of 20, 45 waiting", "roundup of 20, 25 waiting"]
    assert await db.outbox.pending_count(sub.id) == 25
    second = await sender(db, publisher, clock).drain()
    # The rest go out as the roundups they were put in, not as five more single posts.
    assert (second.sent, second.overflowed) == (0, 25)
    singles = [t for t in publisher.titles(10) if not t.startswith("roundup")]
    assert len(singles) == 5
    listed = [t for roundup in publisher.roundups for t in roundup]
    assert [len(r) for r in publisher.roundups] == [20, 20, 20, 5]
    assert sorted(singles + listed) == titles  # nothing lost, nothing twice
    assert await db.outbox.pending_count(sub.id) == 0


async def test_a_crash_after_a_roundup_was_posted_never_shows_its_items_twice(
    db: Database,
) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher(crash_on_roundup=True)
    sub = await subscribe(db, clock, channel_id=10)
    titles = [f"item {n:02}" for n in range(12)]
    await queue(db, clock, sub, titles)
    await sender(db, publisher, clock).drain()  # the crash is caught and logged
    assert await db.outbox.pending_count(sub.id) == 7
    publisher.crash_on_roundup = False
    # After the restart the same roundup is sent again with the same nonce: Discord answers
    # with the message it already has, and the seven items are recorded, not posted singly.
    report = await sender(db, publisher, clock).drain()
    assert (report.sent, report.overflowed) == (0, 7)
    assert len(publisher.posts) == 6  # five posts and one roundup, once
    listed = [t for roundup in publisher.roundups for t in roundup]
    assert sorted(publisher.titles(10)[:5] + listed[:7]) == titles
    assert await db.outbox.pending_count(sub.id) == 0


async def test_a_failed_roundup_is_retried_with_the_same_items(db: Database) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    sub = await subscribe(db, clock, channel_id=10)
    await queue(db, clock, sub, [f"item {n:02}" for n in range(12)])
    # The five posts go through, then Discord fails the roundup.
    publisher.outcomes[10] = [PostOutcome.SENT] * 5 + [PostOutcome.RETRY]
    first = await sender(db, publisher, clock).drain()
    assert (first.sent, first.overflowed, first.retried) == (5, 0, 1)
    await queue(db, clock, sub, ["late news"])  # arrives while the roundup waits
    clock.advance(timedelta(minutes=5))
    second = await sender(db, publisher, clock).drain()
    assert (second.sent, second.overflowed) == (1, 7)
    assert [len(r) for r in publisher.roundups] == [7, 7]  # the same seven, then once more
    assert publisher.roundups[0] == publisher.roundups[1]
    assert len({p.nonce for p in publisher.posts}) == len(publisher.posts)
    assert publisher.titles(10)[-1] == "late news"


async def test_forbidden_pauses_keeps_posts_and_resumes_when_permission_returns(
    db: Database,
) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher(outcomes={10: [PostOutcome.FORBIDDEN]})
    sub = await subscribe(db, clock, channel_id=10)
    other = await subscribe(db, clock, channel_id=20)
    await queue(db, clock, sub, ["a", "b"])
    await queue(db, clock, other, ["c"])
    publisher.missing[10] = "missing Send Messages"
    report = await sender(db, publisher, clock).drain()
    assert report.paused == (sub.id,)
    assert publisher.titles(20) == ["c"]  # one channel's failure never stops another
    stored = await db.subscriptions.get(sub.id)
    assert stored is not None and stored.paused_reason == "scripted forbidden"
    assert await db.outbox.pending_count(sub.id) == 2  # nothing lost while paused

    await sender(db, publisher, clock).drain()  # still missing: still paused, nothing sent
    assert publisher.titles(10) == []
    del publisher.missing[10]
    report = await sender(db, publisher, clock).drain()
    assert report.resumed == (sub.id,)
    assert sorted(publisher.titles(10)) == ["a", "b"]


async def test_a_refusal_the_permission_cache_does_not_explain_is_not_retried_every_tick(
    db: Database,
) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher(outcomes={10: [PostOutcome.FORBIDDEN, PostOutcome.FORBIDDEN]})
    sub = await subscribe(db, clock, channel_id=10)
    await queue(db, clock, sub, ["a"])
    running = sender(db, publisher, clock)
    assert (await running.drain()).paused == (sub.id,)
    # The cached permissions look fine, yet Discord said 403: no resume on the next ticks.
    for _ in range(3):
        clock.advance(timedelta(seconds=5))
        assert (await running.drain()).resumed == ()
    clock.advance(timedelta(minutes=10))
    report = await running.drain()
    assert (report.resumed, report.paused) == ((sub.id,), (sub.id,))  # tried again, refused
    clock.advance(timedelta(minutes=10))
    report = await running.drain()
    assert report.resumed == (sub.id,) and report.sent == 1
    assert publisher.titles(10) == ["a"]


async def test_server_errors_retry_with_backoff_in_order(db: Database) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher(outcomes={10: [PostOutcome.RETRY]})
    sub = await subscribe(db, clock, channel_id=10)
    await queue(db, clock, sub, ["first"])
    clock.advance(timedelta(minutes=1))
    await queue(db, clock, sub, ["second"], age=timedelta(minutes=1))
    report = await sender(db, publisher, clock).drain()
    assert report.retried == 1 and publisher.posts == []
    assert (await sender(db, publisher, clock).drain()).sent == 0  # the channel waits
    clock.advance(timedelta(minutes=2))
    await sender(db, publisher, clock).drain()
    assert publisher.titles(10) == ["first", "second"]


async def test_a_post_discord_refuses_is_dropped_and_the_channel_goes_on(db: Database) -> None:
    # A 400 (the server's AutoMod, a form error) would be refused on every try: retried, it
    # would hold the channel's later posts back until it grew too old (3 days).
    clock = FakeClock()
    publisher = RecordingPublisher(outcomes={10: [PostOutcome.REFUSED]})
    sub = await subscribe(db, clock, channel_id=10)
    await queue(db, clock, sub, ["blocked"])
    clock.advance(timedelta(minutes=1))
    await queue(db, clock, sub, ["second"], age=timedelta(minutes=1))
    report = await sender(db, publisher, clock).drain()
    assert (report.sent, report.dropped, report.retried) == (1, 1, 0)
    assert publisher.titles(10) == ["second"]
    assert (await sender(db, publisher, clock).drain()).sent == 0  # nothing to try again


async def test_a_roundup_discord_refuses_is_dropped_whole(db: Database) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher(outcomes={10: [PostOutcome.SENT] * 5 + [PostOutcome.REFUSED]})
    sub = await subscribe(db, clock, channel_id=10)
    await queue(db, clock, sub, [f"item {n}" for n in range(8)])
    report = await sender(db, publisher, clock).drain()
    assert (report.sent, report.dropped, report.retried) == (5, 3, 0)
    assert (await sender(db, publisher, clock).drain()).sent == 0
    assert len(publisher.posts) == 5


async def test_items_past_the_maximum_age_are_never_posted(db: Database) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    sub = await subscribe(db, clock, channel_id=10)
    await queue(db, clock, sub, ["old news"], age=timedelta(days=4))
    report = await sender(db, publisher, clock).drain()
    assert report.dropped == 1 and publisher.posts == []


async def test_crash_between_sent_and_recorded_does_not_double_post(db: Database) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher(crash_after_send=True)
    sub = await subscribe(db, clock, channel_id=10)
    await queue(db, clock, sub, ["only once"])
    await sender(db, publisher, clock).drain()  # the crash is logged, not raised
    assert await db.outbox.pending_count(sub.id) == 1  # not marked delivered
    publisher.crash_after_send = False
    await sender(db, publisher, clock).drain()  # the retry reuses the nonce
    assert publisher.titles(10) == ["only once"]
    assert await db.outbox.pending_count(sub.id) == 0
    entry_nonce = publisher.posts[0].nonce
    assert len(entry_nonce) <= 25
    assert entry_nonce == post_nonce(sub.id, 1)


async def test_a_composed_roundup_never_posts_items_past_the_maximum_age(db: Database) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    sub = await subscribe(db, clock, channel_id=10)
    await queue(db, clock, sub, [f"item {n:02}" for n in range(12)])
    # The five posts go through, then the channel is lost while the roundup is posted.
    publisher.outcomes[10] = [PostOutcome.SENT] * 5 + [PostOutcome.FORBIDDEN]
    publisher.missing[10] = "missing Send Messages"
    await sender(db, publisher, clock).drain()
    assert await db.outbox.pending_count(sub.id) == 7  # composed, waiting for the channel
    # A few days later the permission comes back: the roundup's news is too old to post.
    clock.advance(timedelta(days=4))
    await queue(db, clock, sub, ["fresh news"])
    del publisher.missing[10]
    report = await sender(db, publisher, clock).drain()
    assert (report.sent, report.overflowed, report.dropped) == (1, 0, 7)
    assert publisher.titles(10)[5:] == ["fresh news"]
    assert await db.outbox.pending_count(sub.id) == 0


async def test_a_composed_roundup_posts_only_its_items_still_fresh(db: Database) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    sub = await subscribe(db, clock, channel_id=10)
    await queue(db, clock, sub, [f"old {n}" for n in range(8)], age=timedelta(days=2))
    await queue(db, clock, sub, [f"new {n}" for n in range(4)])
    publisher.outcomes[10] = [PostOutcome.SENT] * 5 + [PostOutcome.RETRY]
    await sender(db, publisher, clock).drain()  # the roundup of 7 waits for a retry
    clock.advance(timedelta(days=1, minutes=1))  # the three "old" ones in it are too old now
    report = await sender(db, publisher, clock).drain()
    assert (report.overflowed, report.dropped) == (4, 3)
    assert publisher.roundups[-1] == ["new 0", "new 1", "new 2", "new 3"]
    assert publisher.titles(10)[-1] == "roundup of 4, 0 waiting"
    # The same roundup, so the same nonce: had Discord taken the first try, it would answer it.
    assert publisher.posts[-1].nonce == roundup_nonce(sub.id, range(6, 13))
    assert await db.outbox.pending_count(sub.id) == 0


async def test_a_roundup_footer_never_counts_items_about_to_be_dropped(db: Database) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    sub = await subscribe(db, clock, channel_id=10)
    await queue(db, clock, sub, [f"item {n:02}" for n in range(12)])
    publisher.outcomes[10] = [PostOutcome.SENT] * 5 + [PostOutcome.RETRY]
    await sender(db, publisher, clock).drain()  # the roundup of 7 waits for a retry
    # Meanwhile a feed brings two items published long ago: they will never be posted.
    await queue(db, clock, sub, ["old a", "old b"], age=timedelta(days=4))
    clock.advance(timedelta(minutes=5))
    report = await sender(db, publisher, clock).drain()
    assert (report.overflowed, report.dropped) == (7, 2)
    assert publisher.titles(10)[-1] == "roundup of 7, 0 waiting"


async def test_a_quiet_channels_post_goes_out_in_the_drain_it_arrives_while_a_flood_drains(
    db: Database,
) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    flooded = await subscribe(db, clock, channel_id=10)
    quiet = await subscribe(db, clock, channel_id=20)  # subscribed later: a higher id
    flood = [f"flood {n:04}" for n in range(3000)]
    await queue(db, clock, flooded, flood)
    running = sender(db, publisher, clock)
    drains = 0
    while await db.outbox.pending_count(flooded.id):
        news = f"quiet {drains}"
        await queue(db, clock, quiet, [news])
        await running.drain()
        drains += 1
        # Counted in drains, not seconds: the quiet post goes out in the very drain it met.
        assert publisher.titles(20)[-1] == news
        assert drains <= 100, "the flood does not drain"
    assert publisher.titles(20) == [f"quiet {n}" for n in range(drains)]
    # Exactly once and in order: the flood's single posts keep their order, and every item
    # is either posted on its own or listed in one roundup, never both, never twice.
    singles = [t for t in publisher.titles(10) if not t.startswith("roundup")]
    assert singles == sorted(singles)
    listed = [t for roundup in publisher.roundups for t in roundup]
    assert sorted(singles + listed) == flood
    assert len({p.nonce for p in publisher.posts}) == len(publisher.posts)


@dataclass
class GatedPublisher(RecordingPublisher):
    """Like Discord with a channel whose posts wait (out a rate limit) until ``gate`` opens;
    records how many requests each channel had in flight at once."""

    gated: int = 0
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    posted: dict[int, asyncio.Event] = field(default_factory=dict)
    in_flight: dict[int, int] = field(default_factory=dict)
    most_at_once: dict[int, int] = field(default_factory=dict)

    async def post_item(
        self,
        channel_id: int,
        item: Item,
        nonce: str,
        post_format: PostFormat = DEFAULT_POST_FORMAT,
    ) -> PostResult:
        return await self._request(channel_id, self._post(channel_id, item.title, nonce))

    async def post_roundup(
        self,
        channel_id: int,
        items: Sequence[Item],
        waiting: int,
        nonce: str,
        post_format: PostFormat = DEFAULT_POST_FORMAT,
    ) -> PostResult:
        return await self._request(
            channel_id, await super().post_roundup(channel_id, items, waiting, nonce)
        )

    async def _request(self, channel_id: int, result: PostResult) -> PostResult:
        now = self.in_flight.get(channel_id, 0) + 1
        self.in_flight[channel_id] = now
        self.most_at_once[channel_id] = max(now, self.most_at_once.get(channel_id, 0))
        try:
            if channel_id == self.gated:
                await self.gate.wait()
            else:
                await asyncio.sleep(0)
        finally:
            self.in_flight[channel_id] -= 1
        self.posted.setdefault(channel_id, asyncio.Event()).set()
        return result


async def test_a_channel_waiting_out_its_rate_limit_never_holds_back_another_channel(
    db: Database,
) -> None:
    clock = FakeClock()
    publisher = GatedPublisher(gated=10)
    flooded = await subscribe(db, clock, channel_id=10)
    same_channel = await subscribe(db, clock, channel_id=10)
    quiet = await subscribe(db, clock, channel_id=20)
    await queue(db, clock, flooded, [f"flood {n:02}" for n in range(60)])
    await queue(db, clock, same_channel, ["also in ten"])
    await queue(db, clock, quiet, ["quiet news"])
    quiet_posted = publisher.posted.setdefault(20, asyncio.Event())
    drain = asyncio.create_task(sender(db, publisher, clock).drain())
    try:
        # Channel 10's first post waits (for its rate limit) while channel 20's goes out.
        await asyncio.wait_for(quiet_posted.wait(), timeout=60)
        assert publisher.titles(20) == ["quiet news"]
        publisher.gate.set()
        report = await asyncio.wait_for(drain, timeout=60)
    finally:
        publisher.gate.set()
        drain.cancel()
    assert (report.sent, report.overflowed) == (5 + 1 + 1, 40)
    # Never two requests at once in one channel, whichever subscription they were for.
    assert publisher.most_at_once == {10: 1, 20: 1}
    assert publisher.titles(10)[-1] == "also in ten"


async def test_each_post_and_roundup_has_its_subscriptions_style_and_ping(db: Database) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    loud = PostFormat(MessageStyle.COMPACT, ping_role_id=555)
    pinging = await db.subscriptions.add(
        NewSubscription(guild_id=1, channel_id=10, filter=SubscriptionFilter(), post_format=loud),
        clock.now(),
    )
    plain = await subscribe(db, clock, channel_id=20)
    await queue(db, clock, pinging, [f"flood {n}" for n in range(7)])  # 5 posts, 1 roundup
    await queue(db, clock, plain, ["quiet"])
    report = await sender(db, publisher, clock).drain()
    assert (report.sent, report.overflowed) == (6, 2)
    assert len(publisher.roundups) == 1
    assert publisher.formats.count(loud) == 6  # five items and the roundup
    assert publisher.formats.count(DEFAULT_POST_FORMAT) == 1

    # A changed style or ping applies from the next post on.
    await db.subscriptions.set_post_format(pinging.id, PostFormat(MessageStyle.HEADLINE))
    await queue(db, clock, pinging, ["later"])
    await sender(db, publisher, clock).drain()
    assert publisher.formats[-1] == PostFormat(MessageStyle.HEADLINE)
