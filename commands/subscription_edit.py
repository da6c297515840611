"""``/subscriptions edit``: how an existing subscription posts (style, ping, thread, publishing),
checked against its channel as ``/subscribe`` checks them; its filters and queue stay."""

from __future__ import annotations

from typing import Any

import discord

from bot.news.model.errors import UserError
from bot.news.model.vocabulary import MessageStyle, Subscription
from bot.news.services.subscriptions import SubscriptionService
from commands.placement import PostTarget, choose_layout, ensure_can_place
from commands.roles import ensure_can_ping


async def edit_subscription(
    service: SubscriptionService,
    interaction: discord.Interaction[Any],
    subscription_id: int,
    *,
    style: MessageStyle | None,
    ping: discord.Role | None,
    remove_ping: bool,
    thread: str | None,
    publish: bool | None,
) -> tuple[Subscription, PostTarget]:
    """Apply the changes to one of this server's subscriptions: it as it is now, and its
    channel."""
    assert interaction.guild_id is not None and interaction.guild is not None  # guild_only
    subscription = await service.get(interaction.guild_id, subscription_id)
    if subscription is None:
        raise UserError(
            f"This server has no subscription #{subscription_id}: see `/subscriptions list`."
        )
    channel = _channel_of(interaction.guild, subscription)
    layout = choose_layout(channel, thread, publish, subscription.mode)
    ensure_can_place(channel, layout)
    if ping is not None:
        ensure_can_ping(ping, channel)
    edited = await service.edit(
        subscription,
        style=style,
        ping_role_id=ping.id if ping is not None else None,
        remove_ping=remove_ping,
        layout=layout,
        publish=publish,
    )
    return edited, channel


def _channel_of(guild: discord.Guild, subscription: Subscription) -> PostTarget:
    channel = guild.get_channel(subscription.channel_id)
    if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
        raise UserError(
            f"The channel of subscription #{subscription.id} is gone or I can't see it: "
            "remove the subscription with `/unsubscribe`."
        )
    return channel
