"""``/feeds add`` fetches the feed once before storing it, like ``shopwire feeds add``."""

from __future__ import annotations

from pathlib import Path

from tests.commands.conftest import FETCHABLE_FEED, World, start_shopwire

PRIVATE_OK = {"SHOPWIRE_ALLOW_PRIVATE_URLS": "1"}  # so the loopback URL reaches the check


async def test_feeds_add_reports_the_item_count_and_names_the_feed_by_its_title(
    world: World, tmp_path: Path
) -> None:
    async with start_shopwire(world, tmp_path, PRIVATE_OK) as app:
        _, reply = await app.answer(world.admin, "feeds add", url=FETCHABLE_FEED)
        assert reply.content.startswith("Added **Local shop news** (feed `")
        assert "It has 2 items now." in reply.content
        own = [
            f
            for f in await app.newsroom.service.list_feeds(world.guild.id)
            if f.url == FETCHABLE_FEED
        ]
        assert [f.name for f in own] == ["Local shop news"]


async def test_feeds_add_refuses_what_is_not_a_readable_feed_and_stores_nothing(
    world: World, tmp_path: Path
) -> None:
    async with start_shopwire(world, tmp_path, PRIVATE_OK) as app:
        before = await app.newsroom.service.list_feeds(all_guilds=True)
        url = "http://127.0.0.1:8080/missing.xml"
        _, reply = await app.answer(world.admin, "feeds add", url=url, name="Missing")
        assert reply.ephemeral
        assert reply.content == (
            f"The feed at {url} was not added: fetching is off in command tests."
        )
        assert await app.newsroom.service.list_feeds(all_guilds=True) == before
