"""End to end: the real `shopwire run` process, real discord.py, a loopback fake of Discord and a
loopback feed server. Nothing leaves 127.0.0.1; every wait is bounded; every process is reaped.

Set SHOPWIRE_E2E_LOG=1 to print the bot's log after each test.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ceiling import CEILING
from tests.fakediscord import FakeDiscord, InteractionHandle, Perm, RecordedMessage
from tests.fakes.environment import clean_environ
from tests.fakes.feedserver import FeedServer, rss

pytestmark = pytest.mark.slow

FEED = "/commerce.xml"
START = [
    ("a-1", "Temu pauses US shipments from China", "Direct parcels stop as de minimis ends."),
    ("a-2", "SHEIN fined in France over discounts", "Regulator fines the fast-fashion retailer."),
    ("a-3", "Amazon Haul expands to Europe", "The low-price storefront answers Temu."),
]
# Waits end when what they wait for happens; the ceiling only has to outlast a loaded 2-core
# machine running a few 5-second poll cycles.
WAIT = CEILING


class BotProcess:
    """One `shopwire run` subprocess, logging to a file (a pipe nobody reads would block it)."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.env, stdout=log, stderr=log
            )

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        try:
            return await asyncio.wait_for(self.process.wait(), CEILING)
        except TimeoutError:
            self.process.kill()
            await asyncio.wait_for(self.process.wait(), CEILING)
            raise AssertionError(
                f"the bot did not stop within {CEILING:.0f} s of the signal"
            ) from None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


async def cli(env: dict[str, str], *args: str) -> str:
    """Run an operator CLI command against the same database."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


class World:
    """Two Discord servers on the fake, a feed server, and the bot's environment."""

    def __init__(self, fake: FakeDiscord, feeds: FeedServer, tmp: Path) -> None:
        self.fake = fake
        self.feeds = feeds
        self.guild = fake.add_guild("Sellers Hub")
        self.news = self.guild.add_text_channel("news")
        self.deals = self.guild.add_text_channel("deals")
        admins = self.guild.add_role("Admins", Perm.MANAGE_GUILD)
        self.admin = self.guild.add_member(fake.add_user("alice"), roles=[admins])
        self.member = self.guild.add_member(fake.add_user("bob"))
        self.other = fake.add_guild("Other Server")
        self.other_channel = self.other.add_text_channel("general")
        mods = self.other.add_role("Mods", Perm.MANAGE_GUILD)
        self.other_admin = self.other.add_member(fake.add_user("carol"), roles=[mods])
        self.feed_url = feeds.serve(FEED, rss(START))
        self.env = {
            **clean_environ(),
            **fake.env(),
            "SHOPWIRE_DB": str(tmp / "shopwire.db"),
            "SHOPWIRE_SEED_CATALOGUE": "0",
            "SHOPWIRE_POLL_INTERVAL": "5",
            "SHOPWIRE_DEV_GUILD_ID": str(self.guild.id),
            "SHOPWIRE_LOG_LEVEL": "INFO",
        }
        self.bot = BotProcess(self.env, tmp / "bot.log")

    async def start_bot(self) -> None:
        """Start the bot and wait until it is connected and has stored the feed's backlog."""
        await self.bot.start()
        await self.until(lambda: "shopwire starting" in self.bot.log())
        await self.fake.wait_until_connected(timeout=WAIT)
        await self.until(
            lambda: "status=ok" in self.bot.log() or "status=not_modified" in self.bot.log()
        )

    async def until(self, predicate: Callable[[], Any], limit: float = WAIT) -> Any:
        try:
            return await self.fake.wait_until(predicate, timeout=limit)
        except Exception:
            print(self.bot.log())
            raise

    async def slash(
        self,
        user: Any,
        command: str,
        *,
        in_guild: Any = None,
        in_channel: Any = None,
        **options: Any,
    ) -> InteractionHandle:
        guild = in_guild or self.guild
        channel = in_channel or self.news
        return await self.fake.invoke_slash(
            guild.id,
            channel.id,
            user.id,
            command,
            options=options,
            ignore_default_permissions=True,
        )

    def posts(self, channel: Any) -> list[RecordedMessage]:
        return self.fake.messages_in(channel.id)

    def add_items(self, *items: tuple[str, str, str]) -> None:
        self.feeds.serve(FEED, rss([*items, *START]))


def text_of(message: RecordedMessage) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f.get('name', '')} {f.get('value', '')}" for f in embed.get("fields", [])]
    return "\n".join(parts)


async def reply(handle: InteractionHandle) -> str:
    return text_of(await handle.wait_original())


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


