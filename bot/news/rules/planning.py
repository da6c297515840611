"""Whether a new item is queued for a subscription, and if not, every reason why. Pure.

The updater queues posts with ``subscription_matching.recipients``, which asks
``plan_verdict`` for each subscription; ``/subscriptions why`` and previews ask the same
function, so an explanation can never drift from what was done.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.news.model.vocabulary import Subscription, SubscriptionMode
from bot.news.rules.filters import FilterMiss, filter_misses


class Skip(enum.StrEnum):
    """Why no post was queued for an item, in the order a user is told."""

    OTHER_SERVER = "other server"  # another server's private feed
    DIGEST = "digest"  # a digest subscription: items are summarised, never queued one by one
    FILTER = "filter"
    CREATED_LATER = "created later"  # the subscription did not exist when the item arrived
    FIRST_POLL = "first poll"  # a feed's first poll stores its backlog without announcing it
    TOO_OLD = "too old"  # already older than the maximum age when it arrived
    DISABLED = "disabled"  # the subscription is disabled (its channel is gone)


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What the planner knows of one new item when its feed's poll stores it.

    ``arrived`` is that poll's time (the stored item's ``first_seen``); ``published`` is the
    feed's date, None when it gave none (a stored item's ``published`` is then ``arrived``).
    """

    title: str
    summary: str
    companies: Sequence[str]
    topics: Sequence[str]
    published: datetime | None
    arrived: datetime
    feed_guild_id: int | None
    first_poll: bool


@dataclass(frozen=True, slots=True)
class PlanVerdict:
    """The planner's decision for one (item, subscription): queued when ``skips`` is empty."""

    skips: tuple[Skip, ...]
    misses: tuple[FilterMiss, ...] = ()

    @property
    def queued(self) -> bool:
        """Whether a post of the item was queued for the subscription."""
        return not self.skips


def _item_skips(item: ItemFacts, max_age: timedelta) -> list[Skip]:
    """The reasons that hold for every subscription alike."""
    skips = []
    if item.first_poll:
        skips.append(Skip.FIRST_POLL)
    if item.published is not None and item.arrived - item.published > max_age:
        skips.append(Skip.TOO_OLD)
    return skips


def plan_verdict(subscription: Subscription, item: ItemFacts, max_age: timedelta) -> PlanVerdict:
    """Whether ``item`` is queued for ``subscription``, or every reason it is not."""
    skips: list[Skip] = []
    if item.feed_guild_id is not None and item.feed_guild_id != subscription.guild_id:
        skips.append(Skip.OTHER_SERVER)
    if subscription.mode is not SubscriptionMode.REALTIME:
        skips.append(Skip.DIGEST)
    misses = filter_misses(
        subscription.filter,
        title=item.title,
        summary=item.summary,
        companies=item.companies,
        topics=item.topics,
    )
    if misses:
        skips.append(Skip.FILTER)
    if subscription.created_at > item.arrived:
        skips.append(Skip.CREATED_LATER)
    if subscription.disabled:
        # Nothing is queued that could never be posted: the outbox of a deleted channel
        # would otherwise grow with every poll.
        skips.append(Skip.DISABLED)
    skips.extend(_item_skips(item, max_age))
    return PlanVerdict(tuple(skips), misses)


def queued_for(
    subscriptions: Sequence[Subscription], item: ItemFacts, max_age: timedelta
) -> list[Subscription]:
    """The subscriptions a post of ``item`` is queued for, in the given order."""
    if _item_skips(item, max_age):
        # Every verdict would carry these: a feed's first poll of 200 items is not matched
        # against every subscription of every server.
        return []
    return [s for s in subscriptions if plan_verdict(s, item, max_age).queued]
