"""Polls that change only their feed's row are stored together (storage/grouped_writes.py): the
same rows as one transaction each, in a few transactions; every caller hears its own outcome."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any, TypeVar

import pytest

from bot.news.model.errors import StorageError
from bot.news.model.vocabulary import FeedStatus
from bot.news.ports import Storage
from storage import Database
from storage._sql import Connections
from tests.storage.conftest import T0, add_feed, draft, poll

T = TypeVar("T")


class CountedTransactions:
    """Counts the write transactions begun (``Connections.transaction`` and
    ``Connections.write_at_once`` patched to these)."""

    begun = 0
    original = Connections.transaction
    original_at_once = Connections.write_at_once

    @staticmethod
    @contextlib.asynccontextmanager
    async def transaction(connections: Connections) -> AsyncIterator[object]:
        CountedTransactions.begun += 1
        async with CountedTransactions.original(connections) as db:
            yield db

    @staticmethod
    async def write_at_once(connections: Connections, work: Callable[[Any], T]) -> T:
        CountedTransactions.begun += 1
        return await CountedTransactions.original_at_once(connections, work)


@pytest.fixture
def db(storage: Storage) -> Storage:
    return storage


async def test_every_feed_gets_its_own_state_whether_written_together_or_not(
    db: Storage,
) -> None:
    feeds = [await add_feed(db, f"Feed {n}") for n in range(30)]
    later = T0 + timedelta(minutes=5)
    results = [
        poll(
            feed,
            at=later,
            status=FeedStatus.NOT_MODIFIED if n % 3 else FeedStatus.ERROR,
            etag=f'"{n}"',
            error=None if n % 3 else f"HTTP {n}",
            error_count=0 if n % 3 else n,
        )
        for n, feed in enumerate(feeds)
    ]
    await asyncio.wait_for(asyncio.gather(*(db.items.apply(r) for r in results)), 60)
    stored = {f.id: f for f in await db.feeds.list_feeds(all_guilds=True)}
    for n, feed in enumerate(feeds):
        state = stored[feed.id]
        assert state.last_polled == later and state.next_due == later + timedelta(minutes=30)
        assert state.etag == f'"{n}"'
        if n % 3:
            assert (state.status, state.last_success, state.error_count) == (
                FeedStatus.NOT_MODIFIED,
                later,
                0,
            )
        else:
            assert (state.status, state.last_error, state.error_count) == (
                FeedStatus.ERROR,
                f"HTTP {n}",
                n,
            )


async def test_not_modified_polls_of_many_feeds_share_a_few_transactions(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = [await add_feed(sqlite_db, f"Feed {n}") for n in range(200)]
    monkeypatch.setattr(Connections, "transaction", CountedTransactions.transaction)
    monkeypatch.setattr(Connections, "write_at_once", CountedTransactions.write_at_once)
    CountedTransactions.begun = 0
    results = [poll(feed, status=FeedStatus.NOT_MODIFIED, etag='"e"') for feed in feeds]
    await asyncio.wait_for(asyncio.gather(*(sqlite_db.items.apply(r) for r in results)), 60)
    assert CountedTransactions.begun <= 2
    assert all(f.etag == '"e"' for f in await sqlite_db.feeds.list_feeds(all_guilds=True))
    # A poll with items keeps its own transaction beside them.
    CountedTransactions.begun = 0
    await sqlite_db.items.apply(poll(feeds[0], [draft("k")]))
    assert CountedTransactions.begun == 1 and await sqlite_db.items.count() == 1


async def test_a_caller_cancelled_before_the_write_stores_nothing(sqlite_db: Database) -> None:
    first, second = await add_feed(sqlite_db, "First"), await add_feed(sqlite_db, "Second")
    stored = asyncio.ensure_future(
        sqlite_db.items.apply(poll(first, status=FeedStatus.NOT_MODIFIED, etag='"1"'))
    )
    cancelled = asyncio.ensure_future(
        sqlite_db.items.apply(poll(second, status=FeedStatus.NOT_MODIFIED, etag='"2"'))
    )
    await asyncio.sleep(0)  # both wait for the write that has not started yet
    cancelled.cancel()
    await asyncio.wait_for(stored, 60)
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    etags = {f.name: f.etag for f in await sqlite_db.feeds.list_feeds(all_guilds=True)}
    assert etags == {"First": '"1"', "Second": None}


async def test_a_failed_write_fails_every_caller_in_it_and_the_next_write_works(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = [await add_feed(sqlite_db, f"Feed {n}") for n in range(3)]
    original = Connections.write_at_once

    async def full_disk(self: Connections, work: object) -> None:
        raise StorageError("the disk is full: nothing was saved")

    monkeypatch.setattr(Connections, "write_at_once", full_disk)
    outcomes = await asyncio.wait_for(
        asyncio.gather(
            *(
                sqlite_db.items.apply(poll(f, status=FeedStatus.NOT_MODIFIED, etag='"x"'))
                for f in feeds
            ),
            return_exceptions=True,
        ),
        60,
    )
    assert all(isinstance(outcome, StorageError) for outcome in outcomes)
    monkeypatch.setattr(Connections, "write_at_once", original)
    await asyncio.wait_for(
        sqlite_db.items.apply(poll(feeds[0], status=FeedStatus.NOT_MODIFIED, etag='"y"')), 60
    )
    etags = [f.etag for f in await sqlite_db.feeds.list_feeds(all_guilds=True)]
    assert sorted(etags, key=str) == ['"y"', None, None]
