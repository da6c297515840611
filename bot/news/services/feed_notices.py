"""Where to tell a server that one of its own feeds was disabled.

The bot posts the notice (its wording is Discord's business); this finds the feed and the
channel from storage, so the Discord runtime never reads repositories itself. A notice is owed
from the poll that disabled the feed (stored in its transaction, whichever process polled it)
until the process serving the server's shard has posted it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.news.model.vocabulary import ALL_SHARDS, Feed, Shards
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

    async def owed(self, shards: Shards = ALL_SHARDS) -> list[FeedNotice]:
        """The notices owed to servers on ``shards`` about feeds polling disabled, each with
        its channel; one owed to a server with no active subscription is dropped (nobody would
        read it)."""
        notices: list[FeedNotice] = []
        for feed in await self._feeds.notices_owed(shards):
            notice = await self._notice(feed)
            if notice is None:
                await self._feeds.notice_given(feed.id)
            else:
                notices.append(notice)
        return notices

    async def given(self, feed_id: int) -> None:
        """The notice about the feed was posted (or refused for good): owed no more."""
        await self._feeds.notice_given(feed_id)

    async def disabled_notice(self, feed_id: int) -> FeedNotice | None:
        """The feed and the server's first subscribed channel that is not paused; None for a
        shared-catalogue feed (no server owns it), a removed feed, or a server with no active
        subscription (nobody would read it)."""
        feed = await self._feeds.get(feed_id)
        return None if feed is None else await self._notice(feed)

    async def _notice(self, feed: Feed) -> FeedNotice | None:
        if feed.guild_id is None:
            return None
        for subscription in await self._subscriptions.list_for_guild(feed.guild_id):
            if subscription.paused_reason is None:
                return FeedNotice(feed, subscription.channel_id)
        return None
