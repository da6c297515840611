"""Who may use the admin commands: the enforced gate behind ``default_permissions``.

``default_permissions(manage_guild=True)`` only tells the Discord client whom to offer a
command to; a server can override that in its integration settings. :func:`is_news_admin` is
checked on every invocation: members with Manage Server pass, and so do members holding the
role named by the ``admin_role`` setting (a role id or a role name).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from commands.errors import NotNewsAdmin

T = TypeVar("T")


def admin_role_setting(client: object) -> str | None:
    """The configured admin role (id or name) of the bot behind an interaction, if any."""
    services = getattr(client, "services", None)
    settings = getattr(services, "settings", None)
    role = getattr(settings, "admin_role", None)
    if isinstance(role, str) and role.strip():
        return role.strip()
    return None


def holds_role(member: discord.Member, role: str) -> bool:
    """Whether ``member`` has the role given by id or (case-insensitive) name."""
    wanted = role.strip()
    for held in member.roles:
        if wanted.isdigit() and held.id == int(wanted):
            return True
        if held.name.casefold() == wanted.casefold():
            return True
    return False


def role_label(guild: discord.Guild | None, role: str | None) -> str | None:
    """How to name the admin role to a user: its name when given by id and known."""
    if role is None:
        return None
    if role.isdigit() and guild is not None:
        found = guild.get_role(int(role))
        if found is not None:
            return found.name
    return role


def is_admin(interaction: discord.Interaction[Any]) -> bool:
    """Whether the user behind ``interaction`` may use Shopwire's admin commands."""
    if interaction.permissions.manage_guild:
        return True
    role = admin_role_setting(interaction.client)
    return bool(
        role and isinstance(interaction.user, discord.Member) and holds_role(interaction.user, role)
    )


def is_news_admin() -> Callable[[T], T]:
    """An app command check: Manage Server, or the configured admin role.

    Raises :class:`NotNewsAdmin` (a ``CheckFailure``) naming what is needed, which the tree's
    error handler shows to the user.
    """

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        if is_admin(interaction):
            return True
        role = admin_role_setting(interaction.client)
        raise NotNewsAdmin(role_label(interaction.guild, role))

    return app_commands.check(predicate)
