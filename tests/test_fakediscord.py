"""The fake Discord, proven with real discord.py in-process.

A small `commands.Bot` (one GroupCog with a nested group, autocomplete and a paging button) runs
against `tests.fakediscord.FakeDiscord` exactly as it would against Discord: REST through
`Route.BASE`, the gateway through `DiscordWebSocket.DEFAULT_GATEWAY`. Each test starts its own
fake and bot and closes both; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket

from tests.ceiling import CEILING
from tests.fakediscord import FakeDiscord, Guild, Member, Overwrite, Perm, Pings
from tests.fakediscord.permissions import DEFAULT_BOT
from tests.fakediscord.state import Channel

TOKEN = "test-token-for-the-fake"

# A stand-in for `shopwire run`: reads the same environment variables the real bot will.
SUBPROCESS_BOT = """
import os, discord, yarl
from discord.gateway import DiscordWebSocket

discord.http.Route.BASE = os.environ["SHOPWIRE_DISCORD_API_BASE"]
DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["SHOPWIRE_DISCORD_GATEWAY"])
client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1)

@client.event
async def on_ready():
    channel = client.get_channel(int(os.environ["TARGET_CHANNEL"]))
    await channel.send("hello from a subprocess", nonce="boot-1")

client.run(os.environ["DISCORD_TOKEN"], log_handler=None)
"""
FRUITS = ["apple", "apricot", "banana", "cherry", "grape"]
PAGES = ["page 1/3", "page 2/3", "page 3/3"]


# --------------------------------------------------------------------------- the bot under test


class Pager(discord.ui.View):
    """Cycles through PAGES; the button's custom_id is what the fake clicks."""

    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.index = 0

    @discord.ui.button(label="Next", custom_id="pager:next")
    async def next_page(
        self, interaction: discord.Interaction, button: discord.ui.Button[Pager]
    ) -> None:
        self.index = (self.index + 1) % len(PAGES)
        await interaction.response.edit_message(content=PAGES[self.index], view=self)

    @discord.ui.select(
        custom_id="pager:jump",
        options=[discord.SelectOption(label=str(n + 1), value=str(n)) for n in range(len(PAGES))],
    )
    async def jump(
        self, interaction: discord.Interaction, select: discord.ui.Select[Pager]
    ) -> None:
        self.index = int(select.values[0])
        await interaction.response.edit_message(content=PAGES[self.index], view=self)


class Feedback(discord.ui.Modal, title="Feedback"):
    """A one-field modal."""

    text: discord.ui.TextInput[Feedback] = discord.ui.TextInput(label="Your feedback")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)


