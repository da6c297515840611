"""The Discord client: Shopwire's ``commands.Bot``, slash commands only, no privileged intents.

``ShopwireBot`` knows its services and its cogs; syncing commands and running the background
loops are the runner's business (``bot/runner.py``), which subclasses or composes this class.
"""

from __future__ import annotations

from typing import Any, Protocol

import discord
from discord.ext import commands

from bot import long_waits
from commands import add_cogs
from commands.errors import ShopwireTree
from commands.services import BotServices


class IdentifyTurns(Protocol):
    """When a shard may identify (``bot.sharding.IdentifyQueue``)."""

    async def wait_turn(self, shard_id: int) -> None: ...


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
        # Every call waits out its 429s as discord.py does by default, except where a task
        # asks otherwise (the publish queue: a crosspost past Discord's hourly limit is held
        # for later, never slept through; bot/long_waits.py).
        long_waits.install(self.http)
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


class ShardedShopwireBot(ShopwireBot, commands.AutoShardedBot):
    """Shopwire on some of Discord's shards (``--shards``): discord.py's ``AutoShardedBot``
    with those shard ids, each shard waiting for its turn before it identifies."""

    def __init__(
        self,
        services: BotServices,
        *,
        shard_ids: list[int],
        shard_count: int,
        identify: IdentifyTurns,
        **options: Any,
    ) -> None:
        super().__init__(services, shard_ids=shard_ids, shard_count=shard_count, **options)
        self._identify = identify

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait for the shard's bucket's turn (shared with the bot's other processes)."""
        await self._identify.wait_turn(shard_id or 0)
