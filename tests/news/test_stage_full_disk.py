"""The bot on a full disk: a stage whose writes the database refuses logs one line per failing
cycle and no traceback at all (a full disk is no bug), then recovers when there is room."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.news.model.errors import StorageError
from bot.news.model.vocabulary import NewFeed
from bot.news.services.stage import CrashLog, Stage
from storage.db import Database
from tests.ceiling import CEILING
from tests.news.test_poller import Changes
from tests.storage.conftest import T0
from tests.storage.test_storage_errors import fill_the_disk


async def test_a_stage_on_a_full_disk_logs_one_line_without_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    changes = Changes()
    runs = 0
    added = 0

    async with await Database.open(tmp_path / "shopwire.db") as db:
        await fill_the_disk(db)

        async def step() -> None:
            nonlocal runs, added
            runs += 1
            changes.poke()
            # A long URL needs a new page of the file, which the full disk refuses.
            url = f"https://n{runs}.example/rss?" + "a" * 6000
            await db.feeds.add(NewFeed(url=url, name=f"Feed {runs}"), T0)
            added += 1

        logger = logging.getLogger("test.fulldisk")
        caplog.set_level(logging.DEBUG, logger="test.fulldisk")
        stage = Stage("stories", step, tick=0.01, logger=logger)
        stop = asyncio.Event()
        task = asyncio.create_task(stage.run(stop))
        try:
            await changes.until(lambda: stage.failures.in_a_row >= 3)
            # Room again (the operator freed space): the next cycle works.
            await db._connections.writer.execute("PRAGMA max_page_count = 1073741823")
            await changes.until(lambda: added >= 1)
        finally:
            stop.set()
            await asyncio.wait_for(task, CEILING)

    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1  # the failure's start; the cycles after it are DEBUG lines
    assert all(r.exc_info is None for r in errors)  # not even with the first failure
    assert all("\n" not in r.getMessage() for r in errors)
    assert all("StorageError: the disk is full" in r.getMessage() for r in errors)
    assert any("recovered" in r.getMessage() for r in caplog.records)


def test_a_crash_log_gives_a_storage_error_one_line_without_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test.fulldisk.crashes")
    caplog.set_level(logging.DEBUG, logger="test.fulldisk.crashes")
    crashes = CrashLog(logger)
    for _ in range(3):
        crashes.crashed(StorageError("the disk is full"), "delivery channel_id=%s crashed", 7)

    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in errors] == [
        "delivery channel_id=7 crashed: StorageError: the disk is full"
    ] * 3
    assert all(r.exc_info is None for r in errors)
