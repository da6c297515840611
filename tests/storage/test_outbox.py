"""The OutboxRepository port and apply()'s planned posts, on both backends: the exactly-once
delivery log."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from bot.news.model.vocabulary import (
    DEFAULT_POST_FORMAT,
    Company,
    Feed,
    Item,
    OutboxState,
    PlannedPost,
    PostFormat,
    PostOutcome,
    PostResult,
    Subscription,
)
from bot.news.ports import Storage
from bot.news.services.delivery import DeliveryOptions, DeliverySender
from storage import Database, open_storage
from storage._sql import Connections
from tests.fakes.clock import FakeClock
from tests.storage.conftest import T0, add_feed, add_subscription, draft, poll, tagged
from tests.storage.raw import INTEGRITY_ERRORS, raw_rows, stored_time


def _plan(subscriptions: Sequence[Subscription], keys: Sequence[str]) -> tuple[PlannedPost, ...]:
    return tuple(PlannedPost(s.id, k) for s in subscriptions for k in keys)


async def _states(storage: Storage) -> list[str]:
    return [state for (state,) in await raw_rows(storage, "SELECT state FROM outbox ORDER BY id")]


async def _queue(
    storage: Storage, feed: Feed, subscriptions: Sequence[Subscription], keys: Sequence[str]
) -> None:
    await storage.items.apply(
        poll(feed, [draft(k) for k in keys], planned_posts=_plan(subscriptions, keys))
    )


async def test_apply_queues_pending_posts_with_their_items(storage: Storage) -> None:
    await storage.items.register_companies([Company("tiktok-shop", "TikTok Shop")])
    feed = await add_feed(storage, "Retail Dive")
    sub = await add_subscription(storage, 111, 5001)
    at = T0 + timedelta(minutes=3)
    item = tagged(
        draft("a", "TikTok Shop opens in Spain", "Live.", publisher="Reuters"),
        "tiktok-shop",
        "amazon",
    )
    await storage.items.apply(
        poll(feed, [item, draft("b")], at=at, planned_posts=_plan([sub], ["a"]))
    )

    [entry] = await storage.outbox.due(at, 10)
    assert (entry.subscription_id, entry.guild_id, entry.channel_id) == (sub.id, 111, 5001)
    assert entry.state is OutboxState.PENDING
    assert (entry.attempts, entry.created_at, entry.next_attempt_at) == (0, at, None)
    assert (entry.message_id, entry.last_error) == (None, None)
    assert isinstance(entry.item, Item)
    assert entry.item.key == "a"
    assert entry.item.title == "TikTok Shop opens in Spain"
    assert entry.item.source == "Reuters"
    assert entry.item.feed_id == feed.id
    assert entry.item.companies == (
        Company("tiktok-shop", "TikTok Shop"),
        Company("amazon", "amazon"),
    )
    assert await storage.outbox.pending_count(sub.id) == 1


async def test_reapplying_a_poll_queues_nothing_twice(storage: Storage) -> None:
    feed = await add_feed(storage)
    sub = await add_subscription(storage)
    result = poll(feed, [draft("a"), draft("b")], planned_posts=_plan([sub], ["a", "b", "a"]))
    await storage.items.apply(result)
    entries = await storage.outbox.due(T0, 10)
    assert [e.item.key for e in entries] == ["a", "b"]
    await storage.outbox.mark_sent(entries[0].id, 99, T0)

    await storage.items.apply(result)  # e.g. a retried poll, or a crash before the feed state moved
    await storage.items.apply(
        poll(feed, changed=[draft("a", "Edited")], planned_posts=_plan([sub], ["a"]))
    )
    assert await raw_rows(storage, "SELECT count(*) FROM outbox") == [(2,)]
    assert [e.item.key for e in await storage.outbox.due(T0, 10)] == ["b"]  # "a" stays sent


async def test_planned_posts_for_removed_subscriptions_or_unknown_keys_are_skipped(
    storage: Storage,
) -> None:
    feed = await add_feed(storage)
    other_feed = await add_feed(storage, "Other")
    await storage.items.apply(poll(other_feed, [draft("elsewhere")]))
    sub = await add_subscription(storage)
    gone = await add_subscription(storage, channel_id=2)
    await storage.subscriptions.remove(gone.id)
    plans = (
        *_plan([sub, gone], ["a"]),
        PlannedPost(sub.id, "nope"),
        PlannedPost(sub.id, "elsewhere"),
    )
    await storage.items.apply(poll(feed, [draft("a")], planned_posts=plans))
    assert [(e.subscription_id, e.item.key) for e in await storage.outbox.due(T0, 10)] == [
        (sub.id, "a")
    ]
    assert await storage.items.count() == 2


async def test_a_failing_apply_queues_nothing(db: Database) -> None:
    feed = await add_feed(db)
    sub = await add_subscription(db)
    # Fail on the second outbox row, after the items and the first row were written.
    with sqlite3.connect(db.path) as raw:
        raw.execute(
            "CREATE TRIGGER outbox_fail AFTER INSERT ON outbox"
            " WHEN (SELECT key FROM items WHERE id = new.item_id) = 'b'"
            " BEGIN SELECT RAISE(ABORT, 'forced failure'); END"
        )
    with pytest.raises(sqlite3.IntegrityError, match="forced failure"):
        await db.items.apply(
            poll(feed, [draft("a"), draft("b")], etag='"x"', planned_posts=_plan([sub], ["a", "b"]))
        )
    assert await raw_rows(db, "SELECT count(*) FROM outbox") == [(0,)]
    assert await db.items.count() == 0
    stored = await db.feeds.get(feed.id)
    assert stored is not None and stored.etag is None

    # The same failure in the items part leaves no orphan posts either.
    with sqlite3.connect(db.path) as raw:
        raw.execute("DROP TRIGGER outbox_fail")
    broken = draft("c")
    object.__setattr__(broken, "title", None)  # NOT NULL
    with pytest.raises(sqlite3.IntegrityError):
        await db.items.apply(
            poll(feed, [draft("a"), broken], planned_posts=_plan([sub], ["a", "c"]))
        )
    assert await raw_rows(db, "SELECT count(*) FROM outbox") == [(0,)]

    await _queue(db, feed, [sub], ["a", "b"])  # usable again, all at once
    assert await db.outbox.pending_count(sub.id) == 2


async def test_the_subscription_item_pair_is_unique(storage: Storage) -> None:
    feed = await add_feed(storage)
    sub = await add_subscription(storage)
    await _queue(storage, feed, [sub], ["a"])
    [(sub_id, item_id)] = await raw_rows(storage, "SELECT subscription_id, item_id FROM outbox")
    with pytest.raises(INTEGRITY_ERRORS, match=r"(?i)unique"):
        await raw_rows(
            storage,
            "INSERT INTO outbox (subscription_id, item_id, state, created_at)"
            " VALUES (?, ?, 'pending', ?)",
            sub_id,
            item_id,
            stored_time(storage, T0),
        )


async def test_due_skips_paused_waiting_and_finished_posts(storage: Storage) -> None:
    feed = await add_feed(storage)
    live = await add_subscription(storage, channel_id=1)
    paused = await add_subscription(storage, channel_id=2)
    await _queue(storage, feed, [live, paused], ["a", "b", "c", "d", "e"])
    await storage.subscriptions.pause(paused.id, "403", T0)
    by_key = {e.item.key: e for e in await storage.outbox.due(T0, 100)}
    assert {e.subscription_id for e in by_key.values()} == {live.id}

    later = T0 + timedelta(minutes=5)
    await storage.outbox.mark_retry(by_key["a"].id, "503 Service Unavailable", later)
    await storage.outbox.mark_sent(by_key["b"].id, 1, T0)
    await storage.outbox.mark_overflow([by_key["c"].id])
    await storage.outbox.mark_dropped([by_key["d"].id], "older than the maximum age")
    # A channel with a post waiting for its retry waits as a whole: "e" must not overtake "a".
    assert [e.item.key for e in await storage.outbox.due(T0, 100)] == []
    assert [
        e.item.key for e in await storage.outbox.due(later - timedelta(microseconds=1), 100)
    ] == []
    assert [e.item.key for e in await storage.outbox.due(later, 100)] == ["a", "e"]

    await storage.subscriptions.resume(paused.id)  # its posts waited in the outbox
    assert len(await storage.outbox.due(later, 100)) == 2 + 5
    assert await storage.outbox.pending_count(live.id) == 2
    assert await storage.outbox.pending_count(paused.id) == 5


async def test_due_orders_by_subscription_then_published_then_id(storage: Storage) -> None:
    feed = await add_feed(storage)
    first = await add_subscription(storage, channel_id=1)
    second = await add_subscription(storage, channel_id=2)
    await storage.items.apply(
        poll(
            feed,
            [draft("noon", published=T0), draft("ten", published=T0 - timedelta(hours=2))],
            planned_posts=_plan([second, first], ["noon", "ten"]),
        )
    )
    # A later poll brings an item published earlier than everything above.
    await storage.items.apply(
        poll(
            feed,
            [draft("eight", published=T0 - timedelta(hours=4)), draft("same", published=T0)],
            at=T0 + timedelta(minutes=30),
            planned_posts=_plan([second, first], ["same", "eight"]),
        )
    )
    entries = await storage.outbox.due(T0 + timedelta(hours=1), 100)
    assert [(e.subscription_id, e.item.key) for e in entries] == [
        (first.id, "eight"),
        (first.id, "ten"),
        (first.id, "noon"),
        (first.id, "same"),  # the same date as "noon": queued later, so after it
        (second.id, "eight"),
        (second.id, "ten"),
        (second.id, "noon"),
        (second.id, "same"),
    ]
    # A limit is shared round-robin: each subscription's oldest before anyone's second.
    limited = await storage.outbox.due(T0 + timedelta(hours=1), 3)
    assert limited == [entries[0], entries[1], entries[4]]
    assert await storage.outbox.due(T0, 0) == []


async def test_a_flood_in_one_subscription_never_crowds_another_out_of_due(
    storage: Storage,
) -> None:
    feed = await add_feed(storage)
    flooded = await add_subscription(storage, channel_id=1)
    quiet = await add_subscription(storage, channel_id=2)  # subscribed later: a higher id
    await _queue(storage, feed, [flooded], [f"flood-{n}" for n in range(600)])
    await _queue(storage, feed, [quiet], ["quiet"])
    entries = await storage.outbox.due(T0, 500)
    assert len(entries) == 500
    assert [e.item.key for e in entries if e.subscription_id == quiet.id] == ["quiet"]
    # The flood's share is its oldest 499 posts, in order.
    flood = [e for e in entries if e.subscription_id == flooded.id]
    assert [e.item.key for e in flood] == [f"flood-{n}" for n in range(499)]


async def test_sent_is_final(storage: Storage) -> None:
    feed = await add_feed(storage)
    sub = await add_subscription(storage)
    await _queue(storage, feed, [sub], ["a"])
    [entry] = await storage.outbox.due(T0, 10)
    sent_at = T0 + timedelta(seconds=1)
    await storage.outbox.mark_sent(entry.id, 1234, sent_at)

    await storage.outbox.mark_retry(entry.id, "late 5xx", T0 + timedelta(hours=1))
    await storage.outbox.mark_overflow([entry.id])
    await storage.outbox.mark_dropped([entry.id], "too old")
    await storage.outbox.mark_sent(entry.id, 5678, T0 + timedelta(hours=2))
    assert await raw_rows(
        storage,
        "SELECT state, message_id, sent_at, attempts, last_error, next_attempt_at FROM outbox",
    ) == [("sent", 1234, stored_time(storage, sent_at), 0, None, None)]
    assert await storage.outbox.due(T0 + timedelta(days=1), 10) == []
    assert await storage.outbox.pending_count(sub.id) == 0


async def test_a_roundup_is_composed_once_and_read_whole(storage: Storage) -> None:
    feed = await add_feed(storage)
    sub = await add_subscription(storage)
    other = await add_subscription(storage, channel_id=2002)
    await _queue(storage, feed, [sub, other], ["a", "b", "c", "d"])
    entries = await storage.outbox.due(T0, 10)
    mine = [e for e in entries if e.subscription_id == sub.id]
    theirs = [e for e in entries if e.subscription_id == other.id]
    assert all(e.roundup is None for e in entries)
    await storage.outbox.compose_roundups([("nonce-1", [mine[1].id, mine[2].id])])
    # A post already in a roundup stays in it; finished posts are never put in one.
    await storage.outbox.mark_sent(mine[3].id, 1, T0)
    await storage.outbox.compose_roundups([("nonce-2", [mine[2].id, mine[3].id, theirs[0].id])])
    await storage.outbox.compose_roundups([])
    assert {e.id: e.roundup for e in await storage.outbox.due(T0, 10)} == {
        mine[0].id: None,
        mine[1].id: "nonce-1",
        mine[2].id: "nonce-1",
        theirs[0].id: "nonce-2",
        theirs[1].id: None,
        theirs[2].id: None,
        theirs[3].id: None,
    }
    # Whole, whatever a due() limit cut; only this subscription's, only pending ones.
    assert [e.id for e in await storage.outbox.roundup_entries(sub.id, "nonce-1", T0)] == [
        mine[1].id,
        mine[2].id,
    ]
    assert await storage.outbox.roundup_entries(sub.id, "nonce-2", T0) == []
    await storage.outbox.mark_overflow([mine[1].id, mine[2].id])
    assert await storage.outbox.roundup_entries(sub.id, "nonce-1", T0) == []


async def test_retry_counts_attempts_and_keeps_the_error(storage: Storage) -> None:
    feed = await add_feed(storage)
    sub = await add_subscription(storage)
    await _queue(storage, feed, [sub], ["a", "b", "c"])
    a, b, c = await storage.outbox.due(T0, 10)
    await storage.outbox.mark_retry(a.id, "502 Bad Gateway", T0 + timedelta(seconds=30))
    await storage.outbox.mark_retry(a.id, "timeout", T0 + timedelta(seconds=60))
    [again] = [e for e in await storage.outbox.due(T0 + timedelta(minutes=1), 10) if e.id == a.id]
    assert again.attempts == 2
    assert again.last_error == "timeout"
    assert again.next_attempt_at == T0 + timedelta(seconds=60)
    assert again.state is OutboxState.PENDING

    await storage.outbox.mark_overflow([a.id, b.id, 10_000])  # unknown ids are ignored
    await storage.outbox.mark_dropped([c.id], "older than the maximum age")
    await storage.outbox.mark_overflow([])
    await storage.outbox.mark_dropped([], "nothing")
    assert await raw_rows(storage, "SELECT state, last_error FROM outbox ORDER BY id") == [
        ("overflow", "timeout"),
        ("overflow", None),
        ("dropped", "older than the maximum age"),
    ]
    # Finished rows do not move again.
    await storage.outbox.mark_dropped([a.id, b.id], "too old")
    await storage.outbox.mark_overflow([c.id])
    assert await _states(storage) == ["overflow", "overflow", "dropped"]


async def test_removing_a_feed_removes_its_posts(storage: Storage) -> None:
    feed = await add_feed(storage)
    other = await add_feed(storage, "Other")
    sub = await add_subscription(storage)
    await _queue(storage, feed, [sub], ["a", "b"])
    await _queue(storage, other, [sub], ["c"])
    await storage.outbox.mark_sent((await storage.outbox.due(T0, 10))[0].id, 1, T0)
    await storage.feeds.remove(feed.id)
    assert [e.item.key for e in await storage.outbox.due(T0, 10)] == ["c"]
    assert await raw_rows(storage, "SELECT count(*) FROM outbox") == [(1,)]


async def test_due_reads_500_posts_in_two_queries(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.items.register_companies([Company("temu", "Temu")])
    feeds = [await add_feed(db, f"Feed {n}") for n in range(5)]
    subs = [await add_subscription(db, channel_id=n) for n in range(5)]
    for n, feed in enumerate(feeds):
        keys = [f"{n}-{k}" for k in range(100)]
        drafts = [
            tagged(draft(k, published=T0 - timedelta(minutes=i)), "temu", "shein")
            for i, k in enumerate(keys)
        ]
        await db.items.apply(poll(feed, drafts, planned_posts=_plan(subs, keys)))
    assert await db.outbox.pending_count(subs[0].id) == 500

    reads = 0
    original = Connections.read

    async def counting(self: Connections, sql: str, parameters: Sequence[Any] = ()) -> Any:
        nonlocal reads
        reads += 1
        return await original(self, sql, parameters)

    monkeypatch.setattr(Connections, "read", counting)
    entries = await db.outbox.due(T0, 500)
    assert reads <= 2
    assert len(entries) == 500
    # Shared round-robin: five subscriptions of 500 pending posts get 100 each, oldest first.
    for sub in subs:
        published = [e.item.published for e in entries if e.subscription_id == sub.id]
        assert len(published) == 100
        assert published == sorted(published)
    assert all(
        e.item.companies == (Company("temu", "Temu"), Company("shein", "shein")) for e in entries
    )


async def test_concurrent_applies_and_marks_never_see_database_is_locked(
    storage: Storage, storage_url: str
) -> None:
    feeds = [await add_feed(storage, f"Feed {n}") for n in range(10)]
    subs = [await add_subscription(storage, channel_id=n) for n in range(3)]
    # A second Storage on the database stands for another process writing at the same time.
    other = await open_storage(storage_url)
    marked: set[int] = set()

    async def poller(n: int) -> None:
        keys = [f"{n}-{k}" for k in range(5)]
        await storage.items.apply(
            poll(
                feeds[n % len(feeds)],
                [draft(k) for k in keys],
                at=T0 + timedelta(seconds=n),
                planned_posts=_plan(subs, keys),
            )
        )

    pollers_done = asyncio.Event()

    async def pollers() -> None:
        await asyncio.gather(*(poller(n) for n in range(60)))
        pollers_done.set()

    async def sender(target: Storage) -> None:
        # Drain while the pollers write, then once more after the last of them: every post
        # must end up sent exactly once, whichever connection marked it.
        while True:
            finished = pollers_done.is_set()
            due = await target.outbox.due(T0 + timedelta(hours=1), 50)
            for entry in due:
                await target.outbox.mark_sent(entry.id, entry.id, T0)
                marked.add(entry.id)
            if finished and not due:
                return
            await asyncio.sleep(0.001)

    try:
        await asyncio.wait_for(
            asyncio.gather(pollers(), sender(storage), sender(storage), sender(other)), timeout=60
        )
    finally:
        await other.close()
    counts = dict(await raw_rows(storage, "SELECT state, count(*) FROM outbox GROUP BY state"))
    assert sum(counts.values()) == 60 * 5 * 3
    assert counts == {"sent": 60 * 5 * 3}
    assert len(marked) == 60 * 5 * 3


class _RecordingPublisher:
    def __init__(self) -> None:
        self.posts: list[tuple[int, str, str]] = []

    async def post_item(
        self,
        channel_id: int,
        item: Item,
        nonce: str,
        post_format: PostFormat = DEFAULT_POST_FORMAT,
    ) -> PostResult:
        self.posts.append((channel_id, item.key, nonce))
        return PostResult(PostOutcome.SENT, message_id=len(self.posts))

    async def post_notice(self, channel_id: int, text: str, nonce: str) -> PostResult:
        return PostResult(PostOutcome.SENT, message_id=0)

    async def post_roundup(
        self,
        channel_id: int,
        items: Sequence[Item],
        waiting: int,
        nonce: str,
        post_format: PostFormat = DEFAULT_POST_FORMAT,
    ) -> PostResult:
        self.posts.extend((channel_id, item.key, nonce) for item in items)
        return PostResult(PostOutcome.SENT, message_id=len(self.posts))

    def missing_permissions(self, channel_id: int) -> str | None:
        return None


async def test_delivery_over_real_storage_posts_each_item_once(storage_url: str) -> None:
    clock = FakeClock(T0)
    publisher = _RecordingPublisher()
    storage = await open_storage(storage_url)
    try:
        feed = await add_feed(storage)
        sub = await add_subscription(storage, channel_id=77)
        await _queue(storage, feed, [sub], ["a", "b"])
        sender = DeliverySender(
            outbox=storage.outbox,
            subscriptions=storage.subscriptions,
            publisher=publisher,
            clock=clock,
            options=DeliveryOptions(),
        )
        assert (await sender.drain()).sent == 2
        await _queue(storage, feed, [sub], ["a", "b", "c"])  # the same items planned again
    finally:
        await storage.close()
    storage = await open_storage(storage_url)  # a restart
    try:
        sender = DeliverySender(
            outbox=storage.outbox,
            subscriptions=storage.subscriptions,
            publisher=publisher,
            clock=clock,
            options=DeliveryOptions(),
        )
        assert (await sender.drain()).sent == 1
        assert (await sender.drain()).sent == 0
    finally:
        await storage.close()
    assert [key for _, key, _ in publisher.posts] == ["a", "b", "c"]