async def test_commands_subscribe_and_post_exactly_once(world: World) -> None:
    w = world
    await w.start_bot()
    [sync] = await w.fake.wait_for_command_sync(w.guild.id, timeout=WAIT)
    assert {"news", "subscribe", "unsubscribe", "subscriptions", "feeds", "help"} <= set(sync.names)

    latest = await w.slash(w.member, "news latest", company="temu")
    text = await reply(latest)
    assert "Temu pauses US shipments" in text
    assert "SHEIN fined" not in text

    search = await w.slash(w.member, "news search", query="fined OR Haul", count=1)
    first = await search.wait_original()
    page_one = text_of(first)
    assert "page 1" in page_one
    assert "search:next" in first.custom_ids()
    stranger = await w.fake.click_button(first, "search:next", user_id=w.admin.id)
    await stranger.response()
    assert "page 1" in text_of(w.fake.message(first.id))  # only the searcher turns pages
    turned = await w.fake.click_button(first, "search:next", user_id=w.member.id)
    await turned.response()
    page_two = await w.until(lambda: "page 2" in text_of(w.fake.message(first.id)))
    assert page_two
    titles = {text_of(first).split("\n")[1]}
    assert titles and titles.isdisjoint(page_one.split("\n")[1:2])

    refused = await w.slash(w.member, "subscribe", channel=w.news.id)
    assert "Manage Server" in await reply(refused)

    subscribed = await w.slash(w.admin, "subscribe", channel=w.news.id, companies="Temu")
    assert "Subscribed" in await reply(subscribed)

    loopback = await w.slash(w.admin, "feeds add", url="http://127.0.0.1:9/feed.xml")
    assert "127.0.0.1" in await reply(loopback)

    # A new Temu item and a new non-Temu item: only the Temu one is posted, once.
    w.add_items(
        ("a-4", "Temu opens EU warehouses", "Local fulfilment for European sellers."),
        ("a-5", "Walmart raises marketplace fees", "Sellers pay more from January."),
    )
    await w.fake.wait_for_messages(w.news.id, 1, timeout=WAIT)
    await w.until(lambda: w.bot.log().count("poll feed_id=1") >= 4)  # more cycles: no repeats
    posts = w.posts(w.news)
    assert len(posts) == 1, [text_of(p) for p in posts]
    assert "Temu opens EU warehouses" in text_of(posts[0])
    assert posts[0].request["allowed_mentions"] == {"parse": []}
    assert posts[0].enforce_nonce and posts[0].nonce

    assert await w.bot.stop(signal.SIGTERM) == 0
    log = w.bot.log()
    assert "shopwire stopped" in log
    assert w.fake.token not in log


async def test_kill_mid_delivery_and_restart_posts_every_item_once(world: World) -> None:
    w = world
    await w.start_bot()
    await w.fake.wait_for_command_sync(w.guild.id, timeout=WAIT)
    assert "Subscribed" in await reply(await w.slash(w.admin, "subscribe", channel=w.news.id))

    # Discord creates the first post but the answer never arrives; the bot dies right then.
    w.fake.hang(w.news.id, commit=True)
    w.add_items(
        ("k-1", "TikTok Shop cuts seller fees", "Commission drops for new sellers."),
        ("k-2", "Shopee expands to Brazil", "More cross-border sellers."),
        ("k-3", "Etsy tightens handmade rules", "Resellers face removal."),
    )
    await w.fake.wait_for_messages(w.news.id, 1, timeout=WAIT)
    assert await w.bot.stop(signal.SIGKILL) != 0
    w.fake.clear_failures()
    w.fake.release_hung()

    await w.bot.start()
    await w.until(lambda: len(w.posts(w.news)) >= 3)
    await w.until(
        lambda: w.bot.log().count("delivery ") >= 1 and "shopwire starting" in w.bot.log()
    )
    # A later item is posted after every earlier one was handled (a channel's posts go oldest
    # first): once it is there, any second copy of the first three would be there too.
    w.add_items(
        ("k-4", "Zalando opens its marketplace", "More brands join."),
        ("k-1", "TikTok Shop cuts seller fees", "Commission drops for new sellers."),
        ("k-2", "Shopee expands to Brazil", "More cross-border sellers."),
        ("k-3", "Etsy tightens handmade rules", "Resellers face removal."),
    )
    await w.until(lambda: any("Zalando opens" in text_of(p) for p in w.posts(w.news)))
    titles = [text_of(p).split("\n")[1] for p in w.posts(w.news)]
    assert sorted(titles) == sorted(
        [
            "TikTok Shop cuts seller fees",
            "Shopee expands to Brazil",
            "Etsy tightens handmade rules",
            "Zalando opens its marketplace",
        ]
    ), titles
    assert w.fake.nonce_hits, "the retry after the crash reused its nonce"
    # The restart found the same command payload: no second global sync.
    assert len(w.fake.syncs(None)) == 1


