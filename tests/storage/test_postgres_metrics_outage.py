"""The metrics endpoint on PostgreSQL while the server cannot be reached: every scrape answers
(the database gauge at 0), and the outage is one log line, not a traceback per scrape (the
probe of last session found one on every scrape). Needs SHOPWIRE_TEST_POSTGRES_URL."""

from __future__ import annotations

import logging
from datetime import timedelta

import aiohttp
import pytest

from bot.metrics import MetricsServer, PrometheusMetrics
from storage import open_storage
from tests.fakes.clock import FakeClock
from tests.fakes.stalling_proxy import StallingProxy
from tests.storage.conftest import fresh_postgres_url


async def _scrape(port: int) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        return response.status, await response.text()


async def test_scrapes_during_a_postgresql_outage_answer_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with fresh_postgres_url() as url:
        proxy = await StallingProxy.to(url).start()
        storage = await open_storage(proxy.url(url))
        clock = FakeClock()
        server = MetricsServer(
            PrometheusMetrics(clock), storage.backlog, clock, stories_window=timedelta(hours=1)
        )
        port = await server.start("127.0.0.1", 0)
        try:
            status, body = await _scrape(port)
            assert status == 200 and "shopwire_database_up 1.0" in body
            await proxy.stop()  # the server is gone: connections closed, new ones refused
            caplog.clear()
            for _ in range(3):
                status, body = await _scrape(port)
                assert status == 200
                assert "shopwire_database_up 0.0" in body
        finally:
            await server.stop()
            await proxy.stop()
            await storage.close()
    shown = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert all(r.exc_info is None for r in shown), [r.getMessage() for r in shown]
    metrics_lines = [r.getMessage() for r in shown if r.name == "shopwire.metrics"]
    assert len(metrics_lines) == 1, metrics_lines
    assert metrics_lines[0].startswith("metrics: the database does not answer: ")
