"""Stories after each poll: newly stored items placed in stories, one step at a time.

::

    stories.unassigned()          shared-catalogue items not in a story yet, oldest first
    | placer.place(batch)         the clusterer (in a worker thread, or in the bot a worker
    |                             process: ``story_placing``) joins each item to a recent story
    |                             or starts one, then merges the stories it touched with any
    |                             that tell the same event; meanwhile this process saves the
    |                             batch before, reads the next one (and reserves its ids), and
    |                             reads ahead the reports the run's end will compare
    | summarize_story(new)        a new story's headline, line and link (it needs a row now)
    | stories.save(...)           one transaction: placements, merges, features, figures
    ...                           (the next batch, until the run has placed what it may)
    | summarize_story(changed)    once per run, for every older story whose first reports the
    | stories.save(summaries)     run changed: headline, line and link from one report
    | save_clusterer_state(...)   when due: encoded by the clusterer while the last batch is
                                  saved, stored after the run returns

A story's headline is chosen among its first reports, and a cold poll's reports of one event
arrive spread over many batches (each feed's items are stored together): summarising each
story once per run, not once per batch that touched it, saves most of that work. Until the
run ends, a story that gained reports keeps its earlier headline, which still comes with the
line and link of one of its reports. Those reports are read (headline, lead sentences, their
vectors: most of a summary's cost) while the clusterer places the batches after, so the run's
end only compares them.

The clusterer is built only when there is something to place: restored from its saved state
(``stories.snapshot``: one read; saved when the assigner closes, and after a run every few
minutes), or, when that state disagrees with the stories stored since (a crash, a run that
failed half way, another process's placements), rebuilt from the features stored for the
placed items of the last two windows.
Either way a restart reads no item text, and a poll that found nothing new costs one query.
Its home (a worker process, in the bot) is started at the first run, so that a restart's first
run with items to place does not wait for it. The bot runs this as its own stage beside
delivery; the CLI's ``poll`` runs it after the poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.news.ports import Clock, StoryRepository
from bot.news.services.story_placing import InlinePlacer, Placement, Placer
from bot.news.stories.model import HEADLINE_SAMPLE as SAMPLE
from bot.news.stories.model import (
    PreparedItem,
    StoryConfig,
    StoryItem,
    StoryMerge,
    StorySummary,
)

log = logging.getLogger("shopwire.stories")


@dataclass(frozen=True, slots=True)
class _Batch:
    """Items to place together, and the first of the story ids reserved for them."""

    items: tuple[StoryItem, ...]
    first_id: int


BATCH = 500
MAX_PER_RUN = 20 * BATCH
"""The most items one run places (10,000): a restored archive spreads over several runs."""
SAVE_EVERY = timedelta(minutes=5)
"""How often at most a run saves the clusterer's state (``close`` saves it too)."""
SUMMARY_CHUNK = 500
"""How many stories' headlines one step of the run's end chooses (and saves)."""


