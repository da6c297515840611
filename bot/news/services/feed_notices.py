"""Where to tell a server that one of its own feeds was disabled.

The bot posts the notice (its wording is Discord's business); this finds the feed and the
channel from storage, so the Discord runtime never reads repositories itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.news.models import Feed
from bot.news.ports import FeedRepository, SubscriptionRepository


@dataclass(frozen=True, slots=True)
class FeedNotice:
    """A server's feed as stored now, and the channel a notice about it goes to."""

    feed: Feed
    channel_id: int


class FeedNotices:
    """Finds the channel for a notice about a server's feed."""

    def __init__(self, *, feeds: FeedRepository, subscriptions: SubscriptionRepository) -> None:
        self._feeds = feeds
        self._subscriptions = subscriptions

    async def disabled_notice(self, feed_id: int) -> FeedNotice | None:
        """The feed and the server's first subscribed channel that is not paused; None for a
        shared-catalogue feed (no server owns it), a removed feed, or a server with no active
        subscription (nobody would read it)."""
        feed = await self._feeds.get(feed_id)
        if feed is None or feed.guild_id is None:
            return None
        for subscription in await self._subscriptions.list_for_guild(feed.guild_id):
            if subscription.paused_reason is None:
                return FeedNotice(feed, subscription.channel_id)
        return None
