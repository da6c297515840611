"""Turns to IDENTIFY on Discord's gateway, shared by the processes of one bot, on PostgreSQL.

A turn is a session-level advisory lock per bucket (``pg_advisory_lock``), taken on a
connection of its own that is closed ``seconds`` later: ending the session frees the lock, so a
process killed in the middle never keeps the bucket. Processes starting together queue on the
lock, one IDENTIFY per bucket per window.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg

from bot.news.model.errors import StorageError
from storage.postgres.connect import CONNECT_TIMEOUT
from storage.postgres.errors import safe_location, storage_error, url_password

IDENTIFY_LOCK = 0x53570002
"""The advisory lock's first key ("SW" and the lock's number); the second is the bucket."""


class PostgresIdentifyLocks:
    """The ``IdentifyLocks`` port on PostgreSQL (see the module's docstring)."""

    def __init__(self, url: str) -> None:
        self._url = url.strip()
        self._releases: set[asyncio.Task[None]] = set()

    async def hold(self, bucket: int, seconds: float) -> None:
        """Wait for the bucket's lock; it is released ``seconds`` later by itself."""
        try:
            connection: asyncpg.Connection[Any] = await asyncpg.connect(
                self._url, timeout=CONNECT_TIMEOUT
            )
        except Exception as exc:
            raise self._error(exc) from None
        try:
            await connection.execute("SELECT pg_advisory_lock($1, $2)", IDENTIFY_LOCK, bucket)
        except BaseException as exc:
            with contextlib.suppress(Exception):
                await connection.close(timeout=CONNECT_TIMEOUT)
            if isinstance(exc, Exception):
                raise self._error(exc) from None
            raise
        release = asyncio.create_task(self._release_later(connection, seconds))
        self._releases.add(release)
        release.add_done_callback(self._releases.discard)

    async def close(self) -> None:
        """Release every lock still held now."""
        for release in list(self._releases):
            release.cancel()
        await asyncio.gather(*self._releases, return_exceptions=True)

    @staticmethod
    async def _release_later(connection: asyncpg.Connection[Any], seconds: float) -> None:
        try:
            await asyncio.sleep(seconds)
        finally:
            with contextlib.suppress(Exception):
                await connection.close(timeout=CONNECT_TIMEOUT)

    def _error(self, exc: Exception) -> StorageError:
        mapped = storage_error(exc, secret=url_password(self._url))
        if mapped is not None:
            return mapped
        return StorageError(
            f"cannot take a turn to identify ({type(exc).__name__}) at {safe_location(self._url)}"
        )
