"""Signals to the real ``shopwire`` process (issue 9 item 6).

SIGTERM ends a command like Ctrl-C: one short line, no traceback, exit 130 (``run`` stops in
order and exits 0), what finished stays stored. SIGKILL leaves no child behind: not the parse
workers, not the forkserver, not multiprocessing's resource tracker. Every wait is for a
condition, with a generous ceiling; no wall-clock assertion.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.news.adapters.parent_watch import alive
from storage import Database
from tests.cli.test_cli_end_to_end import SHEIN, TEMU
from tests.fakes.environment import clean_environ
from tests.fakes.feedserver import FeedServer, rss
from tests.fakes.silentserver import SilentServer
from tests.storage.conftest import add_feed

ROOT = Path(__file__).resolve().parents[2]
CEILING = 60.0


def descendants(pid: int) -> dict[int, str]:
    """Every process below ``pid`` (children, their children...), with its command line."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    commands = {}
    for child in found:
        try:
            commands[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
    return {child: command.decode(errors="replace") for child, command in commands.items()}


async def until(predicate: Callable[[], object], what: str) -> None:
    """Wait (bounded) until ``predicate()`` holds; AssertionError naming ``what`` if never."""
    try:
        async with asyncio.timeout(CEILING):
            # Process states have no event to wait on: look again every 50 ms.
            while True:
                if predicate():
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def start(*args: str, db: Path, **env: str) -> asyncio.subprocess.Process:
    environment = clean_environ()
    environment.update(
        {
            "SHOPWIRE_DB": str(db),
            "SHOPWIRE_SEED_CATALOGUE": "0",
            "SHOPWIRE_TOTAL_TIMEOUT": "120",  # the hanging feed hangs for the whole test
            "PYTHONPATH": str(ROOT),
            **env,
        }
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=db.parent,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def stored_titles(db: Path) -> set[str]:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {row[0] for row in connection.execute("SELECT title FROM items")}
    finally:
        connection.close()


async def polling_with_one_feed_hanging(
    db: Path, server: FeedServer, silent: SilentServer
) -> tuple[asyncio.subprocess.Process, dict[int, str]]:
    """``shopwire poll`` once the quick feed is stored (so the parser pool is up) while the
    other feed hangs; returns the process and its descendants at that moment."""
    async with await Database.open(db) as database:
        await add_feed(database, "Quick", url=server.serve("/feed.xml", rss([TEMU, SHEIN])))
        await add_feed(database, "Hanging", url=silent.url("/feed.xml"))
    process = await start("poll", db=db)
    children: dict[int, str] = {}

    def pool_is_up() -> bool:
        children.update(descendants(process.pid))
        return len(children) >= 3  # the resource tracker, the forkserver, a worker at least

    try:
        await until(lambda: stored_titles(db) == {TEMU[1], SHEIN[1]} and silent.accepted, "stored")
        await until(pool_is_up, "parser pool")
    except BaseException:
        process.kill()
        _, err = await process.communicate()
        raise AssertionError(err.decode()) from None
    return process, children


async def gone(children: dict[int, str]) -> list[str]:
    """The children still alive once they had a (generous) while to notice."""
    with contextlib.suppress(AssertionError):
        await until(lambda: not any(alive(pid) for pid in children), "children gone")
    return [command for pid, command in children.items() if alive(pid)]


async def test_sigterm_of_poll_exits_like_ctrl_c_keeps_what_finished_and_stops_workers(
    tmp_path: Path,
) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server, SilentServer() as silent:
        process, children = await polling_with_one_feed_hanging(db, server, silent)
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), CEILING)

    assert process.returncode == 130  # as for Ctrl-C; it was -15 (143), silently
    assert err.decode() == "interrupted\n"
    assert await gone(children) == []
    # The quick feed's poll had finished: it stays stored. The hanging one rolled back and
    # is still due.
    assert stored_titles(db) == {TEMU[1], SHEIN[1]}
    async with await Database.open(db) as database:
        due = await database.feeds.due(datetime.now(UTC))
    assert [feed.name for feed in due] == ["Hanging"]


async def test_sigkill_of_poll_leaves_no_child_behind(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server, SilentServer() as silent:
        process, children = await polling_with_one_feed_hanging(db, server, silent)
        assert any("resource_tracker" in command for command in children.values()), children
        assert any("forkserver" in command for command in children.values()), children
        process.kill()
        await asyncio.wait_for(process.communicate(), CEILING)

    assert await gone(children) == []


async def test_sigterm_while_the_poll_starts_its_parser_pool_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    # `shopwire poll` starts its parser pool as it opens. The only feed hangs, so nothing is
    # parsed: SIGTERM comes while the pool is starting, and that start is abandoned.
    db = tmp_path / "news.db"
    async with SilentServer() as silent:
        async with await Database.open(db) as database:
            await add_feed(database, "Hanging", url=silent.url("/feed.xml"))
        process = await start("poll", db=db)
        children: dict[int, str] = {}

        def polling_while_the_pool_starts() -> bool:
            children.update(descendants(process.pid))
            return silent.accepted >= 1 and any("forkserver" in c for c in children.values())

        try:
            await until(polling_while_the_pool_starts, "the fetch and the pool's start")
        except BaseException:
            process.kill()
            _, err = await process.communicate()
            raise AssertionError(err.decode()) from None
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), CEILING)

    assert process.returncode == 130
    assert err.decode() == "interrupted\n"
    assert await gone(children) == []


async def test_a_poll_with_nothing_to_parse_leaves_no_parser_process(tmp_path: Path) -> None:
    # The pool started ahead is not needed (the feed answers 404): the poll ends without it,
    # and nothing it started is left running.
    db = tmp_path / "news.db"
    async with FeedServer() as server:
        async with await Database.open(db) as database:
            await add_feed(database, "Missing", url=server.url("/missing.xml"))
        process = await start("poll", db=db)
        children: dict[int, str] = {}

        def ended() -> bool:
            children.update(descendants(process.pid))
            return process.returncode is not None

        waiting = asyncio.create_task(process.communicate())
        await until(ended, "the poll's end")
        out, err = await asyncio.wait_for(waiting, CEILING)

    assert process.returncode == 0, err.decode()
    assert "Missing" in out.decode()
    assert await gone(children) == []


async def test_sigterm_while_discord_does_not_answer(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    async with SilentServer() as discord:
        env = {"DISCORD_TOKEN": "abc.def.ghi", "SHOPWIRE_DISCORD_API_BASE": discord.url("/api")}

        # `run` waited for aiohttp's five-minute timeout before it even noticed SIGTERM.
        bot = await start("run", db=db, **env)
        await until(lambda: discord.accepted >= 1, "run logging in")
        bot.send_signal(signal.SIGTERM)
        _, bot_err = await asyncio.wait_for(bot.communicate(), CEILING)

        sync = await start("sync-commands", db=db, **env)
        await until(lambda: discord.accepted >= 2, "sync logging in")
        sync.send_signal(signal.SIGTERM)
        _, sync_err = await asyncio.wait_for(sync.communicate(), CEILING)

        killed = await start("sync-commands", db=db, **env)
        await until(lambda: discord.accepted >= 3, "sync logging in again")
        children = descendants(killed.pid)
        killed.kill()
        await asyncio.wait_for(killed.communicate(), CEILING)

    assert bot.returncode == 0, bot_err.decode()
    assert "Traceback" not in bot_err.decode()
    assert "stopped before connecting" in bot_err.decode()
    assert sync.returncode == 130
    assert sync_err.decode() == "interrupted\n"
    assert await gone(children) == []
