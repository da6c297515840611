"""Opening a SQLite file only to read it (`shopwire latest`, `search`): one query-only
connection on an up-to-date file; everything else is opened as by any other command."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

import storage.migrations as migrations
from bot.loopless import run_now
from bot.news.model.errors import StorageError
from bot.news.model.vocabulary import LatestRequest
from storage import Database, open_query_only, open_storage
from storage.migrations import SCHEMA_VERSION
from tests.storage.conftest import add_feed, draft, poll


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def _stored(path: Path) -> None:
    async with await Database.open(path) as db:
        feed = await add_feed(db, "Retail Dive")
        await db.items.apply(poll(feed, [draft("a", "Temu tariffs")]))


async def test_an_up_to_date_file_is_read_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    await _stored(path)
    before = _digest(path)
    database = await open_storage(str(path), read_only=True)
    try:
        assert not database.created
        page = await database.items.latest(LatestRequest(limit=5, all_guilds=True))
        assert [hit.item.title for hit in page.hits] == ["Temu tariffs"]
        assert [feed.name for feed in await database.feeds.list_feeds(all_guilds=True)] == [
            "Retail Dive"
        ]
        with pytest.raises(StorageError):  # query-only: a write is refused, not made
            await database.meta.set("written", "yes")
        feed = (await database.feeds.list_feeds(all_guilds=True))[0]
        with pytest.raises(StorageError):  # a poll's store too (write_at_once)
            await database.items.apply(poll(feed, [draft("written")]))
    finally:
        await database.close()
    assert _digest(path) == before


async def test_a_missing_file_is_created_and_migrated_as_by_open(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    async with await Database.open_for_reading(path) as database:
        assert database.created
        assert await database.items.count() == 0
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_a_missing_folder_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    # Before: `shopwire latest --db missing/dir/x.db` made the folders and an empty database.
    path = tmp_path / "missing" / "dir" / "new.db"
    with pytest.raises(StorageError, match=r"no folder .*dir for the database file"):
        await Database.open_for_reading(path)
    with pytest.raises(StorageError, match="never create one"):
        await open_storage(str(path), read_only=True)
    assert not (tmp_path / "missing").exists()
    async with await Database.open(path) as database:  # a command that writes creates it
        assert database.created


async def test_an_older_schema_is_migrated_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "news.db"
    await _stored(path)
    later = "CREATE TABLE guilds (id INTEGER PRIMARY KEY) STRICT;"
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, later))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    async with await Database.open_for_reading(path) as database:
        assert await database.items.count() == 1
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


async def test_a_newer_schema_or_a_folder_or_not_a_database_gets_the_same_error(
    tmp_path: Path,
) -> None:
    future = tmp_path / "future.db"
    await _stored(future)
    with sqlite3.connect(future) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    notes = tmp_path / "notes.db"
    notes.write_bytes(b"these are not the pages you are looking for" * 100)
    folder = tmp_path / "folder"
    folder.mkdir()
    for path in (future, notes, folder):
        with pytest.raises(StorageError) as opened:
            await Database.open(path)
        with pytest.raises(StorageError) as read:
            await Database.open_for_reading(path)
        assert str(read.value) == str(opened.value)


async def test_without_an_event_loop_only_an_up_to_date_file_is_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "news.db"
    assert open_query_only(str(path)) is None  # a new file is made by open_storage
    assert not path.exists()
    assert open_query_only("postgresql://localhost/shopwire") is None
    await _stored(path)
    before = _digest(path)
    database = open_query_only(f"sqlite:///{path}")
    assert database is not None
    # Its reads finish at once: the repositories' coroutines run without a loop.
    assert run_now(database.items.count()) == 1
    with pytest.raises(StorageError, match="read-only"):
        run_now(database.meta.set("written", "yes"))
    run_now(database.close())
    assert _digest(path) == before
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    assert open_query_only(str(path)) is None  # an older schema: open_storage migrates it
