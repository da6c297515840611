"""PostgreSQL's schema: numbered migrations under an advisory lock, and opening errors."""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.news.model.errors import StorageError
from storage import Database, open_storage
from storage.postgres import migrations, open_postgres
from storage.postgres.connect import migrate_postgres
from storage.postgres.migrations import SCHEMA_VERSION, current_version, migrate
from tests.ceiling import CEILING
from tests.storage.conftest import fresh_postgres_url, postgres_server_url


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    finally:
        await connection.close()
    return {row[0] for row in rows}


async def test_a_new_database_gets_every_table_and_says_it_was_created() -> None:
    async with fresh_postgres_url() as url:
        storage = await open_postgres(url)
        try:
            assert storage.created
            assert await current_version(storage.pool) == SCHEMA_VERSION
        finally:
            await storage.close()
        assert {
            "schema_version",
            "meta",
            "feeds",
            "companies",
            "items",
            "item_companies",
            "item_topics",
            "stories",
            "story_features",
            "story_merges",
            "subscriptions",
            "outbox",
            "digests",
            "guild_settings",
            "feed_documents",
            "follow_roles",
            "story_threads",
        } <= await _tables(url)
        again = await open_postgres(url)
        try:
            assert not again.created
        finally:
            await again.close()


# Search is each backend's own: SQLite's hidden tag tokens and FTS5 index, PostgreSQL's tsvector.
_OWN_SEARCH = {("items", "tags"), ("items", "search")}
# PostgreSQL's count of subscription changes (its cache check; SQLite compares rows instead).
_POSTGRES_ONLY = {("subscription_changes", "single"), ("subscription_changes", "version")}


async def test_every_sqlite_table_and_column_has_its_postgresql_twin(tmp_path: Path) -> None:
    # A SQLite migration not mirrored in storage/postgres/migrations.py fails here.
    path = tmp_path / "twin.db"
    async with await Database.open(path):
        pass
    with sqlite3.connect(path) as raw:
        tables = [
            name
            for (name,) in raw.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'items_fts%'"
            )
        ]
        sqlite_columns = {
            (table, column)
            for table in tables
            for (column,) in raw.execute("SELECT name FROM pragma_table_info(?)", (table,))
        }
    async with fresh_postgres_url() as url:
        storage = await open_postgres(url)
        try:
            rows = await storage.pool.fetch(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name <> 'schema_version'"
            )
        finally:
            await storage.close()
    postgres_columns = {(row[0], row[1]) for row in rows}
    assert sqlite_columns - _OWN_SEARCH == postgres_columns - _OWN_SEARCH - _POSTGRES_ONLY


async def test_processes_starting_together_migrate_once() -> None:
    async with fresh_postgres_url() as url:
        opened = await asyncio.gather(*(open_postgres(url) for _ in range(4)))
        try:
            # Exactly one of them applied migration 1; the others waited for its lock.
            assert sum(storage.created for storage in opened) == 1
            versions = await opened[0].pool.fetch("SELECT version FROM schema_version")
            assert sorted(row[0] for row in versions) == list(range(1, SCHEMA_VERSION + 1))
        finally:
            for storage in opened:
                await storage.close()


async def test_one_process_migrates_and_says_so_the_others_wait_and_say_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Before: the processes took turns, one migration each, and each reported a migration of
    # its own ("created at 14", "migrated from 1 to 14", "migrated from 2 to 14").
    caplog.set_level(logging.INFO, logger="shopwire.storage")
    async with fresh_postgres_url() as url:
        holder = await asyncpg.connect(url)
        try:
            # Held here so that all three are waiting before any of them migrates.
            await holder.execute("SELECT pg_advisory_lock($1)", migrations.MIGRATION_LOCK)
            starts = [asyncio.create_task(migrate_postgres(url)) for _ in range(3)]
            waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            async with asyncio.timeout(CEILING):
                for _ in itertools.count():  # the server's lock table is the event
                    if await holder.fetchval(waiting) >= 3:
                        break
                    await asyncio.sleep(0.01)
            await holder.execute("SELECT pg_advisory_unlock($1)", migrations.MIGRATION_LOCK)
            done = await asyncio.wait_for(asyncio.gather(*starts), CEILING)
        finally:
            await holder.close()
    assert sorted((m.found, m.reached) for m in done) == [
        (0, SCHEMA_VERSION),
        (SCHEMA_VERSION, SCHEMA_VERSION),
        (SCHEMA_VERSION, SCHEMA_VERSION),
    ]
    assert all(m.waited_for_other for m in done)
    lines = [r.getMessage() for r in caplog.records if r.name == "shopwire.storage"]
    assert lines.count(f"database schema migrated from version 0 to {SCHEMA_VERSION}") == 1
    by_other = [line for line in lines if "migrated by another process" in line]
    assert len(by_other) == 2 and len(lines) == 3


