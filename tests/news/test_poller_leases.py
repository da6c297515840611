"""Two pollers over one database with feed leases (issue 10): each due feed is polled by one
of them, and a feed whose poller hangs past its lease is taken over, the late result dropped.

Real SQLite, parsing and tagging; fetchers the test gates; a fake clock. No sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.news.model.vocabulary import NewFeed, UpdateStatus
from bot.news.services.poller import FeedLeasing, FeedPoller, PollerOptions
from storage.db import Database
from tests.ceiling import CEILING
from tests.fakes.clock import FakeClock
from tests.fakes.feedserver import rss
from tests.news.test_poller import (
    FIRST,
    QUICK,
    SECOND,
    SLOW,
    THIRD,
    Changes,
    GatedFetcher,
    Stored,
    searchable,
    updater_for,
)
from tests.news.test_updater import ok

LEASE = timedelta(minutes=2)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "leases.db")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def changes() -> Changes:
    return Changes()


LATE = ("late-1", "Walmart opens a marketplace hub", "The late poll's news.")


def leased_poller(
    db: Database, fetcher: GatedFetcher, clock: FakeClock, owner: str, stored: Stored
) -> FeedPoller:
    return FeedPoller(
        updater_for(db, fetcher, clock),
        clock,
        on_stored=stored,
        options=PollerOptions(max_in_flight=4, check_every=0.01),
        leasing=FeedLeasing(owner, LEASE),
    )


async def test_two_pollers_poll_each_due_feed_once(
    db: Database, clock: FakeClock, changes: Changes
) -> None:
    urls = (SLOW, QUICK, THIRD)
    feeds = [await db.feeds.add(NewFeed(url, url.split("/")[2]), clock.now()) for url in urls]
    fetchers = [GatedFetcher(changes), GatedFetcher(changes)]
    for fetcher in fetchers:
        for url in urls:
            fetcher.results[url] = ok(url, rss([FIRST]))
    stored = Stored(changes)
    pollers = [
        leased_poller(db, fetcher, clock, f"poller-{n}", stored)
        for n, fetcher in enumerate(fetchers)
    ]
    stop = asyncio.Event()
    running = [asyncio.create_task(poller.run(stop)) for poller in pollers]
    try:
        await changes.until(lambda: len(stored.reports) == len(feeds))
        for url in urls:
            assert sum(fetcher.starts.get(url, 0) for fetcher in fetchers) == 1
        assert {r.status for r in stored.reports} == {UpdateStatus.OK}
        # Stored results freed their leases and moved the feeds on: nothing is due now.
        assert await db.feeds.claim_due(clock.now(), "third", LEASE, 10) == []
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*running), CEILING)


async def test_a_feed_whose_poller_hangs_past_its_lease_is_taken_over(
    db: Database, clock: FakeClock, changes: Changes
) -> None:
    feed = await db.feeds.add(NewFeed(SLOW, "Slow"), clock.now())
    hanging, healthy = GatedFetcher(changes), GatedFetcher(changes)
    release = hanging.hang(SLOW)
    hanging.results[SLOW] = ok(SLOW, rss([LATE, FIRST]))
    healthy.results[SLOW] = ok(SLOW, rss([SECOND, FIRST]))
    stored = Stored(changes)
    stop = asyncio.Event()
    first = asyncio.create_task(leased_poller(db, hanging, clock, "hanging", stored).run(stop))
    second: asyncio.Task[None] | None = None
    try:
        await changes.until(lambda: SLOW in hanging.waiting)
        clock.advance(LEASE)  # the first poller's lease runs out while its fetch hangs
        second = asyncio.create_task(leased_poller(db, healthy, clock, "healthy", stored).run(stop))
        await changes.until(lambda: stored.of(feed))
        assert stored.of(feed)[0].status is UpdateStatus.OK
        assert await searchable(db, "SHEIN") == 1

        release.set()
        await changes.until(lambda: len(stored.of(feed)) == 2)
        assert stored.of(feed)[1].status is UpdateStatus.DROPPED
        assert await searchable(db, "Walmart") == 0  # the late result was not stored
        assert hanging.starts == {SLOW: 1} and healthy.starts == {SLOW: 1}
    finally:
        stop.set()
        tasks = [first] if second is None else [first, second]
        await asyncio.wait_for(asyncio.gather(*tasks), CEILING)
