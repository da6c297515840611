"""The FeedRepository port on both backends (the storage contract suite)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.news.model.errors import DuplicateFeed, FeedNotFound
from bot.news.model.vocabulary import FeedStatus, NewFeed
from bot.news.ports import Storage
from tests.storage.conftest import T0, add_feed, draft, poll

GUILD_A = 111_111_111_111_111_111
GUILD_B = 222_222_222_222_222_222


async def test_add_returns_the_stored_feed(storage: Storage) -> None:
    created = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)
    feed = await storage.feeds.add(
        NewFeed(
            url="https://www.retaildive.com/feeds/news/",
            name="Retail Dive",
            guild_id=GUILD_A,
            trusted=False,
            enabled=True,
            max_items_per_poll=25,
            companies=("amazon", "tiktok-shop"),
        ),
        created,
    )
    assert feed.id > 0
    assert feed.url == "https://www.retaildive.com/feeds/news/"
    assert feed.name == "Retail Dive"
    assert feed.guild_id == GUILD_A
    assert feed.trusted is False
    assert feed.enabled is True
    assert feed.created_at == created
    assert feed.created_at.tzinfo is not None
    assert feed.status is FeedStatus.NEW
    assert feed.max_items_per_poll == 25
    assert feed.companies == ("amazon", "tiktok-shop")
    assert (feed.etag, feed.last_polled, feed.next_due, feed.error_count) == (None, None, None, 0)
    assert await storage.feeds.get(feed.id) == feed


async def test_naive_datetimes_are_taken_as_utc(storage: Storage) -> None:
    feed = await add_feed(storage, at=datetime(2026, 1, 2, 3, 4, 5))
    assert feed.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


async def test_duplicate_url_in_the_same_scope_is_refused(storage: Storage) -> None:
    url = "https://temu.example/rss"
    await add_feed(storage, "Shared", url=url)
    await add_feed(storage, "Guild A", url=url, guild_id=GUILD_A)
    await add_feed(storage, "Guild B", url=url, guild_id=GUILD_B)
    with pytest.raises(DuplicateFeed, match="already in the shared catalogue"):
        await add_feed(storage, "Again", url=url)
    with pytest.raises(DuplicateFeed, match="already in this server's feeds"):
        await add_feed(storage, "Again", url=url, guild_id=GUILD_A)
    assert await storage.feeds.count() == 3


async def test_by_url_looks_in_one_scope(storage: Storage) -> None:
    shared = await add_feed(storage, "Shared", url="https://a.example/rss")
    private = await add_feed(storage, "Private", url="https://b.example/rss", guild_id=GUILD_A)
    assert await storage.feeds.by_url("https://a.example/rss", None) == shared
    assert await storage.feeds.by_url("https://b.example/rss", GUILD_A) == private
    assert await storage.feeds.by_url("https://b.example/rss", None) is None
    assert await storage.feeds.by_url("https://b.example/rss", GUILD_B) is None
    assert await storage.feeds.by_url("https://a.example/rss", GUILD_A) is None
    assert await storage.feeds.get(9999) is None


async def test_list_feeds_by_scope_with_item_counts(storage: Storage) -> None:
    zeta = await add_feed(storage, "zeta")
    alpha = await add_feed(storage, "Alpha")
    mine = await add_feed(storage, "Mine", guild_id=GUILD_A)
    theirs = await add_feed(storage, "Theirs", guild_id=GUILD_B)
    await storage.items.apply(poll(alpha, [draft("1"), draft("2"), draft("3")]))
    await storage.items.apply(poll(mine, [draft("1")]))

    shared = await storage.feeds.list_feeds()
    assert [f.name for f in shared] == ["Alpha", "zeta"]
    assert [f.item_count for f in shared] == [3, 0]
    assert [f.id for f in await storage.feeds.list_feeds(GUILD_A)] == [alpha.id, zeta.id, mine.id]
    everything = await storage.feeds.list_feeds(GUILD_A, all_guilds=True)
    assert {f.id for f in everything} == {alpha.id, zeta.id, mine.id, theirs.id}
    got = await storage.feeds.get(mine.id)
    assert got is not None and got.item_count == 1


async def test_due_feeds_never_polled_first_then_most_overdue(storage: Storage) -> None:
    now = T0 + timedelta(hours=1)
    late = await add_feed(storage, "Late")
    later = await add_feed(storage, "Later")
    fresh = await add_feed(storage, "Fresh")
    future = await add_feed(storage, "Future")
    disabled = await add_feed(storage, "Disabled")
    await storage.items.apply(poll(late, at=T0))  # next due T0 + 30 min
    await storage.items.apply(poll(later, at=T0 - timedelta(hours=1)))  # next due T0 - 30 min
    await storage.items.apply(poll(future, at=now))  # next due after now
    await storage.feeds.set_enabled(disabled.id, False, "broken")

    due = await storage.feeds.due(now)
    assert [f.id for f in due] == [fresh.id, later.id, late.id]
    # Exactly at next_due counts as due.
    assert future.id in {f.id for f in await storage.feeds.due(now + timedelta(minutes=30))}


async def test_due_feeds_up_to_a_limit_are_the_most_overdue(storage: Storage) -> None:
    now = T0 + timedelta(hours=1)
    late = await add_feed(storage, "Late")
    later = await add_feed(storage, "Later")
    fresh = await add_feed(storage, "Fresh")
    await storage.items.apply(poll(late, at=T0))
    await storage.items.apply(poll(later, at=T0 - timedelta(hours=1)))

    assert [f.id for f in await storage.feeds.due(now, 2)] == [fresh.id, later.id]
    assert await storage.feeds.due(now, 0) == []
    assert [f.id for f in await storage.feeds.due(now, None)] == [fresh.id, later.id, late.id]
    # Feeds left out (a poller's in flight) are not counted against the limit.
    assert [f.id for f in await storage.feeds.due(now, 1, skip=[fresh.id])] == [later.id]
    assert [f.id for f in await storage.feeds.due(now, skip=[later.id])] == [fresh.id, late.id]


async def test_set_enabled_round_trip(storage: Storage) -> None:
    feed = await add_feed(storage)
    await storage.items.apply(poll(feed, status=FeedStatus.ERROR, error="boom", error_count=3))
    off = await storage.feeds.set_enabled(feed.id, False, "too many errors")
    assert (off.enabled, off.status, off.disabled_reason) == (
        False,
        FeedStatus.DISABLED,
        "too many errors",
    )
    on = await storage.feeds.set_enabled(feed.id, True)
    assert on.enabled is True
    assert on.disabled_reason is None
    assert on.error_count == 0
    assert on.next_due is None  # due at once
    assert on.status is FeedStatus.NEW
    with pytest.raises(FeedNotFound):
        await storage.feeds.set_enabled(4242, True)


async def test_remove_deletes_the_feed_and_its_items(storage: Storage) -> None:
    keep = await add_feed(storage, "Keep")
    gone = await add_feed(storage, "Gone")
    await storage.items.apply(poll(keep, [draft("k1", "Amazon keeps this")]))
    await storage.items.apply(poll(gone, [draft("g1", "Amazon loses this"), draft("g2")]))
    assert await storage.items.count() == 3
    await storage.feeds.remove(gone.id)
    assert await storage.feeds.get(gone.id) is None
    assert await storage.feeds.count() == 1
    assert await storage.items.count() == 1
    with pytest.raises(FeedNotFound):
        await storage.feeds.remove(gone.id)


async def test_ids_are_never_reused(storage: Storage) -> None:
    first = await add_feed(storage, "First")
    await storage.feeds.remove(first.id)
    second = await add_feed(storage, "Second")
    assert second.id > first.id


async def test_the_last_parsed_documents_hash_is_kept_until_the_next_one(storage: Storage) -> None:
    feed = await add_feed(storage, "Commerce")
    other = await add_feed(storage, "Other")
    assert await storage.feeds.body_hash(feed.id) is None

    await storage.items.apply(poll(feed, [draft("a")], body_hash="first"))
    # A poll that parsed nothing (an error, a 304) keeps the hash.
    await storage.items.apply(poll(feed, status=FeedStatus.ERROR, error="boom", error_count=1))
    assert await storage.feeds.body_hash(feed.id) == "first"
    await storage.items.apply(poll(feed, body_hash="second"))
    await storage.items.apply(poll(other, body_hash="other's"))

    assert await storage.feeds.body_hash(feed.id) == "second"
    await storage.feeds.remove(feed.id)
    assert await storage.feeds.body_hash(feed.id) is None
    assert await storage.feeds.body_hash(other.id) == "other's"
