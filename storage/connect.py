"""Opening the ``Storage`` the ``db`` setting names (the composition root's one way in)."""

from __future__ import annotations

from bot.news.ports import Storage
from storage.db import Database
from storage.url import PostgresLocation, parse_db_url


async def open_storage(url: str) -> Storage:
    """Open (creating and migrating if needed) the database ``url`` names.

    ``url`` is the ``db`` setting: a file path or ``sqlite:///path`` (SQLite), or a
    ``postgresql://`` URL; anything else, and any database that cannot be opened, raises
    StorageError with one line for the user.
    """
    location = parse_db_url(url)
    if isinstance(location, PostgresLocation):
        # Imported here: SQLite users (the default) never load asyncpg.
        from storage.postgres import open_postgres

        return await open_postgres(location.url)
    return await Database.open(location.path)
