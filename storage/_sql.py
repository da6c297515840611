"""Shared plumbing for the repositories: connections, transactions and value conversions."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from bot.news.model.errors import StorageError
from bot.news.model.vocabulary import utc

# asyncio and aiosqlite are imported where they are used: `shopwire latest` and `search` read
# through a QueryOnlyConnection and never load them (tests/cli/test_cli_imports.py).
if TYPE_CHECKING:
    import aiosqlite

_T = TypeVar("_T")
_T2 = TypeVar("_T2")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


SHARED_ITEMS = "+i.feed_id IN (SELECT id FROM feeds WHERE guild_id IS NULL)"
"""Items (aliased ``i``) of the shared catalogue only. SQLite builds the small set of shared
feed ids once; the unary ``+`` keeps it from choosing an index on ``feed_id`` over the one the
query is walking (the period or story range)."""


# What SQLite's primary result codes mean for the user: the database's surroundings (disk,
# permissions, other processes), not a bug in a statement. Only these become StorageError at
# this boundary; constraint and query errors stay sqlite3 errors for the repositories to read.
_ENVIRONMENT_ERRORS: dict[int, str] = {
    sqlite3.SQLITE_FULL: "the disk is full: nothing was saved; free some space and try again",
    sqlite3.SQLITE_READONLY: (
        "the database is read-only: this command writes to it; check the permissions of the "
        "file and its folder"
    ),
    sqlite3.SQLITE_BUSY: "the database is locked by another process; try again",
    sqlite3.SQLITE_LOCKED: "the database is locked by another process; try again",
    sqlite3.SQLITE_IOERR: "the disk reported an I/O error",
    sqlite3.SQLITE_CORRUPT: "the database file is damaged",
    sqlite3.SQLITE_NOTADB: "the file is not a database",
    sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened; check the path and permissions",
    sqlite3.SQLITE_PERM: "the database file cannot be opened; check the path and permissions",
}


def storage_error(exc: BaseException) -> StorageError | None:
    """The StorageError a sqlite3 error about the database's surroundings is, else None.

    The message is one line for the user (SQLite's own words in parentheses); a statement's
    own errors (constraints, FTS syntax) give None and are left to the caller.
    """
    if not isinstance(exc, sqlite3.Error):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    meaning = _ENVIRONMENT_ERRORS.get(code & 0xFF) if isinstance(code, int) else None
    if meaning is None:
        return None
    detail = " ".join(str(exc).split())
    # SQLite's words are left out when the meaning says them already ("the file is not a
    # database (file is not a database)").
    said = not detail or detail.lower() in meaning.lower()
    return StorageError(meaning if said else f"{meaning} ({detail})")


def to_db_time(value: datetime) -> int:
    """An aware (or naive UTC) datetime as INTEGER unix microseconds, exactly."""
    return (utc(value) - _EPOCH) // _MICROSECOND


def to_db_time_or_none(value: datetime | None) -> int | None:
    """Like ``to_db_time``, passing None through."""
    return None if value is None else to_db_time(value)


def from_db_time(value: int) -> datetime:
    """INTEGER unix microseconds back to an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=value)


def from_db_time_or_none(value: int | None) -> datetime | None:
    """Like ``from_db_time``, passing None through."""
    return None if value is None else from_db_time(value)


def to_json_list(values: Iterable[str]) -> str:
    """A compact JSON array of strings (non-ASCII kept readable in the file)."""
    strings = list(values)
    # A poll writes three or four of these per item; most hold ids and words that JSON writes
    # as they are, which this spells out without the encoder (the same text, a third the cost).
    if _JSON_ESCAPED.search("".join(strings)) is None:
        return '["' + '","'.join(strings) + '"]' if strings else "[]"
    return json.dumps(strings, ensure_ascii=False, separators=(",", ":"))


# What ``json.dumps(..., ensure_ascii=False)`` writes other than as itself inside a string.
_JSON_ESCAPED = re.compile(r'[\x00-\x1f"\\]')


def from_json_list(text: str) -> tuple[str, ...]:
    """The strings of a JSON array written by ``to_json_list``."""
    return tuple(str(value) for value in json.loads(text))


