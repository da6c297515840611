"""``python -m tests.fakes.full_disk ARGS...``: the ``shopwire`` CLI on a disk that is full.

Every statement that would write (INSERT, UPDATE, DELETE) fails the way SQLite fails when the
disk is full: with a genuine ``sqlite3.OperationalError`` "database or disk is full" (result
code SQLITE_FULL), raised where aiosqlite runs statements, below the storage layer. Reads work.
Nothing on the real disk is filled.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def disk_full_error() -> sqlite3.OperationalError:
    """A real SQLITE_FULL error, from a private in-memory database capped at its size."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("CREATE TABLE t (x BLOB)")
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")
        connection.execute("INSERT INTO t VALUES (zeroblob(100000))")
    except sqlite3.OperationalError as exc:
        return exc
    finally:
        connection.close()
    raise AssertionError("SQLite accepted a write past max_page_count")


def fill_the_disk() -> None:
    """From now on, every write statement of every aiosqlite connection fails as on a full disk."""
    # aiosqlite leaves its private `_execute` unannotated: name the type it has.
    execute: Callable[..., Awaitable[Any]] = aiosqlite.Connection._execute

    async def refusing(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], str) and args[0].lstrip().upper().startswith(_WRITES):
            raise disk_full_error()
        return await execute(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = refusing  # type: ignore[method-assign]


if __name__ == "__main__":
    from bot.cli import main

    fill_the_disk()
    sys.exit(main(sys.argv[1:]))
