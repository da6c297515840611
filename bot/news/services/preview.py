"""Previews of a subscription: what its filters would have posted over the last days, before
anything is saved (``/subscribe ... preview: true``, ``/subscriptions preview``)."""

from __future__ import annotations

from datetime import timedelta

from bot.news.model.vocabulary import Subscription, SubscriptionFilter, SubscriptionMode
from bot.news.ports import Clock, DeliveryHistory, FeedRepository
from bot.news.rules.preview import Preview, preview

PREVIEW_DAYS = 7
MAX_PREVIEW_ITEMS = 20_000
"""Items read for one preview, newest first; a busier week is counted on its newest."""


class SubscriptionPreviewer:
    """Counts what a filter would have posted in a server; stores nothing."""

    def __init__(
        self,
        *,
        history: DeliveryHistory,
        feeds: FeedRepository,
        clock: Clock,
        max_age: timedelta,
        days: int = PREVIEW_DAYS,
        max_items: int = MAX_PREVIEW_ITEMS,
    ) -> None:
        self._history = history
        self._feeds = feeds
        self._clock = clock
        self._max_age = max_age
        self._days = days
        self._max_items = max_items

    async def preview(self, guild_id: int, subscription_filter: SubscriptionFilter) -> Preview:
        """What a realtime subscription with ``subscription_filter`` in the server would have
        had posted over the last days, had it existed all along."""
        until = self._clock.now()
        since = until - timedelta(days=self._days)
        items = await self._history.recent_items(guild_id, since, self._max_items + 1)
        complete = len(items) <= self._max_items
        items = items[: self._max_items]
        feed_guilds = {f.id: f.guild_id for f in await self._feeds.list_feeds(guild_id)}
        # Created just before the window: nothing in it arrived before the subscription.
        hypothetical = Subscription(
            id=0,
            guild_id=guild_id,
            channel_id=0,
            filter=subscription_filter,
            mode=SubscriptionMode.REALTIME,
            created_at=since,
        )
        return preview(
            [(item, feed_guilds.get(item.feed_id)) for item in items],
            hypothetical,
            since=since,
            until=until,
            max_age=self._max_age,
            complete=complete,
        )
