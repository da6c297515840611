"""What the database's surroundings refuse (a full disk, a lock, a path that is no database
file) reaches the core as StorageError with one clear line, at the storage boundary."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.news.model.errors import DuplicateFeed, StorageError
from bot.news.model.vocabulary import NewFeed
from storage import Database
from tests.storage.conftest import T0, add_feed, draft, poll


async def fill_the_disk(db: Database) -> None:
    """Let the file grow no more: SQLite's own limit, as a full disk would refuse new pages."""
    writer = db._connections.writer
    rows = list(await writer.execute_fetchall("PRAGMA page_count"))
    await writer.execute(f"PRAGMA max_page_count = {rows[0][0]}")


async def test_a_full_disk_is_a_storage_error_with_one_clear_line(db: Database) -> None:
    feed = await add_feed(db)
    await fill_the_disk(db)
    big = [draft(f"k{n}", f"Item {n}", "words " * 2000) for n in range(5)]

    with pytest.raises(StorageError) as caught:
        await db.items.apply(poll(feed, big))

    message = str(caught.value)
    assert message.startswith("the disk is full")
    assert "database or disk is full" in message and "\n" not in message
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    # Nothing of the failed poll was kept, and the connection is usable again.
    assert await db.items.known_hashes(feed.id, ["k0"]) == {}
    assert (await db.feeds.get(feed.id)) is not None


async def test_a_full_disk_when_adding_a_feed_is_a_storage_error(db: Database) -> None:
    await fill_the_disk(db)

    with pytest.raises(StorageError, match="the disk is full"):
        # A long URL needs a new page; a short one would fit in the table's first page.
        await db.feeds.add(NewFeed(url="https://a.example/rss?" + "a" * 6000, name="A"), T0)


async def test_a_constraint_error_stays_what_it_was(db: Database) -> None:
    await add_feed(db, "Same", url="https://same.example/rss")
    with pytest.raises(DuplicateFeed):
        await add_feed(db, "Same", url="https://same.example/rss")


async def test_an_up_to_date_database_opens_while_another_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "shopwire.db"
    async with await Database.open(path):
        pass
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # the bot, in the middle of a poll's transaction
        # Opening used to take the write lock to read the schema version: it waited out the
        # busy timeout and failed with "database is locked". Now it only reads.
        async with await Database.open(path) as db:
            assert await db.feeds.count() == 0
    finally:
        other.rollback()
        other.close()


async def test_a_database_path_that_is_a_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"is a folder: give the database file's path"):
        await Database.open(tmp_path)


async def test_a_failed_open_leaves_no_database_thread_behind(tmp_path: Path) -> None:
    # SQLite cannot create a file in a folder that does not exist; a dangling link makes the
    # open fail there rather than in our own checks.
    link = tmp_path / "shopwire.db"
    link.symlink_to(tmp_path / "missing" / "shopwire.db")
    before = set(threading.enumerate())

    with pytest.raises(StorageError, match="cannot be opened"):
        await Database.open(link)

    # aiosqlite's thread used to finish after the caller's event loop had closed, and died
    # with "RuntimeError: Event loop is closed" on stderr.
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert [t.name for t in left if "connection_worker" in t.name] == []
    await asyncio.sleep(0)
