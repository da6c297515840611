"""`shopwire run --role` (issue 10): roles other than `all` need PostgreSQL; on a SQLite file
they stop at once with one line, before anything is opened or created; a process connected to
Discord on PostgreSQL (a gateway, or --role all) on a shard another live process serves, or
beside an unsharded one, stops with one line before it connects to Discord."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.news.model.vocabulary import Shards
from bot.news.ports import Coordination
from storage import open_storage
from storage.coordination import open_coordination
from tests.ceiling import CEILING
from tests.cli.test_cli_end_to_end import Run
from tests.cli.test_cli_failures import one_clear_line, run
from tests.fakes.environment import clean_environ
from tests.storage.conftest import fresh_postgres_url


@pytest.mark.parametrize("role", ["poller", "gateway"])
async def test_a_role_other_than_all_is_refused_on_sqlite_in_one_line(
    tmp_path: Path, role: str
) -> None:
    db = tmp_path / "shopwire.db"
    result = await run("run", "--role", role, db=db)
    assert result.code == 2
    line = one_clear_line(result)
    assert f"--role {role} needs a PostgreSQL database" in line
    assert "one writer" in line and "--role all" in line
    assert not db.exists()


async def test_an_unknown_role_is_a_settings_error(tmp_path: Path) -> None:
    result = await run("run", "--role", "leader", db=tmp_path / "shopwire.db")
    assert result.code == 2
    assert "role: 'leader' must be one of all, poller, gateway" in result.err
    assert "Traceback" not in result.err


async def test_a_gateway_on_a_shard_another_live_process_serves_is_refused_in_one_line() -> None:
    # A gateway of the same bot already serves shard 1 of 2 (its lock lives with its session):
    # a second gateway given shards 0-1 stops before it connects to Discord.
    async with fresh_postgres_url() as url:
        storage = await open_storage(url)
        coordination = open_coordination(storage, url)
        try:
            assert await coordination.hold_shards(Shards((1,), 2)) == ()
            # Nothing listens at its Discord address: had it tried Discord, the error would
            # say so.
            result = await _gateway(url, "--shards", "0-1", "--shard-count", "2")
            assert result.code == 1
            line = one_clear_line(result)
            assert "shard 1 of 2 already served by another running process" in line
            assert "--shards" in line
            # Shard 0 was not kept by the refused process: it is free for another.
            assert await coordination.hold_shards(Shards((0,), 2)) == ()
        finally:
            await coordination.close()
            await storage.close()


async def test_a_gateway_with_another_shard_count_than_running_ones_is_refused_in_one_line() -> (
    None
):
    # Gateways split shards 0-1 of 4: one started on shard 2 of 8 would serve guilds they
    # serve too, and leave others to nobody.
    async with fresh_postgres_url() as url:
        storage = await open_storage(url)
        coordination = open_coordination(storage, url)
        try:
            assert await coordination.hold_shards(Shards((0, 1), 4)) == ()
            result = await _gateway(url, "--shards", "2", "--shard-count", "8")
            assert result.code == 1
            line = one_clear_line(result)
            assert "--shard-count 8 differs from the running gateways' --shard-count 4" in line
            assert "Traceback" not in result.err
        finally:
            await coordination.close()
            await storage.close()


@pytest.mark.parametrize("role", ["gateway", "all"])
async def test_an_unsharded_process_beside_another_is_refused_in_one_line(role: str) -> None:
    # A process connected to Discord without --shard-count serves every server: a second one,
    # gateway or --role all, would post for every server again.
    async with fresh_postgres_url() as url, process_on(url) as coordination:
        await coordination.hold_unsharded()
        result = await _gateway(url, role=role)
        assert result.code == 1
        line = one_clear_line(result)
        assert "another running process already serves this bot's Discord gateway" in line
        assert "--shards" in line and "--shard-count" in line


async def test_a_sharded_gateway_beside_an_unsharded_process_is_refused_in_one_line() -> None:
    async with fresh_postgres_url() as url:
        async with process_on(url) as coordination:
            await coordination.hold_unsharded()
            result = await _gateway(url, "--shards", "0", "--shard-count", "2")
            assert result.code == 1
            line = one_clear_line(result)
            assert "serves this bot's Discord gateway without --shard-count" in line
        # The refused gateway took nothing: its shard is free.
        async with process_on(url) as other:
            assert await other.hold_shards(Shards((0,), 2)) == ()


async def test_role_all_with_a_shard_count_takes_its_shards_like_a_gateway() -> None:
    # --role all --shard-count 2 serves shards 0 and 1 of 2: a gateway serves shard 1 already.
    async with fresh_postgres_url() as url, process_on(url) as coordination:
        assert await coordination.hold_shards(Shards((1,), 2)) == ()
        result = await _gateway(url, "--shard-count", "2", role="all")
        assert result.code == 1
        line = one_clear_line(result)
        assert "shard 1 of 2 already served by another running process" in line


@asynccontextmanager
async def process_on(url: str) -> AsyncIterator[Coordination]:
    """Another process's coordination over ``url``, closed on exit."""
    storage = await open_storage(url)
    coordination = open_coordination(storage, url)
    try:
        yield coordination
    finally:
        await coordination.close()
        await storage.close()


async def _gateway(url: str, *arguments: str, role: str = "gateway") -> Run:
    """``shopwire run --role ROLE ARGUMENTS`` on ``url``, pointed at no Discord."""
    environment = {
        **clean_environ(),
        "SHOPWIRE_DB": url,
        "DISCORD_TOKEN": "never-used",
        "SHOPWIRE_DISCORD_API_BASE": "http://127.0.0.1:9/api/v10",
        "SHOPWIRE_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--role",
        role,
        *arguments,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), CEILING)
    return Run(process.returncode or 0, out.decode(), err.decode())
