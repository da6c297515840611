"""End to end: `shopwire run` with a metrics port serves /metrics and /healthz while it runs,
counts what it polled and posted to the loopback fake Discord, and stops serving with the
process. Nothing leaves 127.0.0.1; every wait is bounded; the process is reaped."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.ceiling import CEILING
from tests.e2e.test_bot_process import START, World, cli, reply
from tests.fakediscord import FakeDiscord
from tests.fakes.feedserver import FeedServer

pytestmark = pytest.mark.slow


def free_port() -> int:
    """A loopback port free now (0 means "off" in the setting, so one is picked here)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with FakeDiscord() as fake, FeedServer() as feeds:
        w = World(fake, feeds, tmp_path)
        await cli(w.env, "feeds", "add", w.feed_url, "--name", "Loopback Commerce")
        try:
            yield w
        finally:
            if w.bot.process is not None and w.bot.process.returncode is None:
                w.bot.process.kill()
                await asyncio.wait_for(w.bot.process.wait(), CEILING)
            if os.environ.get("SHOPWIRE_E2E_LOG"):
                print(w.bot.log())


async def scrape(session: aiohttp.ClientSession, port: int) -> dict[str, float]:
    """Every sample without labels, and labelled ones as name{k=v,...}."""
    async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


async def test_a_running_process_serves_metrics_and_health(world: World) -> None:
    w = world
    port = free_port()
    w.env["SHOPWIRE_METRICS_PORT"] = str(port)
    await w.start_bot()
    assert f"metrics serving http://127.0.0.1:{port}/metrics" in w.bot.log()
    await w.fake.wait_for_command_sync(w.guild.id, timeout=CEILING)
    assert "Subscribed" in await reply(await w.slash(w.admin, "subscribe", channel=w.news.id))
    w.add_items(("m-1", "Temu opens EU warehouses", "Local fulfilment."))
    await w.fake.wait_for_messages(w.news.id, 1, timeout=CEILING)

    async with aiohttp.ClientSession() as session:

        async def counted() -> dict[str, float]:
            # The post is recorded by the fake before discord.py reads the answer: scrape until
            # the process has counted it too.
            while True:
                figures = await scrape(session, port)
                if figures.get("shopwire_posts_sent_total", 0) >= 1:
                    return figures
                await asyncio.sleep(0.05)

        figures = await asyncio.wait_for(counted(), CEILING)
        assert figures["shopwire_items_stored_total"] == len(START) + 1
        assert figures["shopwire_polls_total{status=ok}"] >= 2
        assert figures["shopwire_poll_seconds_count"] >= 2
        assert figures["shopwire_parse_seconds_count"] >= 2
        assert figures["shopwire_feeds_failing"] == 0
        assert "shopwire_shard_latency_seconds{shard=0}" in figures
        assert "shopwire_story_lag_seconds" in figures

        async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200
            health = json.loads(await response.text())
        assert health["ok"] is True and health["database"] is True
        assert health["stages"] == {
            "gateway": True,
            "poller": True,
            "stories": True,
            "delivery": True,
            "digests": True,
        }
        assert health["last_successful_poll_age_seconds"] >= 0

    assert await w.bot.stop(signal.SIGTERM) == 0
    with socket.socket() as probe:  # the endpoint stopped with the process
        assert probe.connect_ex(("127.0.0.1", port)) != 0
