"""Opening the SQLite database: connections, pragmas, migrations, and the repositories."""

from __future__ import annotations

import os
import sqlite3
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from bot.news.model.errors import DatabaseNotOpened, StorageError
from storage import migrations
from storage._sql import Connections, QueryOnlyConnection, storage_error
from storage.feeds import SqliteFeedRepository
from storage.items import SqliteItemRepository
from storage.migrations import migrate

# The repositories `shopwire latest` and `search` never use are imported when first asked for,
# and asyncio and aiosqlite by the async opening (those commands read without them).
if TYPE_CHECKING:
    import aiosqlite

    from storage.backlog import SqliteBacklog
    from storage.digests import SqliteDigestRepository, SqliteGuildSettings
    from storage.follow_roles import SqliteFollowRoleRepository
    from storage.followups import SqliteFollowUpRepository
    from storage.history import SqliteDeliveryHistory
    from storage.outbox import SqliteOutboxRepository
    from storage.stories import SqliteStoryRepository
    from storage.story_threads import SqliteStoryThreadRepository
    from storage.subscriptions import SqliteSubscriptionRepository

BUSY_TIMEOUT_MS = 5000
"""How long a statement waits for another process's write lock before "database is locked"."""

_MIN_SQLITE = (3, 37, 0)  # STRICT tables


class SqliteMeta:
    """A small key/value table for the process's bookkeeping (implements ``MetaStore``)."""

    def __init__(self, connections: Connections) -> None:
        self._db = connections

    async def get(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        row = await self._db.read_one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing any previous value."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def delete(self, key: str) -> None:
        """Forget ``key`` (no error if it was not set)."""
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM meta WHERE key = ?", (key,))


class Database:
    """The open database and its repositories (implements ``Storage``); use
    ``await Database.open(path)``, or ``storage.open_storage(url)`` from the ``db`` setting.

    One writer connection (every write is a ``BEGIN IMMEDIATE`` transaction behind an
    ``asyncio.Lock``) and, for a file database, a second read-only connection for queries: in
    WAL mode it reads the last committed state without queueing behind a poll's writes on the
    writer's thread. Use it as an async context manager, or call ``close()``.
    """

    def __init__(self, path: str, connections: Connections, *, created: bool = False) -> None:
        self.path = path
        # Whether opening made the database: the composition root seeds a new one.
        self.created = created
        self._connections = connections
        self.feeds = SqliteFeedRepository(connections)
        self.items = SqliteItemRepository(connections)
        self.meta = SqliteMeta(connections)

    @cached_property
    def subscriptions(self) -> SqliteSubscriptionRepository:
        from storage.subscriptions import SqliteSubscriptionRepository

        return SqliteSubscriptionRepository(self._connections)

    @cached_property
    def outbox(self) -> SqliteOutboxRepository:
        from storage.outbox import SqliteOutboxRepository

        return SqliteOutboxRepository(self._connections)

    @cached_property
    def stories(self) -> SqliteStoryRepository:
        from storage.stories import SqliteStoryRepository

        return SqliteStoryRepository(self._connections)

    @cached_property
    def digests(self) -> SqliteDigestRepository:
        from storage.digests import SqliteDigestRepository

        return SqliteDigestRepository(self._connections)

    @cached_property
    def guild_settings(self) -> SqliteGuildSettings:
        from storage.digests import SqliteGuildSettings

        return SqliteGuildSettings(self._connections)

    @cached_property
    def backlog(self) -> SqliteBacklog:
        from storage.backlog import SqliteBacklog

        return SqliteBacklog(self._connections)

    @cached_property
    def history(self) -> SqliteDeliveryHistory:
        from storage.history import SqliteDeliveryHistory

        return SqliteDeliveryHistory(self._connections)

    @cached_property
    def follow_roles(self) -> SqliteFollowRoleRepository:
        from storage.follow_roles import SqliteFollowRoleRepository

        return SqliteFollowRoleRepository(self._connections)

    @cached_property
    def story_threads(self) -> SqliteStoryThreadRepository:
        from storage.story_threads import SqliteStoryThreadRepository

        return SqliteStoryThreadRepository(self._connections)

    @cached_property
    def followups(self) -> SqliteFollowUpRepository:
        from storage.followups import SqliteFollowUpRepository

        return SqliteFollowUpRepository(self._connections)

    @classmethod
    async def open(cls, path: str | Path, *, read_connection: bool = True) -> Database:
        """Open (creating if needed) and migrate the database at ``path``.

        Raises StorageError when the file cannot be opened, is not a database, has a newer
        schema than this code knows, or this SQLite lacks what the schema needs.
        ``":memory:"`` gives a private in-memory database (tests), without a read connection.
        """
        if sqlite3.sqlite_version_info < _MIN_SQLITE:
            raise StorageError(
                f"SQLite {sqlite3.sqlite_version} is too old: Shopwire needs 3.37 or newer."
            )
        import asyncio

        location = str(path)
        in_memory = location == ":memory:" or location.startswith("file::memory:")
        created = in_memory
        if not in_memory:
            # Decided before connecting, which creates the file.
            created = not await asyncio.to_thread(Path(location).exists)
            if await asyncio.to_thread(Path(location).is_dir):
                raise DatabaseNotOpened(f"{location} is a folder: give the database file's path.")
            try:
                Path(location).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseNotOpened(f"Cannot create the folder for {location}: {exc}") from exc
        writer: aiosqlite.Connection | None = None
        reader: aiosqlite.Connection | None = None
        try:
            writer = await _connect(location)
            mode = await _scalar(writer, "PRAGMA journal_mode = WAL")
            if not in_memory and str(mode).lower() != "wal":
                raise DatabaseNotOpened(
                    f"Cannot use WAL mode for {location} (journal mode {mode})."
                )
            await migrate(writer)
            if read_connection and not in_memory:
                reader = await _connect(location)
                await reader.execute("PRAGMA query_only = ON")
        except BaseException as exc:
            for connection in (reader, writer):
                if connection is not None:
                    await connection.close()
            if isinstance(exc, sqlite3.Error):
                reason = storage_error(exc) or exc
                raise DatabaseNotOpened(f"Cannot open the database {location}: {reason}") from exc
            raise
        return cls(location, Connections(writer, reader), created=created)

    @classmethod
    async def open_for_reading(cls, path: str | Path) -> Database:
        """Open the database at ``path`` to read it only (``shopwire latest``, ``search``).

        An existing file at the current schema gets one query-only connection: no writer, no
        WAL or migration work. A file whose folder does not exist raises StorageError and
        creates nothing: a typo in ``--db``'s folder must not leave folders and an empty
        database behind. Anything else (no file yet in an existing folder, which a first
        ``shopwire feeds list`` meets and gets the catalogue in; an older or newer schema; a
        file that is not a database; an in-memory database) goes through ``open``, which
        creates, migrates or raises the same StorageError as for any other command.
        """
        location = str(path)
        if location.startswith("file:") or location == ":memory:":
            return await cls.open(path)
        import asyncio

        if not await asyncio.to_thread(Path(location).parent.is_dir):
            raise StorageError(missing_folder(location))
        try:
            connection = await _connect(_reading_uri(location))
        except sqlite3.Error:
            return await cls.open(path)
        try:
            await connection.execute("PRAGMA query_only = ON")
            version = await _scalar(connection, "PRAGMA user_version")
        except BaseException as exc:
            await connection.close()
            if isinstance(exc, sqlite3.Error):
                return await cls.open(path)
            raise
        if version != migrations.SCHEMA_VERSION or sqlite3.sqlite_version_info < _MIN_SQLITE:
            await connection.close()
            return await cls.open(path)
        return cls(location, Connections(connection, None))

    @classmethod
    def open_query_only(cls, path: str | Path) -> Database | None:
        """The database at ``path`` on one plain query-only connection, without an event loop
        (``QueryOnlyConnection``), if it is an existing file at the current schema; else None,
        and ``open_for_reading`` decides (it creates, migrates or says what is wrong).
        """
        location = str(path)
        if location.startswith("file:") or location == ":memory:":
            return None
        if sqlite3.sqlite_version_info < _MIN_SQLITE:
            return None
        connection: sqlite3.Connection | None = None
        try:
            connection = sqlite3.connect(_reading_uri(location), uri=True, isolation_level=None)
            connection.row_factory = sqlite3.Row
            for pragma in (*_PRAGMAS, "PRAGMA query_only = ON"):
                connection.execute(pragma)
            row = connection.execute("PRAGMA user_version").fetchone()
        except sqlite3.Error:
            if connection is not None:
                connection.close()
            return None
        if row is None or row[0] != migrations.SCHEMA_VERSION:
            connection.close()
            return None
        return cls(location, QueryOnlyConnection(connection))

    async def close(self) -> None:
        """Close the connections after the current write, if any (the last one checkpoints)."""
        await self._connections.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


def _existing_file_uri(location: str) -> str:
    # mode=rw: an existing file only (no new empty one), opened read-only if the file is.
    return f"{Path(location).absolute().as_uri()}?mode=rw"


def _reading_uri(location: str) -> str:
    """``_existing_file_uri``, or for a file in a folder this process cannot write (a read-only
    copy or mount) and with no ``-wal`` beside it, the file read as it is (``immutable``).

    SQLite reads a WAL database through a ``-shm`` file it creates beside it: in such a folder
    it could not, and `latest` was refused as if it wrote. No ``-wal`` means no writer is at
    work (a writer keeps one open), so nothing can change under the reader.
    """
    path = Path(location).absolute()
    if os.access(path.parent, os.W_OK) or Path(f"{path}-wal").exists():
        return _existing_file_uri(location)
    return f"{path.as_uri()}?mode=ro&immutable=1"


_PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys = ON",
    # With WAL, NORMAL loses at most the last transactions on power loss, never
    # consistency; FULL would fsync on every poll's commit.
    "PRAGMA synchronous = NORMAL",
)


