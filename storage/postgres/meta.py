"""PostgreSQL implementation of the MetaStore port."""

from __future__ import annotations

from storage.postgres.pool import Pool, read_value, transaction


class PostgresMeta:
    """A small key/value table for the process's bookkeeping (implements ``MetaStore``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def get(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        value = await read_value(self._pool, "SELECT value FROM meta WHERE key = $1", key)
        return None if value is None else str(value)

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing any previous value."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key,
                value,
            )

    async def delete(self, key: str) -> None:
        """Forget ``key`` (no error if it was not set)."""
        async with transaction(self._pool) as connection:
            await connection.execute("DELETE FROM meta WHERE key = $1", key)
