"""``storage.open_storage``: the forms of the ``db`` setting, and the ``Storage`` port."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.news.model.errors import StorageError
from bot.news.ports import Storage
from storage import open_storage
from storage.url import PostgresLocation, SqliteLocation, parse_db_url
from tests.storage.conftest import add_feed


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("shopwire.db", "shopwire.db"),
        ("/var/lib/shopwire/shopwire.db", "/var/lib/shopwire/shopwire.db"),
        (":memory:", ":memory:"),
        ("sqlite:///shopwire.db", "shopwire.db"),
        ("sqlite:///data/shopwire.db", "data/shopwire.db"),
        ("sqlite:////var/lib/shopwire/shopwire.db", "/var/lib/shopwire/shopwire.db"),
        ("SQLite:///shopwire.db", "shopwire.db"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_paths_and_sqlite_urls_name_a_file(url: str, path: str) -> None:
    assert parse_db_url(url) == SqliteLocation(path)


@pytest.mark.parametrize(
    ("url", "named"),
    [
        (
            "postgresql://shopwire:s3cret@db.example:5432/shopwire",
            "postgresql://shopwire:s3cret@db.example:5432/shopwire",
        ),
        ("postgres://shopwire@db.example/shopwire", "postgresql://shopwire@db.example/shopwire"),
        (
            "postgresql+asyncpg://shopwire@db.example/shopwire",
            "postgresql://shopwire@db.example/shopwire",
        ),
        (" PostgreSQL://db.example/shopwire ", "postgresql://db.example/shopwire"),
    ],
)
def test_postgresql_urls_name_a_postgresql_database(url: str, named: str) -> None:
    assert parse_db_url(url) == PostgresLocation(named)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://u:s3cret@host/db", "mysql:// are not supported"),
        ("sqlite://host/shopwire.db", "names no host"),
        ("sqlite:///", "names no file"),
        ("  ", "empty"),
    ],
)
def test_other_forms_are_refused_with_what_is_accepted(url: str, says: str) -> None:
    with pytest.raises(StorageError, match=says) as refused:
        parse_db_url(url)
    assert "s3cret" not in str(refused.value) and "\n" not in str(refused.value)


async def test_a_sqlite_url_opens_the_file_and_says_whether_it_was_created(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "news.db"
    storage: Storage = await open_storage(f"sqlite:///{path}")  # an absolute path: 4 slashes
    try:
        assert storage.created
        await add_feed(storage, "Retail Dive")
    finally:
        await storage.close()
    assert path.exists()
    again = await open_storage(str(path))
    try:
        assert not again.created
        assert [feed.name for feed in await again.feeds.list_feeds()] == ["Retail Dive"]
    finally:
        await again.close()


async def test_a_relative_sqlite_url_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    storage = await open_storage("sqlite:///news.db")
    await storage.close()
    assert (tmp_path / "news.db").exists()


async def test_an_unreachable_postgresql_server_is_one_line_without_the_password() -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    with pytest.raises(StorageError) as refused:
        await open_storage("postgresql://shopwire:s3cret@127.0.0.1:1/shopwire")
    message = str(refused.value)
    assert message.startswith("Cannot open the database postgresql://127.0.0.1:1/shopwire:")
    assert "cannot reach the database server" in message
    assert "s3cret" not in message and "\n" not in message


async def test_a_postgresql_port_out_of_range_is_one_line_without_the_password() -> None:
    # asyncpg takes the port as it is and socket.connect raises OverflowError: a traceback.
    with pytest.raises(StorageError) as caught:
        await open_storage("postgresql://shopwire:s3cret@127.0.0.1:99999/shopwire")
    message = str(caught.value)
    assert message.endswith(": the URL is not valid (connect(): port must be 0-65535.)")
    assert "s3cret" not in message


async def test_the_storage_port_names_every_repository(tmp_path: Path) -> None:
    # mypy checks the types (bot/app.py holds the Database as a Storage); this checks that
    # every member the port names exists on what open_storage returns.
    storage = await open_storage(str(tmp_path / "news.db"))
    try:
        members = [name for name in vars(Storage) if not name.startswith("_")]
        assert {"feeds", "items", "subscriptions", "outbox", "close"} <= set(members)
        for name in members:
            assert hasattr(storage, name), name
        assert callable(storage.items.register_companies)
    finally:
        await storage.close()
