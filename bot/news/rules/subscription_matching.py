"""Which new items a subscription wants. Pure.

A subscription only ever sees items that arrive after it was created (matching runs at ingest
time, on new items only), never items older than ``max_age``, never the backlog a feed's first
poll stores, and a server's private feeds only for that server's own subscriptions. The rules
themselves are in ``rules.filters`` and ``rules.planning``, which explanations read too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.news.model.vocabulary import Subscription, SubscriptionFilter
from bot.news.rules.filters import filter_misses, mentions
from bot.news.rules.planning import ItemFacts, queued_for

__all__ = ["mentions", "recipients", "wants"]


def wants(
    subscription_filter: SubscriptionFilter,
    *,
    title: str,
    summary: str,
    companies: Sequence[str],
    topics: Sequence[str] = (),
) -> bool:
    """Whether an item passes a subscription's filters.

    Each non-empty filter must hold (companies, topics, keywords: any of each); ``exclude``
    vetoes. An item without topics never passes a topic filter.
    """
    return not filter_misses(
        subscription_filter, title=title, summary=summary, companies=companies, topics=topics
    )


def recipients(
    subscriptions: Iterable[Subscription],
    *,
    feed_guild_id: int | None,
    title: str,
    summary: str,
    companies: Sequence[str],
    published: datetime | None,
    now: datetime,
    max_age: timedelta,
    topics: Sequence[str] = (),
    first_poll: bool = False,
) -> list[Subscription]:
    """The realtime subscriptions that should receive one new item, stored by a poll at
    ``now`` (``first_poll``: the feed's first, whose items are never announced)."""
    facts = ItemFacts(
        title=title,
        summary=summary,
        companies=companies,
        topics=topics,
        published=published,
        arrived=now,
        feed_guild_id=feed_guild_id,
        first_poll=first_poll,
    )
    return queued_for(list(subscriptions), facts, max_age)
