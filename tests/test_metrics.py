"""The metrics endpoint's own behaviour: /healthz 200 and 503, a port in use as one line, the
settings; the endpoint always on an ephemeral loopback port and always stopped."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.metrics import MetricsServer, MetricsUnavailable, PrometheusMetrics
from bot.news.model.errors import ConfigError, StorageError
from bot.news.model.vocabulary import ALL_SHARDS, Backlog, Shards, UpdateReport, UpdateStatus
from bot.settings import load_settings
from tests.ceiling import CEILING
from tests.fakes.clock import FakeClock


class FakeBacklog:
    """Answers fixed figures, or fails like a database that went away."""

    def __init__(self) -> None:
        self.failing = False
        self.shards: Shards | None = None

    async def backlog(
        self, now: datetime, stories_since: datetime, shards: Shards = ALL_SHARDS
    ) -> Backlog:
        self.shards = shards
        if self.failing:
            raise StorageError("disk I/O error")
        return Backlog(3, 1, 7, now - timedelta(minutes=2), None)


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[MetricsServer, PrometheusMetrics, FakeBacklog, int]]:
    clock = FakeClock()
    recorder = PrometheusMetrics(clock)
    backlog = FakeBacklog()
    server = MetricsServer(recorder, backlog, clock, stories_window=timedelta(hours=1))
    port = await server.start("127.0.0.1", 0)
    try:
        yield server, recorder, backlog, port
    finally:
        await server.stop()


async def get(port: int, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, await response.text()


async def test_healthz_is_200_while_stages_live_and_503_once_one_has_ended(
    endpoint: tuple[MetricsServer, PrometheusMetrics, FakeBacklog, int],
) -> None:
    server, recorder, _, port = endpoint
    release = asyncio.Event()
    alive = asyncio.create_task(release.wait(), name="poller")
    ended = asyncio.create_task(asyncio.sleep(0), name="delivery")
    try:
        server.watch([alive])
        recorder.poll_finished(0.2, UpdateReport(1, "Feed", "http://x", UpdateStatus.OK))
        status, body = await get(port, "/healthz")
        assert status == 200
        assert '"poller": true' in body and '"database": true' in body
        assert '"last_successful_poll_age_seconds": 0.0' in body

        await asyncio.wait_for(ended, CEILING)
        server.watch([alive, ended])
        status, body = await get(port, "/healthz")
        assert status == 503
        assert '"delivery": false' in body
    finally:
        release.set()
        await asyncio.wait_for(alive, CEILING)


async def test_healthz_is_503_when_the_database_fails_and_metrics_still_answer(
    endpoint: tuple[MetricsServer, PrometheusMetrics, FakeBacklog, int],
) -> None:
    _, _, backlog, port = endpoint
    status, body = await get(port, "/metrics")
    assert status == 200
    assert "shopwire_outbox_pending 7.0" in body
    assert "shopwire_feeds_due 3.0" in body
    assert "shopwire_outbox_oldest_pending_seconds 120.0" in body
    backlog.failing = True
    status, body = await get(port, "/healthz")
    assert status == 503
    assert '"database": false' in body
    status, _ = await get(port, "/metrics")  # the counters still answer
    assert status == 200


async def test_the_backlog_is_read_for_the_process_shards() -> None:
    # A sharded gateway's outbox figures are its shards' (storage/test_backlog.py); one
    # serving every shard, or a poller, reads them all.
    for shards in (Shards((1,), 2), ALL_SHARDS):
        backlog = FakeBacklog()
        clock = FakeClock()
        server = MetricsServer(
            PrometheusMetrics(clock),
            backlog,
            clock,
            stories_window=timedelta(hours=1),
            shards=shards,
        )
        port = await server.start("127.0.0.1", 0)
        try:
            status, _ = await get(port, "/metrics")
        finally:
            await server.stop()
        assert status == 200
        assert backlog.shards == shards


async def test_a_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = MetricsServer(
            PrometheusMetrics(FakeClock()),
            FakeBacklog(),
            FakeClock(),
            stories_window=timedelta(hours=1),
        )
        with pytest.raises(MetricsUnavailable) as raised:
            await server.start("127.0.0.1", port)
        await server.stop()
    assert str(raised.value) == (
        f"metrics port 127.0.0.1:{port}: the port is in use"
        " (another process, or another shopwire run?)"
    )


async def test_shopwire_run_with_its_metrics_port_taken_stops_with_one_line(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SHOPWIRE_")},
            "DISCORD_TOKEN": "not-used-the-port-fails-first",
            "SHOPWIRE_DB": str(tmp_path / "shopwire.db"),
            "SHOPWIRE_SEED_CATALOGUE": "0",
            "SHOPWIRE_METRICS_PORT": str(port),
            # Nothing is reached: the metrics port is bound before logging in.
            "SHOPWIRE_DISCORD_API_BASE": "http://127.0.0.1:9/api/v10",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), CEILING)
    assert process.returncode == 1
    lines = [line for line in err.decode().splitlines() if line.startswith("error")]
    assert lines == [
        f"error: metrics port 127.0.0.1:{port}: the port is in use"
        " (another process, or another shopwire run?)"
    ]
    assert "Traceback" not in err.decode()


def test_metrics_settings() -> None:
    settings = load_settings(environ={})
    assert (settings.metrics_port, settings.metrics_host) == (0, "127.0.0.1")  # off, loopback
    settings = load_settings(
        environ={"SHOPWIRE_METRICS_PORT": "9464", "SHOPWIRE_METRICS_HOST": "0.0.0.0"}
    )
    assert (settings.metrics_port, settings.metrics_host) == (9464, "0.0.0.0")
    with pytest.raises(ConfigError) as raised:
        load_settings(
            environ={"SHOPWIRE_METRICS_PORT": "70000", "SHOPWIRE_METRICS_HOST": "http://x"}
        )
    assert raised.value.problems == (
        "metrics_port: 70000 must be between 0 and 65535",
        "metrics_host: 'http://x' must be a host name or an IP address",
    )


async def test_scrapes_while_the_database_is_down_answer_and_log_each_change_once(
    endpoint: tuple[MetricsServer, PrometheusMetrics, FakeBacklog, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, _, backlog, port = endpoint
    caplog.set_level(logging.DEBUG, logger="shopwire.metrics")
    status, body = await get(port, "/metrics")
    assert status == 200 and "shopwire_database_up 1.0" in body
    backlog.failing = True
    for _ in range(3):
        status, body = await get(port, "/metrics")
        assert status == 200
        assert "shopwire_database_up 0.0" in body
        # Figures the database gives are unknown now, not stale.
        assert "shopwire_outbox_pending NaN" in body
        assert "shopwire_posts_sent_total 0.0" in body  # the process's own counters stay
    await get(port, "/healthz")
    backlog.failing = False
    status, body = await get(port, "/metrics")
    assert status == 200 and "shopwire_database_up 1.0" in body
    assert "shopwire_outbox_pending 7.0" in body
    records = [r for r in caplog.records if r.name == "shopwire.metrics"]
    assert all(r.exc_info is None for r in records if r.levelno >= logging.INFO)
    assert [r.getMessage() for r in records if r.levelno >= logging.INFO] == [
        "metrics: the database does not answer: StorageError: disk I/O error",
        "metrics: the database answers again",
    ]
