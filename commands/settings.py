"""``/settings``: per-server settings (admins only); for now the time zone digests follow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.news.digests import timezone_names, utc_offset_text
from commands.checks import is_news_admin
from commands.errors import NO_MENTIONS
from commands.suggest import fuzzy_choices

if TYPE_CHECKING:
    from commands.services import BotServices


# Offered first, so that an empty box shows zones sellers are likely in, not "Africa/Abidjan".
COMMON_ZONES = (
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Jakarta",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SettingsCog(
    commands.GroupCog,
    group_name="settings",
    group_description="This server's Shopwire settings: the digest time zone (admins)",
):
    """The ``/settings`` group; every subcommand is checked with :func:`is_news_admin`."""

    def __init__(self, services: BotServices) -> None:
        self.services = services
        super().__init__()

    @app_commands.command(name="timezone")
    @app_commands.describe(
        name="An IANA time zone such as Europe/Paris or America/New_York; leave out to see it"
    )
    @is_news_admin()
    async def timezone(
        self,
        interaction: discord.Interaction[Any],
        name: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        """Show or set the time zone of this server's digest posting hours."""
        assert interaction.guild_id is not None  # guild_only
        await interaction.response.defer(ephemeral=True, thinking=True)
        subscriptions = self.services.subscriptions
        now = discord.utils.utcnow()
        if name is None:
            current = await subscriptions.timezone(interaction.guild_id)
            text = (
                f"Digests here are scheduled in **{current}** ({utc_offset_text(current, now)} "
                "now). Change it with `/settings timezone name: Europe/Paris` (for example)."
            )
        else:
            stored = await subscriptions.set_timezone(interaction.guild_id, name)
            text = (
                f"Time zone set to **{stored}** ({utc_offset_text(stored, now)} now): digests "
                "are posted at their hour there, from the next one on."
            )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @timezone.autocomplete("name")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Time zone names closest to what is typed (the commonest first when nothing is)."""
        names = [*COMMON_ZONES, *(n for n in timezone_names() if n not in COMMON_ZONES)]
        return fuzzy_choices(current, [(name, name) for name in names])