async def test_rate_limit_forbidden_and_mentions(world: World) -> None:
    w = world
    await w.start_bot()
    await w.fake.wait_for_command_sync(w.guild.id, timeout=WAIT)
    assert "Subscribed" in await reply(await w.slash(w.admin, "subscribe", channel=w.news.id))
    assert "Subscribed" in await reply(await w.slash(w.admin, "subscribe", channel=w.deals.id))

    w.fake.rate_limit(w.news.id, times=1, retry_after=0.3)
    w.fake.forbid(w.deals.id, code=50013)
    w.add_items(("m-1", "@everyone Temu flash sale <@&1234> **now**", "Ping <@42> @here"))
    [post] = await w.fake.wait_for_messages(w.news.id, 1, timeout=WAIT)
    assert "Temu flash sale" in text_of(post)
    assert not post.pings.anyone
    assert any(
        r.status == 429 for r in w.fake.requests_to("POST", rf"/channels/{w.news.id}/messages")
    )

    listing = await w.until(lambda: "paused" in w.bot.log() and w.bot.log())
    assert "subscription paused" in listing
    status = await reply(await w.slash(w.admin, "subscriptions list"))
    assert "paused" in status.lower() and "Missing Permissions" in status

    # An admin fixes the channel and subscribes again: the waiting post arrives.
    w.fake.clear_failures()
    resumed = await reply(await w.slash(w.admin, "subscribe", channel=w.deals.id))
    assert "Resumed" in resumed or "already" in resumed
    [late] = await w.fake.wait_for_messages(w.deals.id, 1, timeout=WAIT)
    assert "Temu flash sale" in text_of(late)
    assert len(w.posts(w.news)) == 1


async def test_private_feeds_stay_in_their_server(world: World) -> None:
    w = world
    w.env["SHOPWIRE_ALLOW_PRIVATE_URLS"] = "1"  # the operator lets servers add loopback feeds
    private_url = w.feeds.serve(
        "/private.xml", rss([("p-1", "Secret supplier memo about Temu", "Internal only.")])
    )
    await w.start_bot()
    await w.fake.wait_for_command_sync(w.guild.id, timeout=WAIT)
    added = await reply(await w.slash(w.admin, "feeds add", url=private_url, name="Supplier memos"))
    assert "Supplier memos" in added
    await w.until(lambda: w.feeds.hits("/private.xml") >= 1 and "new=1" in w.bot.log())

    mine = await reply(await w.slash(w.member, "news latest", company="temu"))
    assert "Secret supplier memo" in mine
    theirs = await reply(
        await w.slash(
            w.other_admin,
            "news latest",
            in_guild=w.other,
            in_channel=w.other_channel,
            company="temu",
        )
    )
    assert "Secret supplier memo" not in theirs
    assert "Temu pauses US shipments" in theirs  # the shared catalogue is visible everywhere
    their_feeds = await reply(
        await w.slash(w.other_admin, "feeds list", in_guild=w.other, in_channel=w.other_channel)
    )
    assert "Supplier memos" not in their_feeds
    found = await reply(
        await w.slash(
            w.other_admin,
            "news search",
            in_guild=w.other,
            in_channel=w.other_channel,
            query="supplier",
        )
    )
    assert "Secret supplier memo" not in found

    # The private feed goes away for good: its server is told once, in a subscribed channel.
    assert "Subscribed" in await reply(await w.slash(w.admin, "subscribe", channel=w.deals.id))
    w.feeds.serve("/private.xml", "", status=410)
    [notice] = await w.fake.wait_for_messages(w.deals.id, 1, timeout=WAIT)
    assert "Supplier memos" in notice.content and "disabled" in notice.content
    status = await reply(await w.slash(w.admin, "feeds status"))
    assert "410" in status
    polls = w.bot.log().count("poll feed_id=1 ")
    await w.until(lambda: w.bot.log().count("poll feed_id=1 ") >= polls + 2)  # more cycles
    assert len(w.posts(w.deals)) == 1
    assert w.posts(w.other_channel) == []


async def test_sync_commands_pushes_the_commands_on_demand(world: World) -> None:
    w = world
    await cli(w.env, "sync-commands", "--guild", str(w.guild.id))
    [guild_sync] = w.fake.syncs(w.guild.id)
    assert {"news", "subscribe", "feeds", "help"} <= set(guild_sync.names)
    assert w.fake.syncs(None) == []
    out = await cli(w.env, "sync-commands")
    assert len(w.fake.syncs(None)) == 1
    assert w.fake.token not in out
    # The bot then starts without syncing globally again: the payload did not change.
    await w.start_bot()
    await w.fake.wait_for_command_sync(w.guild.id, count=2, timeout=WAIT)
    assert len(w.fake.syncs(None)) == 1
