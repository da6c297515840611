"""Day-one failures of the real ``shopwire`` process end in one clear line, never a traceback:
a read-only database file, a ``--db`` that names a folder, a full disk (issue 9 item 7)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from bot.news.model.errors import DatabaseNotOpened, StorageError, database_error_line
from storage import Database
from tests.cli.test_cli_end_to_end import SHEIN, TEMU, Run
from tests.fakes.environment import clean_environ
from tests.fakes.feedserver import FeedServer, rss
from tests.storage.conftest import add_feed, draft, poll, tagged

ROOT = Path(__file__).resolve().parents[2]


def _without_write_override() -> list[str]:
    """A prefix that runs a command without root's right to write read-only files, or []."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only file cannot be simulated")
    return [setpriv, "--bounding-set", "-dac_override", "--"]


async def run(*args: str, db: Path, module: str = "bot", prefix: tuple[str, ...] = ()) -> Run:
    """The CLI (or a test entry point that wraps it) in a subprocess, bounded."""
    environment = clean_environ()
    environment.update({"SHOPWIRE_DB": str(db), "SHOPWIRE_SEED_CATALOGUE": "0"})
    environment["PYTHONPATH"] = str(ROOT)
    process = await asyncio.create_subprocess_exec(
        *prefix,
        sys.executable,
        "-m",
        module,
        *args,
        cwd=db.parent if db.parent.exists() else ROOT,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


def one_clear_line(result: Run) -> str:
    assert "Traceback" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: ")
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_read_only_commands_work_on_a_read_only_database_and_write_nothing(
    tmp_path: Path,
) -> None:
    prefix = tuple(_without_write_override())
    db = tmp_path / "news.db"
    async with await Database.open(db) as database:
        feed = await add_feed(database, "Loopback News")
        await database.items.apply(
            poll(feed, [tagged(draft(k, t, s), "temu") for k, t, s in (TEMU, SHEIN)])
        )
    db.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    before = digest(db)

    for command in (
        ("latest",),
        ("search", "fined"),
        ("feeds", "list"),
        ("summary",),
        ("feeds", "export-opml"),
    ):
        result = await run(*command, db=db, prefix=prefix)
        assert result.code == 0, (command, result.err)
        assert "Traceback" not in result.err and result.err == "", (command, result.err)
    latest = await run("latest", db=db, prefix=prefix)
    assert TEMU[1] in latest.out and SHEIN[1] in latest.out

    # A command that writes says why it cannot, in one line.
    removed = await run("feeds", "remove", str(feed.id), db=db, prefix=prefix)
    assert removed.code == 1
    assert "the database is read-only" in one_clear_line(removed)
    assert digest(db) == before


async def test_read_only_commands_work_on_a_database_in_a_read_only_folder(
    tmp_path: Path,
) -> None:
    # A read-only copy or mount: SQLite cannot create the -shm file it reads a WAL database
    # through. Every read-only command was refused with "this command writes to it".
    prefix = tuple(_without_write_override())
    folder = tmp_path / "copy"
    folder.mkdir()
    db = folder / "news.db"
    async with await Database.open(db) as database:
        feed = await add_feed(database, "Loopback News")
        await database.items.apply(
            poll(feed, [tagged(draft(k, t, s), "temu") for k, t, s in (TEMU, SHEIN)])
        )
    before = digest(db)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    try:
        for command, shown in (
            (("latest",), SHEIN[1]),
            (("search", "fined"), SHEIN[1]),
            (("feeds", "list"), "Loopback News"),
            (("summary",), "E-commerce news"),
            (("feeds", "export-opml"), "Loopback News"),
        ):
            result = await run(*command, db=db, prefix=prefix)
            assert result.code == 0, (command, result.err)
            assert result.err == "", (command, result.err)
            assert shown in result.out, (command, result.out)
        removed = await run("feeds", "remove", str(feed.id), db=db, prefix=prefix)
        assert removed.code == 1
        assert "the database is read-only" in one_clear_line(removed)
    finally:
        folder.chmod(stat.S_IRWXU)
    assert digest(db) == before
    assert sorted(path.name for path in folder.iterdir()) == ["news.db"]


async def test_read_only_commands_on_a_missing_database_say_so_and_create_nothing(
    tmp_path: Path,
) -> None:
    # Before: each of them made missing/dir/ and an empty (seeded) database, then printed
    # that nothing was stored.
    missing = tmp_path / "missing" / "dir" / "x.db"
    for command in (
        ("latest",),
        ("search", "temu"),
        ("summary",),
        ("trend", "--out", str(tmp_path / "t.png")),
        ("feeds", "list"),
        ("feeds", "export-opml"),
    ):
        for db in (str(missing), f"sqlite:///{missing}"):
            result = await run(*command, "--db", db, db=tmp_path / "unused.db")
            assert result.code == 1, (command, result)
            assert "there is no folder" in one_clear_line(result), command
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240  (the subprocesses have ended)


async def test_a_db_that_names_a_folder_gets_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for command in (("latest",), ("feeds", "list"), ("poll",)):
        result = await run(*command, "--db", str(folder), db=tmp_path / "unused.db")
        assert result.code == 1
        line = one_clear_line(result)  # no "Event loop is closed" from aiosqlite's thread
        assert "is a folder" in line


async def test_a_full_disk_gives_feeds_add_and_poll_one_clear_line(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server:
        url = server.serve("/feed.xml", rss([TEMU, SHEIN]))
        async with await Database.open(db) as database:
            await add_feed(database, "Loopback News", url=url)
        added = await run(
            "feeds",
            "add",
            server.serve("/other.xml", rss([TEMU])),
            db=db,
            module="tests.fakes.full_disk",
        )
        polled = await run("poll", db=db, module="tests.fakes.full_disk")

    assert added.code == 1
    assert "the disk is full" in one_clear_line(added)
    assert polled.code == 1
    assert "the disk is full" in one_clear_line(polled)
    # Nothing was stored, and the database is fine for the next poll.
    latest = await run("latest", "--json", db=db)
    assert latest.code == 0 and latest.json() == []


async def test_a_database_that_cannot_be_opened_is_named_once(tmp_path: Path) -> None:
    # Before: "error: database X: Cannot open the database X: the file is not a database
    # (file is not a database)", the path twice and SQLite's words twice.
    garbage = tmp_path / "db.sqlite"
    garbage.write_bytes(b"not a database at all, " * 200)
    unreachable = "postgresql://shopwire@127.0.0.1:1/shopwire"
    for command in (("latest",), ("migrate",), ("feeds", "list")):
        for db, named in ((str(garbage), str(garbage)), (unreachable, "127.0.0.1:1/shopwire")):
            result = await run(*command, "--db", db, db=tmp_path / "unused.db")
            assert result.code == 1, (command, result)
            line = one_clear_line(result)
            assert line.count(named) == 1, line
            assert line.startswith("error: Cannot open the database "), line
    first = await run("latest", "--db", str(garbage), db=tmp_path / "unused.db")
    assert one_clear_line(first).count("not a database") == 1


def test_other_database_errors_are_named_by_the_db_setting() -> None:
    full = StorageError("the disk is full")
    assert database_error_line("news.db", full) == "error: database news.db: the disk is full"
    opened = DatabaseNotOpened("Cannot open the database news.db: the file is not a database")
    assert database_error_line("news.db", opened).count("news.db") == 1
