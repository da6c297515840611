"""Who may use the admin commands: the enforced gate behind ``default_permissions``.

``default_permissions(manage_guild=True)`` only tells the Discord client whom to offer a
command to; a server can override that in its integration settings. :func:`is_news_admin` is
checked on every invocation: members with Manage Server pass, and so do members holding the
role named by the ``admin_role`` setting.

The setting is one value for every server the bot is in. Digits only are a role id and match
that role's id only: a role that merely carries those digits as its name must not grant admin,
or anyone who can create roles in any server would become an admin there. Anything else is a
role name, matched case-insensitively in every server: a per-server convention, so whoever can
create or rename roles in a server decides who holds it there. ``/help`` says which it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


def is_role_id(role: str) -> bool:
    """Whether the ``admin_role`` setting names a role by id (ASCII digits only)."""
    return role.isascii() and role.isdigit()


def holds_role(member: discord.Member, role: str) -> bool:
    """Whether ``member`` has the role given by id (ids only) or by case-insensitive name."""
    wanted = role.strip()
    if is_role_id(wanted):
        return any(held.id == int(wanted) for held in member.roles)
    return any(held.name.casefold() == wanted.casefold() for held in member.roles)


@dataclass(frozen=True)
class AdminRoleHere:
    """What the ``admin_role`` setting means in one server, for ``/help`` and refusals."""

    setting: str
    by_id: bool
    name: str | None
    """The matching role's name in this server; None when no role here matches."""


def admin_role_here(guild: discord.Guild | None, role: str | None) -> AdminRoleHere | None:
    """Which role of ``guild`` the ``admin_role`` setting ``role`` makes an admin role."""
    if role is None:
        return None
    if is_role_id(role):
        found = guild.get_role(int(role)) if guild is not None else None
        return AdminRoleHere(role, by_id=True, name=found.name if found else None)
    roles = guild.roles if guild is not None else ()
    named = next((r.name for r in roles if r.name.casefold() == role.casefold()), None)
    return AdminRoleHere(role, by_id=False, name=named)


def role_label(guild: discord.Guild | None, role: str | None) -> str | None:
    """How to name the admin role to a user of ``guild``: its name there; a role id that is
    not in this server is not named at all (no role here can grant admin through it)."""
    here = admin_role_here(guild, role)
    if here is None:
        return None
    if here.by_id:
        return here.name
    return here.name or here.setting


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
