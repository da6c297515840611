"""The Discord client: Shopwire's ``commands.Bot``, slash commands only, no privileged intents.

``ShopwireBot`` knows its services and its cogs; syncing commands and running the background
loops are the runner's business (``bot/runner.py``), which subclasses or composes this class.
"""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands

from commands import add_cogs
from commands.errors import ShopwireTree
from commands.services import BotServices


def shopwire_intents() -> discord.Intents:
    """Guild events only: channels, roles and the bot's own member (no privileged intents)."""
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


class ShopwireBot(commands.Bot):
    """Shopwire on Discord. Extra keyword options go to ``commands.Bot`` (tests pass
    ``guild_ready_timeout``)."""

    def __init__(self, services: BotServices, **options: Any) -> None:
        # Shopwire never joins voice: the "PyNaCl/davey is not installed" warnings that
        # discord.py logs at start would only worry operators.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            # An empty prefix list never matches (and no message events arrive anyway):
            # Shopwire has slash commands only.
            command_prefix=[],
            intents=shopwire_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=ShopwireTree,
            help_command=None,
            **options,
        )
        self.services = services

    async def setup_hook(self) -> None:
        """Add the cogs; subclasses may extend this (sync, loops) and call ``super()``."""
        await self.add_shopwire_cogs()

    async def add_shopwire_cogs(self) -> None:
        """Add every Shopwire cog; their commands join the tree (not synced here)."""
        await add_cogs(self, self.services)

    def command_payload(self) -> list[dict[str, Any]]:
        """The global commands as they would be synced to Discord, sorted by name.

        Used for the snapshot test and to detect whether a sync is needed.
        """
        payload = [command.to_dict(self.tree) for command in self.tree._get_all_commands()]
        return sorted(payload, key=lambda command: str(command["name"]))
