"""Opening a PostgreSQL database from its URL: the pool, the migrations, the Storage."""

from __future__ import annotations

import logging

import asyncpg

from bot.news.model.errors import DatabaseNotOpened, StorageError
from storage.postgres import pool_log
from storage.postgres.errors import safe_location, storage_error, url_password
from storage.postgres.migrations import Migrated, migrate
from storage.postgres.pool import Pool
from storage.postgres.retokenize import retokenize
from storage.postgres.storage import PostgresStorage

log = logging.getLogger("shopwire.storage")

POOL_SIZE = 10
"""Connections per process at most: enough for the bot's stages and commands side by side."""

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a server that does not answer (a firewall dropping packets)."""


async def open_postgres(url: str) -> PostgresStorage:
    """Connect to the database ``url`` names, bring its schema up to date and return it.

    Raises StorageError with one line (never the password) when the server cannot be reached,
    refuses the login, the database does not exist or has a newer schema than this code.
    """
    pool, migrated = await _open_and_migrate(url)
    return PostgresStorage(pool, created=migrated.found == 0)


async def migrate_postgres(url: str) -> Migrated:
    """Bring the schema of the database ``url`` names up to date, and say from which version
    to which (``shopwire migrate``); errors as ``open_postgres``."""
    pool, migrated = await _open_and_migrate(url)
    await pool.close()
    return migrated


async def _open_and_migrate(url: str) -> tuple[Pool, Migrated]:
    where = safe_location(url)
    password = url_password(url)
    # Before the pool exists: its reconnection task logs from the first lost connection on.
    pool_log.install()
    try:
        # No JIT on any connection: the bot's statements are short, and a plan whose estimated
        # cost passes JIT's thresholds (a phrase search walking a year of months) spent 3.3 s
        # compiling where its rows took 70 ms.
        pool = await asyncpg.create_pool(
            url.strip(),
            min_size=1,
            max_size=POOL_SIZE,
            timeout=CONNECT_TIMEOUT,
            server_settings={"jit": "off"},
        )
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, ValueError) as exc:
        raise _cannot_open(where, exc, password) from exc
    except OverflowError as exc:  # a port past 65535 in the URL, found only at connect()
        raise _cannot_open(where, exc, password) from exc
    try:
        migrated = await migrate(pool)
        _log_migrated(migrated)
        # Rows a migration left owed a rewrite (only the first start after it finds any).
        await retokenize(pool)
    except BaseException as exc:
        await pool.close()
        if isinstance(exc, StorageError):
            raise DatabaseNotOpened(f"Cannot open the database {where}: {exc}") from exc
        if isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError | OSError):
            raise _cannot_open(where, exc, password) from exc
        raise
    return pool, migrated


def _log_migrated(migrated: Migrated) -> None:
    """One line for a schema this process changed, or waited for another process to change;
    none for an up-to-date one (every start but the first after an upgrade)."""
    if migrated.found < migrated.reached:
        log.info("database schema migrated from version %d to %d", migrated.found, migrated.reached)
    elif migrated.waited_for_other:
        log.info(
            "database schema at version %d: migrated by another process while this one waited",
            migrated.reached,
        )


def _cannot_open(where: str, exc: BaseException, password: str | None) -> DatabaseNotOpened:
    error = storage_error(exc, secret=password)
    if error is None:
        detail = " ".join(str(exc).split())
        if password:
            detail = detail.replace(password, "***")
        invalid = isinstance(exc, ValueError | OverflowError)
        reason = f"the URL is not valid ({detail})" if invalid else detail
    else:
        reason = str(error)
    return DatabaseNotOpened(f"Cannot open the database {where}: {reason}")
