"""Which roles Shopwire may ping for a subscription, and which it may give with /follow.

The facts come from Discord (the commands read them from the gateway cache); the decisions are
here so that they are the same wherever a role is chosen, and say why in a user's words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RoleFacts:
    """What decides whether the bot may ping or give a role in one server."""

    id: int
    guild_id: int
    name: str
    mentionable: bool
    # Managed by an integration (a bot's own role, a booster role): nobody can give it.
    managed: bool
    position: int

    @property
    def is_everyone(self) -> bool:
        """Discord's @everyone role has the server's id."""
        return self.id == self.guild_id


def ping_refusal(role: RoleFacts, *, bot_may_mention_everyone: bool) -> str | None:
    """Why posts may not ping ``role`` (None: they may).

    Discord pings a role named in ``allowed_mentions`` only if it is mentionable or the bot has
    Mention Everyone in the channel; otherwise the mention would show but ping nobody, which
    an admin would only find out when members miss the news.
    """
    if role.is_everyone:
        return "Shopwire never pings @everyone: choose or create a role for this news."
    if role.mentionable or bot_may_mention_everyone:
        return None
    return (
        f"I can't ping @{role.name} in that channel: the role is not mentionable and I don't "
        "have Mention Everyone there. Turn on “Allow anyone to @mention this role” in the "
        "role's settings, or give me Mention Everyone in that channel."
    )


def assignment_refusal(
    role: RoleFacts, *, bot_can_manage_roles: bool, bot_top_position: int
) -> str | None:
    """Why the bot cannot give ``role`` to members (None: it can).

    Discord lets a bot add a role only with Manage Roles and only below its own highest role;
    integration roles are never given by hand.
    """
    if role.is_everyone:
        return "Everyone has @everyone already: choose or create a role for this news."
    if role.managed:
        return f"@{role.name} belongs to an integration: nobody can give it to members."
    if not bot_can_manage_roles:
        return f"I can't give @{role.name}: I need the Manage Roles permission."
    if role.position >= bot_top_position:
        return (
            f"I can't give @{role.name}: it is not below my highest role. Move my role above "
            "it in Server Settings → Roles."
        )
    return None
