"""End to end: in the real `shopwire run` process, a feed that hangs and a feed that floods never
hold back another feed's post. Loopback fake of Discord, loopback feed servers, a server that
accepts the connection and never answers. Every wait is bounded; every process is reaped.

Set SHOPWIRE_E2E_LOG=1 to print the bot's log after the test.
"""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_bot_process import BotProcess, cli, text_of
from tests.fakediscord import FakeDiscord, Perm, RecordedMessage
from tests.fakes.environment import clean_environ
from tests.fakes.feedserver import FeedServer, rss
from tests.fakes.silentserver import SilentServer

pytestmark = pytest.mark.slow

POLL_INTERVAL = 5
# The hanging feed's request outlives the test: a post that arrives while it is still open did
# not wait for it (the old work loop could not post before the slowest feed's poll ended).
HANG_TIMEOUT = 180
FLOOD = 2000
# A generous ceiling for every wait on a loaded machine.
WAIT = 60.0
START = [
    ("c-1", "Temu pauses US shipments from China", "Direct parcels stop as de minimis ends."),
    ("c-2", "SHEIN fined in France over discounts", "Regulator fines the fast-fashion retailer."),
]
NEW = ("c-3", "Temu opens EU warehouses", "Local fulfilment for European sellers.")


def flood_items(count: int, start: int = 0) -> list[tuple[str, str, str]]:
    return [
        (f"f-{n}", f"Marketplace flood listing {n}", f"Clearance flood number {n}.")
        for n in range(start, start + count)
    ]


async def test_a_hanging_feed_and_a_flood_never_hold_back_another_feeds_post(
    tmp_path: Path,
) -> None:
    async with FakeDiscord() as fake, FeedServer() as feeds, SilentServer() as silent:
        guild = fake.add_guild("Sellers Hub")
        news = guild.add_text_channel("news")
        flood = guild.add_text_channel("flood")
        admins = guild.add_role("Admins", Perm.MANAGE_GUILD)
        admin = guild.add_member(fake.add_user("alice"), roles=[admins])
        feeds.serve("/flood.xml", rss(flood_items(3)))
        feeds.serve("/commerce.xml", rss(START))
        env = {
            **clean_environ(),
            **fake.env(),
            "SHOPWIRE_DB": str(tmp_path / "shopwire.db"),
            "SHOPWIRE_SEED_CATALOGUE": "0",
            "SHOPWIRE_POLL_INTERVAL": str(POLL_INTERVAL),
            "SHOPWIRE_TOTAL_TIMEOUT": str(HANG_TIMEOUT),
            "SHOPWIRE_MAX_ITEMS_PER_POLL": str(FLOOD + 100),
            "SHOPWIRE_DEV_GUILD_ID": str(guild.id),
            "SHOPWIRE_LOG_LEVEL": "INFO",
        }
        await cli(env, "feeds", "add", "--no-check", silent.url("/hang.xml"), "--name", "Hanging")
        await cli(env, "feeds", "add", feeds.url("/flood.xml"), "--name", "Flood")
        await cli(env, "feeds", "add", feeds.url("/commerce.xml"), "--name", "Commerce")
        bot = BotProcess(env, tmp_path / "bot.log")

        async def subscribe(channel_id: int, **options: Any) -> None:
            handle = await fake.invoke_slash(
                guild.id,
                news.id,
                admin.id,
                "subscribe",
                options={"channel": channel_id, **options},
                ignore_default_permissions=True,
            )
            assert "Subscribed" in text_of(await handle.wait_original())

        try:
            await bot.start()
            await fake.wait_for_command_sync(guild.id, timeout=WAIT)
            await subscribe(news.id, companies="Temu")
            await subscribe(flood.id, keywords="flood")
            # The backlogs are stored (never posted) and the hanging feed's request is open.
            await fake.wait_until(
                lambda: (
                    "poll feed_id=2 status=ok" in bot.log()
                    and "poll feed_id=3 status=ok" in bot.log()
                    and silent.open == 1
                ),
                timeout=WAIT,
                what="the first polls",
            )

            # A flood and a new item in another feed, in the same poll.
            feeds.serve("/flood.xml", rss(flood_items(FLOOD, start=100)))
            feeds.serve("/commerce.xml", rss([NEW, *START]))
            served = datetime.now(UTC)
            seen: dict[str, Any] = {}

            def posted() -> RecordedMessage | None:
                for message in fake.messages_in(news.id):
                    if NEW[1] in text_of(message):
                        # What the hanging request looked like when the post was seen.
                        seen.setdefault("open", silent.open)
                        seen.setdefault("accepted", silent.accepted)
                        return message
                return None

            post = await fake.wait_until(posted, timeout=WAIT, what="the new item's post")
            assert seen == {"open": 1, "accepted": 1}, bot.log()
            assert post.created_at - served <= timedelta(seconds=POLL_INTERVAL + 5), bot.log()

            # The flood was stored in one poll and goes out as posts and roundups in its channel.
            await fake.wait_until(
                lambda: f"poll feed_id=2 status=ok new={FLOOD} " in bot.log(),
                timeout=WAIT,
                what="the flood stored",
            )
            await fake.wait_for_messages(flood.id, 1, timeout=WAIT)
            assert [text_of(m) for m in fake.messages_in(news.id)].count(text_of(post)) == 1

            assert await bot.stop(signal.SIGTERM) == 0
            log = bot.log()
            # The hanging feed was started once and never again while it was in flight; at the
            # stop its poll was cancelled (it stays due for the next start).
            assert silent.accepted == 1
            assert "poll feed_id=1 " not in log
            assert "poller stopped with 1 polls cancelled" in log
            # Whatever the other stages did (story assignment may fail), these never failed.
            assert "delivery failed" not in log and "poller failed" not in log
            assert "shopwire stopped" in log
        finally:
            if bot.process is not None and bot.process.returncode is None:
                bot.process.kill()
                await bot.process.wait()
            if os.environ.get("SHOPWIRE_E2E_LOG"):
                print(bot.log())
