"""Opening the ``Storage`` the ``db`` setting names (the composition root's one way in)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.news.ports import Storage
from storage import migrations as sqlite_migrations
from storage.db import Database
from storage.url import PostgresLocation, parse_db_url


@dataclass(frozen=True, slots=True)
class SchemaMigration:
    """What ``migrate_storage`` did: the schema version found (0: a new database) and the one
    reached, on which backend ("SQLite", "PostgreSQL")."""

    backend: str
    found: int
    reached: int
    # Another process was migrating (PostgreSQL): this one waited and found it done.
    by_other: bool = False


async def open_storage(url: str, *, read_only: bool = False) -> Storage:
    """Open (creating and migrating if needed) the database ``url`` names.

    ``read_only``: the caller only reads (``shopwire latest``, ``search``); an up-to-date
    SQLite file is then opened with one query-only connection (``Database.open_for_reading``).

    ``url`` is the ``db`` setting: a file path or ``sqlite:///path`` (SQLite), or a
    ``postgresql://`` URL; anything else, and any database that cannot be opened, raises
    StorageError with one line for the user.
    """
    location = parse_db_url(url)
    if isinstance(location, PostgresLocation):
        # Imported here: SQLite users (the default) never load asyncpg.
        from storage.postgres import open_postgres

        return await open_postgres(location.url)
    if read_only:
        return await Database.open_for_reading(location.path)
    return await Database.open(location.path)


def open_query_only(url: str) -> Storage | None:
    """The database ``url`` names, opened to read only and without an event loop, when it is an
    up-to-date SQLite file (``Database.open_query_only``); None otherwise: PostgreSQL, or a file
    that ``open_storage(url, read_only=True)`` has to create, migrate or refuse.
    """
    location = parse_db_url(url)
    if isinstance(location, PostgresLocation):
        return None
    return Database.open_query_only(location.path)


async def migrate_storage(url: str) -> SchemaMigration:
    """Create or bring up to date the schema of the database ``url`` names, then close it.

    Errors as ``open_storage``. What every command does on opening, as a step of its own: a
    deployment migrates once before starting its processes.
    """
    location = parse_db_url(url)
    if isinstance(location, PostgresLocation):
        from storage.postgres.connect import migrate_postgres

        migrated = await migrate_postgres(location.url)
        return SchemaMigration(
            "PostgreSQL", migrated.found, migrated.reached, migrated.waited_for_other
        )
    import asyncio  # here: `shopwire latest` reads without an event loop (open_query_only)

    found = await asyncio.to_thread(_sqlite_version, location.path)
    database = await Database.open(location.path, read_connection=False)
    await database.close()
    return SchemaMigration("SQLite", found, sqlite_migrations.SCHEMA_VERSION)


def _sqlite_version(path: str) -> int:
    """The schema version of the SQLite file at ``path`` before migrating (0 if none yet)."""
    if path == ":memory:" or path.startswith("file:") or not Path(path).is_file():
        return 0
    try:
        # Read-only: looking must not create or change the file (Database.open reports errors).
        with sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True) as db:
            row = db.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0
