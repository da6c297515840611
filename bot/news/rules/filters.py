"""Whether an item passes a subscription's filters, and which filter stops it. Pure.

Delivery (``subscription_matching.wants``), previews and ``/subscriptions why`` all ask
``filter_misses``, so what a user is told about a filter is exactly what decided the post.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.news.model.vocabulary import SubscriptionFilter


class FilterKind(enum.StrEnum):
    """The part of a subscription's filters an item failed."""

    EXCLUDE = "exclude"
    COMPANY = "company"
    TOPIC = "topic"
    KEYWORD = "keyword"


@dataclass(frozen=True, slots=True)
class FilterMiss:
    """One filter an item failed: an excluded word it contains (``terms``: those found), or
    the companies, topics or keywords it has none of (``terms``: those the filter asks for)."""

    kind: FilterKind
    terms: tuple[str, ...]


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=4096)
def _word_pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in _normalise(phrase).split()]
    # Whole words only, so "shop" does not match "workshop"; spaces in a phrase match any run
    # of whitespace or hyphens ("cross border" = "cross-border").
    return re.compile(r"(?<!\w)" + r"[\s\-]+".join(words) + r"(?!\w)")


def mentioned(text: str, phrases: Iterable[str]) -> tuple[str, ...]:
    """The phrases ``text`` contains as whole words (case-insensitive), in the given order."""
    haystack = _normalise(text)
    return tuple(p for p in phrases if p.strip() and _word_pattern(p).search(haystack))


def mentions(text: str, phrases: Iterable[str]) -> bool:
    """Whether ``text`` contains any of the phrases as whole words (case-insensitive)."""
    haystack = _normalise(text)
    return any(_word_pattern(p).search(haystack) for p in phrases if p.strip())


def filter_misses(
    subscription_filter: SubscriptionFilter,
    *,
    title: str,
    summary: str,
    companies: Sequence[str],
    topics: Sequence[str] = (),
) -> tuple[FilterMiss, ...]:
    """Every filter the item fails (none: it passes).

    Each non-empty filter must hold (companies, topics, keywords: any of each); an excluded
    word vetoes. An item without topics never passes a topic filter.
    """
    text = f"{title}\n{summary}"
    misses = []
    if subscription_filter.exclude:
        found = mentioned(text, subscription_filter.exclude)
        if found:
            misses.append(FilterMiss(FilterKind.EXCLUDE, found))
    if subscription_filter.companies and not set(subscription_filter.companies) & set(companies):
        misses.append(FilterMiss(FilterKind.COMPANY, subscription_filter.companies))
    if subscription_filter.topics and not set(subscription_filter.topics) & set(topics):
        misses.append(FilterMiss(FilterKind.TOPIC, subscription_filter.topics))
    if subscription_filter.keywords and not mentions(text, subscription_filter.keywords):
        misses.append(FilterMiss(FilterKind.KEYWORD, subscription_filter.keywords))
    return tuple(misses)
