"""End to end: a `shopwire run --role gateway --shards 0 --shard-count 1` whose database
connection holding its shard's lock is ended by the server (``pg_terminate_backend``, as a
restart does). The lock is gone with it, so another gateway could take the shard: the gateway
notices, stops with one clear line and exits non-zero (a supervisor starts it again, through
the whole check), and a gateway started again takes the shard back and identifies for it.
An unsharded gateway (no `--shard-count`) holds every server the same way: a second process,
gateway or `--role all`, is refused before it connects; and `--role all --shard-count 2` on
PostgreSQL holds its shards like a gateway.

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
from tests.storage.test_coordination import TERMINATE_EVERY_GUILD_HOLDERS, TERMINATE_SHARD_HOLDERS

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


async def test_an_unsharded_gateway_serves_alone_and_stops_when_its_hold_ends(
    pg_url: str, tmp_path: Path
) -> None:
    # Without --shard-count a gateway serves every server: a second one (gateway or --role
    # all) is refused before it connects, and the first is watched like a sharded one.
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Sellers Hub")
        guild.add_text_channel("news")
        env = _environment(fake, pg_url, guild.id)
        first = RoleProcess(env, tmp_path / "gateway.log", "gateway")
        second = RoleProcess(env, tmp_path / "second.log", "gateway")
        beside = RoleProcess(env, tmp_path / "all.log", "all")
        processes = (first, second, beside)

        def logs() -> str:
            return "\n".join(f"==== {p.log_path.name}\n{p.log()}" for p in processes)

        database = await asyncpg.connect(pg_url)
        try:
            await first.start()
            await until(lambda: len(fake.gateway.identifies) == 1, logs, "the IDENTIFY")
            for refused in (second, beside):
                await refused.start()
                assert refused.process is not None
                assert await asyncio.wait_for(refused.process.wait(), CEILING) == 1, logs()
                log = refused.log()
                assert "error: another running process already serves this bot's" in log
                assert "--shard-count" in log and "Traceback" not in log
            assert len(fake.gateway.identifies) == 1  # neither refused one connected

            assert await database.fetchval(TERMINATE_EVERY_GUILD_HOLDERS) == 1
            assert first.process is not None
            assert await asyncio.wait_for(first.process.wait(), CEILING) == 1, logs()
            log = first.log()
            assert "error: lost the database's hold on every server (no --shard-count)" in log
            assert "Traceback" not in log
        finally:
            await database.close()
            for process in processes:
                if process.process is not None:
                    await process.stop()


async def test_role_all_with_a_shard_count_on_postgresql_holds_its_shards(
    pg_url: str, tmp_path: Path
) -> None:
    # --role all --shard-count 2 serves both shards of 2 in one process: on PostgreSQL it
    # holds them as gateways do, so a gateway on shard 1 is refused, and it is watched.
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Sellers Hub")
        guild.add_text_channel("news")
        env = _environment(fake, pg_url, guild.id, SHOPWIRE_SHARD_COUNT="2")
        whole = RoleProcess(env, tmp_path / "all.log", "all")
        gateway = RoleProcess({**env, "SHOPWIRE_SHARDS": "1"}, tmp_path / "gateway.log", "gateway")

        def logs() -> str:
            return "\n".join(f"==== {p.log_path.name}\n{p.log()}" for p in (whole, gateway))

        database = await asyncpg.connect(pg_url)
        try:
            await whole.start()
            await until(lambda: len(fake.gateway.identifies) == 2, logs, "both shards' IDENTIFY")
            await gateway.start()
            assert gateway.process is not None
            assert await asyncio.wait_for(gateway.process.wait(), CEILING) == 1, logs()
            assert "error: shard 1 of 2 already served by another running process" in (
                gateway.log()
            )
            assert len(fake.gateway.identifies) == 2

            assert await database.fetchval(TERMINATE_SHARD_HOLDERS) == 1
            assert whole.process is not None
            assert await asyncio.wait_for(whole.process.wait(), CEILING) == 1, logs()
            assert "error: lost the database's hold on shards 0, 1 of 2" in whole.log()
            assert "Traceback" not in logs()
        finally:
            await database.close()
            for process in (whole, gateway):
                if process.process is not None:
                    await process.stop()


def _environment(fake: FakeDiscord, pg_url: str, guild_id: int, **extra: str) -> dict[str, str]:
    """A process's environment on the fake Discord and ``pg_url``, with ``extra`` settings."""
    return {
        **clean_environ(),
        **fake.env(),
        "SHOPWIRE_DB": pg_url,
        "SHOPWIRE_SEED_CATALOGUE": "0",
        "SHOPWIRE_DEV_GUILD_ID": str(guild_id),
        "SHOPWIRE_LOG_LEVEL": "INFO",
        **extra,
    }
