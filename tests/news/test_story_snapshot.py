"""The clusterer's saved state: restored, it holds exactly what the clusterer that never
stopped holds and places later items exactly as it does; a state that disagrees with the
stored stories, or that this version cannot read, is refused (the caller rebuilds)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import pytest

from bot.news.adapters.parent_watch import alive
from bot.news.adapters.story_worker import ProcessPlacer
from bot.news.model.vocabulary import Feed
from bot.news.services.story_assigner import SAVE_EVERY, StoryAssigner
from bot.news.services.story_placing import InlinePlacer, Placement, Placer
from bot.news.stories import PreparedItem, StoryClusterer, StoryConfig, StoryItem, snapshot
from bot.news.stories.snapshot import StateEncoder, _StoredStory, restore
from storage import Database
from tests.ceiling import CEILING
from tests.news import story_corpus
from tests.news.test_story_restore import BATCH, CUT, _placed_after, _state
from tests.storage.conftest import add_feed, draft, poll


@pytest.fixture(scope="module")
def items() -> list[StoryItem]:
    return [labelled.item for labelled in story_corpus.load()]


def _live(items: Sequence[StoryItem]) -> tuple[StoryClusterer, dict[int, int]]:
    """A clusterer that placed ``items`` batch by batch, and each item's story as stored."""
    live = StoryClusterer()
    stored: dict[int, int] = {}
    for start in range(0, len(items), BATCH):
        stored.update(live.assign(items[start : start + BATCH]))
        into = {m.story_id: m.into_id for m in live.take_merges()}
        stored = {item_id: into.get(story_id, story_id) for item_id, story_id in stored.items()}
        live.take_prepared()
    return live, stored


def _compared(clusterer: StoryClusterer) -> object:
    """``_state`` without the members' cached views (computed again when read)."""
    for story in clusterer._stories.values():
        for prepared in story.members.values():
            prepared._views = prepared._event = None
    return _state(clusterer)


def test_a_restored_state_places_later_items_as_the_clusterer_that_never_stopped(
    items: list[StoryItem],
) -> None:
    live, stored = _live(items[:CUT])
    state = StateEncoder().encode(live)
    restored = restore(state, live.config, stored.items(), 1)
    assert restored is not None
    # Nothing is decoded until it is read.
    assert all(isinstance(s, _StoredStory) for s in restored._stories.values())
    # Placed from the stories as stored, each decoded when first read.
    after = _placed_after(restored, items[CUT:])
    assert after == _placed_after(live, items[CUT:])
    assert any(merges for merges in after[1::3])  # later placements merge stories too
    # Stories no placement read were never decoded.
    stories = restored._stories.values()
    assert any(isinstance(s, _StoredStory) and s._stored is not None for s in stories)
    assert _compared(restored) == _compared(live)


def test_a_state_saved_again_after_some_stories_were_read_restores_the_same(
    items: list[StoryItem],
) -> None:
    live, stored = _live(items[:CUT])
    encoder = StateEncoder()
    first = restore(encoder.encode(live), live.config, stored.items(), 1)
    assert first is not None
    # A few later batches touch some stories (decoded, grown) and leave others as stored.
    half = CUT + (len(items) - CUT) // 2
    for clusterer in (first, live):
        for start in range(CUT, half, BATCH):
            clusterer.assign(items[start : start + BATCH])
            clusterer.take_merges()
            clusterer.take_prepared()
    stories = first._stories.values()
    assert any(isinstance(s, _StoredStory) and s._stored is not None for s in stories)
    assert any(not isinstance(s, _StoredStory) or s._stored is None for s in stories)
    placed = dict(first._story_of)
    again = restore(StateEncoder().encode(first), live.config, placed.items(), 1)
    assert again is not None
    assert _compared(again) == _compared(live)
    # The encoder that wrote the first state reuses what did not change, with the same result.
    live_again = restore(encoder.encode(live), live.config, placed.items(), 1)
    assert live_again is not None and _compared(live_again) == _compared(live)
    assert _placed_after(again, items[half:]) == _placed_after(live, items[half:])


