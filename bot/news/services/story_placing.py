"""Where the story clusterer runs: what the assigner asks of it, and the in-process placer.

The assigner (``story_assigner``) only stores and reads; the clustering state lives behind a
``Placer``: ``InlinePlacer`` keeps it in this process and places a batch in a worker thread
(the CLI, tests), ``adapters.story_worker.ProcessPlacer`` keeps it in a process of its own
(the bot: placing stories is pure Python, and in the bot's process it would hold the
interpreter that serves Discord). Both give the same answers for the same calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.news.stories.model import PreparedItem, StoryConfig, StoryItem, StoryMerge

if TYPE_CHECKING:
    from bot.news.stories.clusterer import StoryClusterer
    from bot.news.stories.features import TextFeatures
    from bot.news.stories.snapshot import StateEncoder


@dataclass(frozen=True, slots=True)
class Restored:
    """What rebuilding the clusterer found: held items it could not read (to prepare again)."""

    unreadable: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Placement:
    """One batch placed: (item id, story id) pairs, merges and the items' stored forms."""

    pairs: tuple[tuple[int, int], ...]
    merges: tuple[StoryMerge, ...]
    prepared: tuple[tuple[int, str], ...]


Placed = Callable[[], Awaitable[Sequence[tuple[int, int]]]]
"""Reads the stored (item id, story id) pairs a restored state must agree with."""


class Placer(Protocol):
    """A story clusterer the assigner drives, wherever it runs. Calls come one at a time."""

    async def rebuild(self, held: Sequence[PreparedItem], next_story_id: int) -> Restored:
        """Start again from the items placed recently (``StoryClusterer.rebuild``)."""
        ...

    async def restore(self, state: bytes, placed: Placed, next_story_id: int) -> bool:
        """Start again from a saved state (``snapshot``) if it agrees with what ``placed``
        reads (every recent item's story as stored now; read while the state is decoded);
        False when it does not: ``rebuild`` instead."""
        ...

    async def snapshot(self) -> bytes:
        """The clusterer's whole state (``stories.snapshot``), for ``restore``."""
        ...

    async def hold(
        self, items: Sequence[tuple[StoryItem, int]], now: datetime
    ) -> tuple[tuple[int, str], ...]:
        """Hold placed items whose stored form is missing; their stored forms."""
        ...

    async def place(self, batch: Sequence[StoryItem], now: datetime, first_id: int) -> Placement:
        """Place ``batch``; new stories are numbered from ``first_id`` (a reserved block)."""
        ...

    async def close(self) -> None:
        """Let go of the clusterer (and whatever runs it)."""
        ...


def rebuild_clusterer(
    held: Sequence[PreparedItem], next_story_id: int, config: StoryConfig
) -> tuple[StoryClusterer, Restored]:
    """A clusterer rebuilt from ``held``, and what it could not read."""
    from bot.news.stories.clusterer import StoryClusterer

    # Every object the rebuild makes is kept: the cycle collector's passes over the growing
    # state would find nothing to free, and cost a fifth of the rebuild at 10,000 items.
    with _keeping_all():
        clusterer = StoryClusterer.rebuild(held, config, next_story_id=next_story_id)
    return clusterer, Restored(tuple(clusterer.unreadable))


