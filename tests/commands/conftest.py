"""Fixtures for command tests: the real bot, in-process, against the loopback fake Discord.

``app`` starts everything a test needs and closes it afterwards:

- ``FakeDiscord`` on 127.0.0.1, with discord.py pointed at it (``Route.BASE`` and
  ``DEFAULT_GATEWAY``, restored by monkeypatch);
- a world of two servers: "Shop Talk" (a #news channel, a #deals channel where the bot lacks
  Embed Links, an admin, a plain member and a member with the "News Admins" role) and
  "Other Server" (to prove one server's private feeds stay private);
- the real newsroom over a temporary SQLite file, with stored items (no network: items are
  stored with ``items.apply`` as a poll would);
- ``ShopwireBot`` itself, whose ``setup_hook`` is extended to sync the commands globally so
  that the fake knows them, as ``bot/runner.py`` does at start-up.

Tests that need other settings use ``start_shopwire(...)`` directly.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from bot.app import Newsroom, open_newsroom
from bot.client import ShopwireBot
from bot.news.model.vocabulary import (
    Feed,
    FeedPollResult,
    FeedStatus,
    FetchOutcome,
    FetchResult,
    ItemDraft,
    TaggedDraft,
)
from bot.news.services.metrics import NO_METRICS, Metrics
from bot.settings import load_settings
from commands.services import BotServices
from tests.ceiling import CEILING
from tests.fakediscord import FakeDiscord, Guild, Member, Perm
from tests.fakediscord.records import InteractionHandle, RecordedMessage
from tests.fakediscord.state import Channel

TOKEN = "shopwire-command-tests"
# Waits end when what they wait for happens; the ceiling only has to outlast a busy machine.
START_TIMEOUT = CEILING

# Stored in the shared catalogue, newest first. "roundup" items are there to page through.
CATALOGUE_ITEMS: list[tuple[str, str, tuple[str, ...]]] = [
    ("Temu cuts seller fees in Europe", "Sellers pay less from June.", ("temu",)),
    ("SHEIN opens its marketplace to brands", "Third-party sellers join.", ("shein",)),
    ("@everyone **Amazon** Prime Day dates <@&42>", "Leaked @here for <@123>.", ("amazon",)),
    *[(f"Marketplace roundup {n}", f"Week {n} in e-commerce.", ()) for n in range(1, 8)],
]
PRIVATE_TITLE = "Secret Temu memo seen by Shop Talk only"


# The one feed `/feeds add` can fetch (its check) in command tests; every other URL fails.
FETCHABLE_FEED = "http://127.0.0.1:8080/feed.xml"
FETCHABLE_DOCUMENT = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Local shop news</title>'
    b"<item><guid>l-1</guid><title>Local shop opens</title></item>"
    b"<item><guid>l-2</guid><title>Local shop closes</title></item></channel></rss>"
)


class NoFetcher:
    """The tests store items directly; nothing is fetched but ``FETCHABLE_FEED``'s check."""

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_private: bool = True,
    ) -> FetchResult:
        if url == FETCHABLE_FEED:
            return FetchResult(
                FetchOutcome.OK,
                url,
                body=FETCHABLE_DOCUMENT,
                content_type="application/rss+xml",
                http_status=200,
            )
        return FetchResult(FetchOutcome.FAILED, url, error="fetching is off in command tests")


@dataclass
class World:
    """The servers, channels and people of every command test."""

    fake: FakeDiscord
    guild: Guild
    news: Channel
    deals: Channel
    admin: Member
    member: Member
    role_admin: Member
    other: Guild
    other_news: Channel
    other_admin: Member


@dataclass
class App:
    """A running Shopwire bot with its newsroom, and helpers to drive it."""

    fake: FakeDiscord
    world: World
    newsroom: Newsroom
    bot: ShopwireBot
    catalogue_feed: Feed
    private_feed: Feed

    async def slash(
        self,
        user: Member,
        command: str,
        *,
        where: Channel | None = None,
        guild: Guild | None = None,
        override: bool = False,
        **options: Any,
    ) -> InteractionHandle:
        """Invoke a slash command as ``user`` (``where``: #news of Shop Talk, or #general of the
        other server, by default); ``override`` emulates a server's integration override
        of the command's default permissions."""
        guild = guild or self.world.guild
        if where is None:
            where = self.world.news if guild is self.world.guild else self.world.other_news
        return await self.fake.invoke_slash(
            guild.id,
            where.id,
            user.user.id,
            command,
            options={k: v for k, v in options.items() if v is not None},
            ignore_default_permissions=override,
        )

    async def answer(
        self, user: Member, command: str, **kwargs: Any
    ) -> tuple[InteractionHandle, RecordedMessage]:
        """Invoke and wait (bounded) for the final answer, not the "thinking" placeholder."""
        handle = await self.slash(user, command, **kwargs)
        # The fake's default ceiling (60 s): `/feeds add` fetches and parses once (which may
        # start the parser pool) and `/news trend` renders a chart, slow on a busy machine.
        return handle, await handle.wait_original()

    async def complete(
        self, user: Member, command: str, focused: str, value: str, *, guild: Guild | None = None
    ) -> list[dict[str, Any]]:
        """The autocomplete choices the bot offers for ``focused`` after typing ``value``."""
        guild = guild or self.world.guild
        channel = self.world.news if guild is self.world.guild else self.world.other_news
        handle = await self.fake.invoke_autocomplete(
            guild.id, channel.id, user.user.id, command, focused=focused, value=value
        )
        return await handle.choices()


