"""The parser pool started beside the poller stage (bot/early_parser.py): the first poll finds it
up, a failed start does not stop polling, and a start under way ends with the stage; a newsroom
opened for ``shopwire poll`` starts its pool as it opens and abandons a start under way on exit."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import open_newsroom
from bot.early_parser import with_parser_starting
from bot.news.adapters import parsing_pool
from bot.news.adapters.parsing_pool import _exited, _WorkerPool
from bot.news.model.vocabulary import FeedPollResult, FeedStatus
from bot.settings import Settings
from storage import Database
from tests.storage.conftest import add_feed

CEILING = 60.0  # a generous bound on every wait; nothing here is timed


class Room:
    """A Newsroom's start_parser, scripted by the test."""

    def __init__(self, *, fails: bool = False) -> None:
        self.fails = fails
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.cancelled = False

    async def start_parser(self) -> None:
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.fails:
            raise RuntimeError("no processes left")


async def test_the_pool_starts_while_the_poller_runs() -> None:
    room = Room()
    polled = []

    async def poll() -> None:
        await asyncio.wait_for(room.started.wait(), CEILING)  # started without waiting for it
        polled.append(True)
        room.release.set()
        await asyncio.sleep(0)

    await asyncio.wait_for(with_parser_starting(room, poll), CEILING)  # type: ignore[arg-type]
    assert polled == [True]
    assert not room.cancelled


async def test_a_failed_start_is_logged_and_polling_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    room = Room(fails=True)
    room.release.set()
    went_on = asyncio.Event()

    async def poll() -> None:
        await asyncio.wait_for(room.started.wait(), CEILING)
        for _ in range(10):  # the failed start's task runs to its end meanwhile
            await asyncio.sleep(0)
        went_on.set()

    with caplog.at_level(logging.WARNING, logger="shopwire"):
        await asyncio.wait_for(with_parser_starting(room, poll), CEILING)  # type: ignore[arg-type]
    assert went_on.is_set()
    assert "did not start ahead of the first poll: no processes left" in caplog.text


async def test_a_start_under_way_ends_with_the_stage() -> None:
    room = Room()

    async def poll() -> None:
        await asyncio.wait_for(room.started.wait(), CEILING)

    await asyncio.wait_for(with_parser_starting(room, poll), CEILING)  # type: ignore[arg-type]
    assert room.cancelled


async def test_the_newsrooms_pool_is_started_ahead_and_closed_with_it(tmp_path: Path) -> None:
    settings = Settings(db=str(tmp_path / "shopwire.db"), seed_catalogue=False, parse_workers=1)
    async with open_newsroom(settings) as newsroom:
        assert newsroom.parsers is not None and not newsroom.parsers.opened
        await asyncio.wait_for(newsroom.start_parser(), CEILING)
        assert newsroom.parsers.opened
        pool = await newsroom.parsers.get()
        executor = pool._running_executor()
        assert isinstance(executor, _WorkerPool)  # the pool of worker processes, not threads
        pids = executor.pids()
        assert len(pids) == 1
    assert not newsroom.parsers.opened
    assert all(_exited(pid) for pid in pids)  # the worker was stopped with the newsroom


async def test_a_poll_of_new_feeds_starts_the_pool_as_the_newsroom_opens(tmp_path: Path) -> None:
    settings = Settings(db=str(tmp_path / "shopwire.db"), seed_catalogue=False, parse_workers=1)
    async with await Database.open(tmp_path / "shopwire.db") as database:
        await add_feed(database, "Never polled")
    async with open_newsroom(settings, parser_ahead=True) as newsroom:
        assert newsroom.parsers is not None
        # Under way before anything asked for a parse (or done already on a fast machine).
        assert newsroom.parsers.opening or newsroom.parsers.opened
        pool = await asyncio.wait_for(newsroom.parsers.get(), CEILING)  # that same start
        executor = pool._running_executor()
        assert isinstance(executor, _WorkerPool)  # the pool of worker processes, not threads
        pids = executor.pids()
        assert len(pids) == 1
    assert all(_exited(pid) for pid in pids)


async def test_a_poll_of_known_feeds_leaves_the_start_to_the_first_parse(tmp_path: Path) -> None:
    # They may all be unchanged: then the poll needs no pool at all.
    settings = Settings(db=str(tmp_path / "shopwire.db"), seed_catalogue=False, parse_workers=1)
    async with await Database.open(tmp_path / "shopwire.db") as database:
        feed = await add_feed(database, "Polled")
        now = datetime.now(UTC)
        await database.items.apply(
            FeedPollResult(feed_id=feed.id, polled_at=now, status=FeedStatus.OK, next_due=now)
        )
    async with open_newsroom(settings, parser_ahead=True) as newsroom:
        assert newsroom.parsers is not None
        for _ in range(10):  # what a start task would run meanwhile
            await asyncio.sleep(0)
        assert not newsroom.parsers.opening and not newsroom.parsers.opened


async def test_a_start_under_way_when_the_newsroom_closes_is_abandoned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Workers that never get ready: closing the newsroom must not wait for them (the start's
    # time-out is set far beyond the ceiling); it kills them (tests/news/test_parsing_pool.py).
    monkeypatch.setattr(parsing_pool, "_PRELOAD", ("tests.fakes.stalled_start",))
    monkeypatch.setattr(parsing_pool, "_START_TIMEOUT", 10 * CEILING)
    settings = Settings(db=str(tmp_path / "shopwire.db"), seed_catalogue=False, parse_workers=1)
    async with await Database.open(tmp_path / "shopwire.db") as database:
        await add_feed(database, "Never polled")

    async def open_and_close() -> bool:
        async with open_newsroom(settings, parser_ahead=True) as newsroom:
            assert newsroom.parsers is not None
            return newsroom.parsers.opening

    assert await asyncio.wait_for(open_and_close(), CEILING)
