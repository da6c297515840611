"""Polling feeds as they fall due, each in its own slot, never in rounds that wait for the slowest.

::

    updater.due()                      enabled feeds whose time has come, most overdue first
    | minus feeds in flight            a feed is never polled twice at once
    | minus feeds just finished        min_gap: a poll that could not store its state (a crash)
    |                                  must not be restarted in a tight loop
    | up to the free slots             max_in_flight polls at once
    | updater.update_feed(feed)        its own task: fetch, parse, store (one transaction)
    | on_stored(report)                the moment it is stored: wakes delivery and stories

The poller looks again whenever a poll finishes, when woken, and every ``check_every`` seconds
while a slot is free, so a feed starts about as soon as it is due. A feed that hangs until its
timeout holds only its own slot. ``FeedUpdater.update_due`` (one round, for the CLI) is
unchanged.

With ``FeedLeasing`` (several poller processes on one database) the due list is claimed, not
read: ``updater.claim_due`` leases each feed it returns to this poller for ``lease``, so no two
pollers poll one feed, a killed poller's feeds are taken over when its leases run out, and a
result is stored only while its lease holds. A stored result frees the lease; stopping frees
the leases of polls cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.news.model.vocabulary import Feed, Subscription, UpdateReport
from bot.news.ports import Clock
from bot.news.services.feed_updater import FeedUpdater
from bot.news.services.stage import FailureLog, backoff, describe, wait_first

log = logging.getLogger("shopwire.poll")

StoredCallback = Callable[[UpdateReport], None]


@dataclass(frozen=True, slots=True)
class PollerOptions:
    """How many feeds are polled at once and how often the due list is read."""

    # Feeds in flight at once; the fetcher bounds the network separately (overall and per host).
    max_in_flight: int = 32
    # Seconds between two reads of the due list while a slot is free and nothing finished.
    check_every: float = 1.0
    # A feed the poller finished is not started again sooner than this (on the injected clock).
    # A stored poll moves the feed's next due time at least a poll interval ahead anyway; this
    # only matters when storing failed and the feed is still due.
    min_gap: timedelta = timedelta(seconds=5)
    # Seconds polls in flight get to finish and store when the bot stops; then they are
    # cancelled (a cancelled poll's transaction rolls back and the feed stays due).
    stop_grace: float = 5.0
    # A due list that cannot be read (the database is down) is read again after
    # ``check_every``, then twice that, … at most this many seconds; while it lasts, a line
    # when it starts or its error changes, a reminder every ``failure_reminder`` seconds, and
    # one when it recovers.
    max_backoff: float = 30.0
    failure_reminder: float = 300.0


@dataclass(frozen=True, slots=True)
class FeedLeasing:
    """Claiming due feeds with leases: who this poller is (unique per process) and how long a
    claim holds. A lease must outlast a poll (fetch, parse and store); a dead poller's feeds
    wait at most this long."""

    owner: str
    lease: timedelta = timedelta(minutes=2)


class FeedPoller:
    """Keeps due feeds in flight with bounded concurrency until asked to stop."""

    def __init__(
        self,
        updater: FeedUpdater,
        clock: Clock,
        *,
        on_stored: StoredCallback | None = None,
        options: PollerOptions | None = None,
        leasing: FeedLeasing | None = None,
    ) -> None:
        self._updater = updater
        self._leasing = leasing
        self._clock = clock
        self._on_stored = on_stored
        self._options = options or PollerOptions()
        self._in_flight: dict[int, asyncio.Task[UpdateReport | None]] = {}
        # Feeds finished lately and the moment before which they are not started again.
        self._resting: dict[int, datetime] = {}
        self._woken = asyncio.Event()
        self.failures = FailureLog("poller", log, remind_every=self._options.failure_reminder)

    @property
    def in_flight(self) -> frozenset[int]:
        """Ids of the feeds being polled right now."""
        return frozenset(self._in_flight)

    def wake(self) -> None:
        """Read the due list now (a feed was added or enabled), not at the next check."""
        self._woken.set()

    async def fill(self) -> list[int]:
        """Start due feeds that are not in flight while slots are free; returns their ids."""
        free = self._options.max_in_flight - len(self._in_flight)
        if free <= 0:
            return []
        now = self._clock.now()
        self._resting = {feed_id: until for feed_id, until in self._resting.items() if until > now}
        if self._leasing is not None:
            return await self._fill_claimed(self._leasing, free)
        # Only as many as the free slots take, without the feeds in flight or resting: a poller
        # that fell behind must not read and decode every overdue feed each time a poll
        # finishes (benchmarks/scale.py).
        due = await self._updater.due(free, skip=[*self._in_flight, *self._resting])
        # Filtered after the read: a poll that finished during it is in ``_resting`` by now.
        ready = [
            feed for feed in due if feed.id not in self._in_flight and feed.id not in self._resting
        ][:free]
        if not ready:
            return []
        # Loaded once for the feeds started together, as a round of update_due does.
        subscriptions = await self._updater.subscriptions()
        for feed in ready:
            self._in_flight[feed.id] = asyncio.create_task(
                self._poll(feed, subscriptions), name=f"poll-feed-{feed.id}"
            )
        return [feed.id for feed in ready]

    async def _fill_claimed(self, leasing: FeedLeasing, free: int) -> list[int]:
        # A claimed feed is this poller's until its lease runs out: none is left unpolled. One
        # still in flight (its lease ran out during a slow poll, and this poller claimed it
        # again) is not started twice; its result is stored, the lease being ours.
        claimed = await self._updater.claim_due(leasing.owner, leasing.lease, free)
        ready = [feed for feed in claimed if feed.id not in self._in_flight]
        if not ready:
            return []
        subscriptions = await self._updater.subscriptions()
        for feed in ready:
            self._in_flight[feed.id] = asyncio.create_task(
                self._poll(feed, subscriptions), name=f"poll-feed-{feed.id}"
            )
        return [feed.id for feed in ready]

    async def _poll(self, feed: Feed, subscriptions: Sequence[Subscription]) -> UpdateReport | None:
        owner = None if self._leasing is None else self._leasing.owner
        try:
            report = await self._updater.update_feed(feed, subscriptions, lease_owner=owner)
        except asyncio.CancelledError:
            raise
        except Exception:  # update_feed reports a feed's failures; this would be a bug
            log.exception("poll feed_id=%s crashed outside the updater", feed.id)
            return None
        finally:
            # Both in one step (no await between): fill() sees the feed as in flight or resting.
            self._in_flight.pop(feed.id, None)
            self._resting[feed.id] = self._clock.now() + self._options.min_gap
        if self._on_stored is not None:
            try:
                self._on_stored(report)
            except Exception:
                log.exception("poll feed_id=%s: the stored-result hook failed", feed.id)
        return report

    async def run(self, stop: asyncio.Event) -> None:
        """Poll due feeds until ``stop`` is set; then give polls in flight a short grace."""
        try:
            while not stop.is_set():
                self._woken.clear()
                ok = True
                try:
                    await self.fill()
                    self.failures.succeeded()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a locked or broken database: try again later
                    self.failures.failed(exc, self._retry_in(self.failures.in_a_row + 1))
                    ok = False
                await self._wait(stop, ok)
        except asyncio.CancelledError:
            await self._wind_down(0)
            raise
        await self._wind_down(self._options.stop_grace)

    async def _wait(self, stop: asyncio.Event, ok: bool) -> None:
        if not ok:  # polls finishing must not retry a failing read many times a second
            await wait_first([stop], self._retry_in(self.failures.in_a_row))
            return
        polls = list(self._in_flight.values())
        full = len(polls) >= self._options.max_in_flight
        if not polls:
            await wait_first([stop, self._woken], self._options.check_every)
            return
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._woken.wait())]
        try:
            # All slots busy: nothing can start before a poll finishes, so no periodic read.
            await asyncio.wait(
                [*polls, *waiters],
                timeout=None if full else self._options.check_every,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    def _retry_in(self, in_a_row: int) -> float:
        """Seconds before the due list is read again after ``in_a_row`` failures."""
        return backoff(in_a_row, self._options.check_every, self._options.max_backoff)

    async def _wind_down(self, grace: float) -> None:
        polls = list(self._in_flight.values())
        if not polls:
            return
        if grace > 0:
            await asyncio.wait(polls, timeout=grace)
        left = [poll for poll in polls if not poll.done()]
        for poll in left:
            poll.cancel()
        await asyncio.gather(*polls, return_exceptions=True)
        if left:
            log.info("poller stopped with %d polls cancelled (their feeds stay due)", len(left))
            await self._release_leases()

    async def _release_leases(self) -> None:
        # Another poller takes the cancelled polls' feeds at once, not when the leases run out.
        if self._leasing is None:
            return
        try:
            await self._updater.release_leases(self._leasing.owner)
        except Exception as exc:  # a database gone: the leases run out by themselves
            log.warning("poller could not free its leases: %s", describe(exc))
