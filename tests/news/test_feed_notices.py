"""FeedNotices: which channel hears that a server's feed was disabled (real SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.news.services.feed_notices import FeedNotice, FeedNotices
from storage import Database
from tests.storage.conftest import T0, add_feed, add_subscription


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "n.db")
    try:
        yield database
    finally:
        await database.close()


def notices(db: Database) -> FeedNotices:
    return FeedNotices(feeds=db.feeds, subscriptions=db.subscriptions)


async def test_the_first_active_channel_of_the_feeds_server_hears_it(db: Database) -> None:
    feed = await add_feed(db, "Own News", guild_id=111)
    paused = await add_subscription(db, 111, 1001)
    await db.subscriptions.pause(paused.id, "missing permissions", T0)
    await add_subscription(db, 111, 1002)
    await add_subscription(db, 222, 2001)  # another server never hears about it
    assert await notices(db).disabled_notice(feed.id) == FeedNotice(feed, 1002)


async def test_nobody_hears_of_a_shared_removed_or_unread_feed(db: Database) -> None:
    shared = await add_feed(db, "Shared")
    unread = await add_feed(db, "Unread", guild_id=333)
    await add_subscription(db, 111, 1001)
    assert await notices(db).disabled_notice(shared.id) is None
    assert await notices(db).disabled_notice(unread.id) is None
    assert await notices(db).disabled_notice(9999) is None
