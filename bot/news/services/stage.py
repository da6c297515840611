"""One stage of the bot process: a step run whenever it is woken, or at the latest every tick.

::

    wake() ----------.
    tick (fallback) --+--> step()     ok     -> wait for the next wake or tick
                                      raised -> wait a tick, then twice that, … at most
                                                ``max_backoff`` (wakes ignored); logged when
                                                it starts, changes, every few minutes, ends

Stages never wait for each other: delivery is woken by the poller the moment a feed's result is
stored, story assignment runs beside it, and a stage that keeps failing (a database outage)
backs off, logs the failure's start, each change of error, a reminder every few minutes and
its recovery (the traceback only for the first failure in a row, at DEBUG afterwards), and
never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.news.model.errors import StorageError

log = logging.getLogger("shopwire.stages")

# The longest exception text kept in the one line a failing cycle logs.
MAX_ERROR_TEXT = 300


def describe(exc: BaseException) -> str:
    """An exception as one short line: its type and its first words."""
    text = " ".join(str(exc).split())
    if len(text) > MAX_ERROR_TEXT:
        text = text[: MAX_ERROR_TEXT - 1] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def backoff(in_a_row: int, base: float, ceiling: float) -> float:
    """Seconds to wait after the ``in_a_row``-th failure in a row: ``base``, twice that, …, at
    most ``ceiling`` (never less than ``base``: a stage is never tried more often than its tick).
    """
    doublings = min(max(in_a_row - 1, 0), 30)
    return min(base * (1 << doublings), max(ceiling, base))


class FailureLog:
    """Logs a repeating failure (a database outage) by its changes, not by its cycles: the
    first failure, a failure of another kind, a periodic reminder while it lasts, and the
    recovery, each once. The lines in between are DEBUG only."""

    def __init__(
        self, name: str, logger: logging.Logger = log, *, remind_every: float = 300.0
    ) -> None:
        self._name = name
        self._log = logger
        self._remind_every = remind_every
        self.in_a_row = 0
        # The failure last logged, and the seconds of retry waits since that line (the waits
        # the caller announced: no clock needed, and a test's fast waits add up the same way).
        self._kind = ""
        self._quiet = 0.0
        self._failing_for = 0.0

    def failed(self, exc: BaseException, retry_in: float) -> None:
        """Record one failed cycle, followed by a wait of ``retry_in`` seconds."""
        self.in_a_row += 1
        kind = describe(exc)
        args: tuple[object, ...] = (self._name, self.in_a_row, retry_in, kind)
        if self.in_a_row == 1 and not isinstance(exc, StorageError):
            # The first failure carries its traceback, so a bug can be found without DEBUG on;
            # a database that refuses (a full disk) is no bug: its line says it all.
            self._log.error("%s failed (%d in a row), next try in %.0f s: %s", *args, exc_info=exc)
        elif self.in_a_row == 1 or kind != self._kind:
            self._log.error("%s failed (%d in a row), next try in %.0f s: %s", *args)
        elif self._quiet >= self._remind_every:
            failing = (self._name, self.in_a_row, self._failing_for, retry_in, kind)
            self._log.warning(
                "%s still failing (%d in a row, for %.0f s), next try in %.0f s: %s", *failing
            )
        else:
            self._log.debug("%s failed (%d in a row): %s", self._name, self.in_a_row, kind)
            self._quiet += retry_in
            self._failing_for += retry_in
            return
        self._log.debug("%s traceback", self._name, exc_info=exc)
        self._kind = kind
        self._quiet = retry_in
        self._failing_for += retry_in

    def succeeded(self) -> None:
        """Record a cycle that worked; says so once after a run of failures."""
        if self.in_a_row:
            self._log.info(
                "%s recovered after %d failed cycles (%.0f s)",
                self._name,
                self.in_a_row,
                self._failing_for,
            )
        self.in_a_row = 0
        self._kind = ""
        self._quiet = 0.0
        self._failing_for = 0.0


class CrashLog:
    """Crashes of one of many units (a feed's poll, a channel's delivery) that repeat every few
    seconds: each kind's traceback is logged once; a repeat is one line (or DEBUG only, when
    the caller logs its own line for it), its traceback at DEBUG."""

    def __init__(
        self, logger: logging.Logger, *, repeat_level: int = logging.ERROR, kinds: int = 64
    ) -> None:
        self._log = logger
        self._repeat_level = repeat_level
        self._kinds = kinds
        self._seen: set[str] = set()

    def crashed(self, exc: BaseException, message: str, *args: object) -> None:
        """Log ``message % args`` for a crash: with its traceback if this kind is new."""
        kind = describe(exc)
        if kind not in self._seen and not isinstance(exc, StorageError):
            if len(self._seen) >= self._kinds:  # bounded: kinds with ids in them keep coming
                self._seen.clear()
            self._seen.add(kind)
            self._log.error(message, *args, exc_info=exc)
            return
        if self._repeat_level > logging.DEBUG:
            self._log.log(self._repeat_level, message + ": %s", *args, kind)
        self._log.debug(message, *args, exc_info=exc)


async def wait_first(events: Sequence[asyncio.Event], seconds: float) -> None:
    """Return when any of ``events`` is set or after ``seconds``, whichever is first."""
    if any(event.is_set() for event in events):
        return
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


class Stage:
    """Runs ``step`` when woken and at least every ``tick`` seconds, until ``stop`` is set.

    ``again(result)`` says whether the step left work behind (a story backlog spread over
    runs): it is then run again at once instead of waiting for the next wake or tick.
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[object]],
        *,
        tick: float,
        again: Callable[[object], bool] | None = None,
        logger: logging.Logger = log,
        max_backoff: float = 30.0,
    ) -> None:
        self.name = name
        self._step = step
        self._tick = tick
        self._max_backoff = max_backoff
        self._again = again
        self._woken = asyncio.Event()
        self.failures = FailureLog(name, logger)

    def wake(self) -> None:
        """Run the step as soon as the one in progress (if any) is done."""
        self._woken.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; the step in progress is finished, not interrupted."""
        while not stop.is_set():
            # Cleared before the step: a wake that arrives during it runs the step once more.
            self._woken.clear()
            ok, result = await self.run_once()
            if ok and self._again is not None and self._again(result):
                await asyncio.sleep(0)  # let the other stages run between two batches
                continue
            # After a failure, wakes are ignored: a stage woken after every stored feed must
            # not retry (and log) a broken step many times a second.
            await wait_first([stop, self._woken] if ok else [stop], self._next_wait(ok))

    async def run_once(self) -> tuple[bool, object]:
        """Run the step once; a failure is logged, never raised (cancellation is)."""
        try:
            result = await self._step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.failures.failed(exc, self._next_wait(False, self.failures.in_a_row + 1))
            return False, None
        self.failures.succeeded()
        return True, result

    def _next_wait(self, ok: bool, in_a_row: int | None = None) -> float:
        """The wait after a cycle: the tick, or the backoff of the failures in a row."""
        if ok:
            return self._tick
        failed = self.failures.in_a_row if in_a_row is None else in_a_row
        return backoff(failed, self._tick, self._max_backoff)
