"""Polls stored while a write is in flight go together in the next write
(storage/grouped_writes.py): the same rows as one transaction each, each poll still all or
nothing, and one poll's own error is its caller's alone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from bot.news.model.errors import LeaseLost
from bot.news.model.vocabulary import FeedStatus
from storage import Database
from storage._sql import Connections
from tests.storage.conftest import add_feed, draft, poll

T = TypeVar("T")


class Counted:
    begun = 0
    original = Connections.write_at_once

    @staticmethod
    async def write_at_once(connections: Connections, work: Callable[[Any], T]) -> T:
        Counted.begun += 1
        return await Counted.original(connections, work)


async def test_polls_with_items_of_many_feeds_share_a_few_transactions(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = [await add_feed(sqlite_db, f"Feed {n}") for n in range(20)]
    monkeypatch.setattr(Connections, "write_at_once", Counted.write_at_once)
    Counted.begun = 0
    polls = [poll(feed, [draft(f"k{n}-{i}") for i in range(5)]) for n, feed in enumerate(feeds)]
    polls += [poll(feed, status=FeedStatus.NOT_MODIFIED, etag='"e"') for feed in feeds[:5]]
    await asyncio.wait_for(asyncio.gather(*(sqlite_db.items.apply(p) for p in polls)), 60)
    assert Counted.begun <= 2
    assert await sqlite_db.items.count() == 100
    for n, feed in enumerate(feeds):
        assert set(await sqlite_db.items.known_hashes(feed.id, [f"k{n}-{i}" for i in range(5)]))


async def test_one_polls_own_error_undoes_that_poll_only(sqlite_db: Database) -> None:
    first, leased, last = [await add_feed(sqlite_db, name) for name in ("First", "Leased", "Last")]
    outcomes = await asyncio.wait_for(
        asyncio.gather(
            sqlite_db.items.apply(poll(first, [draft("a")])),
            # Nobody holds this feed's lease: the result must not be stored.
            sqlite_db.items.apply(poll(leased, [draft("b")], lease_owner="gone")),
            sqlite_db.items.apply(poll(last, [draft("c")])),
            return_exceptions=True,
        ),
        60,
    )
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], LeaseLost)
    assert await sqlite_db.items.known_hashes(first.id, ["a"])
    assert await sqlite_db.items.known_hashes(leased.id, ["b"]) == {}
    assert await sqlite_db.items.known_hashes(last.id, ["c"])
    # The failed poll left its feed's row as it was, the others' rows are written.
    states = {f.name: f.status for f in await sqlite_db.feeds.list_feeds(all_guilds=True)}
    assert states == {"First": FeedStatus.OK, "Leased": FeedStatus.NEW, "Last": FeedStatus.OK}
