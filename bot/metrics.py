"""``/metrics`` and ``/healthz`` for one ``shopwire run`` process (the ``metrics_port`` setting).

The Prometheus side of the core's ``Metrics`` recorder (``bot/news/services/metrics.py``):
counters and histograms move as the updater and the deliverer report work; the gauges that
describe waiting work (feeds due and failing, the outbox's backlog, story lag) are read from
the database through the ``BacklogReader`` port when a scrape arrives, so they are exact and
cost nothing between scrapes. The server is aiohttp's, on the process's event loop (not
prometheus_client's own thread), so it stops with the process; it binds loopback unless the
``metrics_host`` setting says otherwise.

Each process has its own registry: several processes (and tests) never share a global one.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from bot.news.model.vocabulary import ALL_SHARDS, PostOutcome, Shards, UpdateReport, UpdateStatus
from bot.news.ports import BacklogReader, Clock
from bot.news.services.stage import describe

log = logging.getLogger("shopwire.metrics")

# Poll times span a conditional GET answered in milliseconds to a slow server's total timeout.
POLL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
PARSE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
# What a scrape or a health check may wait for the database before calling it unreachable.
DATABASE_TIMEOUT = 5.0


class MetricsUnavailable(Exception):
    """The metrics endpoint cannot listen where the settings say (one line for the operator)."""


class PrometheusMetrics:
    """The process's metrics in one private registry (implements the core's ``Metrics``)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.poll_seconds = Histogram(
            "shopwire_poll_seconds",
            "Time to poll one feed (fetch, parse, store).",
            buckets=POLL_BUCKETS,
            registry=r,
        )
        self.polls = Counter(
            "shopwire_polls", "Feed polls finished, by outcome.", ["status"], registry=r
        )
        self.parse_seconds = Histogram(
            "shopwire_parse_seconds",
            "Time to parse one feed document (in a worker, as waited for).",
            buckets=PARSE_BUCKETS,
            registry=r,
        )
        self.items_stored = Counter(
            "shopwire_items_stored", "New items stored by polls.", registry=r
        )
        self.posts_sent = Counter(
            "shopwire_posts_sent", "Posts (items and roundups) Discord accepted.", registry=r
        )
        self.posts_refused = Counter(
            "shopwire_posts_refused",
            "Posts not made, by outcome (retry, forbidden, not_found, refused).",
            ["outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            "shopwire_discord_rate_limited",
            "HTTP 429 answers from Discord's API (discord.py waits and retries them).",
            registry=r,
        )
        self.feeds_due = Gauge("shopwire_feeds_due", "Enabled feeds due for a poll.", registry=r)
        self.feeds_failing = Gauge(
            "shopwire_feeds_failing", "Enabled feeds whose last poll failed.", registry=r
        )
        self.outbox_pending = Gauge(
            "shopwire_outbox_pending", "Posts queued and not delivered yet.", registry=r
        )
        self.outbox_oldest = Gauge(
            "shopwire_outbox_oldest_pending_seconds",
            "Age of the oldest queued post (0: none).",
            registry=r,
        )
        self.story_lag = Gauge(
            "shopwire_story_lag_seconds",
            "Age of the oldest stored item not placed in a story yet (0: none).",
            registry=r,
        )
        self.database_up = Gauge(
            "shopwire_database_up",
            "1 when the database answered this scrape's read, 0 when it did not (the figures"
            " read from it are NaN then).",
            registry=r,
        )
        self.shard_latency = Gauge(
            "shopwire_shard_latency_seconds",
            "Discord gateway heartbeat latency, per shard (NaN until measured).",
            ["shard"],
            registry=r,
        )
        self.last_success: datetime | None = None

    # The core's Metrics recorder.

    def poll_finished(self, seconds: float, report: UpdateReport) -> None:
        self.poll_seconds.observe(seconds)
        self.polls.labels(status=report.status.value).inc()
        if report.new_items:
            self.items_stored.inc(report.new_items)
        if report.status in (UpdateStatus.OK, UpdateStatus.NOT_MODIFIED):
            self.last_success = self._clock.now()

    def parse_finished(self, seconds: float) -> None:
        self.parse_seconds.observe(seconds)

    def post_finished(self, outcome: PostOutcome) -> None:
        if outcome is PostOutcome.SENT:
            self.posts_sent.inc()
        else:
            self.posts_refused.labels(outcome=outcome.value).inc()

    def http_trace(self) -> aiohttp.TraceConfig:
        """A trace for the Discord client's HTTP session that counts 429 answers.

        discord.py sleeps and retries a 429 inside its HTTP client and says so only in a log
        line; the session's own trace sees every answer, retries included.
        """
        trace = aiohttp.TraceConfig()

        async def on_end(
            _session: aiohttp.ClientSession,
            _context: SimpleNamespace,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            if params.response.status == 429:
                self.rate_limited.inc()

        trace.on_request_end.append(on_end)
        return trace


@dataclass(frozen=True, slots=True)
class Health:
    """What ``/healthz`` reports."""

    ok: bool
    stages: tuple[tuple[str, bool], ...]  # (stage name, alive)
    database: bool
    last_poll_age: float | None  # seconds since the last successful poll (None: none yet)

    def document(self) -> str:
        return json.dumps(
            {
                "ok": self.ok,
                "stages": dict(self.stages),
                "database": self.database,
                "last_successful_poll_age_seconds": self.last_poll_age,
            }
        )


Latencies = Callable[[], Sequence[tuple[int, float]]]


class MetricsServer:
    """Serves ``/metrics`` and ``/healthz`` on the event loop; ``start`` then ``stop``."""

    def __init__(
        self,
        metrics: PrometheusMetrics,
        backlog: BacklogReader,
        clock: Clock,
        *,
        stories_window: timedelta,
        latencies: Latencies = lambda: (),
        shards: Shards = ALL_SHARDS,
    ) -> None:
        self._metrics = metrics
        self._backlog = backlog
        self._clock = clock
        # The story stage considers items first seen within twice its window (StoryAssigner).
        self._stories_window = stories_window
        self._latencies = latencies
        # A sharded gateway's outbox figures are its own shards' (where its work piles up).
        self._shards = shards
        self._stages: list[asyncio.Task[Any]] = []
        # The database's last failure as logged (None: it answered): an outage is one line
        # when it starts or its error changes and one when it ends, never a line per scrape.
        self._database_error: str | None = None
        self._runner: web.AppRunner | None = None

    def watch(self, stages: Sequence[asyncio.Task[Any]]) -> None:
        """The process's stages (tasks): ``/healthz`` fails once one of them has ended."""
        self._stages = list(stages)

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: any free port); returns the port bound."""
        app = web.Application()
        app.router.add_get("/metrics", self._serve_metrics)
        app.router.add_get("/healthz", self._serve_health)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port, reuse_address=False)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            reason = (
                "the port is in use (another process, or another shopwire run?)"
                if exc.errno == errno.EADDRINUSE
                else exc.strerror or str(exc)
            )
            raise MetricsUnavailable(f"metrics port {host}:{port}: {reason}") from exc
        self._runner = runner
        bound = int(runner.addresses[0][1])
        log.info("metrics serving http://%s:%d/metrics and /healthz", host, bound)
        return bound

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _read_backlog(self) -> bool:
        """Refresh the backlog gauges; False when the database did not answer."""
        now = self._clock.now()
        try:
            backlog = await asyncio.wait_for(
                self._backlog.backlog(now, now - 2 * self._stories_window, self._shards),
                DATABASE_TIMEOUT,
            )
        except Exception as exc:  # any failure means "not reachable" to a monitor
            self._database_down(exc)
            return False
        if self._database_error is not None:
            log.info("metrics: the database answers again")
            self._database_error = None
        m = self._metrics
        m.database_up.set(1)
        m.feeds_due.set(backlog.feeds_due)
        m.feeds_failing.set(backlog.feeds_failing)
        m.outbox_pending.set(backlog.outbox_pending)
        m.outbox_oldest.set(_age(now, backlog.oldest_pending))
        m.story_lag.set(_age(now, backlog.oldest_unassigned))
        return True

    def _database_down(self, exc: BaseException) -> None:
        """Say the database is unreachable: in the gauges at every scrape (its figures
        unknown, not stale), in the log once per change of error, without a traceback (an
        outage is the surroundings, not a bug; the stages log theirs too)."""
        error = describe(exc)
        if error != self._database_error:
            log.warning("metrics: the database does not answer: %s", error)
            self._database_error = error
        log.debug("metrics: the database did not answer", exc_info=exc)
        m = self._metrics
        m.database_up.set(0)
        for gauge in (m.feeds_due, m.feeds_failing, m.outbox_pending, m.outbox_oldest, m.story_lag):
            gauge.set(math.nan)

    async def _serve_metrics(self, _request: web.Request) -> web.Response:
        await self._read_backlog()  # a dead database shows in /healthz; keep the counters
        for shard, latency in self._latencies():
            self._metrics.shard_latency.labels(shard=str(shard)).set(
                latency if math.isfinite(latency) else math.nan
            )
        body = generate_latest(self._metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def health(self) -> Health:
        """The process's health now."""
        database = await self._read_backlog()
        stages = tuple((task.get_name(), not task.done()) for task in self._stages)
        last = self._metrics.last_success
        age = None if last is None else max(0.0, (self._clock.now() - last).total_seconds())
        return Health(
            ok=database and all(alive for _, alive in stages),
            stages=stages,
            database=database,
            last_poll_age=age,
        )

    async def _serve_health(self, _request: web.Request) -> web.Response:
        health = await self.health()
        return web.Response(
            text=health.document(),
            status=200 if health.ok else 503,
            content_type="application/json",
        )


def _age(now: datetime, then: datetime | None) -> float:
    return 0.0 if then is None else max(0.0, (now - then).total_seconds())
