"""``/help``: what the bot does and who may use which command."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import COLOUR
from commands.checks import admin_role_setting, role_label
from commands.errors import NO_MENTIONS

ABOUT = (
    "Shopwire follows e-commerce news (TikTok Shop, Temu, SHEIN, Amazon and their rivals) "
    "from RSS and Atom feeds, tags each story with the companies it is about, and posts new "
    "stories to the channels that subscribed."
)

EVERYONE = (
    "`/news latest [company] [source] [count]`: the newest stories\n"
    "`/news search <query> [company] [since] [count] [topic]`: search stored stories "
    '(`"exact phrase"`, `-exclude`, `a OR b`; since `7d`, `24h`, `2025-06-01`)\n'
    "`/news summary [company] [period] [topic]`: the top stories, busiest companies and "
    "rising terms of the last 24 hours, 7 days or 30 days (shared feeds only: a server's own "
    "feeds are not in summaries)\n"
    "`/news trend [companies] [period]`: a chart of stories per day per company "
    "(shared feeds only)\n"
    "`/help`: this message"
)

ADMINS = (
    "`/subscribe <channel> [companies] [keywords] [exclude] [topics] [mode] [hour]`: post new "
    "stories to a channel as they arrive, or a daily or weekly digest at an hour\n"
    "`/unsubscribe <channel> [subscription]`: stop posting there\n"
    "`/subscriptions`: this server's subscriptions and their status\n"
    "`/settings timezone [name]`: the time zone of digest hours (default UTC)\n"
    "`/feeds add <url> [name]`, `/feeds remove <feed>`: this server's own feeds\n"
    "`/feeds list`, `/feeds status`: the feeds read here and their health"
)


def help_embed(admin_role: str | None) -> discord.Embed:
    """The ``/help`` text; ``admin_role`` is the configured admin role's name, if any."""
    embed = discord.Embed(title="Shopwire", description=ABOUT, colour=COLOUR)
    embed.add_field(name="For everyone", value=EVERYONE, inline=False)
    who = "Manage Server permission"
    if admin_role:
        who += f" or the {discord.utils.escape_markdown(admin_role)} role"
    embed.add_field(name=f"For admins ({who})", value=ADMINS, inline=False)
    embed.set_footer(text="Shopwire never pings anyone: no @everyone, no role or user mentions.")
    return embed


class HelpCog(commands.Cog, name="Help"):
    """The ``/help`` command."""

    @app_commands.command(name="help")
    @app_commands.guild_only()
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        """What Shopwire does, and which commands need which permission."""
        role = role_label(interaction.guild, admin_role_setting(interaction.client))
        await interaction.response.send_message(
            embed=help_embed(role), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
