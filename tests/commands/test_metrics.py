"""/metrics and /healthz over the real services: a loopback feed polled by the real updater
(fetcher and parser pool), delivered by the real deliverer to the fake Discord through the
bot's own HTTP session; the endpoint on an ephemeral loopback port, scraped with aiohttp."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import MetricsServer, PrometheusMetrics
from bot.news.adapters.system_clock import SystemClock
from bot.news.model.vocabulary import SubscriptionFilter, UpdateStatus
from bot.publisher import DiscordPublisher
from tests.ceiling import CEILING
from tests.commands.conftest import App, World, start_shopwire
from tests.fakes.feedserver import FeedServer, rss

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

METRIC_NAMES = {
    "shopwire_poll_seconds",
    "shopwire_polls",
    "shopwire_parse_seconds",
    "shopwire_items_stored",
    "shopwire_posts_sent",
    "shopwire_posts_refused",
    "shopwire_discord_rate_limited",
    "shopwire_feeds_due",
    "shopwire_feeds_failing",
    "shopwire_outbox_pending",
    "shopwire_outbox_oldest_pending_seconds",
    "shopwire_story_lag_seconds",
    "shopwire_shard_latency_seconds",
}


async def scrape(session: aiohttp.ClientSession, port: int) -> tuple[set[str], Samples]:
    async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    families = list(text_string_to_metric_families(text))
    samples: Samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }
    return {family.name for family in families}, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


Item3 = tuple[str, str, str]
FEED_PATH = "/metrics-feed.xml"
# Newest first: the first poll serves the last two, the next ones more of the top.
ITEMS: list[Item3] = [
    ("mx-5", "Zalando lists new brands", "Fashion."),
    ("mx-4", "Amazon cuts fees", "Sellers pay less."),
    ("mx-3", "Allegro grows in Czechia", "Marketplace."),
    ("mx-2", "SHEIN hires engineers", "In Dublin."),
    ("mx-1", "Temu opens a warehouse", "In Poland."),
]


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


async def test_metrics_move_after_a_poll_and_a_delivery(
    world: World, tmp_path: Path, feeds: FeedServer
) -> None:
    recorder = PrometheusMetrics(SystemClock())
    url = feeds.serve(FEED_PATH, rss(ITEMS[-2:]))
    async with start_shopwire(
        world, tmp_path, fetch=True, metrics=recorder, http_trace=recorder.http_trace()
    ) as app:
        server = _server(app, recorder)
        port = await server.start("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession() as session:
                names, before = await scrape(session, port)
                assert names >= METRIC_NAMES
                assert value(before, "shopwire_items_stored_total") == 0

                feed = await app.newsroom.service.add_feed(url, name="Metrics News")
                await app.newsroom.subscriptions.subscribe(
                    guild_id=world.guild.id,
                    channel_id=world.news.id,
                    subscription_filter=SubscriptionFilter(),
                    created_by=world.admin.id,
                )
                report = await app.newsroom.updater.update_feed(feed)
                assert (report.status, report.new_items) == (UpdateStatus.OK, 2)

                _, polled = await scrape(session, port)
                assert value(polled, "shopwire_items_stored_total") == 2
                assert value(polled, "shopwire_polls_total", status="ok") == 1
                assert value(polled, "shopwire_poll_seconds_count") == 1
                assert value(polled, "shopwire_parse_seconds_count") == 1
                assert value(polled, "shopwire_feeds_due") == 0  # the poll moved it ahead
                assert ("shopwire_shard_latency_seconds", (("shard", "0"),)) in polled
                # A feed's first poll stores its backlog without posting it.
                assert value(polled, "shopwire_outbox_pending") == 0

                stored = 2 + await poll(app, feeds, feed.id, ITEMS[1:])
                _, queued = await scrape(session, port)
                assert value(queued, "shopwire_items_stored_total") == stored
                posts = value(queued, "shopwire_outbox_pending")
                assert posts == 2  # mx-3 and mx-4
                assert value(queued, "shopwire_outbox_oldest_pending_seconds") >= 0

                # One 429 (discord.py waits and retries it), then both posts arrive.
                app.fake.rate_limit(world.news.id, times=1, retry_after=0.1)
                sender = app.newsroom.delivery_sender(DiscordPublisher(app.bot))
                delivered = await asyncio.wait_for(sender.drain(), CEILING)
                assert delivered.sent == posts
                assert len(app.fake.messages_in(world.news.id)) == posts

                _, after = await scrape(session, port)
                assert value(after, "shopwire_posts_sent_total") == posts
                assert value(after, "shopwire_discord_rate_limited_total") == 1
                assert value(after, "shopwire_outbox_pending") == 0
                assert value(after, "shopwire_outbox_oldest_pending_seconds") == 0

                # A refused post counts as refused, by its outcome; it stays pending.
                app.fake.forbid(world.news.id, code=50013)
                stored += await poll(app, feeds, feed.id, ITEMS)
                await asyncio.wait_for(sender.drain(), CEILING)
                _, refused = await scrape(session, port)
                assert value(refused, "shopwire_posts_refused_total", outcome="forbidden") == 1
                assert value(refused, "shopwire_items_stored_total") == stored
                assert value(refused, "shopwire_outbox_pending") == 1  # mx-5 waits
                assert value(refused, "shopwire_polls_total", status="ok") == 3

                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    assert response.status == 200
                    health = await response.json()
                assert health["database"] is True
                assert health["last_successful_poll_age_seconds"] >= 0
        finally:
            await server.stop()


async def poll(app: App, feeds: FeedServer, feed_id: int, items: list[Item3]) -> int:
    """Serve the newest ``items`` and poll the feed once more; how many items were new."""
    feeds.serve(FEED_PATH, rss(items))
    feed = await app.newsroom.storage.feeds.get(feed_id)
    assert feed is not None
    report = await app.newsroom.updater.update_feed(feed)
    assert report.status is UpdateStatus.OK
    assert report.new_items >= 1
    return report.new_items


def _server(app: App, recorder: PrometheusMetrics) -> MetricsServer:
    return MetricsServer(
        recorder,
        app.newsroom.storage.backlog,
        app.newsroom.clock,
        stories_window=timedelta(hours=72),
        latencies=lambda: [(app.bot.shard_id or 0, app.bot.latency)],
    )