class Connections:
    """The writer connection (behind a lock) and the connection reads go through.

    aiosqlite runs each connection on its own thread, so every statement is already serialised
    per connection; the lock is what keeps one task's ``BEGIN IMMEDIATE ... COMMIT`` from
    interleaving with another task's statements on the shared writer connection.
    """

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection | None) -> None:
        import asyncio

        self.writer = writer
        # In WAL mode a second connection reads the last committed state without waiting for
        # the writer; without one (":memory:"), reads share the writer.
        self.reader = reader if reader is not None else writer
        self.lock = asyncio.Lock()
        # What must end before the connections close: writes queued to start on the loop's
        # next turn (``grouped_writes``), which the lock does not see yet.
        self.before_close: list[Callable[[], Awaitable[None]]] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` on the writer; COMMIT on success, ROLLBACK on any exception.

        Cancellation-safe: a task cancelled anywhere in here still leaves the connection
        outside any transaction, so the next writer's BEGIN cannot fail.

        Errors of the database's surroundings (a full disk, a read-only file, a lock held too
        long) are raised as StorageError (``storage_error``); others as they are.
        """
        async with self.lock:
            try:
                await finish(self.writer, "BEGIN IMMEDIATE")
                yield self.writer
                await finish(self.writer, "COMMIT")
            except BaseException as exc:
                # SQLite may have rolled back already (some errors do), hence the check.
                if self.writer.in_transaction:
                    await finish(self.writer, "ROLLBACK")
                if (error := storage_error(exc)) is not None:
                    raise error from exc
                raise

    async def write_at_once(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """``work`` in one ``BEGIN IMMEDIATE ... COMMIT`` (ROLLBACK if it raises), run whole on
        the writer's thread: one hop to that thread and back for the transaction, where
        ``transaction`` costs one per statement (55-85 us of CPU each, both threads together,
        measured; a cold poll's store of one feed took 10).

        ``work`` gets the writer's plain ``sqlite3`` connection and must not touch the event
        loop. Cancellation-safe like ``transaction``: a task cancelled while ``work`` runs
        waits for it to end, committed or rolled back, before the cancellation goes on.
        StorageError as in ``transaction``.
        """
        import asyncio

        async with self.lock:
            task = asyncio.ensure_future(_run_on_thread(self.writer, _in_transaction, work))
            try:
                return await asyncio.shield(task)
            except asyncio.CancelledError:
                await asyncio.wait([task])
                raise
            except Exception as exc:
                if (error := storage_error(exc)) is not None:
                    raise error from exc
                raise

    async def close(self) -> None:
        """Close the connections once the current write transaction (if any) and the writes
        queued before this call have ended."""
        for drain in self.before_close:
            await drain()
        async with self.lock:
            if self.reader is not self.writer:
                await self.reader.close()
            await self.writer.close()

    async def read(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[sqlite3.Row]:
        """Run one query on the read connection and return every row (StorageError as in
        ``transaction``)."""
        try:
            rows = await self.reader.execute_fetchall(sql, parameters)
        except sqlite3.Error as exc:
            if (error := storage_error(exc)) is not None:
                raise error from exc
            raise
        return list(rows)

    async def read_one(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Row | None:
        """Run one query on the read connection and return its first row, if any."""
        rows = await self.read(sql, parameters)
        return rows[0] if rows else None


class QueryOnlyConnection(Connections):
    """The reads of a process that only reads (``shopwire latest``, ``search``), on one plain
    sqlite3 connection with ``query_only`` on.

    Its reads finish without waiting, so the repositories' coroutines run to their end without
    an event loop (``bot.loopless.run_now``), aiosqlite's thread or asyncio. A write is refused
    as on a read-only file.
    """

    def __init__(self, connection: sqlite3.Connection) -> None:  # no writer, no lock
        self._connection = connection
        self.before_close = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        raise StorageError(_ENVIRONMENT_ERRORS[sqlite3.SQLITE_READONLY])
        yield  # pragma: no cover (makes this a generator, as the writer's transaction is)

    async def write_at_once(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        raise StorageError(_ENVIRONMENT_ERRORS[sqlite3.SQLITE_READONLY])

    async def close(self) -> None:
        self._connection.close()

    async def read(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[sqlite3.Row]:
        try:
            return self._connection.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            if (error := storage_error(exc)) is not None:
                raise error from exc
            raise


async def fetch_one(
    connection: aiosqlite.Connection, sql: str, parameters: Sequence[Any] | Mapping[str, Any]
) -> sqlite3.Row | None:
    """Run one statement (e.g. ``... RETURNING``) and return its first row: one thread hop."""
    rows = list(await connection.execute_fetchall(sql, parameters))
    return rows[0] if rows else None


def _in_transaction(connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], _T]) -> _T:
    """Run ``work`` between BEGIN IMMEDIATE and COMMIT; ROLLBACK if anything raises."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = work(connection)
        connection.execute("COMMIT")
    except BaseException:
        # SQLite may have rolled back already (some errors do), hence the check.
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return result


async def _run_on_thread(
    connection: aiosqlite.Connection,
    function: Callable[[sqlite3.Connection, _T2], _T],
    argument: _T2,
) -> _T:
    """``function(sqlite3 connection, argument)`` on ``connection``'s own thread, in its queue
    order with the statements sent before and after.

    aiosqlite has no public call for this: ``_execute`` is how its own methods send their work
    (0.22, pinned in uv.lock; ``tests/storage/test_write_at_once.py`` fails if that changes).
    """
    result: _T = await connection._execute(  # type: ignore[no-untyped-call]
        function, connection._conn, argument
    )
    return result


async def finish(connection: aiosqlite.Connection, sql: str) -> None:
    """Execute a transaction-control statement to the end, even if the caller is cancelled.

    aiosqlite runs queued work on its thread regardless of the awaiting task; waiting for it
    here means the transaction state is settled (and known) before the cancellation goes on.
    """
    import asyncio

    task = asyncio.ensure_future(connection.execute(sql))
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise
