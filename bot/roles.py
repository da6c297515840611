"""``shopwire run --role poller|gateway``: one role of several processes sharing a PostgreSQL
database (``--role all``, the default, is ``bot/runner.py``'s single process, unchanged).

::

    poller      claims due feeds with leases (FeedLeasing), fetches, parses and stores them;
                no Discord (no DISCORD_TOKEN); after a store that queued posts, announces them
                (NOTIFY), one announcement for a burst of stores
    gateway     Discord, slash commands and delivery (woken by the pollers' announcements,
                else on its tick); story assignment and digests only while it leads (an
                advisory lock: one leader at a time, another takes over when it dies)

The runner builds the gateway's stages with ``led`` and ``wake_on_posts``; the poller's process
is ``run_poller`` here.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TextIO

from bot import signals
from bot.app import open_newsroom
from bot.early_parser import with_parser_starting
from bot.metrics import MetricsServer, MetricsUnavailable, PrometheusMetrics
from bot.news.adapters.system_clock import SystemClock
from bot.news.model.errors import StorageError, database_error_line
from bot.news.model.vocabulary import UpdateReport, UpdateStatus
from bot.news.ports import Coordination
from bot.news.services.metrics import NO_METRICS
from bot.news.services.poller import FeedLeasing, FeedPoller
from bot.news.services.stage import FailureLog, wait_first
from bot.settings import Settings

log = logging.getLogger("shopwire")

# How long a gateway's claim on a subscription's delivery holds: longer than one drain takes
# for one channel (a few posts, Discord's rate limit); a killed gateway's channels wait this long.
DELIVERY_LEASE = timedelta(minutes=2)
# How long a poller's tasks get to finish their step when it stops, before they are cancelled.
SHUTDOWN_GRACE = 20.0
# Longest wait between two looks at the announcer's stop event (it is woken by stores).
ANNOUNCE_IDLE = 60.0


def lease_owner() -> str:
    """This process's name in feed leases: its host and pid, and a random part (a pid is
    reused after a restart, and a lease must never be mistaken for a dead process's)."""
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"


def led(
    coordination: Coordination, step: Callable[[], Awaitable[object]]
) -> Callable[[], Awaitable[object]]:
    """``step`` run only while this process leads; a process that does not lead skips it
    (returns None) and asks again at its next tick, so it takes over when the leader dies."""

    async def run_if_leading() -> object:
        if not await coordination.lead():
            return None
        return await step()

    return run_if_leading


def run_poller(settings: Settings, err: TextIO) -> int:
    """``shopwire run --role poller`` until SIGINT/SIGTERM; returns the exit code."""
    try:
        signals.run(_serve_poller(settings))
    except KeyboardInterrupt:
        return 0
    except StorageError as exc:
        print(database_error_line(settings.db_shown, exc), file=err)
        return 1
    except MetricsUnavailable as exc:
        print(f"error: {exc}", file=err)
        return 1
    return 0


async def _serve_poller(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    clock = SystemClock()
    recorder = PrometheusMetrics(clock) if settings.metrics_port else None
    async with open_newsroom(settings, clock=clock, metrics=recorder or NO_METRICS) as newsroom:
        coordination = newsroom.coordination()
        try:
            leasing = FeedLeasing(lease_owner(), timedelta(seconds=settings.feed_lease_seconds))
            feeds, _ = await newsroom.service.feed_counts()
            log.info(
                "shopwire poller starting db=%s feeds=%d owner=%s lease=%ds",
                settings.db_shown,
                feeds,
                leasing.owner,
                settings.feed_lease_seconds,
            )
            queued = asyncio.Event()

            def stored(report: UpdateReport) -> None:
                # Only new items have planned posts; a feed disabled owes its server a notice.
                if report.new_items or report.status is UpdateStatus.DISABLED:
                    queued.set()

            poller = FeedPoller(newsroom.updater, clock, on_stored=stored, leasing=leasing)
            server: MetricsServer | None = None
            if recorder is not None:
                server = MetricsServer(
                    recorder,
                    newsroom.storage.backlog,
                    clock,
                    stories_window=timedelta(hours=settings.story_window_hours),
                )
                await server.start(settings.metrics_host, settings.metrics_port)
            try:
                tasks = [
                    asyncio.create_task(
                        with_parser_starting(newsroom, lambda: poller.run(stop)), name="poller"
                    ),
                    asyncio.create_task(_announce(coordination, queued, stop), name="announce"),
                ]
                if server is not None:
                    server.watch(tasks)
                await _until_stopped(stop, tasks)
            finally:
                if server is not None:
                    await server.stop()
        finally:
            await coordination.close()
    log.info("shopwire poller stopped")


async def _announce(coordination: Coordination, queued: asyncio.Event, stop: asyncio.Event) -> None:
    """Announce queued posts to the gateways: once per burst of stores, never from a store's
    own task (a slow or lost database connection must not hold up polling)."""
    failures = FailureLog("announce", log)
    while not stop.is_set():
        await wait_first([stop, queued], ANNOUNCE_IDLE)
        if not queued.is_set():
            continue
        queued.clear()
        try:
            await coordination.announce_posts()
            failures.succeeded()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the gateways' tick delivers anyway
            failures.failed(exc, 0)


async def _until_stopped(stop: asyncio.Event, tasks: list[asyncio.Task[Any]]) -> None:
    """Wait for ``stop`` (or a task ending on its own), then let the tasks finish their step."""
    stopping = asyncio.create_task(stop.wait(), name="stop")
    done, _ = await asyncio.wait({stopping, *tasks}, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    log.info("shopwire poller stopping")
    _, late = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE)
    for task in late:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    stopping.cancel()
    for task in done - {stopping}:
        if not task.cancelled() and (error := task.exception()) is not None:
            raise error
