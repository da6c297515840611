"""The ``Parser`` port: ``parse_feed`` run off the event loop, in worker processes.

feedparser is pure Python and holds the GIL for the whole parse, so a thread pool does not keep
the event loop responsive while a poll parses a few hundred feeds: the loop has to win the GIL
back from the parsing threads every time it wakes. Worker processes have their own GIL.
``benchmarks/parse_offloop.py`` measures both (event-loop lag while parsing 200 feeds of ~60 KB,
and throughput); a thread mode is kept for that comparison and for tests. On the 2-CPU
development machine: threads lag the loop as much as parsing on it does (p99 ~11 ms, max 15-37
ms) for no extra throughput (~145 feeds/s); two niced worker processes keep p99 lag ~1 ms, max
~3-4 ms, at ~280 feeds/s.

Limits: one document must not take a worker, or the machine, for itself. A hostile 9.6 MB
document of nested tags once took 96 s and 1.4 GB to parse while every other feed waited. So
each parse has a time limit and each worker a memory limit (resident set size, looked at every
0.1 s); a worker over either is killed, the parse fails with a FeedParseError that says which
limit it hit (the feed records it and backs off like any error), and a new worker takes the
place of the old one. ``concurrent.futures.ProcessPoolExecutor`` cannot do that: killing one of
its workers breaks the whole pool and every parse in flight. Here each worker has its own pipe
and its own helper thread in this process that hands it one job at a time and watches it, so a
worker's death touches only its own job. The limits apply to worker processes; the thread mode
(benchmarks, tests) has none.

Lifecycle: nothing happens at import. ``start()`` starts the workers from a helper thread
(starting a process takes a noticeable while, not to be spent on the loop); ``close()`` stops
them; a close while the start is still under way kills the processes being started rather
than wait for them. ``async with PoolParser(clock) as parser:`` does both. Workers are started
with 'forkserver' where the platform has it, else 'spawn': never 'fork', which would copy a process
that already runs threads (aiohttp's resolver, aiosqlite) and their held locks.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import importlib
import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, Self, TypeVar

from bot.news.adapters.parent_watch import watch
from bot.news.model.errors import FeedParseError
from bot.news.model.vocabulary import ParsedFeed
from bot.news.ports import Clock, Parser

__all__ = ["DEFAULT_MEMORY_LIMIT_MB", "DEFAULT_TIME_LIMIT", "PoolParser", "default_workers"]

log = logging.getLogger("shopwire.parse")

Mode = Literal["process", "thread"]
P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_TIME_LIMIT = 10.0
"""Seconds one parse may take in a worker."""
DEFAULT_MEMORY_LIMIT_MB = 512
"""Resident memory, in MB, a worker may reach while parsing."""

# How often a helper thread looks at its busy worker (time and memory): the memory limit can be
# overshot by what a parse allocates in this long.
_CHECK_EVERY = 0.1
# A worker that does not come up in this long (a machine out of processes or memory) is an error.
_START_TIMEOUT = 60.0
# A worker asked to stop (or that stopped itself) gets this long before it is killed.
_STOP_GRACE = 2.0
# Modules a worker imports before it says it is ready, so that a parse's time limit is not spent
# importing feedparser on the first job.
_PRELOAD = ("bot.news.adapters.parse_job",)


def default_workers() -> int:
    """How many CPUs this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _lane(url: str, workers: int) -> int:
    """The worker slot a feed's parses go to first: the same for a URL in every process."""
    return zlib.crc32(url.encode("utf-8", "surrogatepass")) % workers


def _start_method() -> str:
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


# --- in the worker process ----------------------------------------------------------------------


def _parse_and_tag(body: bytes, **kwargs: Any) -> ParsedFeed:
    """``parse_job.parse_and_tag``, imported where it runs (a worker, or a thread in thread mode).

    The pool's own process never imports the parser (feedparser, the fast path, the tag tables):
    importing them took 0.3-0.4 s of the event loop at the first parse of a cold poll, before
    the workers could even be started. A job names this function, which pickles by name.
    """
    from bot.news.adapters.parse_job import parse_and_tag

    return parse_and_tag(body, **kwargs)


def _init_worker(niceness: int, owner: int) -> None:
    # Ctrl-C is the parent's business; a worker that dies of it mid-parse fails a feed for nothing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker outlives no owner: SIGKILL of the bot or the CLI gives multiprocessing no
    # chance to stop it.
    watch(owner)
    if niceness and hasattr(os, "nice"):
        # Parsing is batch work: when every core is busy the kernel should run the event loop's
        # process first (see the benchmark), and give the parsers whatever is left.
        with contextlib.suppress(OSError):
            os.nice(niceness)


