"""The story clusterer in a process of its own (the bot's ``Placer``).

Placing stories is pure Python: run in the bot's process, even in a thread, it holds the
interpreter that answers Discord for most of each batch, and it cannot use the second core
while the database stores the batch before. In a worker process it does neither: the bot's
process only sends a batch and receives the placements.

The worker holds one ``StoryClusterer`` and answers one call at a time over a pipe. It ends
when told to, when its pipe closes, or when its owner dies however it dies (``parent_watch``).
A call that fails in the worker raises ``StoryWorkerError`` here, and a worker that died is
never reused: the assigner then closes this placer and rebuilds the clusterer from what was
stored, in a new worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import traceback
from collections.abc import Sequence
from datetime import datetime
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from bot.news.parent_watch import watch
from bot.news.services.story_placing import (
    Placement,
    Restored,
    hold_items,
    place_batch,
    rebuild_clusterer,
)
from bot.news.stories.model import PreparedItem, StoryConfig, StoryItem

if TYPE_CHECKING:
    from bot.news.services.story_placing import Placer
    from bot.news.stories.clusterer import StoryClusterer

_START_TIMEOUT = 60.0
"""Seconds a new worker may take to say it is ready (it imports the clustering code)."""
_STOP_TIMEOUT = 5.0
"""Seconds a worker told to stop may take before it is killed."""


class StoryWorkerError(RuntimeError):
    """The story worker failed a call, or is gone."""


def _worker_main(conn: Connection, owner: int, config: StoryConfig) -> None:
    """The worker's life: answer calls until told to stop. Every call gets one reply:
    ("ok", result) or ("error", text)."""
    # Ctrl-C and SIGTERM are the owner's business: it stops the worker in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    watch(owner)
    clusterer: StoryClusterer | None = None
    conn.send(("ready", None))
    while True:
        try:
            call = conn.recv()
        except (EOFError, OSError):
            return
        if call is None:
            return
        name, args = call
        reply: tuple[str, object]
        try:
            if name == "rebuild":
                clusterer, restored = rebuild_clusterer(args[0], args[1], config)
                reply = ("ok", restored)
            elif clusterer is None:
                raise RuntimeError("the worker's clusterer was never built")
            elif name == "hold":
                reply = ("ok", hold_items(clusterer, args[0], args[1]))
            else:
                reply = ("ok", place_batch(clusterer, args[0], args[1], args[2]))
        except Exception as exc:
            reply = ("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        conn.send(reply)


class ProcessPlacer:
    """A ``Placer`` whose clusterer lives in a worker process, started on first use."""

    def __init__(self, config: StoryConfig) -> None:
        self._config = config
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._broken = False

    async def rebuild(self, held: Sequence[PreparedItem], next_story_id: int) -> Restored:
        result = await self._call("rebuild", list(held), next_story_id)
        assert isinstance(result, Restored)
        return result

    async def hold(
        self, items: Sequence[tuple[StoryItem, int]], now: datetime
    ) -> tuple[tuple[int, str], ...]:
        result = await self._call("hold", list(items), now)
        assert isinstance(result, tuple)
        return result

    async def place(self, batch: Sequence[StoryItem], now: datetime, first_id: int) -> Placement:
        result = await self._call("place", list(batch), now, first_id)
        assert isinstance(result, Placement)
        return result

    async def close(self) -> None:
        await asyncio.to_thread(self._stop)

    @property
    def pid(self) -> int | None:
        """The worker's process id, once started (for tests and logs)."""
        return None if self._process is None else self._process.pid

    # --- internals ----------------------------------------------------------------------------

    async def _call(self, name: str, *args: object) -> object:
        if self._broken:
            raise StoryWorkerError("the story worker failed earlier; close and start again")
        # The pipe is used by one call at a time, in a thread: waiting for the worker must
        # not hold the event loop.
        try:
            return await asyncio.to_thread(self._exchange, name, args)
        except BaseException:
            # A call given up half way (cancelled, or the worker died) leaves a reply that
            # nobody will read: the worker cannot be trusted with the next call.
            self._broken = True
            raise

    def _exchange(self, name: str, args: tuple[object, ...]) -> object:
        conn = self._running()
        try:
            conn.send((name, args))
            kind, value = conn.recv()
        except (EOFError, OSError) as exc:
            raise StoryWorkerError(
                f"the story worker stopped: {exc or type(exc).__name__}"
            ) from exc
        if kind != "ok":
            raise StoryWorkerError(f"the story worker failed: {value}")
        return value

    def _running(self) -> Connection:
        if self._conn is not None:
            return self._conn
        # Spawned, not forked from the parser pool's forkserver: whichever starts first would
        # set up the forkserver for both, and this worker starts once per process anyway.
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=_worker_main,
            args=(theirs, os.getpid(), self._config),
            name="shopwire-stories",
            # multiprocessing ends daemonic children at an orderly exit of this process.
            daemon=True,
        )
        try:
            process.start()
        finally:
            theirs.close()
        self._process, self._conn = process, ours
        if not ours.poll(_START_TIMEOUT):
            self._stop()
            raise StoryWorkerError(f"the story worker did not start within {_START_TIMEOUT:g} s")
        ours.recv()
        return ours

    def _stop(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            with contextlib.suppress(OSError, ValueError):
                conn.send(None)
            conn.close()
        if process is not None:
            process.join(_STOP_TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join(_STOP_TIMEOUT)
        self._broken = False


if TYPE_CHECKING:

    def _implements_the_port(placer: ProcessPlacer) -> Placer:
        return placer