def test_a_state_is_refused_when_it_disagrees_or_cannot_be_read(
    items: list[StoryItem],
) -> None:
    live, stored = _live(items[:120])
    state = StateEncoder().encode(live)
    pairs = sorted(stored.items())
    config = live.config
    assert restore(state, config, pairs, 1) is not None
    # Placements stored since it was saved (a merge, a run it missed, another process's).
    item_id, story_id = pairs[0]
    assert restore(state, config, [*pairs[1:], (item_id, story_id + 1)], 1) is None
    assert restore(state, config, [*pairs, (10**9, story_id)], 1) is None
    # Other settings, another format, a damaged or cut blob.
    other = StoryConfig(window=config.window + timedelta(hours=1))
    assert restore(state, other, pairs, 1) is None
    # Features read under other word lists (an upgrade's): their centroids are not this
    # clusterer's.
    with patch.object(snapshot, "READING", "another"):
        assert restore(state, config, pairs, 1) is None
    assert restore(b"cs0:" + state[4:], config, pairs, 1) is None
    assert restore(state[:-1], config, pairs, 1) is None
    assert restore(state[:40], config, pairs, 1) is None
    assert restore(b"", config, pairs, 1) is None


def test_new_stories_are_numbered_after_every_known_id(items: list[StoryItem]) -> None:
    live, stored = _live(items[:60])
    state = StateEncoder().encode(live)
    restored = restore(state, live.config, stored.items(), 1)
    assert restored is not None and restored.next_story_id == live.next_story_id
    later = restore(state, live.config, stored.items(), live.next_story_id + 50)
    assert later is not None and later.next_story_id == live.next_story_id + 50


def test_an_empty_clusterer_restores_empty() -> None:
    empty = StoryClusterer()
    restored = restore(StateEncoder().encode(empty), empty.config, [], 5)
    assert restored is not None
    assert restored.story_ids() == [] and restored.next_story_id == 5


# --- the assigner: saved after a run, restored at a restart -----------------------------------


class _Clock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


async def _store(db: Database, feeds: dict[str, Feed], batch: Sequence[StoryItem]) -> None:
    for item in batch:
        if item.source not in feeds:
            feeds[item.source] = await add_feed(db, item.source)
        draft_ = draft(f"k{item.item_id}", item.title, item.summary, published=item.published)
        await db.items.apply(poll(feeds[item.source], [draft_], at=item.published))


async def _placed_all(assigner: StoryAssigner) -> None:
    while await assigner.run():
        pass
    # The state is stored after the run, beside what comes next.
    await assigner.state_stored()


async def _stories_of(db: Database) -> list[tuple[int, int]]:
    rows = await db.stories.placed(datetime(2000, 1, 1, tzinfo=UTC))
    return sorted(rows)


