"""End to end (issue 11): role pings, a compact post and /follow with the real `shopwire run`
against the loopback Discord, which decides pings as Discord does (allowed_mentions, the
role's mentionable flag, the author's Mention Everyone) and checks role assignment."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.ceiling import CEILING
from tests.e2e.test_bot_process import WAIT, World, cli, reply, text_of
from tests.fakediscord import FakeDiscord, Overwrite, Perm, Pings
from tests.fakediscord.permissions import DEFAULT_BOT
from tests.fakes.feedserver import FeedServer

pytestmark = pytest.mark.slow


@pytest.fixture
async def pings_world(tmp_path: Path) -> AsyncIterator[World]:
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


async def test_a_role_ping_reaches_that_role_only_and_compact_posts_are_one_line(
    pings_world: World,
) -> None:
    w = pings_world
    temu = w.guild.add_role("temu-news", mentionable=True)
    other = w.guild.add_role("everything", mentionable=True)
    # With Mention Everyone in #news, only allowed_mentions stands between the feed's text and
    # a ping of @everyone or of another role: the test proves that guard alone.
    w.guild.set_overwrites(
        w.news, [Overwrite.for_role(w.guild.bot_role.id, allow=Perm.MENTION_EVERYONE)]
    )
    await w.start_bot()
    await w.fake.wait_for_command_sync(w.guild.id, timeout=WAIT)
    subscribed = await reply(
        await w.slash(w.admin, "subscribe", channel=w.news.id, companies="Temu", ping=temu.id)
    )
    assert f"pings <@&{temu.id}>" in subscribed
    compact = await reply(
        await w.slash(w.admin, "subscribe", channel=w.deals.id, companies="Temu", style="compact")
    )
    assert "style: compact" in compact

    hostile = f"@everyone Temu flash sale <@&{other.id}> <@{w.member.id}> **now**"
    w.add_items(("p-1", hostile, f"@here <@&{other.id}> <@&{temu.id}> <@{w.admin.id}>"))
    [post] = await w.fake.wait_for_messages(w.news.id, 1, timeout=WAIT)
    [line] = await w.fake.wait_for_messages(w.deals.id, 1, timeout=WAIT)

    assert post.content == f"<@&{temu.id}>"
    assert "Temu flash sale" in text_of(post)
    assert post.request["allowed_mentions"] == {"parse": [], "roles": [str(temu.id)]}
    assert post.pings == Pings(everyone=False, users=frozenset(), roles=frozenset({temu.id}))

    assert line.embeds == [] and line.flags & 4  # no embed, no link preview
    assert "\n" not in line.content
    assert line.content.startswith("[@\u200beveryone Temu flash sale")
    assert "](<https://" in line.content and line.content.endswith(" · Loopback Commerce")
    assert not line.pings.anyone


async def test_follow_gives_a_member_the_role_an_admin_chose(pings_world: World) -> None:
    w = pings_world
    temu = w.guild.add_role("temu-news", mentionable=True)
    w.guild.set_role_permissions(w.guild.bot_role, DEFAULT_BOT | Perm.MANAGE_ROLES)
    w.guild.set_role(w.guild.bot_role, position=50)
    await w.start_bot()
    await w.fake.wait_for_command_sync(w.guild.id, timeout=WAIT)

    chosen = await reply(
        await w.slash(w.admin, "settings follow-role", role=temu.id, company="Temu")
    )
    assert chosen.startswith("Members can now follow Temu")
    followed = await reply(await w.slash(w.member, "follow", company="Temu"))
    assert followed.startswith(f"You now follow Temu: you have <@&{temu.id}>")
    assert w.guild.member(w.member.id).role_ids == [temu.id]
    [grant] = w.fake.requests_to(
        "PUT", rf"/guilds/{w.guild.id}/members/{w.member.id}/roles/{temu.id}"
    )
    assert grant.status == 204

    unfollowed = await reply(await w.slash(w.member, "unfollow", company="Temu"))
    assert unfollowed.startswith("You no longer follow Temu")
    assert w.guild.member(w.member.id).role_ids == []
