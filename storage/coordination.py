"""Several processes over one database: which databases allow it, and their coordination.

Roles other than ``all`` (``shopwire run --role poller|gateway``) need PostgreSQL: a SQLite file
has one writer, so it is one process's. asyncpg is imported only for a PostgreSQL database.
"""

from __future__ import annotations

from bot.news.model.errors import StorageError
from bot.news.ports import Coordination, Storage
from storage.url import SqliteLocation, parse_db_url


def refusal(db: str, role: str) -> str | None:
    """Why ``role`` cannot run on the database ``db`` names (one line), or None when it can."""
    if role == "all" or not isinstance(parse_db_url(db), SqliteLocation):
        return None
    return (
        f"--role {role} needs a PostgreSQL database (db = postgresql://...): a SQLite file has"
        " one writer, so it is run by one process: use --role all (the default)"
    )


def shared(db: str) -> bool:
    """Whether other processes may work on the database ``db`` names (PostgreSQL: pollers
    beside a ``--role all`` process), so that work must be claimed, not just read."""
    return not isinstance(parse_db_url(db), SqliteLocation)


def open_coordination(storage: Storage, db: str) -> Coordination:
    """The coordination of the processes sharing ``storage`` (opened from ``db``); its
    connections open on first use. StorageError for a SQLite database."""
    location = parse_db_url(db)
    if isinstance(location, SqliteLocation):
        raise StorageError("several processes need a PostgreSQL database")
    from storage.postgres.coordination import PostgresCoordination
    from storage.postgres.storage import PostgresStorage

    if not isinstance(storage, PostgresStorage):
        raise StorageError("the storage opened is not the PostgreSQL database the db setting names")
    return PostgresCoordination(location.url, storage.pool)