async def test_a_restarted_assigner_restores_and_places_as_one_that_never_stopped(
    tmp_path: Path, items: list[StoryItem], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, later = items[:CUT], items[CUT : CUT + 150]
    clock = _Clock(max(item.published for item in items) + timedelta(hours=1))
    feeds: dict[str, Feed] = {}
    original = await Database.open(tmp_path / "a.db")
    try:
        live = StoryAssigner(stories=original.stories, clock=clock)
        await _store(original, feeds, first)
        await _placed_all(live)
        saved = await original.stories.clusterer_state()
        assert saved is not None
        # The same database, as a restart finds it.
        with (
            sqlite3.connect(tmp_path / "a.db") as source,
            sqlite3.connect(tmp_path / "b.db") as target,
        ):
            source.backup(target)
        await _store(original, feeds, later)
        await _placed_all(live)
        never_stopped = await _stories_of(original)
        await live.close()
    finally:
        await original.close()

    restarted = await Database.open(tmp_path / "b.db")
    try:

        async def no_rebuild(since: datetime) -> list[PreparedItem]:
            raise AssertionError("rebuilt from the stored features")

        monkeypatch.setattr(restarted.stories, "held", no_rebuild)
        fresh = StoryAssigner(stories=restarted.stories, clock=clock)
        await _store(restarted, dict(feeds), later)
        await _placed_all(fresh)
        assert await _stories_of(restarted) == never_stopped
        # The state saved after that run is the one the clusterer holds now.
        assert await restarted.stories.clusterer_state() != saved
        await fresh.close()
    finally:
        await restarted.close()


async def test_a_state_older_than_the_stored_stories_is_rebuilt_instead(
    tmp_path: Path, items: list[StoryItem], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock(max(item.published for item in items) + timedelta(hours=1))
    db = await Database.open(tmp_path / "a.db")
    try:
        live = StoryAssigner(stories=db.stories, clock=clock)
        feeds: dict[str, Feed] = {}
        await _store(db, feeds, items[:120])
        await _placed_all(live)
        old = await db.stories.clusterer_state()
        assert old is not None
        await _store(db, feeds, items[120:240])
        await _placed_all(live)
        await live.close()
        # A run saved its placements and then failed before its state was saved.
        await db.stories.save_clusterer_state(old, clock.now())
        rebuilt: list[int] = []
        held = db.stories.held

        async def counted(since: datetime) -> list[PreparedItem]:
            found = await held(since)
            rebuilt.append(len(found))
            return found

        monkeypatch.setattr(db.stories, "held", counted)
        fresh = StoryAssigner(stories=db.stories, clock=clock)
        await fresh.warm_up()
        assert rebuilt == [240]
        await fresh.close()
    finally:
        await db.close()


async def test_the_state_is_saved_every_few_minutes_and_on_close_never_after_a_failure(
    tmp_path: Path, items: list[StoryItem], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock(max(item.published for item in items) + timedelta(hours=1))
    db = await Database.open(tmp_path / "a.db")
    try:
        assigner = StoryAssigner(stories=db.stories, clock=clock)
        feeds: dict[str, Feed] = {}
        await _store(db, feeds, items[:60])
        await _placed_all(assigner)
        first = await db.stories.clusterer_state()
        assert first is not None  # the first run of a process saves it
        await _store(db, feeds, items[60:120])
        await _placed_all(assigner)
        assert await db.stories.clusterer_state() == first  # not due yet
        clock._now += SAVE_EVERY
        await _store(db, feeds, items[120:180])
        await _placed_all(assigner)
        second = await db.stories.clusterer_state()
        assert second not in (None, first)
        await _store(db, feeds, items[180:240])
        await _placed_all(assigner)
        await assigner.close()
        closed = await db.stories.clusterer_state()
        assert closed not in (None, second)

        # A run that fails leaves the state it found: it may not agree with what was stored.
        failing = StoryAssigner(stories=db.stories, clock=clock)
        await _store(db, feeds, items[240:300])

        async def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("the disk is full")

        monkeypatch.setattr(db.stories, "save", broken)
        with pytest.raises(RuntimeError):
            await failing.run()
        await failing.close()
        assert await db.stories.clusterer_state() == closed
    finally:
        await db.close()


# --- both placers: the state crosses to a worker process and back as it is --------------------


def _reads(pairs: list[tuple[int, int]]) -> Callable[[], Awaitable[list[tuple[int, int]]]]:
    async def read() -> list[tuple[int, int]]:
        return pairs

    return read


async def _placed_then_restored(
    make: Callable[[StoryConfig], Placer], items: list[StoryItem]
) -> list[object]:
    """Place the first items, save the state, restore it in a new placer, place the rest."""
    now = max(item.published for item in items) + timedelta(hours=1)
    first, later = items[:CUT], items[CUT:]
    live = make(StoryConfig())
    pairs: dict[int, int] = {}
    try:
        await live.rebuild([], 1)
        for start in range(0, len(first), BATCH):
            placement = await live.place(first[start : start + BATCH], now, 1 + start)
            into = {m.story_id: m.into_id for m in placement.merges}
            pairs.update(placement.pairs)
            pairs = {item: into.get(story, story) for item, story in pairs.items()}
        state = await live.snapshot()
    finally:
        await live.close()
    restored = make(StoryConfig())
    try:
        wrong = [*sorted(pairs.items())[1:], (10**9, 1)]
        assert not await restored.restore(state, _reads(wrong), CUT + 1)
        assert not await restored.restore(state[:-1], _reads(sorted(pairs.items())), CUT + 1)

        async def failing() -> list[tuple[int, int]]:
            raise RuntimeError("the database went away")

        # A failed read leaves the placer in step: the decoding it overlapped is waited for.
        with pytest.raises(RuntimeError):
            await restored.restore(state, failing, CUT + 1)
        assert await restored.restore(state, _reads(sorted(pairs.items())), CUT + 1)
        out: list[object] = [len(state)]
        for start in range(0, len(later), BATCH):
            out.append(await restored.place(later[start : start + BATCH], now, 1 + CUT + start))
        # The state saved again holds the same (its bytes depend on how objects are shared).
        again = restore(await restored.snapshot(), StoryConfig(), pairs.items(), 1)
        assert again is not None
        out.append(_compared(again))
        return out
    finally:
        await restored.close()


async def test_a_worker_saves_and_restores_the_state_as_the_process_itself_does(
    items: list[StoryItem],
) -> None:
    assert await _placed_then_restored(ProcessPlacer, items) == await _placed_then_restored(
        InlinePlacer, items
    )


async def test_a_state_that_cannot_be_saved_fails_no_run(
    tmp_path: Path, items: list[StoryItem], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock(max(item.published for item in items) + timedelta(hours=1))
    db = await Database.open(tmp_path / "a.db")
    try:
        assigner = StoryAssigner(stories=db.stories, clock=clock)
        feeds: dict[str, Feed] = {}

        async def full(data: bytes, now: datetime) -> None:
            raise OSError("the disk is full")

        monkeypatch.setattr(db.stories, "save_clusterer_state", full)
        await _store(db, feeds, items[:60])
        assert await assigner.run() == 60
        # The clusterer is kept: the next run places without rebuilding it.
        monkeypatch.setattr(db.stories, "held", None)
        await _store(db, feeds, items[60:90])
        assert await assigner.run() == 30
        await assigner.close()
        assert await db.stories.clusterer_state() is None
    finally:
        await db.close()


async def test_a_run_returns_before_its_state_is_stored_and_the_next_run_waits_for_it(
    tmp_path: Path, items: list[StoryItem], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock(max(item.published for item in items) + timedelta(hours=1))
    db = await Database.open(tmp_path / "a.db")
    order: list[str] = []

    class Recording(InlinePlacer):
        async def place(self, batch: Sequence[StoryItem], now: datetime, first: int) -> Placement:
            order.append("place")
            return await super().place(batch, now, first)

    try:
        assigner = StoryAssigner(stories=db.stories, clock=clock, placer=Recording)
        feeds: dict[str, Feed] = {}
        writing, release = asyncio.Event(), asyncio.Event()
        write = db.stories.save_clusterer_state

        async def slow(data: bytes, now: datetime) -> None:
            writing.set()
            await release.wait()
            await write(data, now)
            order.append("stored")

        monkeypatch.setattr(db.stories, "save_clusterer_state", slow)
        await _store(db, feeds, items[:60])
        assert await asyncio.wait_for(assigner.run(), CEILING) == 60
        await asyncio.wait_for(writing.wait(), CEILING)
        assert await db.stories.clusterer_state() is None  # still being stored
        await _store(db, feeds, items[60:90])
        later = asyncio.create_task(assigner.run())
        release.set()
        assert await asyncio.wait_for(later, CEILING) == 30
        # The second run placed only once the first run's state was stored.
        assert order == ["place", "stored", "place"]
        await asyncio.wait_for(assigner.close(), CEILING)
        assert await db.stories.clusterer_state() is not None
    finally:
        await db.close()


_GONE_OWNER = """
import os
from bot.news.adapters.story_worker import ProcessPlacer
from bot.news.stories.model import StoryConfig
placer = ProcessPlacer(StoryConfig())  # started ahead, as the bot's first stories run does
print(placer.pid, flush=True)
placer._conn.close()  # the owner's end closes (it is stopping) before the worker is ready
import time; time.sleep(3)  # the worker tries to say it is ready meanwhile
os._exit(0)
"""


def test_a_worker_whose_owner_hangs_up_before_it_is_ready_ends_without_a_traceback() -> None:
    owner = subprocess.run(
        [sys.executable, "-c", _GONE_OWNER],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        # The worker shares the owner's stderr: the pipe ends when both have ended.
        timeout=CEILING,
    )
    pid = int(owner.stdout.split()[0])
    deadline = time.monotonic() + CEILING
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid)
    assert "Traceback" not in owner.stderr, owner.stderr
