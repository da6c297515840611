"""Stories after each poll: newly stored items placed in stories, one step at a time.

::

    stories.unassigned()          shared-catalogue items not in a story yet, oldest first
    | placer.place(batch)         the clusterer (in a worker thread, or in the bot a worker
    |                             process: ``story_placing``) joins each item to a recent story
    |                             or starts one, then merges the stories it touched with any
    |                             that tell the same event; the next batch is placed while
    |                             this one is saved
    | summarize_story(new)        a new story's headline, line and link (it needs a row now)
    | stories.save(...)           one transaction: placements, merges, features, figures
    ...                           (the next batch, until the run has placed what it may)
    | summarize_story(changed)    once per run, for every older story whose first reports the
    | stories.save(summaries)     run changed: headline, line and link from one report

A story's headline is chosen among its first reports, and a cold poll's reports of one event
arrive spread over many batches (each feed's items are stored together): summarising each
story once per run, not once per batch that touched it, saves most of that work. Until the
run ends, a story that gained reports keeps its earlier headline, which still comes with the
line and link of one of its reports.

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
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

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

    @property
    def config(self) -> StoryConfig:
        """The clusterer's settings."""
        return self._config

    async def run(self) -> int:
        """Assign unassigned items (at most ``MAX_PER_RUN``, oldest first); returns how many
        were assigned.

        The next batch is placed while the last one is saved: the clusterer (another thread or
        process) and the database work side by side, and neither waits for the other.
        """
        self.start()
        assigned = 0
        # Items older than two windows could join no live story; skipping them also keeps an
        # upgraded database from clustering its whole archive at once.
        since = self._clock.now() - 2 * self._config.window
        batch = await self._unassigned(since, set())
        placing: asyncio.Task[Placement] | None = None
        try:
            if batch:
                placer = await self._ready()
                placing = asyncio.create_task(self._place(placer, batch))
            while placing is not None:
                placement = await placing
                placing = None
                done, batch = batch, []
                if len(done) == BATCH and assigned + len(done) < MAX_PER_RUN:
                    # Not saved yet: they would be read again.
                    batch = await self._unassigned(since, {item.item_id for item in done})
                if batch:
                    placing = asyncio.create_task(self._place(placer, batch))
                assigned += await self._save(done, placement)
            if assigned:
                self._unsaved = True
        except BaseException:
            if placing is not None:
                placing.cancel()
                with contextlib.suppress(BaseException):
                    await placing
            # The clusterer moved on and the database did not: rebuild it from what was
            # stored next time rather than answer from a state nobody saved.
            self._trust_state = self._unsaved = False
            await self._let_go()
            raise
        await self._summarise_changed()
        # After the headlines: saving megabytes of state must not hold back the stories the
        # run made; it only spares a restart a rebuild.
        if assigned:
            await self._save_state_now(due_only=True)
            log.info("stories assigned=%d", assigned)
        return assigned

    def start(self) -> None:
        """Start the clusterer's home now (a worker process starts up) rather than when the
        first items are to be placed; nothing is read yet."""
        if self._placer is None and self._started is None:
            self._started = self._new_placer(self._config)

    async def close(self) -> None:
        """Save the clusterer's state if it placed items since it was last saved, then let go
        of it (a worker process stops); the next run restores it."""
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
        if placer is None or not self._unsaved:
            return
        if due_only and self._saved_at is not None and now - self._saved_at < SAVE_EVERY:
            return
        state = await placer.snapshot()
        await self._stories.save_clusterer_state(state, now)
        self._unsaved, self._saved_at = False, now

    async def _let_go(self) -> None:
        for placer in (self._placer, self._started):
            if placer is not None:
                await placer.close()
        self._placer = self._started = None

    async def _unassigned(self, since: datetime, placing: set[int]) -> list[StoryItem]:
        """The next batch to place: the oldest unassigned items but those being placed."""
        found = await self._stories.unassigned(BATCH + len(placing), since=since)
        return [item for item in found if item.item_id not in placing][:BATCH]

    async def _place(self, placer: Placer, batch: list[StoryItem]) -> Placement:
        # Ids come from the database, a block per batch (a batch starts at most one story per
        # item): a process that lost its turn while another placed stories, or one started
        # beside it, can never give out an id twice. Unused ids are only gaps.
        first = await self._stories.reserve_story_ids(len(batch))
        return await placer.place(batch, self._clock.now(), first)

    async def _save(self, batch: list[StoryItem], placement: Placement) -> int:
        pairs, merges = list(placement.pairs), list(placement.merges)
        summaries = await self._new_summaries(batch, pairs, merges)
        prepared = dict(placement.prepared)
        now = self._clock.now()
        await self._stories.save(pairs, summaries, now, merges=merges, prepared=prepared)
        return len(pairs)

    async def _new_summaries(
        self,
        batch: Sequence[StoryItem],
        pairs: Sequence[tuple[int, int]],
        merges: Sequence[StoryMerge],
    ) -> list[StorySummary]:
        """The summary of every story the step started (its row must exist before its items
        are placed in it); every older story whose first reports it changed is noted, to be
        summarised once when the run ends."""
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
        return await asyncio.to_thread(_summarise, {s: fresh[s] for s in started})

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


def _summarise(groups: Mapping[int, Sequence[StoryItem]]) -> list[StorySummary]:
    """Each non-empty group's summary (story id -> its items)."""
    from bot.news.stories.headline import summarize_story

    return [summarize_story(story_id, list(items)) for story_id, items in groups.items() if items]


def _changes_sample(stored: Sequence[StoryItem], fresh: Sequence[StoryItem]) -> bool:
    """Whether new reports change a story's first ``SAMPLE`` reports (what its headline is
    chosen from): always for a story with fewer; for a full one, only a report published
    before the last of them. Otherwise the headline stands and only figures change."""
    if len(stored) < SAMPLE:
        return bool(fresh) or not stored
    last = max((item.published, item.item_id) for item in stored)
    return any((item.published, item.item_id) < last for item in fresh)
