"""The BacklogReader contract on both backends (metrics): a sharded gateway's outbox figures are
its own shards' guilds', so an operator sees which gateway's posts pile up."""

from __future__ import annotations

from datetime import timedelta

from bot.news.model.vocabulary import ALL_SHARDS, PlannedPost, Shards
from bot.news.ports import Storage
from tests.storage.conftest import T0, add_feed, add_subscription, draft, poll

# (guild_id >> 22) % 2: shard 0 and shard 1 of 2.
ON_0, ON_1 = 2 << 22, 1 << 22


async def test_the_outbox_backlog_is_the_served_shards_own(storage: Storage) -> None:
    feed = await add_feed(storage)
    first = await add_subscription(storage, guild_id=ON_0, channel_id=1)
    second = await add_subscription(storage, guild_id=ON_1, channel_id=2)
    await storage.items.apply(
        poll(feed, [draft("a")], planned_posts=(PlannedPost(second.id, "a"),), at=T0)
    )
    later = T0 + timedelta(minutes=5)
    await storage.items.apply(
        poll(
            feed,
            [draft("b")],
            planned_posts=(PlannedPost(first.id, "b"), PlannedPost(second.id, "b")),
            at=later,
        )
    )
    now = later + timedelta(minutes=1)
    since = T0 - timedelta(days=1)
    every = await storage.backlog.backlog(now, since)
    assert (every.outbox_pending, every.oldest_pending) == (3, T0)
    assert await storage.backlog.backlog(now, since, ALL_SHARDS) == every
    on_0 = await storage.backlog.backlog(now, since, Shards((0,), 2))
    assert (on_0.outbox_pending, on_0.oldest_pending) == (1, later)
    on_1 = await storage.backlog.backlog(now, since, Shards((1,), 2))
    assert (on_1.outbox_pending, on_1.oldest_pending) == (2, T0)
    # The figures that are not per guild are the same for every process.
    assert (on_0.feeds_due, on_0.feeds_failing) == (every.feeds_due, every.feeds_failing)
    assert on_0.oldest_unassigned == every.oldest_unassigned
    nothing = await storage.backlog.backlog(now, since, Shards((3,), 4))
    assert (nothing.outbox_pending, nothing.oldest_pending) == (0, None)
