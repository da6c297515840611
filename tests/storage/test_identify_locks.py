"""Identify turns shared by processes on PostgreSQL (storage/postgres/identify_locks.py): one
holder per bucket at a time, across connections as across processes; another bucket is free;
a turn passes on by itself, or when its holder closes (or dies: its session ends)."""

from __future__ import annotations

import asyncio
import itertools

import asyncpg

from storage.identify_locks import open_identify_locks
from storage.postgres.identify_locks import IDENTIFY_LOCK, PostgresIdentifyLocks
from tests.ceiling import CEILING
from tests.storage.conftest import fresh_postgres_url


async def _waiting_for_the_lock(url: str) -> None:
    """Until a session waits for an identify lock (bounded)."""
    connection = await asyncpg.connect(url)
    try:
        async with asyncio.timeout(CEILING):
            for _ in itertools.count():  # the server's lock table is the event
                waiting = await connection.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND classid = $1",
                    IDENTIFY_LOCK,
                )
                if waiting:
                    return
                await asyncio.sleep(0.05)
    finally:
        await connection.close()


async def test_one_turn_per_bucket_across_processes() -> None:
    async with fresh_postgres_url() as url:
        first, second = open_identify_locks(url), open_identify_locks(url)
        assert isinstance(first, PostgresIdentifyLocks)
        assert isinstance(second, PostgresIdentifyLocks)
        try:
            await first.hold(0, 3600)
            waiting = asyncio.create_task(second.hold(0, 3600))
            await _waiting_for_the_lock(url)
            assert not waiting.done()
            await asyncio.wait_for(second.hold(1, 3600), CEILING)  # another bucket is free
            await first.close()  # the holder goes: the waiting process has its turn
            await asyncio.wait_for(waiting, CEILING)
        finally:
            await first.close()
            await second.close()


async def test_a_turn_passes_on_by_itself() -> None:
    async with fresh_postgres_url() as url:
        first, second = PostgresIdentifyLocks(url), PostgresIdentifyLocks(url)
        try:
            await first.hold(3, 0.05)
            await asyncio.wait_for(second.hold(3, 0.05), CEILING)
        finally:
            await first.close()
            await second.close()


def test_a_sqlite_file_keeps_its_turns_in_memory(tmp_path: object) -> None:
    assert open_identify_locks("shopwire.db") is None
    assert open_identify_locks("sqlite:///tmp/x.db") is None