async def _connect(location: str) -> aiosqlite.Connection:
    import asyncio

    import aiosqlite

    # isolation_level=None: the sqlite3 module never opens transactions behind our back, so
    # BEGIN IMMEDIATE / COMMIT are exactly where the repositories put them.
    connection = aiosqlite.connect(location, isolation_level=None, uri=location.startswith("file:"))
    try:
        await connection
    except BaseException:
        # aiosqlite stops its thread after a failed connect without waiting for it; the thread
        # then reports back to this loop, which must still be running (else "Event loop is
        # closed" from that thread once asyncio.run has returned).
        await asyncio.to_thread(connection._thread.join, 5)
        raise
    connection.row_factory = sqlite3.Row
    try:
        for pragma in _PRAGMAS:
            await connection.execute(pragma)
    except BaseException:
        await connection.close()
        raise
    return connection


async def _scalar(connection: aiosqlite.Connection, sql: str) -> object:
    async with connection.execute(sql) as cursor:
        row = await cursor.fetchone()
    return None if row is None else row[0]


def missing_folder(location: str) -> str:
    """The one line for a command that only reads, given a database in a folder that does not
    exist."""
    return (
        f"there is no folder {Path(location).parent} for the database file, and commands that"
        " only read never create one (`shopwire poll` or `shopwire migrate` does): check --db"
        " or SHOPWIRE_DB"
    )