class SyncingBot(ShopwireBot):
    """ShopwireBot whose start-up also syncs the commands (as the runner does)."""

    async def setup_hook(self) -> None:
        await super().setup_hook()
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before a re-IDENTIFY; never wanted in tests.
        return None


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """A started fake Discord with discord.py pointed at it."""
    async with FakeDiscord(token=TOKEN) as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
        yield fake
        assert not fake.unknown_routes, [str(r) for r in fake.unknown_routes]


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    """Two servers, one of them with a channel where the bot may not embed links."""
    guild = fake.add_guild("Shop Talk")
    news = guild.add_text_channel("news")
    deals = guild.add_text_channel("deals")
    guild.deny_bot(deals, Perm.EMBED_LINKS)
    admins = guild.add_role("Admins", Perm.MANAGE_GUILD)
    news_admins = guild.add_role("News Admins", 0)
    admin = guild.add_member(fake.add_user("alice"), roles=[admins])
    member = guild.add_member(fake.add_user("bob"))
    role_admin = guild.add_member(fake.add_user("carol"), roles=[news_admins])

    other = fake.add_guild("Other Server")
    other_news = other.add_text_channel("general")
    other_admins = other.add_role("Mods", Perm.MANAGE_GUILD)
    other_admin = other.add_member(fake.add_user("dave"), roles=[other_admins])
    return World(
        fake, guild, news, deals, admin, member, role_admin, other, other_news, other_admin
    )


def draft(key: str, title: str, summary: str, published: datetime) -> ItemDraft:
    """An item as the parser would hand it over."""
    return ItemDraft(
        key=key,
        title=title,
        link=f"https://news.example/{key}",
        author=None,
        published=published,
        summary=summary,
        image_url=None,
        categories=(),
        publisher=None,
        content_hash=hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()[:16],
    )


async def store_items(
    newsroom: Newsroom,
    feed: Feed,
    items: list[tuple[str, str, tuple[str, ...]]],
    *,
    age: timedelta = timedelta(0),
) -> None:
    """Store items for ``feed`` as one successful poll would (newest first in ``items``,
    an hour apart, the first ``age`` old)."""
    now = newsroom.clock.now()
    drafts = tuple(
        TaggedDraft(
            draft(f"{feed.id}-{n}", title, summary, now - age - timedelta(hours=n)), companies
        )
        for n, (title, summary, companies) in enumerate(items)
    )
    await newsroom.storage.items.apply(
        FeedPollResult(
            feed_id=feed.id,
            polled_at=now,
            status=FeedStatus.OK,
            next_due=now + timedelta(minutes=15),
            new_items=drafts,
        )
    )


@asynccontextmanager
async def start_shopwire(
    world: World,
    tmp_path: Path,
    env: Mapping[str, str] | None = None,
    *,
    fetch: bool = False,
    metrics: Metrics = NO_METRICS,
    http_trace: aiohttp.TraceConfig | None = None,
    **overrides: Any,
) -> AsyncIterator[App]:
    """Open a seeded newsroom and run the bot against the fake until the block ends.

    ``env`` holds ``SHOPWIRE_*`` variables; ``overrides`` replace fields of the loaded
    settings directly (for settings not yet loadable from the environment). ``fetch``: the
    real HTTP fetcher (for loopback feeds) instead of ``NoFetcher``; ``metrics``: what the
    newsroom records into; ``http_trace``: a trace on the bot's HTTP session.
    """
    settings = load_settings(
        environ={
            "SHOPWIRE_DB": str(tmp_path / "shopwire.db"),
            "SHOPWIRE_SEED_CATALOGUE": "0",
            "SHOPWIRE_PARSE_WORKERS": "1",
            **(env or {}),
        }
    )
    settings = dataclasses.replace(settings, **overrides)
    fetcher = None if fetch else NoFetcher()
    async with open_newsroom(settings, fetcher=fetcher, metrics=metrics) as newsroom:
        service = newsroom.service
        catalogue = await service.add_feed("https://news.example/feed.xml", name="Loopback News")
        private = await service.add_feed(
            "https://shoptalk.example/feed.xml",
            name="Secret Source",
            guild_id=world.guild.id,
            trusted=True,
        )
        await store_items(newsroom, catalogue, CATALOGUE_ITEMS)
        await store_items(
            newsroom, private, [(PRIVATE_TITLE, "Internal.", ("temu",))], age=timedelta(days=2)
        )

        services = BotServices(
            news=service,
            subscriptions=newsroom.subscriptions,
            summaries=newsroom.summaries,
            settings=settings,
            follow_roles=newsroom.follow_role_service(),
            explainer=newsroom.delivery_explainer(),
            previewer=newsroom.subscription_previewer(),
        )
        bot = SyncingBot(services, guild_ready_timeout=0.05, http_trace=http_trace)
        task = asyncio.create_task(bot.start(TOKEN))
        ready = asyncio.create_task(bot.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {task, ready}, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
            if task in done:
                task.result()
                raise AssertionError("the bot stopped before it was ready")
            if not done:
                raise AssertionError(f"the bot was not ready within {START_TIMEOUT} s")
            yield App(world.fake, world, newsroom, bot, catalogue, private)
        finally:
            ready.cancel()
            await bot.close()
            await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), CEILING)


@pytest.fixture
async def app(world: World, tmp_path: Path) -> AsyncIterator[App]:
    """Shopwire with default settings, running against the fake."""
    async with start_shopwire(world, tmp_path) as running:
        yield running
