"""`shopwire run --role` (issue 10): roles other than `all` need PostgreSQL; on a SQLite file
they stop at once with one line, before anything is opened or created; a gateway on a shard
another live process serves stops with one line before it connects to Discord."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from bot.news.models import Shards
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


async def _gateway(url: str, *arguments: str) -> Run:
    """``shopwire run --role gateway ARGUMENTS`` on ``url``, pointed at no Discord."""
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
        "gateway",
        *arguments,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), CEILING)
    return Run(process.returncode or 0, out.decode(), err.decode())
