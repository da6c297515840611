"""Discord roles as the core's rules see them, and the checks the commands make with them."""

from __future__ import annotations

import discord

from bot.embeds import clean_markdown
from bot.news.model.errors import UserError
from bot.news.rules.roles import RoleFacts, assignment_refusal, ping_refusal

ROLE_NAME_LIMIT = 100


def role_facts(role: discord.Role) -> RoleFacts:
    """What the rules need of a role; its name escaped, since refusals quote it."""
    return RoleFacts(
        id=role.id,
        guild_id=role.guild.id,
        name=clean_markdown(role.name, ROLE_NAME_LIMIT),
        mentionable=role.mentionable,
        managed=role.managed,
        position=role.position,
    )


def ensure_can_ping(role: discord.Role, channel: discord.abc.GuildChannel) -> None:
    """Raise UserError with the reason when posts in ``channel`` could not ping ``role``."""
    me = channel.guild.me
    may_mention_everyone = me is not None and channel.permissions_for(me).mention_everyone
    refusal = ping_refusal(role_facts(role), bot_may_mention_everyone=may_mention_everyone)
    if refusal is not None:
        raise UserError(refusal)


def ensure_can_assign(role: discord.Role) -> None:
    """Raise UserError with the reason when the bot cannot give ``role`` to members."""
    me = role.guild.me
    refusal = assignment_refusal(
        role_facts(role),
        bot_can_manage_roles=me is not None and me.guild_permissions.manage_roles,
        bot_top_position=me.top_role.position if me is not None else 0,
    )
    if refusal is not None:
        raise UserError(refusal)
