"""Slash commands: thin cogs that validate, call one service, render and respond.

Nothing here imports storage or the Discord client: the cogs get the services through
``BotServices`` (``commands.services``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

from commands.feeds import FeedsCog
from commands.follow import FollowCog
from commands.help import HelpCog
from commands.news import NewsCog
from commands.settings import SettingsCog
from commands.subscriptions import SubscriptionsCog

if TYPE_CHECKING:
    from commands.services import BotServices


def build_cogs(services: BotServices) -> list[commands.Cog]:
    """Every Shopwire cog, wired to the services."""
    return [
        NewsCog(services),
        FeedsCog(services),
        SubscriptionsCog(services),
        SettingsCog(services),
        FollowCog(services),
        HelpCog(),
    ]


async def add_cogs(bot: commands.Bot, services: BotServices) -> None:
    """Add every Shopwire cog to ``bot`` (their app commands join its tree)."""
    for cog in build_cogs(services):
        await bot.add_cog(cog)


async def setup(bot: commands.Bot) -> None:
    """discord.py extension entry point (``await bot.load_extension("commands")``).

    The bot must carry its services as ``bot.services`` (``ShopwireBot`` does).
    """
    services: BotServices = getattr(bot, "services")  # noqa: B009
    await add_cogs(bot, services)
