"""Running statements on the pool, with errors of the surroundings raised as StorageError.

Every repository goes through these helpers rather than ``pool.fetch`` directly, so that a
server going away mid-command reaches the user as one line (``errors.storage_error``), while
constraint errors stay asyncpg errors for the repository to read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from storage.postgres.errors import storage_error

# What the database's surroundings may raise (``storage_error`` says which ones they are).
_AROUND = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
Connection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"


@asynccontextmanager
async def transaction(pool: Pool) -> AsyncIterator[Connection]:
    """One connection in one transaction: COMMIT on success, ROLLBACK on any exception
    (cancellation included: asyncpg resets a connection released mid-transaction)."""
    try:
        async with pool.acquire() as connection, connection.transaction():
            yield connection
    except _AROUND as exc:
        if (error := storage_error(exc)) is not None:
            raise error from exc
        raise


async def read(pool: Pool, sql: str, *args: object) -> list[asyncpg.Record]:
    """Every row of one query (its own implicit transaction)."""
    try:
        return await pool.fetch(sql, *args)
    except _AROUND as exc:
        if (error := storage_error(exc)) is not None:
            raise error from exc
        raise


async def read_one(pool: Pool, sql: str, *args: object) -> asyncpg.Record | None:
    """The first row of one query, if any."""
    rows = await read(pool, sql, *args)
    return rows[0] if rows else None


async def read_value(pool: Pool, sql: str, *args: object) -> Any:
    """The first column of the first row of one query (None when there is no row)."""
    row = await read_one(pool, sql, *args)
    return None if row is None else row[0]


def affected(status: str) -> int:
    """How many rows a command changed, from its status ("UPDATE 3", "INSERT 0 1")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0
