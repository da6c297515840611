"""Where the processes of one bot take turns to IDENTIFY on Discord's gateway.

On PostgreSQL, advisory locks shared by every process on the database
(``storage/postgres/identify_locks.py``); a SQLite file is one process's, which needs no one
else's word (None: the caller keeps its turns in memory). asyncpg is imported only then.
"""

from __future__ import annotations

from bot.news.ports import IdentifyLocks
from storage.url import SqliteLocation, parse_db_url


def open_identify_locks(db: str) -> IdentifyLocks | None:
    """The shared identify turns of the database ``db`` names, or None for a SQLite file."""
    location = parse_db_url(db)
    if isinstance(location, SqliteLocation):
        return None
    from storage.postgres.identify_locks import PostgresIdentifyLocks

    return PostgresIdentifyLocks(location.url)
