"""What a subscription's filters would have posted over a past window: the answer of
``/subscribe ... preview: true`` and ``/subscriptions preview``. Pure.

Each item gets the planner's own verdict (``planning.plan_verdict``) for a subscription that
existed before the window, so a preview counts exactly what delivery would have queued.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.news.model.vocabulary import Item, Subscription
from bot.news.rules.explain import item_facts
from bot.news.rules.planning import Skip, plan_verdict

SHOWN_ITEMS = 5
"""How many of the items a preview lists (the newest)."""

_UNANNOUNCED = frozenset({Skip.FIRST_POLL, Skip.TOO_OLD})


@dataclass(frozen=True, slots=True)
class PreviewCount:
    """How many of the previewed items carry one company or topic (``key``: its id)."""

    key: str
    count: int


@dataclass(frozen=True, slots=True)
class Preview:
    """What a subscription would have posted from ``since`` to ``until``.

    ``total`` items would have been posted; ``items`` are the newest of them. ``unannounced``
    passed the filters but would not have been posted: a feed's first poll, or already too
    old when they arrived. ``read`` items were looked at; ``complete`` is False when the
    window held more than could be read (the counts are then of the newest ``read``).
    """

    since: datetime
    until: datetime
    total: int
    companies: tuple[PreviewCount, ...]
    topics: tuple[PreviewCount, ...]
    items: tuple[Item, ...]
    unannounced: int
    read: int
    complete: bool = True


def preview(
    candidates: Sequence[tuple[Item, int | None]],
    subscription: Subscription,
    *,
    since: datetime,
    until: datetime,
    max_age: timedelta,
    complete: bool = True,
) -> Preview:
    """Count ``candidates`` (items with their feed's server, None for shared feeds, newest
    first) that ``subscription`` would have had posted had it existed since ``since``."""
    posted: list[Item] = []
    unannounced = 0
    for item, feed_guild_id in candidates:
        verdict = plan_verdict(subscription, item_facts(item, feed_guild_id), max_age)
        if verdict.queued:
            posted.append(item)
        elif set(verdict.skips) <= _UNANNOUNCED:
            unannounced += 1
    companies = Counter(c.id for item in posted for c in item.companies)
    topics = Counter(t for item in posted for t in item.topics)
    return Preview(
        since=since,
        until=until,
        total=len(posted),
        companies=_counts(companies),
        topics=_counts(topics),
        items=tuple(posted[:SHOWN_ITEMS]),
        unannounced=unannounced,
        read=len(candidates),
        complete=complete,
    )


def _counts(counter: Counter[str]) -> tuple[PreviewCount, ...]:
    # Most first; ties by id, so the same items always read the same.
    return tuple(
        PreviewCount(key, n) for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    )