def _cap_address_space(memory_limit: int | None) -> None:
    """A backstop under the parent's memory check: the kernel refuses a runaway allocation.

    The parent looks at the worker's resident memory every 0.1 s; a parse that allocates faster
    than that could take the machine first. Address space counts memory reserved but never
    touched, so the cap is generous (twice the limit over what the worker has at start) and the
    resident-memory check stays the limit that normally applies.
    """
    if memory_limit is None:
        return
    size = _statm(os.getpid(), 0)
    try:
        import resource
    except ImportError:  # not on Unix
        return
    if size is None:
        return  # no /proc: we cannot tell the start size (and macOS does not enforce it anyway)
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = size + 2 * memory_limit
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _out_of_memory(exc: BaseException) -> bool:
    # parse_feed wraps whatever feedparser raises in a FeedParseError: look through the chain.
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, MemoryError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _worker_main(
    conn: Connection,
    niceness: int,
    owner: int,
    memory_limit: int | None,
    preload: tuple[str, ...],
) -> None:
    """A worker's life: run the jobs its helper thread sends, one at a time, until told to stop.

    Every job gets one reply: ("ok", result), ("raise", exception, traceback text) or
    ("memory", None) when it ran out of memory (the worker then ends: a heap that ran out is not
    trusted with the next document).
    """
    _init_worker(niceness, owner)
    for module in preload:
        importlib.import_module(module)
    _cap_address_space(memory_limit)
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the owner closed its end
            return
        if job is None:
            return
        function, args, kwargs = job
        reply: tuple[Any, ...]
        try:
            reply = ("ok", function(*args, **kwargs))
        except Exception as exc:
            if _out_of_memory(exc):
                reply = ("memory", None)
            else:
                reply = ("raise", exc, traceback.format_exc())
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("memory", None))
            return
        except Exception as exc:  # a result or an exception that does not pickle
            conn.send(("raise", RuntimeError(f"the parse result could not be sent: {exc}"), ""))
        if reply[0] == "memory":
            return


# --- in this process ----------------------------------------------------------------------------


def _exited(pid: int | None) -> bool:
    """Whether the kernel says ``pid`` has exited (gone, or a zombie not yet reaped).

    ``Process.is_alive`` hears of a forkserver child's death only when the fork server has
    reaped it and told us; a job sent in between went to a dead worker and failed as if the
    job had killed it. /proc knows at once (elsewhere: False, and ``is_alive`` decides)."""
    if pid is None:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return Path("/proc/self/stat").exists()
    except OSError:
        return False
    state = stat[stat.rfind(")") + 2 : stat.rfind(")") + 3]
    return state in ("Z", "X")