async def test_a_migration_lock_held_too_long_is_one_line_not_a_wait_forever() -> None:
    async with fresh_postgres_url() as url:
        holder = await asyncpg.connect(url)
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        assert pool is not None
        try:
            await holder.execute("SELECT pg_advisory_lock($1)", migrations.MIGRATION_LOCK)
            with pytest.raises(StorageError, match="another process has been migrating"):
                await asyncio.wait_for(migrate(pool, wait=0.2), CEILING)
            assert await current_version(pool) == 0
            await holder.execute("SELECT pg_advisory_unlock($1)", migrations.MIGRATION_LOCK)
            assert (await migrate(pool)).reached == SCHEMA_VERSION  # the connection is fine
        finally:
            await pool.close()
            await holder.close()


async def test_an_older_schema_is_brought_forward_one_migration_at_a_time() -> None:
    async with fresh_postgres_url() as url:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        assert pool is not None
        try:
            extra = "CREATE TABLE later_table (id BIGINT PRIMARY KEY)"
            first = await migrate(pool)
            assert (first.found, first.reached) == (0, SCHEMA_VERSION)
            second = await migrate(pool, (*migrations.MIGRATIONS, extra))
            assert (second.found, second.reached) == (SCHEMA_VERSION, SCHEMA_VERSION + 1)
            assert "later_table" in await _tables(url)
        finally:
            await pool.close()


async def test_a_failing_migration_leaves_the_previous_version() -> None:
    async with fresh_postgres_url() as url:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        assert pool is not None
        try:
            await migrate(pool)
            broken = "CREATE TABLE half_done (id BIGINT); SELECT no_such_function()"
            with pytest.raises(asyncpg.UndefinedFunctionError):
                await migrate(pool, (*migrations.MIGRATIONS, broken))
            assert await current_version(pool) == SCHEMA_VERSION
            assert "half_done" not in await _tables(url)
        finally:
            await pool.close()


async def test_a_newer_schema_is_refused_in_one_line() -> None:
    async with fresh_postgres_url() as url:
        storage = await open_postgres(url)
        try:
            await storage.pool.execute(
                "INSERT INTO schema_version (version) VALUES ($1)", SCHEMA_VERSION + 5
            )
        finally:
            await storage.close()
        with pytest.raises(StorageError, match=f"schema version {SCHEMA_VERSION + 5}, newer"):
            await open_storage(url)


@pytest.mark.parametrize(
    ("user", "database", "says"),
    [
        (None, "shopwire_no_such_db", "the database does not exist"),
        ("nobody_here", None, "refused the login"),
    ],
)
async def test_a_missing_database_or_a_refused_login_is_one_line_without_the_password(
    user: str | None, database: str | None, says: str
) -> None:
    server = urlsplit(postgres_server_url())
    login = f"{user or server.username or 'postgres'}:s3cret"
    where = f"{server.hostname}:{server.port or 5432}"
    url = f"postgresql://{login}@{where}/{database or server.path.lstrip('/')}"
    with pytest.raises(StorageError) as refused:
        await open_storage(url)
    message = str(refused.value)
    assert message.startswith(f"Cannot open the database postgresql://{where}/"), message
    assert says in message
    assert "s3cret" not in message and "\n" not in message
