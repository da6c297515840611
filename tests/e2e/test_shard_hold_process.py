"""End to end: a `shopwire run --role gateway --shards 0 --shard-count 1` whose database
connection holding its shard's lock is ended by the server (``pg_terminate_backend``, as a
restart does). The lock is gone with it, so another gateway could take the shard: the gateway
notices, stops with one clear line and exits non-zero (a supervisor starts it again, through
the whole check), and a gateway started again takes the shard back and identifies for it.

Needs SHOPWIRE_TEST_POSTGRES_URL (skipped without it, failed under CI=true); the database is a
schema of its own, dropped afterwards. Every wait is bounded; every process is reaped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.ceiling import CEILING
from tests.e2e.test_roles_process import RoleProcess, until
from tests.fakediscord import FakeDiscord
from tests.fakes.environment import clean_environ
from tests.storage.conftest import fresh_postgres_url
from tests.storage.test_coordination import TERMINATE_SHARD_HOLDERS

pytestmark = pytest.mark.slow


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with fresh_postgres_url() as url:
        yield url


async def test_a_gateway_whose_shard_lock_connection_ends_stops_and_starts_again(
    pg_url: str, tmp_path: Path
) -> None:
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Sellers Hub")
        guild.add_text_channel("news")
        env = {
            **clean_environ(),
            **fake.env(),
            "SHOPWIRE_DB": pg_url,
            "SHOPWIRE_SEED_CATALOGUE": "0",
            "SHOPWIRE_SHARDS": "0",
            "SHOPWIRE_SHARD_COUNT": "1",
            "SHOPWIRE_DEV_GUILD_ID": str(guild.id),
            "SHOPWIRE_LOG_LEVEL": "INFO",
        }
        first = RoleProcess(env, tmp_path / "gateway.log", "gateway")
        again = RoleProcess(env, tmp_path / "gateway-again.log", "gateway")

        def logs() -> str:
            return "\n".join(f"==== {p.log_path.name}\n{p.log()}" for p in (first, again))

        database = await asyncpg.connect(pg_url)
        try:
            await first.start()
            await until(lambda: len(fake.gateway.identifies) == 1, logs, "the shard's IDENTIFY")
            assert await database.fetchval(TERMINATE_SHARD_HOLDERS) == 1
            assert first.process is not None
            code = await asyncio.wait_for(first.process.wait(), CEILING)
            log = first.log()
            assert code == 1, logs()
            assert "error: lost the database's hold on shard 0 of 1" in log
            assert "the connection to the database ended" in log
            assert "start it again to take them back" in log
            assert "Traceback" not in log

            await again.start()
            await until(lambda: len(fake.gateway.identifies) == 2, logs, "the IDENTIFY again")
            assert "already served" not in again.log()
        finally:
            await database.close()
            for process in (first, again):
                if process.process is not None:
                    await process.stop()
