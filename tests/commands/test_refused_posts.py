"""A post that can never go out as it is (400: a server's AutoMod, a form error) or that Discord
leaves unanswered holds back no other post: the real publisher against the loopback fake of
Discord, the real delivery over SQLite."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.news.model.vocabulary import SubscriptionFilter, UpdateStatus
from bot.publisher import DiscordPublisher
from tests.ceiling import CEILING
from tests.commands.conftest import World, start_shopwire
from tests.fakediscord import Failure, error_body
from tests.fakes.feedserver import FeedServer, rss

FEED_PATH = "/automod.xml"
BACKLOG = [("am-1", "Temu opens a warehouse", "In Poland.")]
NEW = [
    ("am-3", "Amazon cuts fees", "Sellers pay less."),
    ("am-2", "A headline the server's AutoMod blocks", "Blocked words."),
]


async def test_a_post_discord_refuses_is_dropped_and_the_next_one_goes_out(
    world: World, tmp_path: Path
) -> None:
    async with FeedServer() as feeds, start_shopwire(world, tmp_path, fetch=True) as app:
        url = feeds.serve(FEED_PATH, rss(BACKLOG))
        feed = await app.newsroom.service.add_feed(url, name="AutoMod News")
        await app.newsroom.subscriptions.subscribe(
            guild_id=world.guild.id,
            channel_id=world.news.id,
            subscription_filter=SubscriptionFilter(),
            created_by=world.admin.id,
        )
        assert (await app.newsroom.updater.update_feed(feed)).status is UpdateStatus.OK
        feeds.serve(FEED_PATH, rss([*NEW, *BACKLOG]))
        stored = await app.newsroom.storage.feeds.get(feed.id)
        assert stored is not None
        assert (await app.newsroom.updater.update_feed(stored)).new_items == 2

        # The older item goes first; the server's AutoMod blocks it, as Discord answers.
        blocked = Failure(
            method="POST",
            channel_id=world.news.id,
            times=1,
            status=400,
            body=error_body(200000, "Message was blocked by AutoMod"),
        )
        app.fake.inject(blocked)
        sender = app.newsroom.delivery_sender(DiscordPublisher(app.bot))
        report = await asyncio.wait_for(sender.drain(), CEILING)

        assert blocked.hits == 1
        assert (report.sent, report.dropped, report.retried) == (1, 1, 0)
        [posted] = app.fake.messages_in(world.news.id)
        assert posted.embeds[0]["title"] == "Amazon cuts fees"
        with sqlite3.connect(tmp_path / "shopwire.db") as db:
            rows = db.execute(
                "SELECT i.title, o.state, o.last_error FROM outbox AS o "
                "JOIN items AS i ON i.id = o.item_id"
            ).fetchall()
        outcome = {title: (state, error) for title, state, error in rows}
        state, error = outcome["A headline the server's AutoMod blocks"]
        assert state == "dropped"
        assert "blocked by AutoMod (HTTP 400, code 200000)" in error
        assert outcome["Amazon cuts fees"][0] == "sent"
        # Nothing is left to try again.
        assert (await asyncio.wait_for(sender.drain(), CEILING)).sent == 0
        assert len(app.fake.messages_in(world.news.id)) == 1


async def test_a_send_discord_never_answers_holds_back_no_other_channel(
    world: World, tmp_path: Path
) -> None:
    async with FeedServer() as feeds, start_shopwire(world, tmp_path, fetch=True) as app:
        url = feeds.serve(FEED_PATH, rss(BACKLOG))
        feed = await app.newsroom.service.add_feed(url, name="Hanging News")
        quiet = world.guild.add_text_channel("quiet")
        for channel in (world.news, quiet):
            await app.newsroom.subscriptions.subscribe(
                guild_id=world.guild.id,
                channel_id=channel.id,
                subscription_filter=SubscriptionFilter(),
                created_by=world.admin.id,
            )
        assert (await app.newsroom.updater.update_feed(feed)).status is UpdateStatus.OK
        feeds.serve(FEED_PATH, rss([NEW[0], *BACKLOG]))
        stored = await app.newsroom.storage.feeds.get(feed.id)
        assert stored is not None
        assert (await app.newsroom.updater.update_feed(stored)).new_items == 1

        # Discord takes #news's post and never answers: before, a run waited up to discord.py's
        # five minutes for it, and no channel's next post went out in the meantime.
        app.fake.hang(world.news.id)
        publisher = DiscordPublisher(app.bot, send_timeout=0.5)
        sender = app.newsroom.delivery_sender(publisher)
        report = await asyncio.wait_for(sender.drain(), CEILING)
        assert (report.sent, report.retried) == (1, 1)
        assert [m.embeds[0]["title"] for m in app.fake.messages_in(quiet.id)] == [NEW[0][1]]
        app.fake.release_hung()
