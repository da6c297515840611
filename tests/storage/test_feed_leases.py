"""Feed leases on both backends: several pollers over one database (issue 10).

A poller claims due feeds with a lease (``FeedRepository.claim_due``); two pollers never get
the same feed, a lease that ran out is taken over, and a result is stored only by the lease's
holder (``ItemRepository.apply`` with ``lease_owner``; ``LeaseLost`` otherwise).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.news.model.errors import LeaseLost
from bot.news.ports import Storage
from storage import open_storage
from tests.storage.conftest import T0, add_feed, draft, poll

LEASE = timedelta(minutes=2)


async def test_two_owners_never_get_the_same_feed(storage: Storage, storage_url: str) -> None:
    feeds = [await add_feed(storage, f"Feed {n}") for n in range(40)]
    other = await open_storage(storage_url)  # a second process's own connections
    try:
        claims = await asyncio.gather(
            *(
                (storage if n % 2 else other).feeds.claim_due(T0, f"poller-{n}", LEASE, 7)
                for n in range(8)
            )
        )
    finally:
        await other.close()
    claimed = [feed.id for claim in claims for feed in claim]
    assert len(claimed) == len(set(claimed)) == len(feeds)
    assert all(len(claim) <= 7 for claim in claims)
    # Every due feed is leased now: nobody else gets one before the leases run out.
    assert await storage.feeds.claim_due(T0 + LEASE / 2, "late", LEASE, 100) == []


async def test_claims_take_the_most_overdue_first_and_skip_feeds_not_due(
    storage: Storage,
) -> None:
    later = await add_feed(storage, "Later")
    sooner = await add_feed(storage, "Sooner")
    never = await add_feed(storage, "Never polled")
    resting = await add_feed(storage, "Resting")
    off = await add_feed(storage, "Off")
    await storage.items.apply(poll(later, at=T0 - timedelta(minutes=10)))  # due T0 + 20 min
    await storage.items.apply(poll(sooner, at=T0 - timedelta(minutes=20)))  # due T0 + 10 min
    await storage.items.apply(poll(resting, at=T0 + timedelta(minutes=30)))  # due T0 + 60 min
    await storage.feeds.set_enabled(off.id, False, "test")
    claimed = await storage.feeds.claim_due(T0 + timedelta(minutes=30), "a", LEASE, 10)
    assert [feed.id for feed in claimed] == [never.id, sooner.id, later.id]
    assert await storage.feeds.claim_due(T0 + timedelta(minutes=30), "b", LEASE, 10) == []


async def test_an_expired_lease_is_taken_over(storage: Storage) -> None:
    feed = await add_feed(storage)
    assert [f.id for f in await storage.feeds.claim_due(T0, "dead", LEASE, 10)] == [feed.id]
    assert await storage.feeds.claim_due(T0 + LEASE - timedelta(seconds=1), "b", LEASE, 10) == []
    taken = await storage.feeds.claim_due(T0 + LEASE, "b", LEASE, 10)
    assert [f.id for f in taken] == [feed.id]
    # The new holder stores its result; the feed is then not due again before its time.
    await storage.items.apply(poll(feed, [draft("a")], at=T0 + LEASE, lease_owner="b"))
    assert (await storage.feeds.get(feed.id)).item_count == 1  # type: ignore[union-attr]
    assert await storage.feeds.claim_due(T0 + LEASE, "c", LEASE, 10) == []


async def test_a_lost_lease_s_result_is_not_stored(storage: Storage) -> None:
    feed = await add_feed(storage)
    await storage.feeds.claim_due(T0, "slow", LEASE, 10)
    await storage.feeds.claim_due(T0 + LEASE, "fast", LEASE, 10)
    # The slow poller's result comes back after the feed passed to another poller.
    with pytest.raises(LeaseLost):
        await storage.items.apply(
            poll(feed, [draft("late")], at=T0 + timedelta(seconds=30), lease_owner="slow")
        )
    stored = await storage.feeds.get(feed.id)
    assert stored is not None
    assert (stored.item_count, stored.last_polled) == (0, None)
    # The holder's result counts.
    await storage.items.apply(
        poll(feed, [draft("late"), draft("new")], at=T0 + LEASE, lease_owner="fast")
    )
    assert (await storage.feeds.get(feed.id)).item_count == 2  # type: ignore[union-attr]


async def test_a_result_after_the_lease_ran_out_is_not_stored_even_if_nobody_took_it(
    storage: Storage,
) -> None:
    feed = await add_feed(storage)
    await storage.feeds.claim_due(T0, "slow", LEASE, 10)
    with pytest.raises(LeaseLost):
        await storage.items.apply(poll(feed, [draft("a")], at=T0 + LEASE, lease_owner="slow"))
    assert (await storage.feeds.get(feed.id)).item_count == 0  # type: ignore[union-attr]
    # Still due: the next claim takes it.
    assert len(await storage.feeds.claim_due(T0 + LEASE, "next", LEASE, 10)) == 1


async def test_a_result_without_a_lease_is_stored_as_before(storage: Storage) -> None:
    # The single process (and the CLI's poll) never takes leases.
    feed = await add_feed(storage)
    await storage.feeds.claim_due(T0, "poller", LEASE, 10)
    await storage.items.apply(poll(feed, [draft("a")], at=T0))
    assert (await storage.feeds.get(feed.id)).item_count == 1  # type: ignore[union-attr]


async def test_released_leases_free_the_feeds_at_once(storage: Storage) -> None:
    first = await add_feed(storage, "First")
    second = await add_feed(storage, "Second")
    await storage.feeds.claim_due(T0, "stopping", LEASE, 1)
    await storage.feeds.claim_due(T0, "other", LEASE, 1)
    await storage.feeds.release_leases("stopping")
    again = await storage.feeds.claim_due(T0, "next", LEASE, 10)
    assert [f.id for f in again] == [first.id]
    assert second.id != first.id


async def test_a_removed_feed_s_leased_result_is_skipped(storage: Storage) -> None:
    feed = await add_feed(storage)
    await storage.feeds.claim_due(T0, "a", LEASE, 10)
    await storage.feeds.remove(feed.id)
    await storage.items.apply(poll(feed, [draft("a")], at=T0, lease_owner="a"))
    assert await storage.feeds.get(feed.id) is None
