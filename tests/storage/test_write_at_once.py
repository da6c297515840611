"""``Connections.write_at_once``: a whole write transaction in one hop to SQLite's thread.

It sends its work through aiosqlite's private ``Connection._execute`` (no public call runs a
function on the connection's thread): these tests fail if a new aiosqlite changes that.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from bot.news.model.errors import StorageError
from storage import Database
from storage._sql import Connections
from tests.storage.conftest import add_feed, draft, poll


def connections(db: Database) -> Connections:
    return db._connections


async def names(db: Database) -> list[str]:
    rows = await connections(db).read("SELECT name FROM feeds ORDER BY id")
    return [row[0] for row in rows]


async def test_the_work_runs_on_the_writer_thread_and_commits(db: Database) -> None:
    feed = await add_feed(db, "Before")
    threads: list[int] = []

    def rename(connection: sqlite3.Connection) -> int:
        threads.append(threading.get_ident())
        assert connection.in_transaction
        return connection.execute(
            "UPDATE feeds SET name = 'After' WHERE id = ?", (feed.id,)
        ).rowcount

    assert await asyncio.wait_for(connections(db).write_at_once(rename), 30) == 1
    assert threads and threads[0] != threading.get_ident()
    assert await names(db) == ["After"]
    assert not connections(db).writer.in_transaction


async def test_an_exception_rolls_everything_back_and_is_raised_as_it_is(db: Database) -> None:
    feed = await add_feed(db, "Before")

    def rename_then_fail(connection: sqlite3.Connection) -> None:
        connection.execute("UPDATE feeds SET name = 'After' WHERE id = ?", (feed.id,))
        raise ValueError("a bug in the work")

    with pytest.raises(ValueError, match="a bug in the work"):
        await asyncio.wait_for(connections(db).write_at_once(rename_then_fail), 30)
    assert await names(db) == ["Before"]
    # The connection is outside any transaction: the next write works.
    await db.items.apply(poll(feed, [draft("k")]))
    assert await db.items.count() == 1


async def test_the_surroundings_refusing_is_a_storage_error(db: Database) -> None:
    await add_feed(db, "Before")

    def read_only(connection: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    def refused(connection: sqlite3.Connection) -> None:
        error = sqlite3.OperationalError("attempt to write a readonly database")
        error.sqlite_errorcode = sqlite3.SQLITE_READONLY
        raise error

    with pytest.raises(sqlite3.OperationalError):  # no error code: a statement's own error
        await asyncio.wait_for(connections(db).write_at_once(read_only), 30)
    with pytest.raises(StorageError, match="read-only"):
        await asyncio.wait_for(connections(db).write_at_once(refused), 30)


async def test_a_cancelled_caller_waits_for_the_work_to_end(db: Database) -> None:
    feed = await add_feed(db, "Before")
    started, release = threading.Event(), threading.Event()

    def slow_rename(connection: sqlite3.Connection) -> None:
        connection.execute("UPDATE feeds SET name = 'After' WHERE id = ?", (feed.id,))
        started.set()
        assert release.wait(30)

    task = asyncio.ensure_future(connections(db).write_at_once(slow_rename))
    assert await asyncio.to_thread(started.wait, 30)
    task.cancel()
    await asyncio.sleep(0.01)
    assert not task.done()  # still waiting for the work, which holds the writer
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 30)
    # The work ran to its end and committed; nothing is left open.
    assert await names(db) == ["After"]
    assert not connections(db).writer.in_transaction