class StoryAssigner:
    """Puts newly stored items into stories; one query when there is nothing new."""

    def __init__(
        self,
        *,
        stories: StoryRepository,
        clock: Clock,
        config: StoryConfig | None = None,
        placer: Callable[[StoryConfig], Placer] = InlinePlacer,
    ) -> None:
        """``placer`` makes the clusterer's home: in this process (the default) or a worker
        process (``adapters.story_worker.ProcessPlacer``, the bot's)."""
        self._stories = stories
        self._clock = clock
        self._config = config or StoryConfig()
        self._new_placer = placer
        self._placer: Placer | None = None
        self._started: Placer | None = None  # made ahead of ``_ready`` (``start``)
        # After a failed run the clusterer is rebuilt from the stored features, not restored:
        # a saved state that cannot be read to its end must not fail every run after it.
        self._trust_state = True
        self._unsaved = False  # placed items since the state was last saved
        self._saved_at: datetime | None = None
        # Stories whose headline waits for the end of the run (kept if a run fails).
        self._changed: set[int] = set()
        self._warm = False  # the headline code loaded in this process
        self._storing: asyncio.Task[None] | None = None  # the last run's state being stored

    @property
    def config(self) -> StoryConfig:
        """The clusterer's settings."""
        return self._config

    async def run(self) -> int:
        """Assign unassigned items (at most ``MAX_PER_RUN``, oldest first); returns how many
        were assigned.

        The next batch is placed while the last one is saved, and read (its story ids
        reserved) while this one is placed: the clusterer (another thread or process) and the
        database work side by side, and the clusterer never waits for a read. Once the last
        batch is placed, the clusterer encodes its state (when a save is due) while this
        process stores that batch and chooses the run's headlines.
        """
        self.start()
        # Items older than two windows could join no live story; skipping them also keeps an
        # upgraded database from clustering its whole archive at once.
        since = self._clock.now() - 2 * self._config.window
        batch = await self._next_batch(since, set())
        if batch is None:
            await self._summarise_changed()
            return 0
        state: asyncio.Task[bytes] | None = None
        try:
            try:
                assigned, state = await self._place_all(since, batch)
            except BaseException:
                # The clusterer moved on and the database did not: rebuild it from what was
                # stored next time rather than answer from a state nobody saved.
                self._trust_state = self._unsaved = False
                await self._let_go()
                raise
            self._unsaved = True
            await self._summarise_changed()
        except BaseException:
            await _settled(state)
            raise
        # Stored after the run, beside what comes next: the state only spares a restart a
        # rebuild, and nothing waits for it but the clusterer's next call (``_ready``).
        if state is not None:
            self._storing = asyncio.create_task(self._store_state(state))
        log.info("stories assigned=%d", assigned)
        return assigned

    async def state_stored(self) -> None:
        """Wait until the clusterer's state that the last run encoded is stored (or failed
        to be: a failure is only logged)."""
        storing, self._storing = self._storing, None
        await _settled(storing)

    async def _place_all(
        self, since: datetime, batch: _Batch
    ) -> tuple[int, asyncio.Task[bytes] | None]:
        """Place and save ``batch`` and those after it; how many items were placed, and the
        clusterer's state being encoded (None when no save is due)."""
        # The headline code loads (and builds its tables) while the first batch is placed.
        warming = None if self._warm else asyncio.create_task(asyncio.to_thread(_warm_up))
        placing: asyncio.Task[Placement] | None = None
        placed: tuple[_Batch, Placement] | None = None
        current: _Batch | None = batch
        assigned = 0
        reading: asyncio.Task[None] | None = None
        try:
            placer = await self._ready()
            while current is not None:
                placing = asyncio.create_task(self._place(placer, current))
                await _settled(warming)
                self._warm, warming = True, None
                if placed is not None:
                    await _settled(reading)
                    saved, ahead = await self._save(*placed)
                    assigned += saved
                    # While the clusterer places: the run's end then finds them read.
                    reading = asyncio.create_task(asyncio.to_thread(_read_ahead, ahead))
                # Read while the clusterer places: it starts on the next batch at once. What
                # came before is saved (the batch being placed is not: it is left out).
                upcoming, ids = None, {item.item_id for item in current.items}
                if len(ids) == BATCH and assigned + len(ids) < MAX_PER_RUN:
                    upcoming = await self._next_batch(since, ids)
                placed = (current, await placing)
                placing, current = None, upcoming
        except BaseException:
            if placing is not None:
                placing.cancel()
            await _settled(placing)
            await _settled(warming)
            await _settled(reading)
            raise
        assert placed is not None
        await _settled(reading)
        state = self._encode_state_if_due(placer)
        try:
            assigned += (await self._save(*placed))[0]
        except BaseException:
            await _settled(state)
            raise
        return assigned, state

    def start(self) -> None:
        """Start the clusterer's home now (a worker process starts up) rather than when the
        first items are to be placed; nothing is read yet."""
        if self._placer is None and self._started is None:
            self._started = self._new_placer(self._config)

    async def close(self) -> None:
        """Save the clusterer's state if it placed items since it was last saved, then let go
        of it (a worker process stops); the next run restores it."""
        await self.state_stored()
        await self._save_state_now(due_only=False)
        await self._let_go()

    async def _save_state_now(self, *, due_only: bool) -> None:
        """``_save_state``, a failure only logged: what the run placed is stored, and a
        restart that finds no state agreeing with it rebuilds the clusterer instead."""
        try:
            await self._save_state(due_only=due_only)
        except Exception as exc:
            log.warning("stories: the clusterer state was not saved: %s", exc)

    async def _save_state(self, *, due_only: bool) -> None:
        """Save the clusterer's state if it changed since it was last saved and, with
        ``due_only``, that was ``SAVE_EVERY`` ago or longer (or never, in this process).

        Only between runs, when it agrees with the stories stored (what ``restore`` checks).
        Encoding and writing it costs about a tenth of a second at 10,000 items: the bot saves
        it every few minutes and when it stops; a crash in between costs a rebuild."""
        placer, now = self._placer, self._clock.now()
        if placer is None or not self._unsaved or (due_only and not self._due(now)):
            return
        state = await placer.snapshot()
        await self._stories.save_clusterer_state(state, now)
        self._unsaved, self._saved_at = False, now

    def _due(self, now: datetime) -> bool:
        return self._saved_at is None or now - self._saved_at >= SAVE_EVERY

    def _encode_state_if_due(self, placer: Placer) -> asyncio.Task[bytes] | None:
        """The clusterer's state, encoded (in its own thread or process) while the run's last
        batch is stored, if a save is due; written once the run's stories are."""
        return asyncio.create_task(placer.snapshot()) if self._due(self._clock.now()) else None

    async def _store_state(self, state: asyncio.Task[bytes] | None) -> None:
        """Write the state ``_encode_state_if_due`` encoded; a failure only logged (as
        ``_save_state_now``)."""
        if state is None:
            return
        now = self._clock.now()
        try:
            await self._stories.save_clusterer_state(await state, now)
        except Exception as exc:
            log.warning("stories: the clusterer state was not saved: %s", exc)
            return
        self._unsaved, self._saved_at = False, now

    async def _let_go(self) -> None:
        await self.state_stored()
        for placer in (self._placer, self._started):
            if placer is not None:
                await placer.close()
        self._placer = self._started = None

    async def _next_batch(self, since: datetime, placing: set[int]) -> _Batch | None:
        """The next batch to place (the oldest unassigned items but those being placed) and
        its story ids, or None when nothing is left.

        Ids come from the database, a block per batch (a batch starts at most one story per
        item): a process that lost its turn while another placed stories, or one started
        beside it, can never give out an id twice. Unused ids are only gaps."""
        items = tuple(await self._stories.unassigned(BATCH, since=since, besides=sorted(placing)))
        if not items:
            return None
        return _Batch(items, await self._stories.reserve_story_ids(len(items)))

    async def _place(self, placer: Placer, batch: _Batch) -> Placement:
        return await placer.place(batch.items, self._clock.now(), batch.first_id)

    async def _save(self, batch: _Batch, placement: Placement) -> tuple[int, list[StoryItem]]:
        """Store a placed batch; how many items it placed, and the first reports of the
        stories it touched whose headline waits for the end of the run."""
        pairs, merges = list(placement.pairs), list(placement.merges)
        summaries, waiting = await self._new_summaries(batch.items, pairs, merges)
        prepared = dict(placement.prepared)
        now = self._clock.now()
        await self._stories.save(pairs, summaries, now, merges=merges, prepared=prepared)
        return len(pairs), waiting

    async def _new_summaries(
        self,
        batch: Sequence[StoryItem],
        pairs: Sequence[tuple[int, int]],
        merges: Sequence[StoryMerge],
    ) -> tuple[list[StorySummary], list[StoryItem]]:
        """The summary of every story the step started (its row must exist before its items
        are placed in it); every older story whose first reports it changed is noted, to be
        summarised once when the run ends (returned: the first reports of those it touched)."""
        # Merges name the story their items are in now (``take_merges``).
        into = {m.story_id: m.into_id for m in merges}
        self._changed = {into.get(story_id, story_id) for story_id in self._changed}
        self._changed.difference_update(into)
        self._changed.update(into.values())
        # A story started in this step may have taken in an older one (the larger keeps its
        # id): it still needs its row now, and its full headline when the run ends.
        touched = sorted({story_id for _, story_id in pairs})
        stored = await self._stories.story_items(touched, limit=SAMPLE)
        fresh: dict[int, list[StoryItem]] = {}
        by_id = {item.item_id: item for item in batch}
        for item_id, story_id in pairs:
            fresh.setdefault(story_id, []).append(by_id[item_id])
        started = [story_id for story_id in touched if not stored.get(story_id)]
        self._changed.update(
            story_id
            for story_id in touched
            if story_id not in self._changed
            and stored.get(story_id)
            and _changes_sample(stored[story_id], fresh[story_id])
        )
        waiting = [
            item
            for story_id in touched
            if story_id in self._changed and stored.get(story_id)
            for item in _first(stored[story_id], fresh[story_id])
        ]
        summaries = await asyncio.to_thread(_summarise, {s: fresh[s] for s in started})
        return summaries, waiting

    async def _summarise_changed(self) -> None:
        """Summarise, from what is stored, every story whose first reports changed since it
        was last summarised; a few hundred stories per step, each step saved."""
        while self._changed:
            chunk = sorted(self._changed)[:SUMMARY_CHUNK]
            stored = await self._stories.story_items(chunk, limit=SAMPLE)
            summaries = await asyncio.to_thread(_summarise, stored)
            await self._stories.save([], summaries, self._clock.now())
            self._changed.difference_update(chunk)

    async def warm_up(self) -> None:
        """Build the clusterer now (a restart's restore or rebuild) rather than at the first
        item to place."""
        await self._ready()

    async def _ready(self) -> Placer:
        # The clusterer answers one call at a time: the last run's state is encoded first.
        await self.state_stored()
        if self._placer is None:
            now = self._clock.now()
            since = now - 2 * self._config.window
            # Made first (if ``start`` did not): a worker process starts up meanwhile.
            self.start()
            placer, self._started = self._started, None
            assert placer is not None
            try:
                first_id = await self._stories.max_story_id() + 1
                restored = self._trust_state and await self._restore(placer, since, first_id)
                if not restored:
                    # Rebuilt: no saved state agrees with it yet.
                    self._unsaved = True
                    held = await self._stories.held(since)
                    older = await self._rebuild(placer, held, first_id, since)
                    if older:
                        prepared = await placer.hold(older, now)
                        await self._stories.save([], [], now, prepared=dict(prepared))
            except BaseException:
                await placer.close()
                raise
            self._placer, self._trust_state = placer, True
        return self._placer

    async def _restore(self, placer: Placer, since: datetime, first_id: int) -> bool:
        """Restore the clusterer from its saved state, if there is one and it agrees with the
        stories stored since ``since``."""
        state = await self._stories.clusterer_state()
        if state is None:
            return False
        restored = await placer.restore(state, lambda: self._stories.placed(since), first_id)
        if not restored:
            log.info("stories: the saved clusterer state is out of date; rebuilding it")
        return restored

    async def _rebuild(
        self, placer: Placer, held: list[PreparedItem], first_id: int, since: datetime
    ) -> list[tuple[StoryItem, int]]:
        """Rebuild the clusterer from ``held``; the placed items to prepare again: placed
        before their features were stored (an upgrade), or stored in a form this version
        cannot read. The first are asked for while the clusterer rebuilds."""
        unstored = asyncio.create_task(self._stories.unprepared(since))
        try:
            restored = await placer.rebuild(held, first_id)
            older = await unstored
        except BaseException:
            unstored.cancel()
            with contextlib.suppress(BaseException):
                await unstored
            raise
        if restored.unreadable:
            older = await self._stories.unprepared(since, also=list(restored.unreadable))
        return older


