"""The story clusterer in a worker process gives the in-process answers, and never outlives
its owner or a failure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.news.adapters.parent_watch import alive
from bot.news.adapters.story_worker import ProcessPlacer, StoryWorkerError
from bot.news.adapters.text_reader import SPLIT_FROM
from bot.news.services.story_placing import InlinePlacer, Placement, Placer
from bot.news.stories.model import StoryConfig
from tests.news import story_corpus

NOW = datetime(2026, 12, 1, tzinfo=UTC)


async def _place_all(placer: Placer, size: int = 50) -> list[Placement]:
    items = [labelled.item for labelled in story_corpus.load()]
    await placer.rebuild([], 1)
    out, first = [], 1
    for start in range(0, len(items), size):
        batch = items[start : start + size]
        out.append(await placer.place(batch, NOW, first))
        first += len(batch)
    return out


async def test_a_worker_places_as_the_process_itself_does() -> None:
    inline, worker = InlinePlacer(StoryConfig()), ProcessPlacer(StoryConfig())
    try:
        assert await _place_all(worker) == await _place_all(inline)
    finally:
        await worker.close()
        await inline.close()


async def test_a_worker_reading_big_batches_in_two_processes_places_the_same() -> None:
    # Batches big enough to split their reading with a second process (``text_reader``),
    # whenever it is ready: the same features, so the same placements.
    size = max(SPLIT_FROM, 120)
    inline, worker = InlinePlacer(StoryConfig()), ProcessPlacer(StoryConfig())
    try:
        assert await _place_all(worker, size) == await _place_all(inline, size)
    finally:
        await worker.close()
        await inline.close()


async def test_a_failed_call_and_a_killed_worker_raise_and_a_new_worker_follows() -> None:
    placer = ProcessPlacer(StoryConfig())
    try:
        with pytest.raises(StoryWorkerError, match="never built"):
            await placer.place([], NOW, 1)
        with pytest.raises(StoryWorkerError, match="failed earlier"):
            await placer.rebuild([], 1)
        await placer.close()

        await placer.rebuild([], 1)
        pid = placer.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(StoryWorkerError, match="stopped"):
            await placer.place([], NOW, 1)
        await placer.close()

        await placer.rebuild([], 1)
        assert placer.pid not in (None, pid)
        assert (await placer.place([], NOW, 1)).pairs == ()
    finally:
        await placer.close()
    assert placer.pid is None


_OWNER_SCRIPT = """
import asyncio, time
from bot.news.adapters.story_worker import ProcessPlacer
from bot.news.stories.model import StoryConfig

async def main():
    placer = ProcessPlacer(StoryConfig())
    await placer.rebuild([], 1)
    print(placer.pid, flush=True)
    time.sleep(120)

asyncio.run(main())
"""


def test_the_worker_ends_when_its_owner_is_killed() -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER_SCRIPT],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert owner.stdout is not None
        pid = int(owner.stdout.readline())
        assert alive(pid)
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait(30)
    # Bounded by a generous ceiling; the watch looks twice a second.
    deadline = time.monotonic() + 30
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid)


async def test_the_assigner_rebuilds_in_a_new_worker_after_one_dies(tmp_path: Path) -> None:
    from datetime import timedelta

    from bot.news.model.vocabulary import TaggedDraft
    from bot.news.services.story_assigner import StoryAssigner
    from storage import Database
    from tests.storage.conftest import T0, add_feed, draft, poll

    class Clock:
        def now(self) -> datetime:
            return T0 + timedelta(hours=1)

    database = await Database.open(tmp_path / "shopwire.db")
    assigner = StoryAssigner(stories=database.stories, clock=Clock(), placer=ProcessPlacer)
    try:
        feed = await add_feed(database, "Wire")
        first = [TaggedDraft(draft(f"a{n}", f"Unrelated story number {n}"), ()) for n in range(3)]
        await database.items.apply(poll(feed, first, at=T0))
        assert await assigner.run() == 3
        placer = assigner._placer
        assert isinstance(placer, ProcessPlacer) and placer.pid is not None
        os.kill(placer.pid, signal.SIGKILL)

        more = [TaggedDraft(draft(f"b{n}", f"Another headline entirely {n}"), ()) for n in range(2)]
        await database.items.apply(poll(feed, [*first, *more], at=T0))
        with pytest.raises(StoryWorkerError):
            await assigner.run()
        # Nothing was saved from the failed step; the next run places it in a new worker.
        assert await assigner.run() == 2
        assert await database.stories.unassigned(10) == []
    finally:
        await assigner.close()
        await database.close()


_MAIN_SCRIPT = """
import asyncio, os, sys
with open(sys.argv[1], "a") as f:  # every process that runs this module leaves a line
    f.write(f"{os.getpid()}\\n")
from bot.news.adapters.story_worker import ProcessPlacer
from bot.news.stories.model import StoryConfig

async def main():
    placer = ProcessPlacer(StoryConfig())
    await placer.rebuild([], 1)
    print(placer.pid, flush=True)
    await placer.close()

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_the_worker_does_not_run_its_owners_main_module(tmp_path: Path) -> None:
    script, marks = tmp_path / "owner.py", tmp_path / "marks"
    script.write_text(_MAIN_SCRIPT, encoding="utf-8")
    owner = subprocess.run(
        [sys.executable, str(script), str(marks)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert owner.returncode == 0, owner.stderr
    worker = int(owner.stdout)
    # The owner's main module (for the bot, the whole CLI) ran in the owner alone.
    [only] = marks.read_text().split()
    assert int(only) != worker


async def test_a_worker_that_cannot_start_raises_a_story_worker_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.news.adapters import story_worker

    # As if the worker's interpreter could not import the clustering code.
    monkeypatch.setattr(story_worker, "_BOOT", "raise SystemExit(3)")
    placer = ProcessPlacer(StoryConfig())
    try:
        with pytest.raises(StoryWorkerError, match="stopped"):
            await placer.rebuild([], 1)
    finally:
        await placer.close()
    assert placer.pid is None
