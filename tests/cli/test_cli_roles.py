"""`shopwire run --role` (issue 10): roles other than `all` need PostgreSQL; on a SQLite file
they stop at once with one line, before anything is opened or created."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli_failures import one_clear_line, run


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
