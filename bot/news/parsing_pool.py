"""The ``Parser`` port: ``parse_feed`` run off the event loop, in worker processes.

feedparser is pure Python and holds the GIL for the whole parse, so a thread pool does not keep
the event loop responsive while a poll parses a few hundred feeds: the loop has to win the GIL
back from the parsing threads every time it wakes. Worker processes have their own GIL.
``benchmarks/parse_offloop.py`` measures both (event-loop lag while parsing 200 feeds of ~60 KB,
and throughput); a thread mode is kept for that comparison and for tests. On the 2-CPU
development machine: threads lag the loop as much as parsing on it does (p99 ~11 ms, max 15-37
ms) for no extra throughput (~145 feeds/s); two niced worker processes keep p99 lag ~1 ms, max
~3-4 ms, at ~280 feeds/s.

Lifecycle: nothing happens at import. ``start()`` creates the pool and starts its workers from a
helper thread (starting a process takes a noticeable while, not to be spent on the loop);
``close()`` stops them. ``async with PoolParser(clock) as parser:`` does both. Workers are
started with 'forkserver' where the platform has it, else 'spawn': never 'fork', which would
copy a process that already runs threads (aiohttp's resolver, aiosqlite) and their held locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Self

from bot.news.models import ParsedFeed
from bot.news.parent_watch import watch
from bot.news.parse import FeedParseError, parse_feed
from bot.news.ports import Clock, Parser

__all__ = ["PoolParser", "default_workers"]

Mode = Literal["process", "thread"]


def default_workers() -> int:
    """How many CPUs this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _start_method() -> str:
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _init_worker(niceness: int, owner: int) -> None:
    # Ctrl-C is the parent's business; a worker that dies of it mid-parse only breaks the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker outlives no owner: SIGKILL of the bot or the CLI gives multiprocessing no
    # chance to stop it.
    watch(owner)
    if niceness and hasattr(os, "nice"):
        # Parsing is batch work: when every core is busy the kernel should run the event loop's
        # process first (see the benchmark), and give the parsers whatever is left.
        with contextlib.suppress(OSError):
            os.nice(niceness)


def _ready() -> bool:
    return True


class PoolParser:
    """Parses fetched feed documents in a pool of worker processes (see the module docstring).

    ``clock`` supplies the "now" that bounds plausible item dates; ``workers`` defaults to the
    CPUs available to this process; worker processes lower their priority by ``niceness`` so
    the event loop's process wins a contended CPU. The class implements the ``Parser`` port and
    adds an optional per-feed ``max_items`` to ``parse``.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        workers: int | None = None,
        mode: Mode = "process",
        niceness: int = 10,
    ) -> None:
        if workers is not None and workers < 1:
            raise ValueError("workers must be >= 1")
        if mode not in ("process", "thread"):
            raise ValueError(f"unknown mode {mode!r}")
        self._clock = clock
        self._workers = workers or default_workers()
        self._mode: Mode = mode
        self._niceness = niceness
        self._executor: Executor | None = None
        self._closed = False

    @property
    def workers(self) -> int:
        """The pool size."""
        return self._workers

    @property
    def mode(self) -> Mode:
        """ "process" or "thread"."""
        return self._mode

    async def start(self) -> None:
        """Create the pool and start every worker; calling it again does nothing."""
        if self._closed:
            raise RuntimeError("PoolParser is closed")
        if self._executor is None:
            self._executor = self._new_executor()
            await asyncio.to_thread(self._warm_up, self._executor)

    async def close(self) -> None:
        """Stop the workers; queued parses are cancelled. Safe to call more than once."""
        self._closed = True
        executor, self._executor = self._executor, None
        if executor is not None:
            # Joining processes blocks: do it in a helper thread, not on the loop.
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def parse(
        self,
        body: bytes,
        *,
        url: str,
        content_type: str | None,
        max_items: int | None = None,
    ) -> ParsedFeed:
        """Parse one document in a worker; raises FeedParseError as ``parse_feed`` does.

        If a worker process dies (killed, out of memory), the pool is replaced and the parse is
        tried once more; a second death is reported as a FeedParseError for this document.
        """
        now = self._clock.now()
        for attempt in (1, 2):
            executor = self._running_executor()
            try:
                future = executor.submit(
                    parse_feed,
                    body,
                    url=url,
                    content_type=content_type,
                    now=now,
                    max_items=max_items,
                )
                return await asyncio.wrap_future(future)
            except BrokenProcessPool as exc:
                self._replace_broken(executor)
                if attempt == 2:
                    raise FeedParseError("the parser process died while parsing this feed") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    # --- internals ----------------------------------------------------------------------------

    def _new_executor(self) -> Executor:
        if self._mode == "thread":
            return ThreadPoolExecutor(self._workers, thread_name_prefix="shopwire-parse")
        context = multiprocessing.get_context(_start_method())
        if context.get_start_method() == "forkserver":
            # The forkserver ends with this process too (its import starts the watch).
            context.set_forkserver_preload(["bot.news.forkserver_watch"])
        return ProcessPoolExecutor(
            self._workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(self._niceness, os.getpid()),
        )

    def _warm_up(self, executor: Executor) -> None:
        # ProcessPoolExecutor starts a process per submit while none is idle: submitting one
        # job per worker before any has started brings them all up now, not during a poll.
        futures: list[Future[bool]] = [executor.submit(_ready) for _ in range(self._workers)]
        for future in futures:
            future.result()

    def _running_executor(self) -> Executor:
        if self._executor is None:
            raise RuntimeError("PoolParser is not started (call start() or use 'async with')")
        return self._executor

    def _replace_broken(self, broken: Executor) -> None:
        # Many parses can fail on the same broken pool at once; only the first replaces it.
        if self._executor is broken and not self._closed:
            self._executor = self._new_executor()
        broken.shutdown(wait=False, cancel_futures=True)


if TYPE_CHECKING:

    def _implements_the_port(parser: PoolParser) -> Parser:
        return parser