@contextlib.contextmanager
def _keeping_all() -> Iterator[None]:
    """No cycle collection inside (when it was on, it is on again after): for work that keeps
    what it makes, where the collector's passes over the clusterer's state find nothing."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def load_clusterer(state: bytes, next_story_id: int, config: StoryConfig) -> StoryClusterer | None:
    """The clusterer saved as ``state`` (``snapshot.load``), not yet checked (``agrees``)."""
    from bot.news.stories.snapshot import load

    # As in ``rebuild_clusterer``: every object made is kept.
    with _keeping_all():
        return load(state, config, next_story_id)


def agrees(clusterer: StoryClusterer, placed: Sequence[tuple[int, int]]) -> bool:
    """Whether a loaded clusterer holds each stored placement (``snapshot.agrees``)."""
    from bot.news.stories.snapshot import agrees

    return agrees(clusterer, placed)


async def load_while(loading: Awaitable[bool], placed: Placed) -> Sequence[tuple[int, int]] | None:
    """The stored placements, read while ``loading`` decodes a state; None when the state was
    unreadable. ``loading`` is awaited to its end either way (a worker's pipe stays in step)."""
    decoding = asyncio.ensure_future(loading)
    try:
        pairs = await placed()
    except BaseException:
        # Not cancelled: a thread cannot be, and a reply left unread would be the next call's.
        await asyncio.wait([decoding])
        with contextlib.suppress(BaseException):
            decoding.result()
        raise
    return pairs if await decoding else None


def state_encoder() -> StateEncoder:
    """A new clusterer's encoder (it remembers the stories it encoded)."""
    from bot.news.stories.snapshot import StateEncoder

    return StateEncoder()


def hold_items(
    clusterer: StoryClusterer, items: Sequence[tuple[StoryItem, int]], now: datetime
) -> tuple[tuple[int, str], ...]:
    """``clusterer.hold`` and the stored forms it made."""
    clusterer.hold(items, now)
    return tuple(clusterer.take_prepared().items())


def place_batch(
    clusterer: StoryClusterer,
    batch: Sequence[StoryItem],
    now: datetime,
    first_id: int,
    texts: Mapping[int, TextFeatures] | None = None,
) -> Placement:
    """One batch placed with ids from ``first_id`` on; at most one new story per item.
    ``texts``: text features of some of its items, read elsewhere (``StoryClusterer.assign``).
    """
    clusterer.number_from(max(first_id, clusterer.next_story_id))
    # A batch's prepared items, centroids and postings are kept (what it drops is freed by
    # reference counts): the collector's passes over the held state find nothing. (Small:
    # 0.5% of placing's instructions at 5,000 items, callgrind; more as the state grows.)
    with _keeping_all():
        pairs = clusterer.assign(batch, now, texts)
    if clusterer.next_story_id > first_id + len(batch):
        raise RuntimeError("the clusterer gave out story ids beyond its reserved block")
    return Placement(
        pairs=tuple(pairs),
        merges=tuple(clusterer.take_merges()),
        prepared=tuple(clusterer.take_prepared().items()),
    )


class InlinePlacer:
    """The clusterer in this process; each call runs in a worker thread, off the event loop."""

    def __init__(self, config: StoryConfig) -> None:
        self._config = config
        self._clusterer: StoryClusterer | None = None
        self._encoder: StateEncoder | None = None

    async def rebuild(self, held: Sequence[PreparedItem], next_story_id: int) -> Restored:
        self._clusterer, restored = await asyncio.to_thread(
            rebuild_clusterer, held, next_story_id, self._config
        )
        self._encoder = None
        return restored

    async def restore(self, state: bytes, placed: Placed, next_story_id: int) -> bool:
        loaded: list[StoryClusterer] = []

        async def loading() -> bool:
            found = await asyncio.to_thread(load_clusterer, state, next_story_id, self._config)
            loaded.extend(filter(None, [found]))
            return found is not None

        pairs = await load_while(loading(), placed)
        if pairs is None or not await asyncio.to_thread(agrees, loaded[0], pairs):
            return False
        self._clusterer, self._encoder = loaded[0], None
        return True

    async def snapshot(self) -> bytes:
        clusterer = self._built()
        if self._encoder is None:
            self._encoder = state_encoder()
        return await asyncio.to_thread(self._encoder.encode, clusterer)

    async def hold(
        self, items: Sequence[tuple[StoryItem, int]], now: datetime
    ) -> tuple[tuple[int, str], ...]:
        return await asyncio.to_thread(hold_items, self._built(), items, now)

    async def place(self, batch: Sequence[StoryItem], now: datetime, first_id: int) -> Placement:
        return await asyncio.to_thread(place_batch, self._built(), batch, now, first_id)

    async def close(self) -> None:
        self._clusterer = self._encoder = None

    def _built(self) -> StoryClusterer:
        if self._clusterer is None:
            raise RuntimeError("rebuild the placer before using it")
        return self._clusterer


if TYPE_CHECKING:

    def _implements_the_port(placer: InlinePlacer) -> Placer:
        return placer