def _statm(pid: int, field_index: int) -> int | None:
    """A field of /proc/<pid>/statm in bytes (0: address space, 1: resident), or None."""
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
        return int(fields[field_index]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class _RemoteTraceback(Exception):
    """The worker's traceback of an unexpected exception, as the cause of the one raised here."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class _Worker:
    process: BaseProcess
    conn: Connection


@dataclass(frozen=True, slots=True)
class _Job:
    future: Future[Any]
    function: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


# A job meant for one worker (``_JobQueue``) is taken by another only after waiting this long:
# longer than a usual parse (5-20 ms), so that a busy owner usually gets to it first, and short
# enough that an idle worker is never kept waiting for work that the other one has piled up.
_STEAL_AFTER = 0.03


class _JobQueue:
    """The pool's jobs: first in, first out, except that a job may name the slot it is meant
    for (its ``lane``). A slot takes the oldest job that is its own or no one's before older
    jobs of other slots, and takes another slot's job only once it has waited ``_STEAL_AFTER``
    (a ``None``, the sign to stop, never). Why lanes: a worker remembers the entries of the
    feeds it parsed (``draft_memo``), so a feed parsed by the same worker each time
    costs about half as much."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._jobs: collections.deque[tuple[float, int | None, _Job | None]] = collections.deque()

    def put(self, job: _Job | None, lane: int | None = None) -> None:
        with self._ready:
            self._jobs.append((time.monotonic(), lane, job))
            self._ready.notify_all()

    def get(self, lane: int) -> _Job | None:
        """The next job for slot ``lane``; blocks until there is one."""
        with self._ready:
            while True:
                for index, (_, owner, job) in enumerate(self._jobs):
                    if owner is None or owner == lane:
                        del self._jobs[index]
                        return job
                # None of its own: the oldest job another slot has left waiting long enough.
                now = time.monotonic()
                wait: float | None = None
                for index, (queued, _, job) in enumerate(self._jobs):
                    if job is None:
                        continue
                    due = queued + _STEAL_AFTER - now
                    if due <= 0:
                        del self._jobs[index]
                        return job
                    wait = due if wait is None else min(wait, due)
                self._ready.wait(wait)

    def drain(self) -> list[_Job]:
        """Take every job queued (not the signs to stop)."""
        with self._ready:
            jobs = [job for _, _, job in self._jobs if job is not None]
            self._jobs = collections.deque(entry for entry in self._jobs if entry[2] is None)
            return jobs


class _WorkerPool(Executor):
    """Worker processes, each fed and watched by its own helper thread (module docstring).

    ``time_limit`` (seconds) bounds each job and ``memory_limit`` (bytes) each worker's resident
    memory; None means no limit. A job over a limit, or whose worker died, fails with a
    FeedParseError; its worker is replaced before the next job.
    """

    def __init__(
        self,
        context: BaseContext,
        size: int,
        *,
        niceness: int,
        time_limit: float | None,
        memory_limit: int | None,
    ) -> None:
        self.context = context
        self.niceness = niceness
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        self.jobs = _JobQueue()
        self.closing = False
        self._slots = [_Slot(self, n) for n in range(size)]
        self._shutdown_lock = threading.Lock()

    def start(self) -> None:
        """Start every worker; blocks, so call it from a helper thread. Raises if one fails."""
        for slot in self._slots:
            slot.thread.start()
        for slot in self._slots:
            slot.ready.result()

    def pids(self) -> list[int]:
        """The worker processes' ids (tests and diagnostics)."""
        return [pid for slot in self._slots if (pid := slot.pid) is not None]

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        return self.submit_to(None, fn, *args, **kwargs)

    def submit_to(
        self, lane: int | None, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Future[T]:
        """``submit``, for the worker of slot ``lane`` first (``_JobQueue``; None: any)."""
        with self._shutdown_lock:
            if self.closing:
                raise RuntimeError("cannot schedule new parses after the pool was closed")
            future: Future[T] = Future()
            self.jobs.put(_Job(future, fn, args, dict(kwargs)), lane)
            return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._shutdown_lock:
            first = not self.closing
            self.closing = True
            if cancel_futures:
                for job in self.jobs.drain():
                    job.future.cancel()
            if first:
                for slot in self._slots:
                    self.jobs.put(None, slot.number)
                self._abandon_start()
        if wait:
            for slot in self._slots:
                if slot.thread.is_alive():
                    slot.thread.join()

    def _abandon_start(self) -> None:
        """Stop a start still under way now, rather than wait for it to finish and then stop.

        A start takes up to a second or more (the fork server compiles the tag tables before
        it forks a worker); a command that ends before it needed a parse (``shopwire poll``
        starts the pool ahead for new feeds, whose fetches may all fail) or is interrupted
        must not wait for it nor leave it running.
        The workers being started are killed, then the fork server if a worker is still
        waiting for it to fork: multiprocessing starts a new one when a pool next needs it.
        """
        waiting = [slot for slot in self._slots if not slot.ready.done()]
        for slot in waiting:
            slot.kill_starting()  # before the fork server: its death hides their exit status
        if any(slot.launching for slot in waiting):
            _kill_forkserver(self.context)


def _kill_forkserver(context: BaseContext) -> None:
    """SIGKILL the fork server multiprocessing runs for this process, if there is one.

    Its pid is private to multiprocessing (3.11), hence the guarded look-up; the process is not
    reaped here, since multiprocessing's next start reaps it and starts a new one. Pools of one
    process share the fork server: only a start under way is abandoned this way, and the CLI and
    the bot run one pool each.
    """
    if context.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    if isinstance(pid, int):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


class _Slot:
    """One worker process and the helper thread that feeds it, watches it and replaces it."""

    def __init__(self, pool: _WorkerPool, number: int) -> None:
        self._pool = pool
        self.number = number
        self._worker: _Worker | None = None
        self.ready: Future[None] = Future()
        # The first start's state, for a close that abandons it (``_abandon_start``): asking
        # the fork server for a process, then that process until it says it is ready.
        self.launching = False
        self._starting: BaseProcess | None = None
        self.thread = threading.Thread(
            target=self._run, name=f"shopwire-parse-{number}", daemon=True
        )

    @property
    def pid(self) -> int | None:
        worker = self._worker
        return None if worker is None else worker.process.pid

    def kill_starting(self) -> None:
        """Kill the worker of the first start, if it has one and is not ready yet."""
        process = self._starting
        if process is not None:
            with contextlib.suppress(OSError, ValueError):
                process.kill()

    def _run(self) -> None:
        try:
            if self._pool.closing:
                raise RuntimeError("the parser pool was closed before its workers started")
            self._worker = self._start_worker(first=True)
        except BaseException as exc:
            failure = exc
            if self._pool.closing:  # abandoned by the close (_abandon_start): say so
                failure = RuntimeError("the parser pool was closed while its workers started")
            self.ready.set_exception(failure)
            return
        self.ready.set_result(None)
        try:
            while True:
                job = self._pool.jobs.get(self.number)
                if job is None:
                    return
                if not job.future.set_running_or_notify_cancel():
                    continue
                try:
                    job.future.set_result(self._run_job(job))
                except BaseException as exc:
                    job.future.set_exception(exc)
        finally:
            self._discard(kill=False)

    def _run_job(self, job: _Job) -> Any:
        if self._pool.closing:  # left in the queue by a shutdown that did not cancel it
            raise RuntimeError("the parser pool was closed before the parse started")
        message = (job.function, job.args, job.kwargs)
        worker = self._running_worker()
        try:
            worker.conn.send(message)
        except OSError:  # it died while idle (a broken pipe): the job never reached it
            self._discard(kill=True)
            worker = self._running_worker()
            worker.conn.send(message)
        limit = self._pool.time_limit
        deadline = None if limit is None else time.monotonic() + limit
        while True:
            if self._pool.closing:
                self._discard(kill=True)
                raise RuntimeError("the parser pool was closed during the parse")
            wait = _CHECK_EVERY
            if limit is not None and deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    self._replace(worker, f"over the time limit ({limit:g} s)")
                    raise FeedParseError(
                        f"parsing took longer than {limit:g} s (the parse time limit): the"
                        " document is too big or too complex"
                    )
            if worker.conn.poll(wait):
                return self._reply(worker)
            if self._over_memory(worker):
                raise self._memory_error(worker)

    def _reply(self, worker: _Worker) -> Any:
        try:
            reply = worker.conn.recv()
        except (EOFError, OSError):
            self._replace(worker, "it died", kill=False)
            raise FeedParseError("the parser process died while parsing this feed") from None
        if reply[0] == "ok":
            return reply[1]
        if reply[0] == "memory":
            raise self._memory_error(worker, kill=False)
        _, exc, remote = reply
        if remote:
            raise exc from _RemoteTraceback(remote)
        raise exc

    def _over_memory(self, worker: _Worker) -> bool:
        limit = self._pool.memory_limit
        if limit is None or worker.process.pid is None:
            return False
        resident = _statm(worker.process.pid, 1)
        return resident is not None and resident > limit

    def _memory_error(self, worker: _Worker, *, kill: bool = True) -> FeedParseError:
        limit = self._pool.memory_limit or 0
        megabytes = limit // (1024 * 1024)
        self._replace(worker, f"over the memory limit ({megabytes} MB)", kill=kill)
        return FeedParseError(
            f"parsing needed more than {megabytes} MB of memory (the parse memory limit): the"
            " document is too big or too complex"
        )

    def _replace(self, worker: _Worker, reason: str, *, kill: bool = True) -> None:
        # The new worker is started before the next job (``_running_worker``), not here: the
        # job's caller hears of its failure without waiting for a process to start.
        log.warning(
            "parse worker pid=%s stopped: %s; a new one takes its place", worker.process.pid, reason
        )
        self._discard(kill=kill)

    def _running_worker(self) -> _Worker:
        worker = self._worker
        if worker is not None and worker.process.is_alive() and not _exited(worker.process.pid):
            return worker
        if worker is not None:  # killed behind our back (the OOM killer) while idle
            log.warning(
                "parse worker pid=%s had died; a new one takes its place", worker.process.pid
            )
            self._discard(kill=True)
        self._worker = self._start_worker()
        return self._worker

    def _start_worker(self, *, first: bool = False) -> _Worker:
        pool = self._pool
        ours, theirs = pool.context.Pipe(duplex=True)
        process = pool.context.Process(  # type: ignore[attr-defined]
            target=_worker_main,
            args=(theirs, pool.niceness, os.getpid(), pool.memory_limit, _PRELOAD),
            name="shopwire-parse",
            # multiprocessing ends daemonic children at an orderly exit of this process.
            daemon=True,
        )
        self.launching = first
        try:
            process.start()
        finally:
            self.launching = False
            theirs.close()
        worker = _Worker(process, ours)
        if first:
            self._starting = process
        try:
            # A close that came while the process was being launched found no process to kill
            # (``_abandon_start``): it is this start's to stop. The close sets ``closing``
            # before it looks at ``_starting``, and this looks after setting it, so one of the
            # two always sees the other.
            if first and pool.closing:
                raise RuntimeError("the parser pool was closed while its workers started")
            if not ours.poll(_START_TIMEOUT):
                raise RuntimeError(f"a parse worker did not start within {_START_TIMEOUT:g} s")
            ours.recv()
        except BaseException:
            self._stop(worker, kill=True)
            raise
        finally:
            self._starting = None
        return worker

    def _discard(self, *, kill: bool) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            self._stop(worker, kill=kill)

    @staticmethod
    def _stop(worker: _Worker, *, kill: bool) -> None:
        process = worker.process
        if kill:
            with contextlib.suppress(OSError, ValueError):
                process.kill()
        else:
            # Ask it to end (an idle worker reads None); a busy or stuck one is killed below.
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        process.join(_STOP_GRACE)
        if process.is_alive():
            process.kill()
            process.join(_STOP_GRACE)
        worker.conn.close()


class PoolParser:
    """Parses fetched feed documents in a pool of worker processes (see the module docstring).

    ``clock`` supplies the "now" that bounds plausible item dates; ``workers`` defaults to the
    CPUs available to this process; worker processes lower their priority by ``niceness`` so
    the event loop's process wins a contended CPU. ``time_limit`` (seconds per parse) and
    ``memory_limit_mb`` (resident MB per worker) bound each parse; None lifts a limit. The class
    implements the ``Parser`` port and adds an optional per-feed ``max_items`` to ``parse``.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        workers: int | None = None,
        mode: Mode = "process",
        niceness: int = 10,
        time_limit: float | None = DEFAULT_TIME_LIMIT,
        memory_limit_mb: int | None = DEFAULT_MEMORY_LIMIT_MB,
        tag: bool = False,
    ) -> None:
        if workers is not None and workers < 1:
            raise ValueError("workers must be >= 1")
        if mode not in ("process", "thread"):
            raise ValueError(f"unknown mode {mode!r}")
        if time_limit is not None and time_limit <= 0:
            raise ValueError("time_limit must be > 0")
        if memory_limit_mb is not None and memory_limit_mb <= 0:
            raise ValueError("memory_limit_mb must be > 0")
        self._clock = clock
        self._workers = workers or default_workers()
        self._mode: Mode = mode
        self._niceness = niceness
        # Workers also tag items with the shipped company and topic tables (parse_job).
        self._tag = tag
        self._time_limit = time_limit
        self._memory_limit = None if memory_limit_mb is None else memory_limit_mb * 1024 * 1024
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
            if isinstance(self._executor, _WorkerPool):
                await asyncio.to_thread(self._executor.start)

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
        story_source: str | None = None,
        stored_hashes: Mapping[str, str] | None = None,
    ) -> ParsedFeed:
        """Parse one document in a worker; raises FeedParseError as ``parse_feed`` does.

        Also a FeedParseError: a parse over the time or memory limit, or whose worker process
        died (killed, out of memory). That worker is replaced; no other parse is affected.
        """
        executor = self._running_executor()
        submit = executor.submit
        if isinstance(executor, _WorkerPool):
            # The same worker as the last time, when it can: it remembers the feed's entries.
            submit = functools.partial(executor.submit_to, _lane(url, self._workers))
        future = submit(
            _parse_and_tag,
            body,
            url=url,
            content_type=content_type,
            now=self._clock.now(),
            max_items=max_items,
            tag=self._tag,
            story_source=story_source,
            stored_hashes=stored_hashes,
        )
        return await asyncio.wrap_future(future)

    # --- internals ----------------------------------------------------------------------------

    def _new_executor(self) -> Executor:
        if self._mode == "thread":
            return ThreadPoolExecutor(self._workers, thread_name_prefix="shopwire-parse")
        context = multiprocessing.get_context(_start_method())
        if context.get_start_method() == "forkserver":
            # The forkserver ends with this process too (its import starts the watch).
            preload = ["bot.news.adapters.forkserver_watch"]
            if self._tag:
                # Compiled once in the forkserver, the tables come ready in every worker.
                preload.append("bot.news.adapters.tag_tables_preload")
            context.set_forkserver_preload(preload)
        return _WorkerPool(
            context,
            self._workers,
            niceness=self._niceness,
            time_limit=self._time_limit,
            memory_limit=self._memory_limit,
        )

    def _running_executor(self) -> Executor:
        if self._executor is None:
            raise RuntimeError("PoolParser is not started (call start() or use 'async with')")
        return self._executor


if TYPE_CHECKING:

    def _implements_the_port(parser: PoolParser) -> Parser:
        return parser