async def _settled(task: asyncio.Future[Any] | None) -> None:
    """Wait for ``task`` to end, whatever its outcome (a failed run's cleanup: a call to the
    clusterer is never left half way, or its reply would be the next call's)."""
    if task is not None:
        await asyncio.wait([task])
        if not task.cancelled():
            task.exception()  # seen: not reported as never retrieved


def _warm_up() -> None:
    """Load the headline code and build the key-term tables its first comparison reads."""
    from bot.news.stories.keyterms import key_terms

    importlib.import_module("bot.news.stories.headline")
    key_terms("", "Amazon will raise seller fees in Germany by 5% from March.", ())


def _summarise(groups: Mapping[int, Sequence[StoryItem]]) -> list[StorySummary]:
    """Each non-empty group's summary (story id -> its items)."""
    from bot.news.stories.headline import summarize_story

    return [summarize_story(story_id, list(items)) for story_id, items in groups.items() if items]


def _read_ahead(items: Sequence[StoryItem]) -> None:
    from bot.news.stories.headline import read_ahead

    read_ahead(items)


def _first(stored: Sequence[StoryItem], fresh: Sequence[StoryItem]) -> list[StoryItem]:
    """A story's first ``SAMPLE`` reports once ``fresh`` joins ``stored`` (its first ones)."""
    return sorted([*stored, *fresh], key=lambda item: (item.published, item.item_id))[:SAMPLE]


def _changes_sample(stored: Sequence[StoryItem], fresh: Sequence[StoryItem]) -> bool:
    """Whether new reports change a story's first ``SAMPLE`` reports (what its headline is
    chosen from): always for a story with fewer; for a full one, only a report published
    before the last of them. Otherwise the headline stands and only figures change."""
    if len(stored) < SAMPLE:
        return bool(fresh) or not stored
    last = max((item.published, item.item_id) for item in stored)
    return any((item.published, item.item_id) < last for item in fresh)