class Demo(commands.GroupCog, group_name="demo", group_description="Fake Discord self-test"):
    """The self-test command group: /demo ping|echo|pick|pages|slow and /demo admin stats."""

    admin = app_commands.Group(name="admin", description="Admin-only commands")

    @app_commands.command(name="ping", description="Answer privately")
    async def ping(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    @app_commands.command(name="echo", description="Defer, then answer with a follow-up")
    @app_commands.describe(text="What to repeat")
    async def echo(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(f"echo: {text}")

    @app_commands.command(name="pick", description="Pick a fruit")
    async def pick(self, interaction: discord.Interaction, fruit: str) -> None:
        await interaction.response.send_message(f"picked {fruit}")

    @pick.autocomplete("fruit")
    async def pick_fruit(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f, value=f) for f in FRUITS if f.startswith(current)][:25]

    @app_commands.command(name="pages", description="A message with a paging button")
    async def pages(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(PAGES[0], view=Pager())

    @app_commands.command(name="feedback", description="Opens a modal")
    async def feedback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    @app_commands.command(name="slow", description="Answers too late")
    async def slow(self, interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.4)
        await interaction.response.send_message("too late")

    @admin.command(name="stats", description="Guild statistics")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def stats(
        self, interaction: discord.Interaction, limit: app_commands.Range[int, 1, 10] = 5
    ) -> None:
        assert interaction.guild is not None
        await interaction.response.send_message(
            f"members={interaction.guild.member_count} limit={limit}", ephemeral=True
        )


@app_commands.command(name="purge", description="Admin-only top-level command")
@app_commands.default_permissions(manage_guild=True)
async def purge(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("purged", ephemeral=True)


class Tree(app_commands.CommandTree[commands.Bot]):
    """One error handler: user errors become an ephemeral line, like the real bot's."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        text = "not allowed" if isinstance(error, app_commands.MissingPermissions) else "failed"
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True)


class DemoBot(commands.Bot):
    """Syncs the Demo group to one guild at start-up, like a dev-guild deployment."""

    def __init__(self, guild_id: int, *, intents: discord.Intents | None = None) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents or discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=Tree,
            # on_ready waits this long after the last GUILD_CREATE; 2 s by default.
            guild_ready_timeout=0.05,
        )
        self.guild_id = guild_id

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before every re-IDENTIFY (identify rate limit); not in tests.
        return None

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id)
        await self.add_cog(Demo(), guild=guild)
        self.tree.add_command(purge, guild=guild)
        await self.tree.sync(guild=guild)


# --------------------------------------------------------------------------- fixtures


@dataclass
class World:
    """The guild every test starts with."""

    guild: Guild
    news: Channel
    locked: Channel
    hidden: Channel
    admin: Member
    member: Member


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """A started fake with discord.py pointed at it (restored after the test)."""
    async with FakeDiscord(token=TOKEN) as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
        yield fake
        assert not fake.unknown_routes, [str(r) for r in fake.unknown_routes]


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    """A guild with a normal, a read-only and an invisible channel, an admin and a member."""
    guild = fake.add_guild("Shop Talk")
    news = guild.add_text_channel("news")
    locked = guild.add_text_channel(
        "announcements",
        overwrites=[Overwrite.for_role(guild.bot_role.id, deny=Perm.SEND_MESSAGES)],
    )
    hidden = guild.add_text_channel(
        "staff", overwrites=[Overwrite.for_role(guild.id, deny=Perm.VIEW_CHANNEL)]
    )
    admins = guild.add_role("Admins", Perm.MANAGE_GUILD)
    admin = guild.add_member(fake.add_user("alice"), roles=[admins])
    member = guild.add_member(fake.add_user("bob"))
    return World(guild, news, locked, hidden, admin, member)


@asynccontextmanager
async def running(bot: DemoBot, *, token: str = TOKEN) -> AsyncIterator[DemoBot]:
    """Start the bot, wait (bounded) for on_ready, and always close it."""
    task = asyncio.create_task(bot.start(token))
    ready = asyncio.create_task(bot.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {task, ready}, timeout=CEILING, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            task.result()  # re-raises why the bot stopped
            raise AssertionError("the bot stopped before it was ready")
        if not done:
            raise AssertionError(f"the bot was not ready within {CEILING:.0f} s")
        yield bot
    finally:
        ready.cancel()
        await bot.close()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), CEILING)


def text_channel(bot: DemoBot, channel: Channel) -> discord.TextChannel:
    """The bot's cached view of a fake channel."""
    found = bot.get_channel(channel.id)
    assert isinstance(found, discord.TextChannel)
    return found


# --------------------------------------------------------------------------- tests


async def test_connects_caches_guild_and_syncs_commands(fake: FakeDiscord, world: World) -> None:
    async with running(DemoBot(world.guild.id)) as bot:
        guild = bot.get_guild(world.guild.id)
        assert guild is not None and guild.me is not None
        assert guild.name == "Shop Talk"
        assert text_channel(bot, world.news).permissions_for(guild.me).send_messages
        assert not text_channel(bot, world.locked).permissions_for(guild.me).send_messages
        assert not text_channel(bot, world.hidden).permissions_for(guild.me).view_channel
        assert bot.application_id == fake.application_id

    [sync] = fake.syncs(world.guild.id)
    assert sorted(sync.names) == ["demo", "purge"]
    demo = next(c for c in sync.payload if c["name"] == "demo")
    options = {o["name"]: o for o in demo["options"]}
    assert set(options) == {"ping", "echo", "pick", "pages", "feedback", "slow", "admin"}
    assert options["admin"]["type"] == 2
    assert options["pick"]["options"][0]["autocomplete"] is True
    assert fake.syncs(None) == []
    assert fake.gateway.identifies[0]["intents"] == discord.Intents.default().value
    # discord.py asks for zlib-stream; the fake compresses what it sends accordingly.
    assert fake.gateway.connect_queries[0]["compress"] == "zlib-stream"
    assert fake.gateway.heartbeats >= 1


async def test_slash_command_ephemeral_reply(fake: FakeDiscord, world: World) -> None:
    async with running(DemoBot(world.guild.id)):
        handle = await fake.invoke_slash(
            world.guild.id, world.news.id, world.member.id, "demo ping"
        )
        callback = await handle.response()
        assert callback.type == 4
        assert handle.original is not None
        assert handle.original.content == "pong"
        assert handle.original.ephemeral
        # Ephemeral answers are not channel messages.
        assert fake.messages_in(world.news.id, include_interactions=True) == []


async def test_slash_command_deferred_then_followup(fake: FakeDiscord, world: World) -> None:
    async with running(DemoBot(world.guild.id)):
        handle = await fake.invoke_slash(
            world.guild.id, world.news.id, world.member.id, "demo", "echo", options={"text": "hi"}
        )
        assert (await handle.response()).type == 5
        original = await handle.wait_original()
        assert original.content == "echo: hi"
        # The first follow-up after a deferral replaces the "thinking" message.
        assert handle.followups == [original]
        assert not original.ephemeral
        assert [m.content for m in fake.messages_in(world.news.id, include_interactions=True)] == [
            "echo: hi"
        ]


async def test_subcommand_group_and_permission_check(fake: FakeDiscord, world: World) -> None:
    async with running(DemoBot(world.guild.id)):
        ok = await fake.invoke_slash(
            world.guild.id, world.news.id, world.admin.id, "demo admin stats", options={"limit": 3}
        )
        denied = await fake.invoke_slash(
            world.guild.id, world.news.id, world.member.id, "demo admin stats"
        )
        assert (await ok.wait_original()).content == f"members={len(world.guild.members)} limit=3"
        assert (await denied.wait_original()).content == "not allowed"
        with pytest.raises(ValueError, match="above 10"):
            await fake.invoke_slash(
                world.guild.id,
                world.news.id,
                world.admin.id,
                "demo admin stats",
                options={"limit": 11},
            )


async def test_default_member_permissions_hide_commands_like_the_client(
    fake: FakeDiscord, world: World
) -> None:
    async with running(DemoBot(world.guild.id)):
        with pytest.raises(PermissionError):
            await fake.invoke_slash(world.guild.id, world.news.id, world.member.id, "purge")
        overridden = await fake.invoke_slash(
            world.guild.id, world.news.id, world.member.id, "purge", ignore_default_permissions=True
        )
        allowed = await fake.invoke_slash(world.guild.id, world.news.id, world.admin.id, "purge")
        assert (await overridden.wait_original()).content == "purged"
        assert (await allowed.wait_original()).content == "purged"


async def test_channel_message_with_embed_and_no_mentions(fake: FakeDiscord, world: World) -> None:
    async with running(DemoBot(world.guild.id)) as bot:
        embed = discord.Embed(title="Temu cuts fees", description="@everyone read this")
        sent = await text_channel(bot, world.news).send(
            f"@everyone {world.admin.user.mention}",
            embed=embed,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        [message] = await fake.wait_for_messages(world.news.id, 1)
        assert message.id == sent.id
        assert message.allowed_mentions == {"parse": []}
        assert message.embeds[0]["title"] == "Temu cuts fees"
        assert not message.pings.anyone


async def test_role_pings_follow_allowed_mentions_mentionable_and_mention_everyone(
    fake: FakeDiscord, world: World
) -> None:
    guild = world.guild
    loud = guild.add_role("temu-news", mentionable=True)
    quiet = guild.add_role("staff")  # not mentionable
    text = f"@everyone {loud.mention} {quiet.mention} <@&999> {world.admin.user.mention}"
    async with running(DemoBot(guild.id)) as bot:
        channel = text_channel(bot, world.news)
        await channel.send(text, allowed_mentions=discord.AllowedMentions(roles=[loud, quiet]))
        await channel.send(text, allowed_mentions=discord.AllowedMentions.all())
        with pytest.raises(discord.HTTPException) as conflict:  # parse and a list of roles
            await fake_post(fake, world.news.id, {"parse": ["roles"], "roles": [str(loud.id)]})
        assert conflict.value.status == 400
        with pytest.raises(discord.HTTPException):  # at most 100 roles
            await fake_post(fake, world.news.id, {"roles": [str(n) for n in range(1, 102)]})
        guild.set_role_permissions(guild.bot_role, DEFAULT_BOT | Perm.MENTION_EVERYONE)
        await fake.wait_until(
            lambda: channel.permissions_for(channel.guild.me).mention_everyone,
            what="Mention Everyone to reach the bot",
        )
        await channel.send(text, allowed_mentions=discord.AllowedMentions(roles=[loud, quiet]))
        await channel.send(text, allowed_mentions=discord.AllowedMentions.all())
    named, everything, named_with_permission, everything_with_permission = [
        m.pings for m in fake.messages_in(world.news.id)
    ]
    # Named, only the mentionable role pings: the bot lacks Mention Everyone.
    assert named == Pings(everyone=False, users=frozenset(), roles=frozenset({loud.id}))
    assert everything == Pings(False, frozenset({world.admin.id}), frozenset({loud.id}))
    # With Mention Everyone a role that is not mentionable pings too, and so does @everyone
    # when allowed; a role id the server does not have never does.
    assert named_with_permission.roles == {loud.id, quiet.id}
    assert not named_with_permission.everyone and not named_with_permission.users
    assert everything_with_permission.everyone
    assert everything_with_permission.roles == {loud.id, quiet.id}


async def fake_post(fake: FakeDiscord, channel_id: int, allowed_mentions: dict[str, Any]) -> None:
    """Post through discord.py's HTTP client with a raw allowed_mentions object."""
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            route.url,
            json={"content": "x", "allowed_mentions": allowed_mentions},
            headers={"Authorization": f"Bot {TOKEN}"},
        ) as response,
    ):
        if response.status >= 400:
            raise discord.HTTPException(response, await response.text())


async def test_member_roles_need_manage_roles_and_a_role_above(
    fake: FakeDiscord, world: World
) -> None:
    guild = world.guild
    temu = guild.add_role("temu-news")  # created above the bot's role
    async with running(DemoBot(guild.id)) as bot:
        cached = bot.get_guild(guild.id)
        assert cached is not None
        member = await cached.fetch_member(world.member.id)
        role = cached.get_role(temu.id)
        assert role is not None
        with pytest.raises(discord.Forbidden) as no_permission:
            await member.add_roles(role)
        assert no_permission.value.code == 50013
        guild.set_role_permissions(guild.bot_role, DEFAULT_BOT | Perm.MANAGE_ROLES)
        with pytest.raises(discord.Forbidden):  # the role is above the bot's highest role
            await member.add_roles(role)
        guild.set_role(temu, position=0)
        guild.set_role(guild.bot_role, position=2)
        await member.add_roles(role)
        assert guild.member(world.member.id).role_ids == [temu.id]
        await member.remove_roles(role)
        assert guild.member(world.member.id).role_ids == []
        with pytest.raises(discord.Forbidden):  # a managed role is never given by hand
            await member.add_roles(cached.get_role(guild.bot_role.id) or role)


async def test_history_edit_delete_and_user_messages(fake: FakeDiscord, world: World) -> None:
    async with running(DemoBot(world.guild.id)) as bot:
        channel = text_channel(bot, world.news)
        first = await channel.send("first")
        second = await channel.send("second")
        assert [m.content async for m in channel.history(limit=10)] == ["second", "first"]
        await first.edit(content="first, edited")
        await second.delete()
        [kept] = fake.messages_in(world.news.id)
        assert kept.content == "first, edited" and kept.history[0]["content"] == "first"

        # Without the message content intent, other people's messages arrive blank.
        received = asyncio.create_task(
            bot.wait_for("message", check=lambda m: m.author.id == world.member.id, timeout=CEILING)
        )
        await asyncio.sleep(0)
        fake.post_user_message(world.news.id, world.member.id, "hello bot")
        message = await received
        assert message.content == ""


async def test_rate_limited_post_is_retried_and_posted_once(
    fake: FakeDiscord, world: World
) -> None:
    rule = fake.rate_limit(world.news.id, times=1, retry_after=0.2)
    async with running(DemoBot(world.guild.id)) as bot:
        started = time.monotonic()
        await text_channel(bot, world.news).send("after the limit")
        # A lower bound only (discord.py slept out retry_after): load can only lengthen it.
        assert time.monotonic() - started >= 0.2
        assert rule.hits == 1
        assert len(fake.requests_to("POST", rf"/channels/{world.news.id}/messages")) == 2
        assert [m.content for m in fake.messages_in(world.news.id)] == ["after the limit"]


async def test_rate_limit_headers_make_discord_py_wait_instead_of_hitting_429(
    fake: FakeDiscord, world: World
) -> None:
    fake.message_rate_limit = (2, 0.3)
    async with running(DemoBot(world.guild.id)) as bot:
        channel = text_channel(bot, world.news)
        for n in range(3):
            await channel.send(f"burst {n}")
        assert len(fake.messages_in(world.news.id)) == 3
        # The fake refuses a third message within 0.3 s with a 429: none means discord.py read
        # the headers and waited for the bucket to reset.
        assert not [r for r in fake.requests if r.status == 429]


async def test_server_error_once_is_retried(fake: FakeDiscord, world: World) -> None:
    fake.server_error(world.news.id, times=1)
    async with running(DemoBot(world.guild.id)) as bot:
        await text_channel(bot, world.news).send("after a 500")
        assert len(fake.messages_in(world.news.id)) == 1


async def test_permission_errors_surface_as_discord_exceptions(
    fake: FakeDiscord, world: World
) -> None:
    async with running(DemoBot(world.guild.id)) as bot:
        with pytest.raises(discord.Forbidden) as missing_permissions:
            await text_channel(bot, world.locked).send("no send permission")
        assert missing_permissions.value.code == 50013

        with pytest.raises(discord.Forbidden) as missing_access:
            await text_channel(bot, world.hidden).send("cannot even see it")
        assert missing_access.value.code == 50001

        fake.forbid(world.news.id, code=50001)
        with pytest.raises(discord.Forbidden) as injected:
            await text_channel(bot, world.news).send("injected")
        assert injected.value.code == 50001

        fake.clear_failures()
        fake.unknown_channel(world.news.id)
        with pytest.raises(discord.NotFound) as gone:
            await text_channel(bot, world.news).send("deleted channel")
        assert gone.value.code == 10003
        assert fake.messages_in(world.news.id) == []


async def test_permission_changes_reach_the_bot_while_connected(
    fake: FakeDiscord, world: World
) -> None:
    async with running(DemoBot(world.guild.id)) as bot:
        channel = text_channel(bot, world.news)
        world.guild.deny_bot(world.news, Perm.SEND_MESSAGES)
        await fake.wait_until(
            lambda: not channel.permissions_for(channel.guild.me).send_messages,
            what="CHANNEL_UPDATE to reach the bot",
        )
        world.guild.set_overwrites(world.news, [])
        await fake.wait_until(
            lambda: channel.permissions_for(channel.guild.me).send_messages,
            what="the cleared overwrites to reach the bot",
        )
        world.guild.set_member_roles(world.guild.bot_member, [])  # loses its managed role
        world.guild.set_role_permissions(world.guild.everyone, Perm.VIEW_CHANNEL)
        await fake.wait_until(
            lambda: not channel.permissions_for(channel.guild.me).send_messages,
            what="GUILD_MEMBER_UPDATE and GUILD_ROLE_UPDATE to reach the bot",
        )
        with pytest.raises(discord.Forbidden):
            await channel.send("no longer allowed")


async def test_file_upload_is_recorded(fake: FakeDiscord, world: World) -> None:
    async with running(DemoBot(world.guild.id)) as bot:
        await text_channel(bot, world.news).send(
            "digest attached", file=discord.File(io.BytesIO(b"item 1\nitem 2\n"), "digest.txt")
        )
        [message] = fake.messages_in(world.news.id)
        assert message.files == {"digest.txt": b"item 1\nitem 2\n"}
        assert message.attachments[0]["filename"] == "digest.txt"


async def test_missing_embed_links_strips_embeds(fake: FakeDiscord, world: World) -> None:
    world.guild.deny_bot(world.news, Perm.EMBED_LINKS)
    async with running(DemoBot(world.guild.id)) as bot:
        channel = text_channel(bot, world.news)
        assert not channel.permissions_for(channel.guild.me).embed_links
        with pytest.raises(discord.HTTPException) as empty:
            await channel.send(embed=discord.Embed(title="only an embed"))
        assert empty.value.code == 50006
        await channel.send("text survives", embed=discord.Embed(title="dropped"))
        [message] = fake.messages_in(world.news.id)
        assert message.embeds == [] and message.stripped_embeds[0]["title"] == "dropped"


async def test_message_limits_are_enforced(fake: FakeDiscord, world: World) -> None:
    async with running(DemoBot(world.guild.id)) as bot:
        with pytest.raises(discord.HTTPException) as too_long:
            await text_channel(bot, world.news).send("x" * 2001)
        assert too_long.value.code == 50035
        assert "content" in too_long.value.text


async def test_nonce_with_enforce_nonce_deduplicates(fake: FakeDiscord, world: World) -> None:
    async with running(DemoBot(world.guild.id)) as bot:
        channel = text_channel(bot, world.news)
        first = await channel.send("delivered once", nonce="sub1-item42")
        second = await channel.send("delivered once", nonce="sub1-item42")
        assert first.id == second.id
        [message] = fake.messages_in(world.news.id)
        assert message.nonce == "sub1-item42" and message.enforce_nonce
        assert fake.nonce_hits == 1
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("nonce too long", nonce="x" * 26)
        assert too_long.value.code == 50035


async def test_autocomplete_round_trip(fake: FakeDiscord, world: World) -> None:
    async with running(DemoBot(world.guild.id)):
        handle = await fake.invoke_autocomplete(
            world.guild.id, world.news.id, world.member.id, "demo pick", focused="fruit", value="ap"
        )
        choices = await handle.choices()
        assert [c["name"] for c in choices] == ["apple", "apricot"]
        picked = await fake.invoke_slash(
            world.guild.id, world.news.id, world.member.id, "demo pick", options={"fruit": "apple"}
        )
        assert (await picked.wait_original()).content == "picked apple"


async def test_button_and_select_round_trip(fake: FakeDiscord, world: World) -> None:
    async with running(DemoBot(world.guild.id)):
        opened = await fake.invoke_slash(
            world.guild.id, world.news.id, world.member.id, "demo pages"
        )
        message = await opened.wait_original()
        assert message.custom_ids() == ["pager:next", "pager:jump"]

        click = await fake.click_button(message, "pager:next", user_id=world.admin.id)
        assert (await click.response()).type == 7
        assert message.content == "page 2/3"
        click = await fake.click_button(message, "pager:next", user_id=world.admin.id)
        await click.response()
        assert message.content == "page 3/3"
        assert [h["content"] for h in message.history] == ["page 1/3", "page 2/3"]

        jump = await fake.select(message, "pager:jump", ["1"], user_id=world.member.id)
        assert (await jump.response()).type == 7
        assert message.content == "page 2/3"


async def test_modal_round_trip(fake: FakeDiscord, world: World) -> None:
    async with running(DemoBot(world.guild.id)):
        opener = await fake.invoke_slash(
            world.guild.id, world.news.id, world.member.id, "demo feedback"
        )
        modal = await opener.wait_modal()
        assert modal["title"] == "Feedback"
        submitted = await fake.submit_modal(opener, {modal_input_id(modal): "more temu news"})
        assert (await submitted.wait_original()).content == "thanks: more temu news"


def modal_input_id(modal: dict[str, Any]) -> str:
    """The custom_id of a one-input modal (discord.py generates it)."""
    return str(modal["components"][0]["components"][0]["custom_id"])


async def test_late_acknowledgement_is_rejected(fake: FakeDiscord, world: World) -> None:
    fake.interaction_ack_deadline = 0.2
    async with running(DemoBot(world.guild.id)):
        handle = await fake.invoke_slash(
            world.guild.id, world.news.id, world.member.id, "demo slow"
        )
        # Both the command's answer and the error handler's fallback arrive too late.
        rejected = await handle.wait_until(lambda h: h.callbacks[1:] and h.callbacks)
        assert [c.status for c in rejected] == [404, 404]
        assert not handle.acknowledged


async def test_gateway_reconnects_resume_or_reidentify(fake: FakeDiscord, world: World) -> None:
    async def still_answers() -> None:
        handle = await fake.invoke_slash(
            world.guild.id, world.news.id, world.member.id, "demo ping"
        )
        assert (await handle.wait_original()).content == "pong"

    async with running(DemoBot(world.guild.id)):
        fake.disconnect_gateway(4000)
        await fake.wait_until(lambda: len(fake.gateway.resumes) == 1, what="a RESUME")
        await still_answers()

        fake.request_reconnect()
        await fake.wait_until(lambda: len(fake.gateway.resumes) == 2, what="a RESUME")
        await still_answers()
        assert len(fake.gateway.identifies) == 1

        fake.invalidate_session(resumable=False)
        await fake.wait_until(lambda: len(fake.gateway.identifies) == 2, what="a new IDENTIFY")
        await still_answers()


async def test_events_missed_while_disconnected_are_replayed_on_resume(
    fake: FakeDiscord, world: World
) -> None:
    async with running(DemoBot(world.guild.id)) as bot:
        fake.disconnect_gateway(4000)
        await fake.wait_until(lambda: not fake.gateway.live_sessions(), what="a drop")
        late = world.guild.add_text_channel("late-news")
        await fake.wait_until(lambda: fake.gateway.resumes, what="a RESUME")
        await fake.wait_until(lambda: bot.get_channel(late.id), what="CHANNEL_CREATE")


async def test_members_intent_chunks_and_disallowed_intent_closes(
    fake: FakeDiscord, world: World
) -> None:
    intents = discord.Intents.default()
    intents.members = True
    async with running(DemoBot(world.guild.id, intents=intents)) as bot:
        guild = bot.get_guild(world.guild.id)
        assert guild is not None and guild.chunked
        assert {m.id for m in guild.members} == set(world.guild.members)

    fake.allowed_privileged_intents = 0
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running(DemoBot(world.guild.id, intents=intents)):
            pass


async def test_hang_after_commit_leaves_message_without_answer(
    fake: FakeDiscord, world: World
) -> None:
    fake.hang(world.news.id, commit=True)
    async with running(DemoBot(world.guild.id)) as bot:
        send = asyncio.create_task(text_channel(bot, world.news).send("landed, unanswered"))
        [message] = await fake.wait_for_messages(world.news.id, 1)
        assert message.content == "landed, unanswered"
        await asyncio.sleep(0.05)
        assert not send.done()
        send.cancel()  # the "crash": the bot never learns the message exists


async def test_dropped_connection_raises_client_error(fake: FakeDiscord, world: World) -> None:
    fake.drop(world.news.id)
    async with running(DemoBot(world.guild.id)) as bot:
        with pytest.raises(aiohttp.ClientError):
            await text_channel(bot, world.news).send("lost")
        assert fake.messages_in(world.news.id) == []


async def test_wrong_token_fails_login(fake: FakeDiscord, world: World) -> None:
    bot = DemoBot(world.guild.id)
    with pytest.raises(discord.LoginFailure):
        async with running(bot, token="not-the-token"):
            pass


async def test_unknown_route_is_logged_as_404(fake: FakeDiscord, world: World) -> None:
    async with running(DemoBot(world.guild.id)) as bot:
        with pytest.raises(discord.NotFound):
            await bot.http.request(discord.http.Route("GET", "/no/such/route"))
        assert [r.path for r in fake.unknown_routes] == ["/no/such/route"]
        fake.unknown_routes.clear()


async def test_bot_in_a_subprocess_killed_mid_delivery(fake: FakeDiscord, world: World) -> None:
    # The send lands on "Discord" but its answer never comes back; then the process dies.
    fake.hang(world.news.id, commit=True)
    env = {**os.environ, **fake.env(), "TARGET_CHANNEL": str(world.news.id)}
    env["DISCORD_TOKEN"] = TOKEN
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SUBPROCESS_BOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_until_connected()
        [message] = await fake.wait_for_messages(world.news.id, 1)
        assert message.content == "hello from a subprocess"
        assert process.returncode is None
    finally:
        process.kill()
        _, stderr = await asyncio.wait_for(process.communicate(), CEILING)
    assert process.returncode != 0, stderr.decode()
