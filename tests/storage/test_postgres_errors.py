"""What PostgreSQL's surroundings refuse (a lost connection, a read-only server) reaches the
core as StorageError with one clear line; the pool carries on afterwards."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from bot.news.model.errors import StorageError
from storage import open_storage
from storage.postgres import open_postgres
from storage.postgres.errors import storage_error
from storage.postgres.pool import read
from tests.storage.conftest import T0, add_feed, fresh_postgres_url, postgres_server_url


async def test_a_connection_lost_mid_statement_is_one_line_and_the_pool_carries_on() -> None:
    async with fresh_postgres_url() as url:
        # Its own application name: the test ends its own sessions only, nobody else's.
        name = f"shopwire-lost-{uuid.uuid4().hex[:8]}"
        storage = await open_postgres(f"{url}&application_name={name}")
        try:
            await add_feed(storage, "Retail Dive")
            slow = asyncio.create_task(read(storage.pool, "SELECT pg_sleep(60)"))
            admin = await asyncpg.connect(postgres_server_url())
            try:
                # The server ends the session in the middle of the statement (a restart, a
                # failover, an admin); waited for until the statement is running.
                for _ in range(600):
                    ended = await admin.fetchval(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE application_name = $1 AND query LIKE '%pg_sleep%'",
                        name,
                    )
                    if ended:
                        break
                    await asyncio.sleep(0.1)
            finally:
                await admin.close()
            with pytest.raises(StorageError) as lost:
                await asyncio.wait_for(slow, timeout=60)
            message = str(lost.value)
            assert message.startswith("the connection to the database server was lost")
            assert "\n" not in message
            assert await storage.feeds.count() == 1  # another connection of the pool
        finally:
            await storage.close()


async def test_a_read_only_server_refuses_writes_in_one_line_and_still_answers_reads() -> None:
    async with fresh_postgres_url() as url:
        storage = await open_storage(url)
        await add_feed(storage, "Retail Dive")
        await storage.close()
        # A hot standby, or a database an admin made read-only: every transaction is.
        read_only = await open_storage(f"{url}&default_transaction_read_only=on")
        try:
            assert [feed.name for feed in await read_only.feeds.list_feeds()] == ["Retail Dive"]
            with pytest.raises(StorageError) as refused:
                await add_feed(read_only, "Modern Retail", at=T0)
            assert str(refused.value).startswith("the database server is read-only")
        finally:
            await read_only.close()


def test_a_statement_after_the_servers_fatal_error_is_a_lost_connection() -> None:
    # Seen twice while probing `pg_ctl stop -m fast` / `restart` under a running gateway
    # (a delivery claim's release, the follow-ups' read): the shutdown's FATAL error left the
    # protocol consuming until a sync that never came, and the next statement raised this.
    # It reached the stage as a crash with a traceback; it is the surroundings' doing.
    lost = storage_error(
        asyncpg.InternalClientError(
            "cannot switch to state 15; another operation (2) is in progress"
        )
    )
    assert lost is not None and str(lost).startswith(
        "the connection to the database server was lost"
    )
    # Any other protocol state error is a driver bug: left as it is, traceback and all.
    assert (
        storage_error(
            asyncpg.InternalClientError(
                'cannot switch to state 12; protocol is in the "failed" state'
            )
        )
        is None
    )
    assert storage_error(asyncpg.InternalClientError("not connected")) is None


async def test_a_read_that_hits_that_state_raises_storage_error() -> None:
    class Stuck:
        async def fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
            raise asyncpg.InternalClientError(
                "cannot switch to state 12; another operation (2) is in progress"
            )

    with pytest.raises(StorageError, match="connection to the database server was lost"):
        await read(Stuck(), "SELECT 1")  # type: ignore[arg-type]
