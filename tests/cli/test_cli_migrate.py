"""``shopwire migrate``: creates or updates the schema on either backend and says which version
it reached; a database it cannot open is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import migrations as sqlite_migrations
from storage.postgres.migrations import SCHEMA_VERSION as POSTGRES_VERSION
from tests.cli.test_cli_failures import one_clear_line, run
from tests.storage.conftest import BACKENDS, database_at, fresh_storage_url


@pytest.mark.parametrize("backend", BACKENDS)
async def test_migrate_creates_the_schema_then_finds_it_up_to_date(
    backend: str, tmp_path: Path
) -> None:
    version = sqlite_migrations.SCHEMA_VERSION if backend == "sqlite" else POSTGRES_VERSION
    name = "SQLite" if backend == "sqlite" else "PostgreSQL"
    async with fresh_storage_url(backend, tmp_path) as url:
        first = await run("migrate", "--db", url, db=tmp_path / "unused.db")
        assert first.code == 0, first.err
        assert f"{name} database " in first.out
        assert first.out.strip().endswith(f": created at schema version {version}.")
        again = await run("migrate", "--db", url, db=tmp_path / "unused.db")
        assert again.code == 0, again.err
        assert again.out.strip().endswith(f": schema version {version}, up to date.")
    assert not (tmp_path / "unused.db").exists()


async def test_migrate_brings_an_older_sqlite_file_forward(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with database_at(path, 5):
        pass
    result = await run("migrate", db=path)
    assert result.code == 0, result.err
    assert result.out.strip() == (
        f"SQLite database {path}: migrated from schema version 5 to"
        f" {sqlite_migrations.SCHEMA_VERSION}."
    )


async def test_migrate_on_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    url = "postgresql://shopwire:s3cret@127.0.0.1:1/shopwire"
    result = await run("migrate", "--db", url, db=tmp_path / "unused.db")
    assert result.code == 1
    line = one_clear_line(result)
    assert "cannot reach the database server" in line
    assert "s3cret" not in result.err and result.out == ""
