"""The notice a server is owed when polling disabled one of its own feeds, on both backends: owed
from the poll's transaction (whichever process polled), read by the process serving the
server's shard, owed no more once given or when the feed is enabled again."""

from __future__ import annotations

from bot.news.model.vocabulary import FeedPollResult, FeedStatus, Shards
from bot.news.ports import Storage
from bot.news.services.feed_notices import FeedNotice, FeedNotices
from tests.storage.conftest import T0, add_feed, add_subscription, poll

ON_0, ON_1 = 2 << 22, 1 << 22  # guilds on shards 0 and 1 of 2


def disabling(feed_id: int, reason: str = "HTTP 410") -> FeedPollResult:
    return poll(
        feed_id,
        status=FeedStatus.DISABLED,
        error=reason,
        error_count=1,
        disable_reason=reason,
    )


async def test_a_poll_that_disables_a_servers_feed_owes_that_server_a_notice(
    storage: Storage,
) -> None:
    own = await add_feed(storage, "Own", guild_id=ON_0)
    shared = await add_feed(storage, "Shared")
    failing = await add_feed(storage, "Failing", guild_id=ON_1)
    await storage.items.apply(disabling(own.id))
    await storage.items.apply(disabling(shared.id))
    await storage.items.apply(poll(failing, status=FeedStatus.ERROR, error="HTTP 500"))
    [owed] = await storage.feeds.notices_owed()
    assert (owed.id, owed.status, owed.last_error) == (own.id, FeedStatus.DISABLED, "HTTP 410")
    await storage.feeds.notice_given(own.id)
    assert await storage.feeds.notices_owed() == []


async def test_notices_owed_are_read_by_shard(storage: Storage) -> None:
    on_0 = await add_feed(storage, "Zero", guild_id=ON_0)
    on_1 = await add_feed(storage, "One", guild_id=ON_1)
    for feed in (on_0, on_1):
        await storage.items.apply(disabling(feed.id))
    assert [f.id for f in await storage.feeds.notices_owed(Shards((0,), 2))] == [on_0.id]
    assert [f.id for f in await storage.feeds.notices_owed(Shards((1,), 2))] == [on_1.id]
    assert len(await storage.feeds.notices_owed()) == 2


async def test_enabling_the_feed_again_clears_its_notice(storage: Storage) -> None:
    feed = await add_feed(storage, "Own", guild_id=ON_0)
    await storage.items.apply(disabling(feed.id))
    await storage.feeds.set_enabled(feed.id, False, "an admin")  # stays owed
    assert len(await storage.feeds.notices_owed()) == 1
    await storage.feeds.set_enabled(feed.id, True)
    assert await storage.feeds.notices_owed() == []


async def test_the_service_gives_each_notice_its_channel_and_drops_unread_ones(
    storage: Storage,
) -> None:
    read = await add_feed(storage, "Read", guild_id=ON_0)
    unread = await add_feed(storage, "Unread", guild_id=ON_1)
    paused = await add_subscription(storage, ON_0, 1001)
    await storage.subscriptions.pause(paused.id, "missing permissions", T0)
    await add_subscription(storage, ON_0, 1002)
    for feed in (read, unread):
        await storage.items.apply(disabling(feed.id))
    notices = FeedNotices(feeds=storage.feeds, subscriptions=storage.subscriptions)
    [notice] = await notices.owed()
    assert (notice.feed.id, notice.channel_id) == (read.id, 1002)
    assert isinstance(notice, FeedNotice)
    assert [f.id for f in await storage.feeds.notices_owed()] == [read.id]  # unread: dropped
    await notices.given(read.id)
    assert await notices.owed() == []
