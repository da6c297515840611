"""Stages: a step run when woken or on its tick; a failing one logs one line per cycle and never
stops the others. Every wait is for a condition with a generous ceiling."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.news.model.vocabulary import DEFAULT_POST_FORMAT, Item, PostFormat, PostResult
from bot.news.services.stage import Stage, describe
from storage.db import Database
from tests.ceiling import CEILING
from tests.fakes.clock import FakeClock
from tests.news.test_delivery import RecordingPublisher, queue, sender, subscribe
from tests.news.test_poller import Changes


async def test_a_failing_stage_logs_its_start_and_recovery_and_never_stops_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    changes = Changes()
    broken_runs = 0
    healthy_runs = 0
    healed = asyncio.Event()

    async def broken() -> None:
        nonlocal broken_runs
        broken_runs += 1
        changes.poke()
        if not healed.is_set():
            raise OSError("database disk image is malformed\n  (second line)")

    async def healthy() -> None:
        nonlocal healthy_runs
        healthy_runs += 1
        changes.poke()

    logger = logging.getLogger("test.stages")
    caplog.set_level(logging.DEBUG, logger="test.stages")
    failing = Stage("digests", broken, tick=0.01, logger=logger)
    woken = Stage("delivery", healthy, tick=1000, logger=logger)  # runs only when woken
    stop = asyncio.Event()
    tasks = [asyncio.create_task(failing.run(stop)), asyncio.create_task(woken.run(stop))]
    try:
        await changes.until(lambda: broken_runs >= 4 and healthy_runs == 1)
        woken.wake()
        await changes.until(lambda: healthy_runs == 2)
        healed.set()
        await changes.until(lambda: failing.failures.in_a_row == 0)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), CEILING)

    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    failed = broken_runs - 1  # the last run worked
    # One line when the failure starts, not one per cycle (the reminder comes every 5 min).
    assert len(errors) == 1 and failed >= 3
    assert errors[0].exc_info is not None  # the first failure in a row shows where it is
    assert all("\n" not in r.getMessage() for r in errors)
    assert "digests failed (1 in a row)" in errors[0].getMessage()
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert (
        "digests failed (3 in a row): OSError: database disk image is malformed (second line)"
        in debug
    )
    recovered = [r.getMessage() for r in caplog.records if "recovered" in r.getMessage()]
    assert len(recovered) == 1
    assert recovered[0].startswith(f"digests recovered after {failed} failed cycles")


async def test_a_wake_during_a_step_runs_it_once_more() -> None:
    changes = Changes()
    started: list[int] = []
    gate = asyncio.Event()

    async def step() -> None:
        started.append(len(started))
        changes.poke()
        if len(started) == 1:
            await gate.wait()

    stage = Stage("delivery", step, tick=1000)
    stop = asyncio.Event()
    running = asyncio.create_task(stage.run(stop))
    try:
        await changes.until(lambda: len(started) == 1)
        for _ in range(3):  # several stored feeds during one drain: one more drain, not three
            stage.wake()
        gate.set()
        await changes.until(lambda: len(started) == 2)
        await asyncio.sleep(0)  # give a wrongly queued third run its chance to start
        assert len(started) == 2
    finally:
        stop.set()
        await asyncio.wait_for(running, CEILING)


async def test_a_backlog_is_worked_through_without_waiting_for_the_tick() -> None:
    changes = Changes()
    backlog = [2000, 2000, 1000, 0]
    runs: list[int] = []

    async def assign() -> int:
        runs.append(backlog.pop(0) if backlog else 0)
        changes.poke()
        return runs[-1]

    stage = Stage("stories", assign, tick=1000, again=lambda n: isinstance(n, int) and n > 0)
    stop = asyncio.Event()
    running = asyncio.create_task(stage.run(stop))
    try:
        await changes.until(lambda: runs == [2000, 2000, 1000, 0])
    finally:
        stop.set()
        await asyncio.wait_for(running, CEILING)


def test_describe_is_one_short_line() -> None:
    assert describe(ValueError("a\nb   c")) == "ValueError: a b c"
    assert describe(TimeoutError()) == "TimeoutError"
    assert len(describe(RuntimeError("x" * 1000))) < 330


async def test_a_channel_whose_delivery_keeps_crashing_logs_its_traceback_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Delivery is woken after every stored feed: a bug must not print a traceback each time,
    nor hold back the other channels."""

    class BrokenChannel(RecordingPublisher):
        async def post_item(
            self,
            channel_id: int,
            item: Item,
            nonce: str,
            post_format: PostFormat = DEFAULT_POST_FORMAT,
        ) -> PostResult:
            if channel_id == 10:
                raise KeyError("embed field 'name'")
            return await super().post_item(channel_id, item, nonce, post_format)

    clock = FakeClock()
    publisher = BrokenChannel()
    caplog.set_level(logging.DEBUG, logger="shopwire.delivery")
    async with await Database.open(tmp_path / "s.db") as db:
        broken = await subscribe(db, clock, channel_id=10)
        working = await subscribe(db, clock, channel_id=20)
        await queue(db, clock, broken, ["Temu one"])
        await queue(db, clock, working, ["Temu two"])
        delivery = sender(db, publisher, clock)
        for _ in range(3):
            await delivery.drain()
    assert publisher.titles(20) == ["Temu two"]
    crashes = [r for r in caplog.records if "crashed" in r.getMessage()]
    errors = [r for r in crashes if r.levelno == logging.ERROR]
    assert len(errors) == 3
    assert errors[0].exc_info is not None and all(r.exc_info is None for r in errors[1:])
    assert "KeyError" in errors[1].getMessage() and "\n" not in errors[1].getMessage()
