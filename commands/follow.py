"""``/follow`` and ``/unfollow``: members take or drop the role an admin set for a company or
topic (``/settings follow-role``), so they choose what pings them. No admin rights needed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.news.model.errors import UserError
from bot.news.model.vocabulary import FollowKind, FollowRole
from bot.news.services.follow_roles import FollowRoleService, FollowSubject
from commands.errors import NO_MENTIONS
from commands.roles import ensure_can_assign
from commands.suggest import fuzzy_choices

if TYPE_CHECKING:
    from commands.services import BotServices


def guild_role(guild: discord.Guild, role: FollowRole, subject: FollowSubject) -> discord.Role:
    """The Discord role behind a follow role, or why it is gone."""
    found = guild.get_role(role.role_id)
    if found is None:
        raise UserError(
            f"The role for {subject.name} no longer exists: ask an admin to choose another "
            "with `/settings follow-role`."
        )
    return found


class FollowCog(commands.Cog, name="Follow"):
    """Self-service roles; the bot checks Manage Roles and the role order before each change."""

    def __init__(self, services: BotServices) -> None:
        self.services = services

    @property
    def follow_roles(self) -> FollowRoleService:
        """The follow role service."""
        return self.services.follow_roles

    async def _member_and_role(
        self, interaction: discord.Interaction[Any], company: str | None, topic: str | None
    ) -> tuple[discord.Member, discord.Role, FollowSubject]:
        assert interaction.guild is not None  # guild_only
        subject = self.follow_roles.subject(company, topic)
        stored = await self.follow_roles.find(interaction.guild.id, subject)
        role = guild_role(interaction.guild, stored, subject)
        ensure_can_assign(role)
        member = interaction.user
        if not isinstance(member, discord.Member):
            raise UserError("This command only works in a server.")
        return member, role, subject

    @app_commands.command(name="follow")
    @app_commands.guild_only()
    @app_commands.describe(
        company="Get pinged for this company's news (the roles this server offers)",
        topic="Get pinged for news on this topic (the roles this server offers)",
    )
    async def follow(
        self,
        interaction: discord.Interaction[Any],
        company: app_commands.Range[str, 1, 100] | None = None,
        topic: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Take the role this server pings for a company's or topic's news."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        member, role, subject = await self._member_and_role(interaction, company, topic)
        if role in member.roles:
            text = f"You already follow {subject.name}: you have {role.mention}."
        else:
            await member.add_roles(role, reason=f"/follow {subject.name}")
            text = (
                f"You now follow {subject.name}: you have {role.mention}, and posts that ping "
                f"it reach you. `/unfollow {subject.kind.value}: {subject.name}` stops it."
            )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="unfollow")
    @app_commands.guild_only()
    @app_commands.describe(
        company="Stop being pinged for this company's news",
        topic="Stop being pinged for news on this topic",
    )
    async def unfollow(
        self,
        interaction: discord.Interaction[Any],
        company: app_commands.Range[str, 1, 100] | None = None,
        topic: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Drop the role this server pings for a company's or topic's news."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        member, role, subject = await self._member_and_role(interaction, company, topic)
        if role not in member.roles:
            text = f"You don't follow {subject.name}: you don't have {role.mention}."
        else:
            await member.remove_roles(role, reason=f"/unfollow {subject.name}")
            text = f"You no longer follow {subject.name}: {role.mention} was taken away."
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _choices(
        self, interaction: discord.Interaction[Any], kind: FollowKind, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        names = await self.follow_roles.names(interaction.guild_id, kind)
        return fuzzy_choices(current, [(name, name) for name in names])

    @follow.autocomplete("company")
    @unfollow.autocomplete("company")
    async def company_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """The companies this server has a follow role for."""
        return await self._choices(interaction, FollowKind.COMPANY, current)

    @follow.autocomplete("topic")
    @unfollow.autocomplete("topic")
    async def topic_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """The topics this server has a follow role for."""
        return await self._choices(interaction, FollowKind.TOPIC, current)
