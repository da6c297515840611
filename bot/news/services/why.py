"""``/subscriptions why``: for one stored item, what became of it for each of a server's
subscriptions, and why. The reasons come from ``rules.explain``, which asks the planner's own
rules (``rules.planning``) and reads the delivery log; nothing here decides anything."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.news.model.errors import UserError
from bot.news.model.vocabulary import Item, SearchRequest, Subscription, SubscriptionMode
from bot.news.ports import (
    Clock,
    DeliveryHistory,
    FeedRepository,
    GuildSettingsRepository,
    ItemRepository,
    SubscriptionRepository,
)
from bot.news.rules.explain import Explanation, explain
from bot.news.rules.search_query import parse_query
from bot.news.services.digests import DEFAULT_TIMEZONE, next_digest_at, zone

MAX_LOOKUP_LENGTH = 500
"""The longest link or search text looked up (Discord URLs stay well within it)."""


class FoundBy(enum.StrEnum):
    """How the item was picked: by its exact link, or as the best hit of a search."""

    LINK = "link"
    SEARCH = "search"


@dataclass(frozen=True, slots=True)
class WhyReport:
    """One item and each of the server's subscriptions' answer for it."""

    item: Item
    found_by: FoundBy
    feed_name: str
    explanations: tuple[Explanation, ...]
    # The maximum age the planner's reasons were given with.
    max_age: timedelta
    # Other stored items with the same link (the same article in other feeds).
    same_link: int = 0


def link_candidates(text: str) -> tuple[str, ...]:
    """The links ``text`` may mean, when it is one: as typed, and with or without the final
    slash (feeds differ); empty when it is not a link."""
    link = text.strip().removeprefix("<").removesuffix(">").strip()
    if not link.lower().startswith(("http://", "https://")) or any(c.isspace() for c in link):
        return ()
    other = link[:-1] if link.endswith("/") else link + "/"
    return (link, other)


class DeliveryExplainer:
    """Explains, for one server, what delivery did with one item."""

    def __init__(
        self,
        *,
        history: DeliveryHistory,
        feeds: FeedRepository,
        items: ItemRepository,
        subscriptions: SubscriptionRepository,
        clock: Clock,
        max_age: timedelta,
        guild_settings: GuildSettingsRepository | None = None,
    ) -> None:
        self._history = history
        self._feeds = feeds
        self._items = items
        self._subscriptions = subscriptions
        self._clock = clock
        self._max_age = max_age
        # The server's time zone places its digest periods (UTC without it).
        self._guild_settings = guild_settings

    async def why(self, guild_id: int, text: str) -> WhyReport:
        """The item ``text`` names (its link, else the best search hit) and what became of it
        for each of the server's subscriptions. UserError when the server has none, or when
        nothing stored matches."""
        text = " ".join(text.split())
        if not text:
            raise UserError("Give the item's link, or words from its title.")
        if len(text) > MAX_LOOKUP_LENGTH:
            raise UserError(f"That is longer than {MAX_LOOKUP_LENGTH} characters.")
        subscriptions = await self._subscriptions.list_for_guild(guild_id)
        if not subscriptions:
            raise UserError(
                "This server has no subscriptions yet, so nothing is posted here: "
                "start one with /subscribe."
            )
        item, found_by, same_link = await self._find(guild_id, text)
        feed = await self._feeds.get(item.feed_id)
        feed_guild_id = feed.guild_id if feed is not None else None
        posts = {p.subscription_id: p for p in await self._history.posts_of_item(guild_id, item.id)}
        digests = {
            d.subscription.id: d
            for d in await self._history.digests_covering(guild_id, item.published)
        }
        now = self._clock.now()
        tz = zone(await self._timezone(guild_id))
        explanations = tuple(
            explain(
                item,
                subscription,
                feed_guild_id=feed_guild_id,
                post=posts.get(subscription.id),
                digest=digests.get(subscription.id),
                max_age=self._max_age,
                now=now,
                digest_due=_period_end(subscription, tz, item.published),
            )
            for subscription in subscriptions
        )
        return WhyReport(
            item,
            found_by,
            feed.name if feed is not None else item.source,
            explanations,
            self._max_age,
            same_link,
        )

    async def _timezone(self, guild_id: int) -> str:
        if self._guild_settings is None:
            return DEFAULT_TIMEZONE
        return await self._guild_settings.timezone(guild_id) or DEFAULT_TIMEZONE

    async def _find(self, guild_id: int, text: str) -> tuple[Item, FoundBy, int]:
        links = link_candidates(text)
        if links:
            found = await self._history.items_by_link(guild_id, links)
            if not found:
                raise UserError(
                    "No stored item has that link in the feeds this server reads. "
                    "Try words from its title instead."
                )
            # The first stored is the one a subscription would have been offered first.
            return found[0], FoundBy.LINK, len(found) - 1
        page = await self._items.search(
            SearchRequest(text=text, limit=1, guild_id=guild_id), parse_query(text)
        )
        if not page.items:
            raise UserError("No stored item matches that. Try other words, or the item's link.")
        # Search results may leave out topics: read the item whole.
        item = await self._history.item(guild_id, page.items[0].id)
        if item is None:  # removed between the two reads
            raise UserError("No stored item matches that. Try other words, or the item's link.")
        return item, FoundBy.SEARCH, 0


def _period_end(subscription: Subscription, tz: ZoneInfo, published: datetime) -> datetime | None:
    """When the digest period holding ``published`` ends: the first posting time after it
    (periods are ``[start, end)``); None for realtime subscriptions."""
    if subscription.mode is SubscriptionMode.REALTIME:
        return None
    return next_digest_at(subscription.mode, subscription.post_hour, tz, published)
