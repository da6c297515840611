"""Role pings, message styles and follow roles through real dispatch (issue 11):
``/subscribe ... style: ping:``, ``/subscriptions``, ``/settings follow-role(s)``,
``/settings follow-role-remove``, ``/follow`` and ``/unfollow``."""

from __future__ import annotations

import discord

from bot.news.model.vocabulary import MessageStyle, PostFormat
from tests.commands.conftest import App
from tests.fakediscord import Overwrite, Perm, Role
from tests.fakediscord.permissions import DEFAULT_BOT


async def role_known(app: App, role: Role, *, position: int | None = None) -> None:
    """Wait (bounded) until the bot's cache has the role as the fake has it now."""

    def cached() -> bool:
        guild = app.bot.get_guild(role.guild_id)
        found = guild.get_role(role.id) if guild is not None else None
        return (
            found is not None
            and found.mentionable == role.mentionable
            and (position is None or found.position == position)
        )

    await app.fake.wait_until(cached, what=f"role {role.name} in the bot's cache")


async def bot_may_manage_roles(app: App) -> None:
    """Give the bot Manage Roles and put its role at the top, as an admin would."""
    guild = app.world.guild
    guild.set_role_permissions(guild.bot_role, DEFAULT_BOT | Perm.MANAGE_ROLES)
    guild.set_role(guild.bot_role, position=50)
    await app.fake.wait_until(
        lambda: (
            (g := app.bot.get_guild(guild.id)) is not None
            and g.me.guild_permissions.manage_roles
            and g.me.top_role.position == 50
        ),
        what="Manage Roles and the bot's role position in its cache",
    )


async def test_subscribe_with_a_style_and_a_ping_and_the_list_shows_them(app: App) -> None:
    world = app.world
    role = world.guild.add_role("temu-news", mentionable=True)
    await role_known(app, role)
    _, reply = await app.answer(
        world.admin, "subscribe", channel=world.news, companies="temu", style="compact", ping=role
    )
    [subscription] = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
    assert subscription.post_format == PostFormat(MessageStyle.COMPACT, role.id)
    assert f"Posts: style: compact · pings <@&{role.id}>." in reply.content
    assert reply.ephemeral and not reply.pings.anyone

    # Again with another style: the same subscription changes, and keeps its ping.
    _, again = await app.answer(
        world.admin, "subscribe", channel=world.news, companies="temu", style="headline"
    )
    assert again.content.startswith(f"Subscription #{subscription.id} in <#{world.news.id}>")
    [changed] = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
    assert changed.post_format == PostFormat(MessageStyle.HEADLINE, role.id)

    _, listing = await app.answer(world.admin, "subscriptions list")
    assert f"style: headline · pings <@&{role.id}>" in listing.embeds[0]["description"]
    assert not listing.pings.anyone


async def test_a_role_the_bot_may_not_ping_is_refused_privately_with_the_reason(app: App) -> None:
    world = app.world
    quiet = world.guild.add_role("staff")  # not mentionable
    await role_known(app, quiet)
    _, refused = await app.answer(world.admin, "subscribe", channel=world.news, ping=quiet)
    assert refused.ephemeral
    assert refused.content.startswith("I can't ping @staff in that channel")
    assert "Mention Everyone" in refusal_text(refused.content)
    assert await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id) == []

    _, everyone = await app.answer(
        world.admin, "subscribe", channel=world.news, ping=world.guild.everyone
    )
    assert everyone.content == (
        "Shopwire never pings @everyone: choose or create a role for this news."
    )

    # With Mention Everyone in that channel the bot may ping any role there.
    world.guild.set_overwrites(
        world.news, [Overwrite.for_role(world.guild.bot_role.id, allow=Perm.MENTION_EVERYONE)]
    )
    await app.fake.wait_until(
        lambda: (
            isinstance(c := app.bot.get_channel(world.news.id), discord.abc.GuildChannel)
            and c.permissions_for(c.guild.me).mention_everyone
        ),
        what="the overwrite in the bot's cache",
    )
    _, accepted = await app.answer(world.admin, "subscribe", channel=world.news, ping=quiet)
    assert accepted.content.startswith(f"Subscribed <#{world.news.id}>")


def refusal_text(text: str) -> str:
    return text.replace("\u200b", "")


async def test_members_follow_and_unfollow_the_roles_admins_set(app: App) -> None:
    world = app.world
    role = world.guild.add_role("temu-news", mentionable=True)
    await bot_may_manage_roles(app)
    await role_known(app, role)

    _, none_yet = await app.answer(world.member, "follow", company="Temu")
    assert none_yet.ephemeral
    assert none_yet.content.startswith("Nobody can follow Temu here yet")

    _, set_reply = await app.answer(world.admin, "settings follow-role", role=role, company="temu")
    assert set_reply.content.startswith("Members can now follow Temu with `/follow company: Temu`")
    assert await app.complete(world.member, "follow", "company", "te") == [
        {"name": "Temu", "value": "Temu"}
    ]
    assert await app.complete(world.member, "follow", "topic", "") == []

    handle, followed = await app.answer(world.member, "follow", company="Temu")
    assert (await handle.response()).type == 5
    assert followed.content.startswith(f"You now follow Temu: you have <@&{role.id}>")
    assert followed.ephemeral and not followed.pings.anyone
    assert world.guild.member(world.member.user.id).role_ids == [role.id]

    _, twice = await app.answer(world.member, "follow", company="temu")
    assert twice.content.startswith("You already follow Temu")

    _, listing = await app.answer(world.admin, "settings follow-roles")
    assert listing.embeds[0]["description"] == f"company **Temu**: <@&{role.id}>"

    _, unfollowed = await app.answer(world.member, "unfollow", company="Temu")
    assert unfollowed.content == f"You no longer follow Temu: <@&{role.id}> was taken away."
    assert world.guild.member(world.member.user.id).role_ids == []

    _, removed = await app.answer(world.admin, "settings follow-role-remove", company="Temu")
    assert removed.content.startswith("Temu can no longer be followed here.")
    _, gone = await app.answer(world.member, "follow", company="Temu")
    assert gone.content.startswith("Nobody can follow Temu here yet")


async def test_follow_roles_the_bot_cannot_give_are_refused_with_the_reason(app: App) -> None:
    world = app.world
    role = world.guild.add_role("fees-news")  # created above the bot's role
    await role_known(app, role)
    _, no_permission = await app.answer(
        world.admin, "settings follow-role", role=role, topic="fees"
    )
    assert no_permission.content == ("I can't give @fees-news: I need the Manage Roles permission.")
    await bot_may_manage_roles(app)
    world.guild.set_role(role, position=60)
    await role_known(app, role, position=60)
    _, above = await app.answer(world.admin, "settings follow-role", role=role, topic="fees")
    assert above.content.startswith("I can't give @fees-news: it is not below my highest role.")
    assert await app.newsroom.storage.follow_roles.list_for_guild(world.guild.id) == []

    _, both = await app.answer(
        world.admin, "settings follow-role", role=role, topic="fees", company="Temu"
    )
    assert both.content == "Name one company or one topic."

    # Members never configure follow roles, even where the server shows them the command.
    _, member = await app.answer(
        world.member, "settings follow-role", role=role, topic="fees", override=True
    )
    assert member.content == "You need the Manage Server permission to use this command."
