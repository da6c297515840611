"""Work claimed by shard, on both backends: a process serving some of Discord's shards reads
only the posts, follow-ups (edits, crossposts) and digests of guilds on them (Discord's
``(guild_id >> 22) % count``), and processes that split the shards read every row once
between them."""

from __future__ import annotations

from datetime import timedelta

from bot.news.model.vocabulary import (
    ALL_SHARDS,
    NewSubscription,
    PlannedPost,
    Shards,
    SubscriptionFilter,
    SubscriptionMode,
    shard_of,
)
from bot.news.ports import Storage
from tests.storage.conftest import T0, add_feed, add_subscription, draft, poll

DAY = timedelta(days=1)
COUNT = 4


def guild_on(shard: int, n: int) -> int:
    """A guild id on ``shard`` of ``COUNT``: small, and near the top of the id space (where a
    32-bit or floating-point mistake would show)."""
    return ((n * COUNT + shard) << 22) | 0x2ABCDE


GUILDS = [guild_on(shard, n) for shard in range(COUNT) for n in (1, 2**38)]


async def test_due_posts_are_those_of_guilds_on_the_served_shards(storage: Storage) -> None:
    feed = await add_feed(storage, "Retail Dive")
    subscriptions = [
        await add_subscription(storage, guild, 5000 + i) for i, guild in enumerate(GUILDS)
    ]
    keys = ["a", "b"]
    planned = tuple(PlannedPost(s.id, k) for s in subscriptions for k in keys)
    await storage.items.apply(poll(feed, [draft(k) for k in keys], planned_posts=planned))
    now = T0 + timedelta(minutes=1)

    everything = await storage.outbox.due(now, 100)
    assert len(everything) == len(GUILDS) * len(keys)
    assert await storage.outbox.due(now, 100, ALL_SHARDS) == everything
    assert await storage.outbox.due(now, 100, Shards((0, 1, 2, 3), COUNT)) == everything

    even = await storage.outbox.due(now, 100, Shards((0, 2), COUNT))
    odd = await storage.outbox.due(now, 100, Shards((1, 3), COUNT))
    assert {shard_of(e.guild_id, COUNT) for e in even} == {0, 2}
    assert {shard_of(e.guild_id, COUNT) for e in odd} == {1, 3}
    assert sorted(e.id for e in even + odd) == sorted(e.id for e in everything)
    only_3 = await storage.outbox.due(now, 100, Shards((3,), COUNT))
    assert {e.guild_id for e in only_3} == {guild_on(3, 1), guild_on(3, 2**38)}


async def test_the_limit_is_filled_with_the_served_shards_posts(storage: Storage) -> None:
    # Another shard's flood never crowds this shard's posts out of a drain's batch.
    feed = await add_feed(storage, "Retail Dive")
    busy = await add_subscription(storage, guild_on(0, 1), 6001)
    quiet = await add_subscription(storage, guild_on(1, 1), 6002)
    keys = [f"k{i}" for i in range(30)]
    planned = (*(PlannedPost(busy.id, k) for k in keys), PlannedPost(quiet.id, "k0"))
    await storage.items.apply(poll(feed, [draft(k) for k in keys], planned_posts=planned))
    due = await storage.outbox.due(T0 + timedelta(minutes=1), 5, Shards((1,), COUNT))
    assert [e.subscription_id for e in due] == [quiet.id]


async def test_due_digests_are_those_of_guilds_on_the_served_shards(storage: Storage) -> None:
    subscriptions = [
        await add_subscription(storage, guild, 7000 + i, mode=SubscriptionMode.DAILY)
        for i, guild in enumerate(GUILDS)
    ]
    for subscription in subscriptions:
        assert await storage.digests.plan(subscription.id, T0, T0 + DAY, T0 + DAY)
    now = T0 + DAY
    everything = await storage.digests.due(now, 100)
    assert len(everything) == len(GUILDS)
    low = await storage.digests.due(now, 100, Shards((0, 1), COUNT))
    high = await storage.digests.due(now, 100, Shards((2, 3), COUNT))
    assert {shard_of(d.subscription.guild_id, COUNT) for d in low} == {0, 1}
    assert {shard_of(d.subscription.guild_id, COUNT) for d in high} == {2, 3}
    assert sorted(d.id for d in low + high) == sorted(d.id for d in everything)


async def test_follow_ups_are_those_of_guilds_on_the_served_shards(storage: Storage) -> None:
    # Edits of corrected posts and crossposts belong to the process serving the guild, as
    # its new posts do.
    feed = await add_feed(storage, "Retail Dive")
    subscriptions = [
        await storage.subscriptions.add(
            NewSubscription(
                guild_id=guild, channel_id=8000 + i, filter=SubscriptionFilter(), publish=True
            ),
            T0,
        )
        for i, guild in enumerate(GUILDS)
    ]
    planned = tuple(PlannedPost(s.id, "a") for s in subscriptions)
    await storage.items.apply(poll(feed, [draft("a", "Temu fnied")], planned_posts=planned))
    for number, entry in enumerate(await storage.outbox.due(T0, 100)):
        await storage.outbox.mark_sent(entry.id, 900 + number, T0)
    fixed = T0 + timedelta(hours=1)
    await storage.items.apply(poll(feed, changed=[draft("a", "Temu fined")], at=fixed))

    for owed in (storage.followups.edits_due, storage.followups.publishing_due):
        everything = await owed(fixed, 100)
        assert len(everything) == len(GUILDS)
        assert await owed(fixed, 100, Shards((0, 1, 2, 3), COUNT)) == everything
        even = await owed(fixed, 100, Shards((0, 2), COUNT))
        odd = await owed(fixed, 100, Shards((1, 3), COUNT))
        assert {shard_of(e.guild_id, COUNT) for e in even} == {0, 2}
        assert {shard_of(e.guild_id, COUNT) for e in odd} == {1, 3}
        assert sorted(e.id for e in even + odd) == sorted(e.id for e in everything)
