"""``/help``: what the bot does and who may use which command."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import COLOUR, clean_markdown
from commands.checks import AdminRoleHere, admin_role_here, admin_role_setting
from commands.errors import NO_MENTIONS

ABOUT = (
    "Shopwire follows e-commerce news (TikTok Shop, Temu, SHEIN, Amazon and their rivals) "
    "from RSS and Atom feeds, tags each story with the companies it is about, and posts new "
    "stories to the channels that subscribed."
)

EVERYONE = (
    "`/news latest [company] [source] [count]`: the newest stories\n"
    "`/news search <query> [company] [since] [count] [topic]`: search stored stories "
    '(`"exact phrase"`, `-exclude`, `a OR b`, `amaz*` for words that start so; any form of '
    "a word: `return` finds returns; since `7d`, `24h`, `2025-06-01`)\n"
    "`/news summary [company] [period] [topic]`: the top stories, busiest companies and "
    "rising terms of the last 24 hours, 7 days or 30 days (shared feeds only: a server's own "
    "feeds are not in summaries)\n"
    "`/news trend [companies] [period]`: a chart of stories per day per company "
    "(shared feeds only)\n"
    "`/follow [company] [topic]`, `/unfollow [company] [topic]`: take or drop the role this "
    "server pings for a company's or topic's news (name one; admins choose the roles)\n"
    "`/help`: this message"
)

ADMINS = (
    "`/subscribe <channel> [companies] [keywords] [exclude] [topics] [mode] [hour] [style] [ping] "
    "[preview] [thread] [publish]`: "
    "post new stories to a channel as they arrive, or a daily or weekly digest at an hour; "
    "`[style]` embed, compact (one line) or headline, `[ping]` a role to ping\n"
    "`/unsubscribe <channel> [subscription]`: stop posting there\n"
    "`/subscriptions list`: this server's subscriptions and their status\n"
    "`/settings timezone [name]`: the time zone of digest hours (default UTC)\n"
    "`/settings follow-role <role> [company] [topic]`, `/settings follow-roles`, "
    "`/settings follow-role-remove [company] [topic]`: the roles members take with /follow "
    "(name a company or a topic)\n"
    "`/feeds add <url> [name]`, `/feeds remove <feed>`: this server's own feeds\n"
    "`/feeds list`, `/feeds status`: the feeds read here and their health"
)


PLACES = (
    "`thread: per-story` on /subscribe posts a story's first report and puts later ones in a "
    "thread on it; a forum channel gets one post per story (tagged with its matching company "
    "or topic tags), later reports as replies\n"
    "`publish: True` on /subscribe publishes each post, roundup and digest of an announcement "
    "channel to the servers following it (10 an hour per channel: the rest wait their turn)\n"
    "A post whose item the publisher corrects within a day is edited, not posted again\n"
    "`/subscriptions edit <subscription> [style] [ping] [remove_ping] [thread] [publish]`: "
    "change how a subscription posts, keeping its filters (`remove_ping: True` stops pings)"
)
"""Where posts go and how a subscription's are changed, in a field of their own."""

CHECKS = (
    "`/subscriptions preview [companies] [keywords] [exclude] [topics]`: what these filters "
    "would have posted in the last 7 days, saving nothing (or `preview: True` on /subscribe)\n"
    "`/subscriptions why <item>`: give an item's link or title words: whether each "
    "subscription here posted it (with a link to the message), and if not, why"
)
"""Admin commands that explain delivery, in a field of their own (a field holds 1024
characters)."""


def admin_role_line(role: AdminRoleHere) -> str:
    """Which role grants admin in this server, and how the operator chose it."""
    setting = clean_markdown(role.setting, 100)
    if role.by_id:
        if role.name is None:
            return (
                "Admin role in this server: none (the role the bot's operator chose, by id, "
                "is not in this server)."
            )
        return f"Admin role in this server: **{clean_markdown(role.name, 100)}** (chosen by id)."
    convention = (
        f"the bot's operator made any role named “{setting}” an admin role, in every server, "
        "so whoever can create or rename roles here decides who holds it"
    )
    if role.name is None:
        return f"Admin role in this server: none yet ({convention})."
    return f"Admin role in this server: **{clean_markdown(role.name, 100)}** ({convention})."


def help_embed(admin_role: AdminRoleHere | None) -> discord.Embed:
    """The ``/help`` text; ``admin_role`` is what the configured admin role means here, if any."""
    embed = discord.Embed(title="Shopwire", description=ABOUT, colour=COLOUR)
    embed.add_field(name="For everyone", value=EVERYONE, inline=False)
    who = "Manage Server permission"
    admins = ADMINS
    if admin_role is not None:
        if admin_role.name is not None:
            who += f" or the {clean_markdown(admin_role.name, 100)} role"
        admins += "\n" + admin_role_line(admin_role)
    embed.add_field(name=f"For admins ({who})", value=admins, inline=False)
    embed.add_field(name="Threads, forums, announcements (admins)", value=PLACES, inline=False)
    embed.add_field(name="Checking subscriptions (admins)", value=CHECKS, inline=False)
    embed.set_footer(
        text="Shopwire pings only the role a subscription names: never @everyone, never a user, "
        "never because of what a feed says."
    )
    return embed


class HelpCog(commands.Cog, name="Help"):
    """The ``/help`` command."""

    @app_commands.command(name="help")
    @app_commands.guild_only()
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        """What Shopwire does, and which commands need which permission."""
        role = admin_role_here(interaction.guild, admin_role_setting(interaction.client))
        await interaction.response.send_message(
            embed=help_embed(role), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
