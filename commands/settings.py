"""``/settings``: per-server settings (admins only): the time zone digests follow, and the
roles members may take with ``/follow``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import COLOUR, DESCRIPTION_LIMIT, clean_markdown
from bot.news.services.digests import timezone_names, utc_offset_text
from commands.checks import is_news_admin
from commands.errors import NO_MENTIONS
from commands.feeds import lines_within
from commands.roles import ensure_can_assign
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
    group_description="This server's Shopwire settings: digest time zone, follow roles (admins)",
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

    @app_commands.command(name="follow-role")
    @app_commands.describe(
        role="The role members take with /follow (and that subscriptions can ping)",
        company="The company it is for (or a topic)",
        topic="The topic it is for (or a company)",
    )
    @is_news_admin()
    async def follow_role(
        self,
        interaction: discord.Interaction[Any],
        role: discord.Role,
        company: app_commands.Range[str, 1, 100] | None = None,
        topic: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Let members take a role for a company's or topic's news with /follow."""
        assert interaction.guild_id is not None  # guild_only
        await interaction.response.defer(ephemeral=True, thinking=True)
        follow_roles = self.services.follow_roles
        subject = follow_roles.subject(company, topic)
        ensure_can_assign(role)
        await follow_roles.set_role(interaction.guild_id, subject, role.id)
        text = (
            f"Members can now follow {subject.name} with `/follow {subject.kind.value}: "
            f"{subject.name}`: they get {role.mention}. To ping it, subscribe a channel with "
            f"`ping:` {role.mention}."
        )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="follow-role-remove")
    @app_commands.describe(
        company="The company whose follow role to remove (or a topic)",
        topic="The topic whose follow role to remove (or a company)",
    )
    @is_news_admin()
    async def follow_role_remove(
        self,
        interaction: discord.Interaction[Any],
        company: app_commands.Range[str, 1, 100] | None = None,
        topic: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Stop offering a role with /follow (members who have it keep it)."""
        assert interaction.guild_id is not None  # guild_only
        await interaction.response.defer(ephemeral=True, thinking=True)
        follow_roles = self.services.follow_roles
        subject = follow_roles.subject(company, topic)
        removed = await follow_roles.remove(interaction.guild_id, subject)
        text = (
            f"{subject.name} can no longer be followed here. Members who have "
            f"<@&{removed.role_id}> keep it until they or an admin take it away."
        )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="follow-roles")
    @is_news_admin()
    async def follow_roles_list(self, interaction: discord.Interaction[Any]) -> None:
        """List the roles members can take with /follow here."""
        assert interaction.guild_id is not None  # guild_only
        await interaction.response.defer(ephemeral=True, thinking=True)
        named = await self.services.follow_roles.list_for_guild(interaction.guild_id)
        lines = [
            f"{n.role.kind.value} **{clean_markdown(n.name, 100)}**: <@&{n.role.role_id}>"
            for n in named
        ]
        embed = discord.Embed(title=f"Follow roles ({len(named)})", colour=COLOUR)
        embed.description = (
            lines_within(lines, DESCRIPTION_LIMIT)
            if lines
            else "None yet. Add one with `/settings follow-role`."
        )
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @follow_role.autocomplete("company")
    @follow_role_remove.autocomplete("company")
    async def company_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Company names closest to what is typed."""
        companies = self.services.news.suggest_companies(current, limit=25)
        return fuzzy_choices("", [(c.name, c.name) for c in companies])

    @follow_role.autocomplete("topic")
    @follow_role_remove.autocomplete("topic")
    async def topic_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Topic names closest to what is typed."""
        topics = self.services.news.suggest_topics(current, limit=25)
        return fuzzy_choices("", [(t.name, t.name) for t in topics])
