"""Which new items a subscription wants. Pure.

A subscription only ever sees items that arrive after it was created (matching runs at ingest
time, on new items only), never items older than ``max_age``, and a server's private feeds
only for that server's own subscriptions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from bot.news.models import Subscription, SubscriptionFilter, SubscriptionMode


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=4096)
def _word_pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in _normalise(phrase).split()]
    # Whole words only, so "shop" does not match "workshop"; spaces in a phrase match any run
    # of whitespace or hyphens ("cross border" = "cross-border").
    return re.compile(r"(?<!\w)" + r"[\s\-]+".join(words) + r"(?!\w)")


def mentions(text: str, phrases: Iterable[str]) -> bool:
    """Whether ``text`` contains any of the phrases as whole words (case-insensitive)."""
    haystack = _normalise(text)
    return any(_word_pattern(p).search(haystack) for p in phrases if p.strip())


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
    text = f"{title}\n{summary}"
    if subscription_filter.exclude and mentions(text, subscription_filter.exclude):
        return False
    if subscription_filter.companies and not set(subscription_filter.companies) & set(companies):
        return False
    if subscription_filter.topics and not set(subscription_filter.topics) & set(topics):
        return False
    return not subscription_filter.keywords or mentions(text, subscription_filter.keywords)


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
) -> list[Subscription]:
    """The realtime subscriptions that should receive one new item."""
    if published is not None and now - published > max_age:
        return []
    return [
        s
        for s in subscriptions
        if s.mode is SubscriptionMode.REALTIME
        and (feed_guild_id is None or feed_guild_id == s.guild_id)
        and wants(s.filter, title=title, summary=summary, companies=companies, topics=topics)
    ]
