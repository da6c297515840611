"""The ``db`` setting's forms in the real ``shopwire`` process: a sqlite:/// URL works, a
PostgreSQL server that cannot be reached is one line that never shows the URL's password."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from bot.settings import Settings, hide_password
from tests.cli.test_cli_failures import one_clear_line, run


async def test_an_unreachable_postgresql_url_gets_one_line_without_its_password(
    tmp_path: Path,
) -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    url = "postgresql://shopwire:s3cret@127.0.0.1:1/shopwire"
    result = await run("latest", "--db", url, db=tmp_path / "unused.db")
    assert result.code == 1
    line = one_clear_line(result)
    assert "cannot reach the database server" in line
    assert "s3cret" not in result.err
    assert "postgresql://127.0.0.1:1/shopwire" in line
    assert await asyncio.to_thread(os.listdir, tmp_path) == []  # nothing was created for it


async def test_a_sqlite_url_names_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    result = await run("migrate", "--db", f"sqlite:///{path}", db=tmp_path / "unused.db")
    assert result.code == 0, result.err
    assert path.exists()
    assert not (tmp_path / "unused.db").exists()


def test_messages_show_the_db_setting_without_a_password() -> None:
    assert Settings(db="shopwire.db").db_shown == "shopwire.db"
    assert Settings(db="sqlite:////var/lib/s.db").db_shown == "sqlite:////var/lib/s.db"
    assert hide_password("postgresql://u:p@h:5432/db") == "postgresql://***@h:5432/db"
    # A password with an unescaped "@" or "/", and one given as a parameter.
    assert hide_password("postgresql://u:p/a@b@h/db") == "postgresql://***@h/db"
    assert (
        hide_password("postgresql://h/db?user=u&password=p&sslmode=require")
        == "postgresql://h/db?user=u&password=***&sslmode=require"
    )
